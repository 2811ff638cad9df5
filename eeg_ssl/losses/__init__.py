"""SSL losses, one file per loss: its terms as public functions and an ``nn.Module``."""

from .autoencoder_loss import ReconstructionLoss, reconstruction_loss, standardize_windows
from .barlow_twins_loss import BarlowTwinsLoss, barlow_twins_loss, cross_correlation
from .byol_loss import BYOLLoss, byol_loss, negative_cosine_similarity
from .cpc_loss import CPCLoss, cpc_loss, info_nce_loss
from .mae_loss import MaskedMSELoss, masked_mse_loss, normalize_patches
from .mixup_loss import (
    MixupContrastiveLoss,
    mix_batch,
    mixing_targets,
    mixup_contrastive_loss,
    soft_cross_entropy,
)
from .moco_loss import MoCoLoss, moco_logits, moco_loss
from .ntxent_loss import NTXentLoss, nt_xent_logits, nt_xent_loss
from .relative_positioning_loss import (
    PretextLoss,
    pretext_loss,
    relative_positioning_features,
    temporal_shuffling_features,
)
from .spectral_prediction_loss import (
    SpectralPredictionLoss,
    band_features,
    spectral_prediction_loss,
)
from .swav_loss import SwAVLoss, sinkhorn_knopp, swapped_prediction, swav_loss
from .transformation_prediction_loss import (
    TransformationPredictionLoss,
    transformation_prediction_loss,
)
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
    "CPCLoss",
    "MaskedMSELoss",
    "MixupContrastiveLoss",
    "MoCoLoss",
    "NTXentLoss",
    "PretextLoss",
    "ReconstructionLoss",
    "SpectralPredictionLoss",
    "SwAVLoss",
    "TransformationPredictionLoss",
    "VICRegLoss",
    "band_features",
    "barlow_twins_loss",
    "byol_loss",
    "covariance_matrix",
    "covariance_term",
    "cpc_loss",
    "cross_correlation",
    "info_nce_loss",
    "invariance_term",
    "masked_mse_loss",
    "mix_batch",
    "mixing_targets",
    "mixup_contrastive_loss",
    "moco_logits",
    "moco_loss",
    "negative_cosine_similarity",
    "normalize_patches",
    "nt_xent_logits",
    "nt_xent_loss",
    "pretext_loss",
    "reconstruction_loss",
    "relative_positioning_features",
    "sinkhorn_knopp",
    "soft_cross_entropy",
    "spectral_prediction_loss",
    "standardize_windows",
    "swapped_prediction",
    "swav_loss",
    "temporal_shuffling_features",
    "transformation_prediction_loss",
    "variance_term",
    "vicreg_loss",
]
