"""Interpolation-consistency contrastive loss (i-Mix): mixed inputs, mixed targets.

Lee K., Zhu Y., Sohn K., Li C.-L., Shin J., Lee H. (2021). i-Mix: A Domain-Agnostic
Strategy for Contrastive Representation Learning. ICLR. arXiv:2010.08887. Mixup:
Zhang H., Cisse M., Dauphin Y., Lopez-Paz D. (2018). mixup: Beyond Empirical Risk
Minimization. ICLR.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_temperature


def mix_batch(X, lam, partner):
    """Mix every window with a partner window of the batch.

    Parameters
    ----------
    X : Tensor, shape (B, ...)
    lam : Tensor, shape (B,)
        Weight of each window itself, in [0, 1].
    partner : Tensor of int, shape (B,)
        Index of the window mixed into each window.

    Returns
    -------
    Tensor, shape (B, ...)
        ``lam_i * X_i + (1 - lam_i) * X_partner(i)``.
    """
    weight = lam.reshape(-1, *([1] * (X.ndim - 1))).to(X.dtype)
    return weight * X + (1 - weight) * X[partner]


def mixing_targets(lam, partner):
    """Soft targets over the batch: the mixing coefficients of each mixed window.

    Returns
    -------
    targets : Tensor, shape (B, B)
        Row ``i`` has ``lam_i`` at column ``i`` and ``1 - lam_i`` at ``partner(i)``
        (summed if they coincide); rows sum to 1.
    """
    batch = lam.shape[0]
    targets = torch.zeros(batch, batch, dtype=lam.dtype, device=lam.device)
    rows = torch.arange(batch, device=lam.device)
    targets[rows, rows] += lam
    targets.index_put_((rows, partner), 1 - lam, accumulate=True)
    return targets


def soft_cross_entropy(logits, targets):
    """Cross-entropy with soft targets, ``-sum_j t_ij log softmax(logits)_ij`` averaged over i."""
    return -(targets * F.log_softmax(logits, dim=1)).sum(dim=1).mean()


def mixup_contrastive_loss(z_mixed, z_clean, targets, temperature=0.1):
    """i-Mix N-pair loss: mixed views must match clean views in the mixing proportions.

    Parameters
    ----------
    z_mixed : Tensor, shape (B, D)
        Projections of the mixed views.
    z_clean : Tensor, shape (B, D)
        Projections of the other (unmixed) view of every window.
    targets : Tensor, shape (B, B)
        :func:`mixing_targets`.
    temperature : float

    Returns
    -------
    loss : Tensor, scalar
    """
    logits = F.normalize(z_mixed, dim=1) @ F.normalize(z_clean, dim=1).T / temperature
    return soft_cross_entropy(logits, targets)


class MixupContrastiveLoss(nn.Module):
    """Module form of :func:`mixup_contrastive_loss`.

    Parameters
    ----------
    temperature : float
        Softmax temperature (> 0).
    """

    def __init__(self, temperature=0.1):
        super().__init__()
        self.temperature = float(check_temperature(temperature))

    def forward(self, z_mixed, z_clean, targets):
        return mixup_contrastive_loss(z_mixed, z_clean, targets, self.temperature)
