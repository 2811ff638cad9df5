"""VICReg: variance-invariance-covariance regularisation.

Bardes A., Ponce J., LeCun Y. (2022). VICReg: Variance-Invariance-Covariance
Regularization for Self-Supervised Learning. ICLR. arXiv:2105.04906.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_embedding_pair


def invariance_term(z_a, z_b):
    """Mean squared error between the two views' embeddings, (B, D) each."""
    return F.mse_loss(z_a, z_b)


def variance_term(z, eps=1e-4):
    """Hinge keeping each dimension's std (over the batch) above 1: ``mean(relu(1 - std))``.

    Parameters
    ----------
    z : Tensor, shape (B, D)
    eps : float
        Added to the (unbiased) variance before the square root.
    """
    std = torch.sqrt(z.var(dim=0) + eps)
    return F.relu(1.0 - std).mean()


def covariance_matrix(z):
    """Unbiased covariance of the dimensions of z (B, D) over the batch, (D, D)."""
    z = z - z.mean(dim=0)
    return (z.T @ z) / (z.shape[0] - 1)


def covariance_term(z, cov=None):
    """Sum of squared off-diagonal covariances divided by D, for z (B, D).

    ``cov`` may pass :func:`covariance_matrix` of ``z`` when already computed.
    """
    cov = covariance_matrix(z) if cov is None else cov
    # off-diagonal sum of squares = all - diagonal (no (D, D) mask needed)
    return (cov.pow(2).sum() - cov.diagonal().pow(2).sum()) / cov.shape[0]


def vicreg_loss(
    z_a, z_b, invariance_weight=25.0, variance_weight=25.0, covariance_weight=1.0, eps=1e-4
):
    """VICReg loss of two views' embeddings.

    ``invariance_weight * MSE(z_a, z_b) + variance_weight * (v(z_a) + v(z_b)) / 2
    + covariance_weight * (c(z_a) + c(z_b))`` (the paper's lambda, mu, nu; the
    variance terms are averaged as in the authors' code).

    Parameters
    ----------
    z_a, z_b : Tensor, shape (B, D)
        Expander outputs of the two views.
    invariance_weight, variance_weight, covariance_weight : float
    eps : float

    Returns
    -------
    Tensor, scalar
    """
    check_embedding_pair(z_a, z_b, "VICReg")
    inv = invariance_term(z_a, z_b)
    # One covariance per view serves both terms: its diagonal is the unbiased variance.
    cov_a, cov_b = covariance_matrix(z_a), covariance_matrix(z_b)
    var = 0.5 * (
        F.relu(1.0 - torch.sqrt(cov_a.diagonal() + eps)).mean()
        + F.relu(1.0 - torch.sqrt(cov_b.diagonal() + eps)).mean()
    )
    cov = covariance_term(z_a, cov_a) + covariance_term(z_b, cov_b)
    return invariance_weight * inv + variance_weight * var + covariance_weight * cov


class VICRegLoss(nn.Module):
    """Module form of :func:`vicreg_loss` (weights are the paper's lambda, mu, nu)."""

    def __init__(self, invariance_weight=25.0, variance_weight=25.0, covariance_weight=1.0,
                 eps=1e-4):  # fmt: skip
        super().__init__()
        for name, value in (("invariance_weight", invariance_weight),
                            ("variance_weight", variance_weight),
                            ("covariance_weight", covariance_weight)):  # fmt: skip
            if value < 0:
                raise ValueError(f"{name!r} must be >= 0; got {value!r}.")
        self.invariance_weight = invariance_weight
        self.variance_weight = variance_weight
        self.covariance_weight = covariance_weight
        self.eps = eps

    def forward(self, z_a, z_b):
        return vicreg_loss(z_a, z_b, self.invariance_weight, self.variance_weight,
                           self.covariance_weight, self.eps)  # fmt: skip
