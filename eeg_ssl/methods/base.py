"""The base classes of SSL methods.

:class:`SSLMethod` is what every method is. The methods that embed augmented views of
each window share their steps through :class:`TwoViewMethod` (views -> encoder ->
projector -> loss) and :class:`MomentumTwoViewMethod` (plus an EMA target network), the
way solo-learn's ``BaseMethod`` / ``BaseMomentumMethod`` and lightly's heads do; each
method file keeps only what is its own."""

from __future__ import annotations

import torch
from torch import nn

from ..modules import make_target, momentum_at, update_ema
from ..modules.ema import MOMENTUM_SCHEDULES, check_momentum
from ..transforms import invariance_views
from ..transforms.transforms import generator_states, set_generator_states
from ..utils import check_option


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


class TwoViewMethod(SSLMethod):
    """Two augmented views of each window -> encoder -> projector -> loss.

    Subclasses set ``self.views`` (a callable mapping (B, C, T) to a sequence of
    views), ``self.projection_head`` and ``self.criterion`` (a loss module taking the
    two views' projections); SimCLR, Barlow Twins, VICReg and resampling-contrastive
    need nothing more. Methods with more heads or views override :meth:`forward`
    and reuse :meth:`project`.
    """

    def project(self, view):
        """Projection of a batch of views: (B, C, T) -> (B, n_outputs) -> (B, D)."""
        return self.projection_head(self.encoder(view))

    def forward(self, X):
        view_a, view_b = self.views(X)
        return self.criterion(self.project(view_a), self.project(view_b))


class MomentumTwoViewMethod(TwoViewMethod):
    """A :class:`TwoViewMethod` with an exponential-moving-average target network.

    :meth:`build_target` copies the encoder and projection head into
    ``target_encoder`` and ``target_projection_head`` (MoCo's key encoder, BYOL's
    target); :meth:`on_train_step_end` moves them towards the online ones with the
    momentum schedule of ``hparams["momentum"]`` and ``hparams["momentum_schedule"]``.
    """

    @staticmethod
    def check_momentum(momentum, momentum_schedule):
        """Validate the EMA settings (call before storing them)."""
        check_option("momentum_schedule", momentum_schedule, MOMENTUM_SCHEDULES)
        check_momentum(momentum)

    def build_target(self, momentum):
        """Create the target encoder and projection head (no gradients) from the online ones."""
        self.target_encoder = make_target(self.encoder)
        self.target_projection_head = make_target(self.projection_head)
        self.register_buffer("current_momentum", torch.tensor(float(momentum)))

    @torch.no_grad()
    def target_project(self, view):
        """Target-network projection of a batch of views, no gradient: (B, C, T) -> (B, D)."""
        return self.target_projection_head(self.target_encoder(view))

    def on_train_step_end(self, step, total_steps):
        """Move the target encoder and projection head towards the online ones (EMA)."""
        momentum = momentum_at(step, total_steps, self.hparams["momentum"],
                               self.hparams["momentum_schedule"])  # fmt: skip
        update_ema(self.target_encoder, self.encoder, momentum)
        update_ema(self.target_projection_head, self.projection_head, momentum)
        self.current_momentum.fill_(momentum)


def invariance_recipe(n_times, rate_range, mask_fraction, channel_drop, noise_std, scale_range,
                      augment_probability, random_state, n_views=2):  # fmt: skip
    """The invariance view recipe shared by BYOL, MoCo, SwAV, VICReg and Barlow Twins.

    Parameters
    ----------
    n_times : int
        Samples per window.
    rate_range, mask_fraction, channel_drop, noise_std, scale_range, augment_probability
        See :func:`eeg_ssl.transforms.invariance_views` (``augment_probability`` is its
        ``probability``).
    random_state : int | None
        Seed of the views.
    n_views : int
        Views per window.

    Returns
    -------
    hparams : dict
        The recipe's keyword arguments as a method stores them in ``hparams``.
    views : Transform
        The view maker, (B, C, T) -> ``n_views`` views of the same shape.
    """
    hparams = dict(
        rate_range=list(rate_range),
        mask_fraction=mask_fraction,
        channel_drop=channel_drop,
        noise_std=noise_std,
        scale_range=list(scale_range),
        augment_probability=augment_probability,
    )
    views = invariance_views(
        n_times,
        n_views=int(n_views),
        rate_range=rate_range,
        mask_fraction=mask_fraction,
        channel_drop=channel_drop,
        noise_std=noise_std,
        scale_range=scale_range,
        probability=augment_probability,
        random_state=random_state,
    )
    return hparams, views
