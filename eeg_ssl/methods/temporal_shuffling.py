"""Temporal shuffling (Banville et al. 2021); see
:mod:`eeg_ssl.losses.relative_positioning_loss`."""

from __future__ import annotations

from torch import nn

from ..data.samplers import TemporalShufflingTriplets
from ..losses.relative_positioning_loss import PretextLoss, temporal_shuffling_features
from .base import SSLMethod
from .relative_positioning import _check_taus, _unpack


class TemporalShuffling(SSLMethod):
    """Tell whether three windows of one recording are in temporal order.

    :meth:`wrap_dataset` turns a window dataset into triplets
    (:class:`~eeg_ssl.data.samplers.TemporalShufflingTriplets`); the contrastive
    module is a logistic regression on ``[|h(x) - h(x')|, |h(x') - h(x'')|]``.

    Parameters
    ----------
    encoder : nn.Module
        Braindecode-signature encoder.
    tau_pos : float
        Positive context in seconds: the outer windows are at most this far apart.
    tau_neg : float
        Negative context in seconds (``>= tau_pos``): a shuffled middle window lies at
        least this far outside the outer ones.
    n_triplets : int | None
        Triplets drawn per epoch; default one per window. ``pretrain`` redraws them
        at the start of every epoch (``set_epoch``).
    random_state : int | None
        Seed of the triplet sampling.

    Notes
    -----
    :meth:`forward` takes ``(x_first, x_middle, x_last, target)``.
    """

    name = "temporal_shuffling"

    def __init__(self, encoder, *, tau_pos=20.0, tau_neg=30.0, n_triplets=None, random_state=None):
        super().__init__(encoder)
        _check_taus(tau_pos, tau_neg)
        self.hparams = dict(tau_pos=float(tau_pos), tau_neg=float(tau_neg),
                            n_triplets=None if n_triplets is None else int(n_triplets),
                            random_state=random_state)  # fmt: skip
        self.head = nn.Linear(2 * encoder.n_outputs, 1)
        self.criterion = PretextLoss()

    def wrap_dataset(self, dataset):
        hp = self.hparams
        return TemporalShufflingTriplets(dataset, hp["tau_pos"], hp["tau_neg"],
                                         n_triplets=hp["n_triplets"],
                                         random_state=hp["random_state"])  # fmt: skip

    def forward(self, batch):
        first, middle, last, target = _unpack(batch, 4, self.name)
        features = temporal_shuffling_features(
            self.encoder(first), self.encoder(middle), self.encoder(last)
        )
        return self.criterion(self.head(features), target)
