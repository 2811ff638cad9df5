"""The pretraining engine: schedules, mixed precision, exact resume, monitors, DDP.

One function, :func:`pretrain`, runs any :class:`eeg_ssl.methods.SSLMethod` on a
window dataset, on one device or under ``torchrun`` (DistributedDataParallel).
"""

from __future__ import annotations

import numpy as np
import torch

from ..utils import check_option
from . import distributed as dist_utils
from .engine import Engine
from .sampler import ResumableSampler

PRECISIONS = ("fp32", "bf16", "fp16")

__all__ = ["PRECISIONS", "ResumableSampler", "default_device", "pretrain"]


def default_device(device=None):
    """``device`` if given, else ``"cuda"`` when available, else ``"cpu"``."""
    if device is not None:
        try:
            device = torch.device(device)
        except (RuntimeError, TypeError) as err:  # torch's message does not name 'device'
            raise ValueError(
                f"Invalid value for 'device': allowed None, 'cpu', 'cuda', 'cuda:N' or a "
                f"torch.device; got {device!r} ({str(err).splitlines()[0][:80]})."
            ) from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                f"Invalid value for 'device': {str(device)!r}, but CUDA is not available here; "
                f"use device='cpu' or None (CUDA when available)."
            )
        return device
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def pretrain(
    method,
    dataset,
    *,
    epochs=10,
    batch_size=128,
    lr=1e-3,
    weight_decay=1e-4,
    optimizer="adamw",
    momentum=0.9,
    warmup_epochs=0,
    final_lr_factor=0.0,
    grad_clip=None,
    accumulate=1,
    precision="fp32",
    compile=False,
    sync_batchnorm=True,
    num_workers=0,
    device=None,
    checkpoint=None,
    checkpoint_extra=None,
    run_dir=None,
    resume=None,
    checkpoint_every=None,
    keep_every_epochs=None,
    best_metric="auto",
    val_dataset=None,
    monitor_every=1,
    monitor_size=512,
    collapse_std_ratio=0.1,
    collapse_min_rank=1.5,
    config=None,
    batch_groups=None,
    random_state=None,
    verbose=None,
):
    """Pretrain ``method`` on the windows of ``dataset``.

    Under ``torchrun --nproc_per_node=N`` the run is distributed automatically
    (DistributedDataParallel; NCCL on GPU, gloo on CPU): every rank reads its own part
    of ``dataset`` (a :class:`~torch.utils.data.DistributedSampler`), ``batch_size`` is
    per rank, contrastive losses gather negatives from all ranks, and only rank 0
    writes files.

    Parameters
    ----------
    method : SSLMethod
        Its ``forward`` maps a batch of windows (B, C, T) to a scalar loss. Its
        ``on_train_step_end(step, total_steps)`` hook runs after every optimiser step
        (EMA / momentum schedules live there).
    dataset : torch Dataset
        Items are windows or ``(window, label)`` tuples; labels are ignored by training.
    epochs : int
        Passes over the data.
    batch_size : int
        Windows per forward pass and per rank (the optimiser sees
        ``batch_size * accumulate * world_size`` windows per step).
    lr : float
        Peak learning rate, reached after the warmup.
    weight_decay : float
        Weight decay, never applied to normalisation layers, biases and 1-D parameters.
    optimizer : {"adamw", "lars"}
    momentum : float
        LARS momentum.
    warmup_epochs : float
        Linear warmup length in epochs (may be fractional), then cosine decay.
    final_lr_factor : float
        The learning rate at the end of the cosine, as a fraction of ``lr``.
    grad_clip : float | None
        Clip the global gradient norm to this value.
    accumulate : int
        Forward/backward passes per optimiser step (gradient accumulation). Each pass
        is its own batch for the loss: for contrastive losses the negatives of a step
        are those of one pass, not of the accumulated batch.
    precision : {"fp32", "bf16", "fp16"}
        Autocast precision. ``"bf16"`` works on CPU and recent GPUs; ``"fp16"`` needs
        CUDA and uses a gradient scaler.
    compile : bool
        Run the forward pass through :func:`torch.compile`.
    sync_batchnorm : bool
        Under DDP on CUDA, convert BatchNorm layers to SyncBatchNorm (batch statistics
        over all ranks). torch's SyncBatchNorm has no CPU kernel: with gloo each rank
        normalises with its own statistics.
    num_workers : int
        DataLoader worker processes per rank.
    device : str | None
        ``None`` picks CUDA when available (``cuda:LOCAL_RANK`` under torchrun).
    checkpoint : str | Path | None
        Where to save the final checkpoint (also resumable).
    checkpoint_extra : dict | None
        Plain data stored with every checkpoint (e.g. the data recipe).
    run_dir : str | Path | None
        Folder for logs (``steps.csv``, ``epochs.csv``, ``training.json``, TensorBoard
        events) and checkpoints (``checkpoints/last.pt``, ``best.pt``,
        ``epoch-XXXX.pt``). ``None`` writes no logs and no periodic checkpoints.
    resume : str | Path | "auto" | None
        Continue from this checkpoint; ``"auto"`` uses ``run_dir/checkpoints/last.pt``
        when it exists. The resumed run continues exactly: same weights, optimiser,
        schedule, scaler, RNG streams and data position (mid-epoch included).
    checkpoint_every : int | None
        Also save ``last.pt`` every this many optimiser steps (``last.pt`` is always
        saved at the end of each epoch when ``run_dir`` is set).
    keep_every_epochs : int | None
        Keep a copy ``epoch-XXXX.pt`` every this many epochs.
    best_metric : {"auto", "loss", "knn"}
        What ``best.pt`` tracks: the epoch's mean training loss (lower is better) or the
        kNN balanced accuracy on ``val_dataset`` (higher); ``"auto"`` uses kNN when
        ``val_dataset`` has labels.
    val_dataset : torch Dataset | None
        Windows for the monitors; with labels (items ``(window, label)``, label >= 0)
        an online kNN probe is cross-validated on them (leave-one-subject-out when the
        dataset has ``groups``). ``None`` monitors a fixed subset of ``dataset`` and
        skips the kNN probe.
    monitor_every : int
        Run the monitors every this many epochs (0 disables them).
    monitor_size : int
        Windows used by the monitors.
    collapse_std_ratio, collapse_min_rank : float
        Collapse thresholds, see :func:`eeg_ssl.training.monitors.collapse_status`.
    config : dict | None
        Extra plain data written into ``training.json`` (e.g. the pipeline's config).
    batch_groups : array-like, shape (len(dataset),) | None
        A group per window (e.g. its subject). Each epoch then visits the groups in
        random order and the windows of a group in random order, so a batch holds
        windows of one or two groups: contrastive negatives share the anchor's subject,
        which then cannot tell them apart (subject-aware sampling, Cheng et al. 2020,
        arXiv:2007.04871). Only for methods that train on the windows themselves
        (not on pairs or triplets). ``None``: plain shuffling.
    random_state : int | None
        Seed of the data order. ``None`` draws one (stored in the checkpoints).
    verbose : bool | str | None
        Progress bar and log level.

    Returns
    -------
    history : list of dict
        One entry per epoch: ``epoch``, ``step``, ``loss`` (mean), ``lr``, ``seconds``,
        ``samples_per_second``, the monitors (``embedding_std``, ``effective_rank``,
        ``alignment``, ``uniformity``, ``knn_balanced_accuracy``; NaN when not run) and
        ``collapsed`` (bool).
    """
    check_option("precision", precision, PRECISIONS)
    check_option("best_metric", best_metric, ("auto", "loss", "knn"))
    for name, value, low in (("epochs", epochs, 1), ("batch_size", batch_size, 2),
                             ("accumulate", accumulate, 1)):  # fmt: skip
        if not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name!r} must be an integer >= {low}; got {value!r}.")
    if len(dataset) < 2:
        raise ValueError(f"Pretraining needs at least 2 windows; the dataset has {len(dataset)}.")
    if grad_clip is not None and grad_clip <= 0:
        raise ValueError(f"'grad_clip' must be > 0 or None; got {grad_clip!r}.")
    if run_dir is None and resume == "auto":
        raise ValueError(
            "resume='auto' needs 'run_dir' (where checkpoints/last.pt is looked for)."
        )
    if dist_utils.launched_by_torchrun():
        device, started = dist_utils.init_distributed(device=device)
    else:
        device, started = default_device(device), False
    if precision == "fp16" and device.type != "cuda":
        raise ValueError(
            f"precision='fp16' needs a CUDA device; got device {str(device)!r}. Use "
            f"precision='bf16' on CPU."
        )
    settings = dict(
        epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
        optimizer=optimizer, momentum=momentum, warmup_epochs=warmup_epochs,
        final_lr_factor=final_lr_factor, grad_clip=grad_clip, accumulate=accumulate,
        precision=precision, compile=compile, sync_batchnorm=sync_batchnorm,
        num_workers=num_workers, checkpoint=checkpoint, checkpoint_extra=checkpoint_extra,
        run_dir=run_dir, resume=resume, checkpoint_every=checkpoint_every,
        keep_every_epochs=keep_every_epochs, best_metric=best_metric, val_dataset=val_dataset,
        monitor_every=monitor_every, monitor_size=monitor_size,
        collapse_std_ratio=collapse_std_ratio, collapse_min_rank=collapse_min_rank,
        config=config, batch_groups=batch_groups, random_state=random_state, verbose=verbose,
    )  # fmt: skip
    try:
        return Engine(method, dataset, device=device, **settings).fit()
    finally:
        if started:
            dist_utils.cleanup_distributed()
