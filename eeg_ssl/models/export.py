"""A pretrained encoder as a braindecode classifier: encoder + fresh linear head.

In eeg-ssl an encoder's ``n_outputs`` is its **embedding size**; in a braindecode
classifier ``n_outputs`` is the **number of classes**. :class:`PretrainedEEGModel`
keeps braindecode's meaning: it takes ``n_outputs`` classes, and the embedding size
is read from the pretrained encoder (``embedding_size``).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

from torch import nn

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Montage name", category=FutureWarning)
    from braindecode.models.base import EEGModuleMixin


def load_encoder(pretrained, *, weights=True):
    """An encoder from an eeg-ssl checkpoint file, a saved folder or a Hub repo id."""
    from ..training.checkpoint import encoder_from_checkpoint
    from .hub import is_repo_id, load_pretrained

    if isinstance(pretrained, nn.Module):
        raise TypeError(
            "'pretrained' must be the path of a checkpoint or a save_pretrained folder (so "
            "that the model can be rebuilt from its parameters); got a module. Save it with "
            "encoder.save_pretrained(folder) first."
        )
    if not isinstance(pretrained, (str, Path)):
        raise TypeError(
            f"'pretrained' must be a checkpoint path, a save_pretrained folder or a Hugging "
            f"Face repo id; got {type(pretrained).__name__}."
        )
    if Path(pretrained).is_dir() or is_repo_id(str(pretrained)):
        return load_pretrained(pretrained, weights=weights)
    return encoder_from_checkpoint(pretrained, weights=weights)


class PretrainedEEGModel(EEGModuleMixin, nn.Module):
    """A pretrained eeg-ssl encoder followed by a new linear classification layer.

    braindecode's model signature, so it is a drop-in ``module`` of
    :class:`braindecode.EEGClassifier` (pass the class and ``module__pretrained=...``
    to let braindecode infer ``n_outputs`` from the labels, or an instance from
    :func:`to_braindecode`). The encoder is rebuilt from ``pretrained`` whenever the
    model is constructed, so re-initialisation by skorch keeps the pretrained weights.

    Parameters
    ----------
    n_chans : int | None
        Number of channels; must match the encoder's (default: the encoder's).
    n_outputs : int
        Number of classes of the new head (braindecode's meaning; the encoder's own
        ``n_outputs``, its embedding size, is ``embedding_size``).
    n_times : int | None
        Samples per window; must match the encoder's (default: the encoder's).
    pretrained : str | Path
        eeg-ssl checkpoint (``.pt``), folder written by ``save_pretrained``, or a
        Hugging Face repo id of one.
    freeze_encoder : bool
        Train only the head (a linear probe trained by gradient descent).
    chs_info, input_window_seconds, sfreq
        As in :class:`braindecode.models.base.EEGModuleMixin`; ``sfreq`` defaults to
        the training data's (recording facts) and must match it when given.

    Attributes
    ----------
    encoder : torch.nn.Module
        The pretrained encoder, (B, n_chans, n_times) -> (B, embedding_size).
    final_layer : torch.nn.Linear
        The new head, (B, embedding_size) -> (B, n_outputs).
    embedding_size : int
    recording_facts : dict | None
        What the encoder's training data looked like (channels, sfreq, units, ...).
    """

    def __init__(self, n_chans=None, n_outputs=None, n_times=None, pretrained=None,
                 freeze_encoder=False, chs_info=None, input_window_seconds=None,
                 sfreq=None):  # fmt: skip
        if pretrained is None:
            raise ValueError(
                "PretrainedEEGModel needs 'pretrained': a checkpoint path, a save_pretrained "
                "folder or a Hugging Face repo id."
            )
        if n_outputs is None or isinstance(n_outputs, bool) or int(n_outputs) < 1:
            raise ValueError(
                f"'n_outputs' must be the number of classes (an int >= 1); got {n_outputs!r}."
            )
        encoder = load_encoder(pretrained)
        facts = getattr(encoder, "recording_facts", None) or {}
        for name, given, own in (("n_chans", n_chans, encoder.n_chans),
                                 ("n_times", n_times, encoder.n_times)):  # fmt: skip
            if given is not None and int(given) != int(own):
                raise ValueError(
                    f"'{name}'={given} does not match the pretrained encoder ({name}={own}, "
                    f"from {str(pretrained)!r}); prepare the data as for pretraining."
                )
        trained_sfreq = facts.get("sfreq") or getattr(encoder, "_sfreq", None)
        if sfreq is not None and trained_sfreq and not math.isclose(sfreq, trained_sfreq):
            raise ValueError(
                f"'sfreq'={sfreq:g} Hz does not match the rate the encoder was trained at "
                f"({trained_sfreq:g} Hz); resample the data."
            )
        if chs_info is not None and facts.get("ch_names"):
            names = [ch["ch_name"] for ch in chs_info]
            if names != facts["ch_names"]:
                raise ValueError(
                    f"The channels of 'chs_info' ({names}) are not those the encoder was "
                    f"trained on, in order ({facts['ch_names']}); reorder or pick them."
                )
        super().__init__(n_outputs=int(n_outputs), n_chans=int(encoder.n_chans), chs_info=chs_info,
                         n_times=int(encoder.n_times), input_window_seconds=input_window_seconds,
                         sfreq=sfreq or trained_sfreq)  # fmt: skip
        self.pretrained = str(pretrained)
        self.freeze_encoder = bool(freeze_encoder)
        self.recording_facts = facts or None
        self.encoder = encoder
        self.embedding_size = int(encoder.n_outputs)
        if freeze_encoder:
            for param in encoder.parameters():
                param.requires_grad_(False)
        self.final_layer = nn.Linear(self.embedding_size, self.n_outputs)

    def train(self, mode=True):
        """Train mode; a frozen encoder stays in eval mode (batch norm statistics kept)."""
        super().train(mode)
        if self.freeze_encoder:
            self.encoder.eval()
        return self

    def forward(self, x):
        # (B, C, T) -> (B, embedding_size) -> (B, n_outputs)
        return self.final_layer(self.encoder(x))


def to_braindecode(pretrained, n_outputs, *, freeze_encoder=False, chs_info=None):
    """Turn a checkpoint (or saved folder) into a braindecode classifier model.

    Parameters
    ----------
    pretrained : str | Path
        eeg-ssl checkpoint, ``save_pretrained`` folder or Hugging Face repo id.
    n_outputs : int
        Number of classes of the new linear head (braindecode's ``n_outputs``; not
        the embedding size, which comes from the encoder).
    freeze_encoder : bool
        Train only the head.
    chs_info : list of dict | None
        MNE channel infos (``epochs.info["chs"]``), checked against the training channels.

    Returns
    -------
    model : PretrainedEEGModel
        Usable as ``braindecode.EEGClassifier(model, ...)``.

    Examples
    --------
    >>> from braindecode import EEGClassifier  # doctest: +SKIP
    >>> model = to_braindecode("runs/run/pretrain/checkpoint.pt", n_outputs=2)  # doctest: +SKIP
    >>> clf = EEGClassifier(model, max_epochs=10).fit(X, y)  # doctest: +SKIP
    """
    return PretrainedEEGModel(n_outputs=n_outputs, pretrained=pretrained,
                              freeze_encoder=freeze_encoder, chs_info=chs_info)  # fmt: skip
