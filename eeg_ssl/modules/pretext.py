"""Random transformations whose identity a network learns to predict."""

from __future__ import annotations

import warnings

import torch

from ..transforms import functional as F
from ..transforms.transforms import Transform

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Montage name", category=FutureWarning)
    from braindecode.augmentation.functional import sign_flip, time_reverse


def _identity(X, generator):
    return X


def _time_reverse(X, generator):
    return time_reverse(X, None)[0]


def _sign_flip(X, generator):
    return sign_flip(X, None)[0]


def _gaussian_noise(X, generator):
    return F.gaussian_noise(X, 0.5, 1.0, generator)


def _time_mask(X, generator):
    return F.time_mask(X, max(1, X.shape[-1] // 4), 1.0, generator)


def _channel_dropout(X, generator):
    return F.channel_dropout(X, 0.5, 1.0, generator)


def _speed_up(X, generator):
    return F.resample(X, (0.5, 0.7), 1.0, generator)


def _slow_down(X, generator):
    return F.resample(X, (1.4, 2.0), 1.0, generator)


#: The candidate transformations of transformation prediction, by name. Each maps a
#: batch (B, C, T) and a torch.Generator to a batch of the same shape. The time and
#: sign flips are braindecode's; the others are :mod:`eeg_ssl.transforms.functional`
#: applied with probability 1 (noise std 0.5 of the window's std, a quarter of the
#: window masked, half the channels dropped, resampling rates 0.5-0.7 or 1.4-2.0).
TRANSFORMATIONS = {
    "identity": _identity,
    "time_reverse": _time_reverse,
    "sign_flip": _sign_flip,
    "gaussian_noise": _gaussian_noise,
    "time_mask": _time_mask,
    "channel_dropout": _channel_dropout,
    "speed_up": _speed_up,
    "slow_down": _slow_down,
}


def apply_transformations(X, labels, transformations, generator):
    """Apply transformation ``transformations[labels[i]]`` to window ``i``.

    Parameters
    ----------
    X : Tensor, shape (B, C, T)
    labels : Tensor of int, shape (B,)
    transformations : list of str
        Keys of :data:`TRANSFORMATIONS`.
    generator : torch.Generator

    Returns
    -------
    Tensor, shape (B, C, T)
    """
    out = X.clone()
    for k, name in enumerate(transformations):
        rows = labels == k
        if rows.any():
            out[rows] = TRANSFORMATIONS[name](X[rows], generator)
    return out


class RandomTransformation(Transform):
    """Draw one transformation per window, uniformly, and apply it.

    Parameters
    ----------
    transformations : list of str
        Keys of :data:`TRANSFORMATIONS` (at least two).
    random_state : int | None

    Returns (forward)
    -----------------
    X_transformed : Tensor, shape (B, C, T)
    labels : Tensor of int, shape (B,)
        Index into ``transformations`` of the one applied.
    """

    def __init__(self, transformations, random_state=None):
        super().__init__(1.0, random_state)
        from ..utils import check_option

        transformations = list(transformations)
        for name in transformations:
            check_option("transformations", name, TRANSFORMATIONS)
        if len(set(transformations)) < 2 or len(set(transformations)) != len(transformations):
            raise ValueError(
                f"'transformations' must list at least two distinct names; got {transformations}."
            )
        self.transformations = transformations

    def forward(self, X):
        labels = torch.randint(len(self.transformations), (X.shape[0],), generator=self.generator,
                               device=self.generator.device).to(X.device)  # fmt: skip
        return apply_transformations(X, labels, self.transformations, self.generator), labels
