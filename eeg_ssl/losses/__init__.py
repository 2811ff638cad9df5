"""SSL losses, one file per loss."""

from .barlow_twins_loss import BarlowTwinsLoss, barlow_twins_loss, cross_correlation
from .byol_loss import BYOLLoss, byol_loss, negative_cosine_similarity
from .moco_loss import MoCoLoss, moco_logits, moco_loss
from .ntxent_loss import NTXentLoss, nt_xent_logits, nt_xent_loss
from .swav_loss import SwAVLoss, sinkhorn_knopp, swapped_prediction, swav_loss
from .vicreg_loss import (
    VICRegLoss,
    covariance_matrix,
    covariance_term,
    invariance_term,
    variance_term,
    vicreg_loss,
)

__all__ = [
    "BYOLLoss",
    "BarlowTwinsLoss",
    "MoCoLoss",
    "NTXentLoss",
    "SwAVLoss",
    "VICRegLoss",
    "barlow_twins_loss",
    "byol_loss",
    "covariance_matrix",
    "covariance_term",
    "cross_correlation",
    "invariance_term",
    "moco_logits",
    "moco_loss",
    "negative_cosine_similarity",
    "nt_xent_logits",
    "nt_xent_loss",
    "sinkhorn_knopp",
    "swapped_prediction",
    "swav_loss",
    "variance_term",
    "vicreg_loss",
]
