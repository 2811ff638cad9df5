"""NT-Xent, the normalised temperature-scaled cross-entropy of SimCLR.

Chen T., Kornblith S., Norouzi M., Hinton G. (2020). A Simple Framework for
Contrastive Learning of Visual Representations. ICML. arXiv:2002.05709.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_embedding_pair, check_temperature


def nt_xent_logits(z_a, z_b, temperature):
    """Similarity logits of the 2B views, self-similarity masked out.

    Parameters
    ----------
    z_a, z_b : Tensor, shape (B, D)
        Projections of the two views; row i of each comes from the same window.
    temperature : float

    Returns
    -------
    logits : Tensor, shape (2B, 2B)
        Cosine similarities / temperature, ``-inf`` on the diagonal.
    targets : Tensor of int, shape (2B,)
        Index of each row's positive: i <-> i + B.
    """
    batch_size = z_a.shape[0]
    # (B, D), (B, D) -> (2B, D), unit norm
    z = F.normalize(torch.cat([z_a, z_b], dim=0), dim=1)
    logits = z @ z.T / temperature
    logits = logits.masked_fill(
        torch.eye(2 * batch_size, dtype=torch.bool, device=z.device), float("-inf")
    )
    idx = torch.arange(batch_size, device=z.device)
    targets = torch.cat([idx + batch_size, idx])
    return logits, targets


def nt_xent_loss(z_a, z_b, temperature=0.1):
    """Symmetric NT-Xent: mean cross-entropy over both views of every window.

    Parameters
    ----------
    z_a, z_b : Tensor, shape (B, D)
    temperature : float

    Returns
    -------
    loss : Tensor, scalar
    """
    check_embedding_pair(z_a, z_b, "NT-Xent")
    # [distributed, training engine issue 5] under DDP, contrast against every rank's views
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        if torch.distributed.get_world_size() > 1:
            return _nt_xent_loss_gathered(z_a, z_b, temperature)
    logits, targets = nt_xent_logits(z_a, z_b, temperature)
    return F.cross_entropy(logits, targets)


def _nt_xent_loss_gathered(z_a, z_b, temperature):
    """[distributed, issue 5] NT-Xent of this rank's windows against all ranks' views.

    Each rank's anchors are its own 2B views; negatives are the 2WB views of all W ranks,
    gathered with gradients (:func:`eeg_ssl.training.distributed.all_gather_with_grad`).
    DDP averages the ranks' losses' gradients, which equals the gradient of one process
    with batch W*B.
    """
    from ..training.distributed import all_gather_with_grad

    rank, batch_size = torch.distributed.get_rank(), z_a.shape[0]
    # (B, D) per rank -> (W*B, D); rank r's rows start at r*B
    z_a_all, z_b_all = all_gather_with_grad(z_a), all_gather_with_grad(z_b)
    n_all = z_a_all.shape[0]
    z = F.normalize(torch.cat([z_a_all, z_b_all], dim=0), dim=1)  # (2WB, D)
    local = torch.arange(batch_size, device=z.device) + rank * batch_size  # global offset
    rows = torch.cat([local, local + n_all])  # this rank's 2B anchors
    logits = z[rows] @ z.T / temperature  # (2B, 2WB)
    self_mask = torch.zeros_like(logits, dtype=torch.bool)
    self_mask[torch.arange(2 * batch_size, device=z.device), rows] = True
    logits = logits.masked_fill(self_mask, float("-inf"))
    targets = torch.cat([local + n_all, local])
    return F.cross_entropy(logits, targets)


class NTXentLoss(nn.Module):
    """Module form of :func:`nt_xent_loss`.

    Parameters
    ----------
    temperature : float
        Softmax temperature (> 0).
    """

    def __init__(self, temperature=0.1):
        super().__init__()
        self.temperature = check_temperature(temperature)

    def forward(self, z_a, z_b):
        return nt_xent_loss(z_a, z_b, self.temperature)
