"""Relative positioning and temporal shuffling: labels, contrastive features, loss.

Banville H., Chehab O., Hyvarinen A., Engemann D.-A., Gramfort A. (2021). Uncovering
the structure of clinical EEG signals with self-supervised learning. J. Neural Eng.
18(4):046020. arXiv:2007.16104.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def relative_positioning_label(t_anchor, t_other, tau_pos, tau_neg):
    """Label of a pair of windows by their distance in time.

    Parameters
    ----------
    t_anchor, t_other : float or ndarray
        Start times of the windows (same units as the taus, e.g. seconds).
    tau_pos, tau_neg : float
        Positive and negative context sizes (``tau_pos <= tau_neg``).

    Returns
    -------
    label : int or ndarray of int
        1 if ``|t_anchor - t_other| <= tau_pos``, 0 if ``>= tau_neg``, -1 otherwise
        (the pair is not used).
    """
    dist = np.abs(np.asarray(t_anchor, dtype=float) - np.asarray(t_other, dtype=float))
    return np.where(dist <= tau_pos, 1, np.where(dist >= tau_neg, 0, -1))


def temporal_shuffling_label(t_first, t_middle, t_last, tau_pos, tau_neg):
    """Label of a triplet ``(x_t, x_t', x_t'')`` presented in that order.

    The outer windows satisfy ``t < t''`` and ``t'' - t <= tau_pos``. The triplet is
    ordered (1) when ``t < t' < t''``, shuffled (0) when ``t'`` lies at least
    ``tau_neg`` outside ``[t, t'']``, and unused (-1) otherwise.

    Returns
    -------
    label : int or ndarray of int
    """
    a, m, b = (np.asarray(v, dtype=float) for v in (t_first, t_middle, t_last))
    valid = (a < b) & (b - a <= tau_pos)
    ordered = valid & (a < m) & (m < b)
    shuffled = valid & ((m <= a - tau_neg) | (m >= b + tau_neg))
    return np.where(ordered, 1, np.where(shuffled, 0, -1))


def relative_positioning_features(h_anchor, h_other):
    """The RP contrastive module's input: ``|h(x) - h(x')|``, shape (B, D)."""
    return (h_anchor - h_other).abs()


def temporal_shuffling_features(h_first, h_middle, h_last):
    """The TS contrastive module's input: ``[|h - h'|, |h' - h''|]``, shape (B, 2D)."""
    return torch.cat([(h_first - h_middle).abs(), (h_middle - h_last).abs()], dim=1)


def pretext_loss(logits, targets):
    """Logistic loss of the binary pretext label.

    Parameters
    ----------
    logits : Tensor, shape (B,) or (B, 1)
    targets : Tensor, shape (B,)
        1 (positive/ordered) or 0 (negative/shuffled).

    Returns
    -------
    loss : Tensor, scalar
    """
    return F.binary_cross_entropy_with_logits(logits.reshape(-1), targets.reshape(-1).float())


class PretextLoss(nn.Module):
    """Module form of :func:`pretext_loss` (relative positioning and temporal shuffling)."""

    def forward(self, logits, targets):
        return pretext_loss(logits, targets)
