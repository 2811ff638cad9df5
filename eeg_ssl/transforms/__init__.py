"""Batched, seeded EEG augmentations, multi-view recipes and per-subject alignment."""

from . import functional
from .alignment import (
    alignment_matrix,
    euclidean_alignment,
    mean_covariance,
    riemannian_alignment,
)
from .transforms import (
    AmplitudeScale,
    BraindecodeTransform,
    ChannelDropout,
    Compose,
    GaussianNoise,
    Resample,
    TimeCrop,
    TimeMask,
    Transform,
)
from .views import MultiView, contrastive_views, invariance_views, resampling_views

__all__ = [
    "AmplitudeScale",
    "BraindecodeTransform",
    "ChannelDropout",
    "Compose",
    "GaussianNoise",
    "MultiView",
    "Resample",
    "TimeCrop",
    "TimeMask",
    "Transform",
    "alignment_matrix",
    "contrastive_views",
    "euclidean_alignment",
    "functional",
    "invariance_views",
    "mean_covariance",
    "resampling_views",
    "riemannian_alignment",
]
