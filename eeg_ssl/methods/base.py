"""The base class of SSL methods."""

from __future__ import annotations

from torch import nn

from ..transforms.transforms import generator_states, set_generator_states


class SSLMethod(nn.Module):
    """An encoder plus whatever a self-supervised objective puts on top of it.

    Subclasses set ``name``, build their heads, loss and view recipe from explicit
    keyword arguments, record those arguments in ``self.hparams`` (they are stored
    in checkpoints), and implement :meth:`forward`, which takes a batch of raw
    windows ``(B, C, T)`` and returns the scalar loss.

    Parameters
    ----------
    encoder : nn.Module
        A braindecode-signature encoder mapping (B, C, T) to (B, n_outputs).
    """

    name = None
    #: Registry names (``eeg_ssl.models.ENCODERS``) of the encoders the method's view
    #: recipe works with; ``None`` means any braindecode-signature encoder.
    compatible_encoders = None

    def __init__(self, encoder):
        super().__init__()
        if self.compatible_encoders is not None:
            from ..models import ENCODERS

            allowed = tuple(ENCODERS[n] for n in self.compatible_encoders)
            if not isinstance(encoder, allowed):
                raise ValueError(
                    f"Method {self.name!r} needs an encoder of kind "
                    f"{list(self.compatible_encoders)} (eeg_ssl.models.ENCODERS); got "
                    f"{type(encoder).__name__}. Build one with eeg_ssl.build_encoder."
                )
        self.encoder = encoder
        self.hparams = {}

    def forward(self, X):  # pragma: no cover - abstract
        raise NotImplementedError

    def embed(self, X):
        """Encoder features of a batch: (B, C, T) -> (B, n_outputs)."""
        return self.encoder(X)

    def wrap_dataset(self, dataset):
        """The dataset this method trains on, built from a window dataset.

        Identity by default. Methods that need more than independent windows (e.g.
        relative positioning's pairs from one recording) return a dataset whose
        items' first element is what :meth:`forward` expects.
        """
        return dataset

    def on_train_step_end(self, step, total_steps):
        """Hook after each optimiser step (e.g. EMA updates); nothing by default."""

    def rng_state(self):
        """States of the method's augmentation generators, for exact resume."""
        return generator_states(self)

    def set_rng_state(self, states):
        set_generator_states(self, states)
