"""Batched, seeded EEG augmentations and multi-view recipes."""

from . import functional
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
    "contrastive_views",
    "functional",
    "invariance_views",
    "resampling_views",
]
