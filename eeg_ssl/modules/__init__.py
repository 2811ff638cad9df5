"""Reusable layers and heads."""

from .ema import cosine_momentum, make_target, momentum_at, update_ema
from .heads import PredictionHead, ProjectionHead, Prototypes
from .queue import KeyQueue

__all__ = [
    "KeyQueue",
    "PredictionHead",
    "ProjectionHead",
    "Prototypes",
    "cosine_momentum",
    "make_target",
    "momentum_at",
    "update_ema",
]
