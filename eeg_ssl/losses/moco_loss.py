"""MoCo's InfoNCE against a queue of momentum-encoded keys.

He K., Fan H., Wu Y., Xie S., Girshick R. (2020). Momentum Contrast for Unsupervised
Visual Representation Learning. CVPR. arXiv:1911.05722. Chen X., Fan H., Girshick R.,
He K. (2020). Improved Baselines with Momentum Contrastive Learning (MoCo v2).
arXiv:2003.04297.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_temperature


def moco_logits(query, key, queue, temperature=0.2):
    """Logits of each query against its own key (column 0) and every queued key.

    Parameters
    ----------
    query : Tensor, shape (B, D)
        Online projections (normalised here).
    key : Tensor, shape (B, D)
        Momentum-encoder projections of the other view (normalised, no gradient).
    queue : Tensor, shape (K, D)
        Unit-norm keys of earlier batches, the negatives.
    temperature : float

    Returns
    -------
    logits : Tensor, shape (B, 1 + K)
    targets : Tensor of int, shape (B,)
        All zeros: the positive is column 0.
    """
    if query.ndim != 2 or query.shape != key.shape:
        raise ValueError(
            f"query and key must both be (B, D); got {tuple(query.shape)} and {tuple(key.shape)}."
        )
    if queue.ndim != 2 or queue.shape[1] != query.shape[1]:
        raise ValueError(
            f"queue must be (K, {query.shape[1]}) to match the queries; got {tuple(queue.shape)}."
        )
    q = F.normalize(query, dim=1)
    k = F.normalize(key, dim=1).detach()
    # (B, 1) positive similarities next to (B, K) queue similarities
    positive = (q * k).sum(dim=1, keepdim=True)
    negative = q @ queue.detach().T
    logits = torch.cat([positive, negative], dim=1) / temperature
    targets = torch.zeros(q.shape[0], dtype=torch.long, device=q.device)
    return logits, targets


def moco_loss(query, key, queue, temperature=0.2):
    """InfoNCE of MoCo: cross-entropy picking each query's key among the queue.

    Parameters
    ----------
    query, key : Tensor, shape (B, D)
    queue : Tensor, shape (K, D)
    temperature : float

    Returns
    -------
    loss : Tensor, scalar
    """
    logits, targets = moco_logits(query, key, queue, temperature)
    return F.cross_entropy(logits, targets)


class MoCoLoss(nn.Module):
    """Module form of :func:`moco_loss`.

    Parameters
    ----------
    temperature : float
        Softmax temperature (> 0).
    """

    def __init__(self, temperature=0.2):
        super().__init__()
        self.temperature = check_temperature(temperature)

    def forward(self, query, key, queue):
        return moco_loss(query, key, queue, self.temperature)
