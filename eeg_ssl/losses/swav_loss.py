"""SwAV: swapped prediction of Sinkhorn-Knopp cluster assignments.

Caron M., Misra I., Mairal J., Goyal P., Bojanowski P., Joulin A. (2020).
Unsupervised Learning of Visual Features by Contrasting Cluster Assignments.
NeurIPS. arXiv:2006.09882. Sinkhorn-Knopp: Cuturi M. (2013). Sinkhorn Distances.
NeurIPS.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_temperature


@torch.no_grad()
def sinkhorn_knopp(scores, n_iterations=3, epsilon=0.05):
    """Soft codes with equal prototype usage (equipartition) over the batch.

    Parameters
    ----------
    scores : Tensor, shape (B, K)
        Similarities of B projections to K prototypes.
    n_iterations : int
        Alternating row/column normalisations.
    epsilon : float
        Entropic regularisation (smaller gives sharper codes).

    Returns
    -------
    codes : Tensor, shape (B, K)
        Each row sums to 1; no gradient.
    """
    if scores.ndim != 2:
        raise ValueError(f"scores must be (B, K); got {tuple(scores.shape)}.")
    batch_size, n_protos = scores.shape
    # exp(scores / epsilon) / total in one stable softmax over all B*K entries (no overflow
    # for small epsilon): (B, K) -> (B*K,) -> (B, K) -> (K, B)
    Q = torch.softmax(scores.reshape(-1) / epsilon, dim=0).reshape(batch_size, n_protos).T
    for _ in range(n_iterations):
        Q /= Q.sum(dim=1, keepdim=True) * n_protos  # each prototype gets mass 1/K
        Q /= Q.sum(dim=0, keepdim=True) * batch_size  # each sample gets mass 1/B
    return (Q * batch_size).T  # (K, B) -> (B, K)


def swapped_prediction(scores, codes, temperature=0.1):
    """Cross-entropy of ``codes`` against ``softmax(scores / temperature)``.

    Parameters
    ----------
    scores : Tensor, shape (B, K)
        Prototype scores of the view that predicts.
    codes : Tensor, shape (B, K)
        Sinkhorn codes of the other view.
    temperature : float

    Returns
    -------
    Tensor, scalar
    """
    return -(codes * F.log_softmax(scores / temperature, dim=1)).sum(dim=1).mean()


def swav_loss(
    high_resolution_scores,
    low_resolution_scores=(),
    temperature=0.1,
    n_iterations=3,
    epsilon=0.05,
):
    """SwAV loss over multi-crop views.

    Codes come from each high-resolution view; every other view (high or low
    resolution) predicts them. The result averages over predicting views and code
    views.

    Parameters
    ----------
    high_resolution_scores : list of Tensor, each (B, K)
        Prototype scores of the full-size views (at least 2 without low-resolution
        views, at least 1 with).
    low_resolution_scores : list of Tensor, each (B, K)
        Scores of extra small crops (only predict, never give codes).
    temperature : float
        Temperature of the predicting softmax.
    n_iterations : int
        Sinkhorn-Knopp iterations.
    epsilon : float
        Sinkhorn-Knopp entropic regularisation.

    Returns
    -------
    Tensor, scalar
    """
    high, low = list(high_resolution_scores), list(low_resolution_scores)
    n_views = len(high) + len(low)
    if len(high) < 1 or n_views < 2:
        raise ValueError(
            f"SwAV needs >= 1 high-resolution view and >= 2 views in total; got {len(high)} "
            f"high- and {len(low)} low-resolution views."
        )
    total = 0.0
    for i, scores_i in enumerate(high):
        codes = sinkhorn_knopp(scores_i.detach(), n_iterations, epsilon)
        predictors = [s for v, s in enumerate(high) if v != i] + low
        total = total + sum(swapped_prediction(s, codes, temperature) for s in predictors) / (
            n_views - 1
        )
    return total / len(high)


class SwAVLoss(nn.Module):
    """Module form of :func:`swav_loss`.

    Parameters
    ----------
    temperature : float
        Softmax temperature of the predictions (> 0).
    n_iterations : int
        Sinkhorn-Knopp iterations (>= 1).
    epsilon : float
        Sinkhorn-Knopp regularisation (> 0).
    """

    def __init__(self, temperature=0.1, n_iterations=3, epsilon=0.05):
        super().__init__()
        check_temperature(temperature)
        if int(n_iterations) < 1:
            raise ValueError(f"'n_iterations' (Sinkhorn) must be >= 1; got {n_iterations!r}.")
        if epsilon <= 0:
            raise ValueError(f"'epsilon' (Sinkhorn) must be > 0; got {epsilon!r}.")
        self.temperature = temperature
        self.n_iterations = int(n_iterations)
        self.epsilon = epsilon

    def forward(self, high_resolution_scores, low_resolution_scores=()):
        return swav_loss(high_resolution_scores, low_resolution_scores, self.temperature,
                         self.n_iterations, self.epsilon)  # fmt: skip
