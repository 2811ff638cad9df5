"""Relative positioning (Banville et al. 2021); see
:mod:`eeg_ssl.losses.relative_positioning_loss`."""

from __future__ import annotations

from torch import nn

from ..data.samplers import RelativePositioningPairs
from ..losses.relative_positioning_loss import PretextLoss, relative_positioning_features
from .base import SSLMethod


def _check_taus(tau_pos, tau_neg):
    if not (float(tau_pos) > 0 and float(tau_neg) >= float(tau_pos)):
        raise ValueError(
            f"Need 0 < 'tau_pos' <= 'tau_neg' (seconds); got tau_pos={tau_pos!r}, "
            f"tau_neg={tau_neg!r}."
        )


class RelativePositioning(SSLMethod):
    """Tell whether two windows of one recording are close in time or far apart.

    :meth:`wrap_dataset` turns a window dataset into pairs from the same recording
    (:class:`~eeg_ssl.data.samplers.RelativePositioningPairs`); the contrastive
    module is a logistic regression on ``|h(x) - h(x')|``.

    Parameters
    ----------
    encoder : nn.Module
        Braindecode-signature encoder.
    tau_pos : float
        Positive context in seconds: pairs whose starts are at most this far apart
        are positives.
    tau_neg : float
        Negative context in seconds (``>= tau_pos``): pairs at least this far apart
        are negatives.
    n_pairs : int | None
        Pairs drawn per epoch; default one per window. ``pretrain`` redraws them at
        the start of every epoch (``set_epoch``), so a small set is not overfitted.
    random_state : int | None
        Seed of the pair sampling.

    Notes
    -----
    :meth:`forward` takes ``(x_anchor, x_other, target)``: two (B, C, T) batches and
    the (B,) labels, as the wrapped dataset yields them.
    """

    name = "relative_positioning"

    def __init__(self, encoder, *, tau_pos=10.0, tau_neg=30.0, n_pairs=None, random_state=None):
        super().__init__(encoder)
        _check_taus(tau_pos, tau_neg)
        self.hparams = dict(tau_pos=float(tau_pos), tau_neg=float(tau_neg),
                            n_pairs=None if n_pairs is None else int(n_pairs),
                            random_state=random_state)  # fmt: skip
        self.head = nn.Linear(encoder.n_outputs, 1)
        self.criterion = PretextLoss()

    def wrap_dataset(self, dataset):
        hp = self.hparams
        return RelativePositioningPairs(dataset, hp["tau_pos"], hp["tau_neg"],
                                        n_pairs=hp["n_pairs"], random_state=hp["random_state"])  # fmt: skip

    def forward(self, batch):
        x_anchor, x_other, target = _unpack(batch, 3, self.name)
        features = relative_positioning_features(self.encoder(x_anchor), self.encoder(x_other))
        return self.criterion(self.head(features), target)


def _unpack(batch, n, name):
    if not isinstance(batch, (tuple, list)) or len(batch) != n:
        got = f"a {type(batch).__name__}" if not isinstance(batch, (tuple, list)) else len(batch)
        raise ValueError(
            f"Method {name!r} takes a tuple of {n - 1} window batches and the targets, as "
            f"yielded by the dataset of its wrap_dataset(); got {got}. Train it with "
            f"eeg_ssl.pretrain, which wraps the dataset."
        )
    return batch
