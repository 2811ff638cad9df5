"""Training loop, checkpoints and device helpers."""

from .checkpoint import (
    encoder_from_checkpoint,
    load_checkpoint,
    method_from_checkpoint,
    save_checkpoint,
)
from .trainer import default_device, pretrain

__all__ = [
    "default_device",
    "encoder_from_checkpoint",
    "load_checkpoint",
    "method_from_checkpoint",
    "pretrain",
    "save_checkpoint",
]
