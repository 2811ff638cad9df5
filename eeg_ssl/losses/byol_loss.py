"""BYOL's symmetric regression of target projections from online predictions.

Grill J.-B. et al. (2020). Bootstrap Your Own Latent: A New Approach to
Self-Supervised Learning. NeurIPS. arXiv:2006.07733.

The paper's per-pair loss is ``2 - 2 cos(p, z)``; here each pair scores its negative
cosine similarity (same gradients up to a factor 2, as in lightly and SimSiam), and
the two view orders are averaged, so the loss lies in [-1, 1].
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def negative_cosine_similarity(p, z, eps=1e-8):
    """Mean of ``-cos(p_i, z_i)`` over the batch; ``z`` is not back-propagated into.

    Parameters
    ----------
    p : Tensor, shape (B, D)
        Online predictions.
    z : Tensor, shape (B, D)
        Target projections (detached here).
    eps : float
        Guard against zero norms.

    Returns
    -------
    Tensor, scalar
    """
    if p.shape != z.shape:
        raise ValueError(
            f"p and z must have the same shape; got {tuple(p.shape)} and {tuple(z.shape)}."
        )
    return -F.cosine_similarity(p, z.detach(), dim=-1, eps=eps).mean()


def byol_loss(p_a, p_b, z_a, z_b):
    """Symmetric BYOL loss: ``(ncs(p_a, z_b) + ncs(p_b, z_a)) / 2``.

    Parameters
    ----------
    p_a, p_b : Tensor, shape (B, D)
        Online predictions of views a and b.
    z_a, z_b : Tensor, shape (B, D)
        Target projections of views a and b.

    Returns
    -------
    Tensor, scalar in [-1, 1]
    """
    if not p_a.shape == p_b.shape == z_a.shape == z_b.shape:
        raise ValueError(
            f"p_a, p_b, z_a, z_b must have the same shape; got {tuple(p_a.shape)}, "
            f"{tuple(p_b.shape)}, {tuple(z_a.shape)}, {tuple(z_b.shape)}."
        )
    # Both pairs in one call: the mean over 2B rows is the average of the two means.
    # (B, D) x 2 -> (2B, D)
    p = torch.cat([p_a, p_b])
    z = torch.cat([z_b, z_a])
    return negative_cosine_similarity(p, z)


class BYOLLoss(nn.Module):
    """Module form of :func:`byol_loss`."""

    def forward(self, p_a, p_b, z_a, z_b):
        return byol_loss(p_a, p_b, z_a, z_b)
