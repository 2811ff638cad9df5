"""Batched, seeded EEG augmentations and multi-view recipes."""

from . import functional
from .transforms import AmplitudeScale, Compose, GaussianNoise, TimeCrop, Transform
from .views import MultiView, contrastive_views

__all__ = [
    "AmplitudeScale",
    "Compose",
    "GaussianNoise",
    "MultiView",
    "TimeCrop",
    "Transform",
    "contrastive_views",
    "functional",
]
