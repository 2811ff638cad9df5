"""Training engine: trainer, schedules, optimisers, monitors, checkpoints, DDP helpers."""

from .checkpoint import (
    add_recording_facts,
    data_manifest_hash,
    encoder_from_checkpoint,
    load_checkpoint,
    method_from_checkpoint,
    recording_facts,
    save_checkpoint,
)
from .monitors import (
    alignment,
    collapse_status,
    effective_rank,
    embedding_std,
    knn_accuracy,
    uniformity,
)
from .optim import LARS, build_optimizer, param_groups
from .schedules import WarmupCosine, cosine_momentum, warmup_cosine
from .trainer import default_device, pretrain

__all__ = [
    "LARS",
    "WarmupCosine",
    "add_recording_facts",
    "alignment",
    "build_optimizer",
    "collapse_status",
    "cosine_momentum",
    "data_manifest_hash",
    "default_device",
    "effective_rank",
    "embedding_std",
    "encoder_from_checkpoint",
    "knn_accuracy",
    "load_checkpoint",
    "method_from_checkpoint",
    "param_groups",
    "pretrain",
    "recording_facts",
    "save_checkpoint",
    "uniformity",
    "warmup_cosine",
]
