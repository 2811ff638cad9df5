"""Barlow Twins: push the cross-correlation of two views' embeddings to identity.

Zbontar J., Jing L., Misra I., LeCun Y., Deny S. (2021). Barlow Twins:
Self-Supervised Learning via Redundancy Reduction. ICML. arXiv:2103.03230.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from ._checks import check_embedding_pair


def standardize(z, eps=1e-5):
    """Zero mean, unit (biased) variance per dimension over the batch, for z (B, D).

    Same as ``BatchNorm1d(affine=False)`` in training mode, the paper's choice.
    """
    # torch's fused batch-norm kernel (no running stats, no affine) is the standardisation
    return F.batch_norm(z, None, None, training=True, eps=eps)


def cross_correlation(z_a, z_b, eps=1e-5):
    """Cross-correlation matrix ``C = standardize(z_a).T @ standardize(z_b) / B``, (D, D)."""
    # (D, B) @ (B, D) -> (D, D); mm's backward does not need its output, so divide in place
    return (standardize(z_a, eps).T @ standardize(z_b, eps)).div_(z_a.shape[0])


def barlow_twins_loss(z_a, z_b, lambda_param=5e-3, eps=1e-5):
    """``sum_i (1 - C_ii)^2 + lambda_param * sum_{i != j} C_ij^2``.

    Parameters
    ----------
    z_a, z_b : Tensor, shape (B, D)
        Projector outputs of the two views.
    lambda_param : float
        Weight of the redundancy-reduction (off-diagonal) term; the paper uses
        5e-3 with D = 8192 (about 1 / D works for smaller D).
    eps : float
        Added to the variance in the standardisation.

    Returns
    -------
    Tensor, scalar
    """
    check_embedding_pair(z_a, z_b, "Barlow Twins")
    c = cross_correlation(z_a, z_b, eps)
    diag = c.diagonal()
    on_diag = (1.0 - diag).pow(2).sum()
    # off-diagonal sum of squares = all - diagonal (no (D, D) mask needed)
    off_diag = c.pow(2).sum() - diag.pow(2).sum()
    return on_diag + lambda_param * off_diag


class BarlowTwinsLoss(nn.Module):
    """Module form of :func:`barlow_twins_loss`."""

    def __init__(self, lambda_param=5e-3, eps=1e-5):
        super().__init__()
        if lambda_param < 0:
            raise ValueError(f"'lambda_param' must be >= 0; got {lambda_param!r}.")
        self.lambda_param = lambda_param
        self.eps = eps

    def forward(self, z_a, z_b):
        return barlow_twins_loss(z_a, z_b, self.lambda_param, self.eps)
