"""Representation monitors: spread, effective rank, alignment, uniformity, kNN, collapse.

All functions take embeddings as tensors of shape (n_windows, n_features).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ..utils import logger


def embedding_std(embeddings):
    """Mean per-feature standard deviation of the L2-normalised embeddings.

    Healthy representations give about ``1 / sqrt(n_features)``; a collapsed one gives
    about 0 (Chen & He 2021, SimSiam, arXiv:2011.10566, Sec. 4.1).

    Parameters
    ----------
    embeddings : Tensor, shape (N, D)

    Returns
    -------
    std : float
    """
    z = F.normalize(embeddings.float(), dim=1)
    return float(z.std(dim=0).mean())


def effective_rank(embeddings, eps=1e-7):
    """RankMe effective rank: exp of the entropy of the normalised singular values.

    Garrido et al. (2023), "RankMe: Assessing the downstream performance of pretrained
    self-supervised representations by their rank", ICML (after Roy & Vetterli 2007).
    1 for fully collapsed embeddings, up to ``min(N, D)``.

    Parameters
    ----------
    embeddings : Tensor, shape (N, D)

    Returns
    -------
    rank : float
    """
    s = torch.linalg.svdvals(embeddings.double())
    if float(s.sum()) == 0.0:
        return 1.0
    p = s / s.sum() + eps
    return float(torch.exp(-(p * torch.log(p)).sum()))


def alignment(z_a, z_b, alpha=2):
    """Alignment of positive pairs: mean ``||f(x) - f(x+)||^alpha`` on the unit sphere.

    Wang & Isola (2020), "Understanding Contrastive Representation Learning through
    Alignment and Uniformity on the Hypersphere", ICML. Lower is better (0 to 4 for alpha=2).

    Parameters
    ----------
    z_a, z_b : Tensor, shape (N, D)
        Embeddings of two views of the same N windows.
    """
    z_a, z_b = F.normalize(z_a.float(), dim=1), F.normalize(z_b.float(), dim=1)
    return float((z_a - z_b).norm(dim=1).pow(alpha).mean())


def uniformity(embeddings, t=2):
    """Uniformity: ``log mean exp(-t ||f(x) - f(y)||^2)`` over pairs (Wang & Isola 2020).

    Lower (more negative) is more uniform; 0 means every embedding is the same point.

    Parameters
    ----------
    embeddings : Tensor, shape (N, D)
    """
    z = F.normalize(embeddings.float(), dim=1)
    if len(z) < 2:
        return float("nan")
    sq_dist = torch.pdist(z, p=2).pow(2)
    return float(torch.logsumexp(-t * sq_dist, dim=0) - math.log(len(sq_dist)))


def knn_accuracy(embeddings, labels, groups=None, n_neighbors=5):
    """Balanced accuracy of a cosine kNN classifier, cross-validated on labelled embeddings.

    Leave-one-group-out when ``groups`` has at least two subjects (the probe must
    generalise across subjects), else stratified 5-fold.

    Parameters
    ----------
    embeddings : Tensor | ndarray, shape (N, D)
    labels : ndarray of int, shape (N,)
    groups : ndarray | None, shape (N,)
    n_neighbors : int

    Returns
    -------
    score : float
        NaN when there are fewer than 2 classes.
    """
    from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    X = np.asarray(torch.as_tensor(embeddings).float().cpu())
    y = np.asarray(labels)
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        return float("nan")
    if groups is not None and len(np.unique(groups)) >= 2:
        cv, kw = LeaveOneGroupOut(), dict(groups=np.asarray(groups))
    else:
        n_splits = int(min(5, counts.min()))
        if n_splits < 2:
            return float("nan")
        cv, kw = StratifiedKFold(n_splits, shuffle=True, random_state=0), {}
    k = int(max(1, min(n_neighbors, len(y) // 2)))
    clf = KNeighborsClassifier(k, metric="cosine")
    scores = cross_val_score(clf, X, y, cv=cv, scoring="balanced_accuracy", **kw)
    return float(np.mean(scores))


def collapse_status(std, rank, n_features, *, std_ratio=0.1, min_rank=1.5):
    """Whether a representation has collapsed, and why.

    Parameters
    ----------
    std : float
        :func:`embedding_std` of the embeddings.
    rank : float
        :func:`effective_rank` of the embeddings.
    n_features : int
        Embedding size D.
    std_ratio : float
        Collapse when ``std * sqrt(D) < std_ratio`` (healthy is about 1).
    min_rank : float
        Collapse when the effective rank is below this (complete collapse gives 1).

    Returns
    -------
    collapsed : bool
    reason : str
        Empty when healthy.
    """
    reasons = []
    scaled = std * math.sqrt(n_features)
    if scaled < std_ratio:
        reasons.append(
            f"normalised embedding std x sqrt(D) = {scaled:.3g} < {std_ratio} "
            f"(about 1 when healthy)"
        )
    if rank < min_rank:
        reasons.append(f"effective rank {rank:.3g} < {min_rank}")
    return bool(reasons), "; ".join(reasons)


def warn_collapse(epoch, step, reason):
    """Log the collapse warning (one place so its wording stays the same)."""
    logger.warning(
        "Representation collapse detected at epoch %d (step %d): %s. The encoder maps "
        "different windows to (nearly) the same embedding; lower 'lr', check the method's "
        "negatives / target network / variance term, or restart from an earlier checkpoint.",
        epoch,
        step,
        reason,
    )


__all__ = [
    "alignment",
    "collapse_status",
    "effective_rank",
    "embedding_std",
    "knn_accuracy",
    "uniformity",
    "warn_collapse",
]
