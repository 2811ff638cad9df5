"""The pretraining engine: schedules, mixed precision, exact resume, monitors, DDP.

One function, :func:`pretrain`, runs any :class:`eeg_ssl.methods.SSLMethod` on a
window dataset, on one device or under ``torchrun`` (DistributedDataParallel).
"""

from __future__ import annotations

import contextlib
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, DistributedSampler
from tqdm.auto import tqdm

from ..models.channel_mask import batch_channel_mask
from ..utils import check_option, logger, torch_generator
from ..utils.logs import progress_enabled
from . import distributed as dist_utils
from .checkpoint import data_manifest_hash, library_versions, load_checkpoint, save_checkpoint
from .monitors import (
    alignment,
    collapse_status,
    effective_rank,
    embedding_std,
    knn_accuracy,
    uniformity,
    warn_collapse,
)
from .optim import build_optimizer
from .run_logs import CSVLog, TensorBoardLog, write_json
from .schedules import WarmupCosine

PRECISIONS = ("fp32", "bf16", "fp16")
_BATCHNORMS = (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)
STEP_FIELDS = ["step", "epoch", "batch", "loss", "lr", "grad_norm", "samples_per_second"]
EPOCH_FIELDS = [
    "epoch", "step", "loss", "lr", "seconds", "samples_per_second", "embedding_std",
    "effective_rank", "alignment", "uniformity", "knn_balanced_accuracy", "collapsed",
]  # fmt: skip


def default_device(device=None):
    """``device`` if given, else ``"cuda"`` when available, else ``"cpu"``."""
    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class ResumableSampler(DistributedSampler):
    """:class:`~torch.utils.data.DistributedSampler` that can start mid-epoch.

    The order of epoch ``e`` depends only on ``(seed, e)`` (torch's DistributedSampler
    rule), so the data position of a run is just ``(epoch, batch index)``; after
    :meth:`skip` the next epoch's iteration starts that many samples in.

    With ``groups`` (one label per item, e.g. the subject of each window), an epoch
    visits the groups in random order and the items of each group in random order, so
    a batch holds the items of one or two groups; ranks take alternate items of that
    order, so they walk through the same groups.
    """

    def __init__(self, dataset, num_replicas, rank, seed, groups=None):
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=True,
                         seed=seed, drop_last=True)  # fmt: skip
        self.groups = None if groups is None else np.unique(groups, return_inverse=True)[1]
        self._start = 0

    def skip(self, n_samples):
        self._start = int(n_samples)

    def _grouped_order(self):
        rng = np.random.default_rng([self.seed, self.epoch])
        group_position = rng.permutation(self.groups.max() + 1)[self.groups]
        return np.lexsort((rng.random(len(self.groups)), group_position))

    def __iter__(self):
        if self.groups is None:
            indices = list(super().__iter__())
        else:
            order = self._grouped_order()[: self.total_size]
            indices = order[self.rank : self.total_size : self.num_replicas].tolist()
        indices = indices[self._start :]
        self._start = 0
        return iter(indices)

    def __len__(self):
        return self.num_samples - self._start


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
        return _Engine(method, dataset, device=device, **settings).fit()
    finally:
        if started:
            dist_utils.cleanup_distributed()


class _Engine:
    """State of one training run (built by :func:`pretrain`)."""

    def __init__(self, method, dataset, *, device, **kw):
        self.kw = kw
        self.method = method
        self.device = device
        self.verbose = kw["verbose"]
        self.rank, self.world = dist_utils.get_rank(), dist_utils.get_world_size()
        self.main = self.rank == 0
        self.run_dir = Path(kw["run_dir"]) if kw["run_dir"] is not None else None
        self.raw_dataset = dataset
        self.manifest_hash = data_manifest_hash(dataset)

        seed = kw["random_state"]
        if seed is None:
            seed = int(np.random.default_rng().integers(2**31 - 1))
        self.seed = int(dist_utils.broadcast_object(int(seed)))

        method.to(device)
        if self.world > 1:
            self._seed_augmentations_per_rank()
            if kw["sync_batchnorm"] and device.type == "cuda":
                torch.nn.SyncBatchNorm.convert_sync_batchnorm(method)
            elif any(isinstance(m, _BATCHNORMS) for m in method.modules()):
                if self.main:
                    logger.info(
                        "DDP on %s: BatchNorm statistics are per rank (torch's SyncBatchNorm "
                        "needs CUDA).", device.type,
                    )  # fmt: skip

        # data: each rank reads its own part; order depends on (seed, epoch) only
        train_set = method.wrap_dataset(dataset)
        groups = kw["batch_groups"]
        if groups is not None and len(groups) != len(train_set):
            raise ValueError(
                f"'batch_groups' has {len(groups)} entries but {type(method).__name__} trains "
                f"on {len(train_set)} items; give one group per window, with a method that "
                f"trains on the windows themselves (not on pairs or triplets)."
            )
        self.sampler = ResumableSampler(train_set, self.world, self.rank, self.seed, groups)
        per_rank = self.sampler.num_samples
        self.batch_size = min(kw["batch_size"], per_rank)
        if self.batch_size < 2:
            raise ValueError(
                f"Each of the {self.world} rank(s) gets {per_rank} window(s); at least 2 are "
                f"needed per batch. Use fewer processes or more data."
            )
        if self.batch_size < kw["batch_size"] and self.main:
            logger.info("batch_size lowered to %d (windows per rank)", self.batch_size)
        self.accumulate = kw["accumulate"]
        self.steps_per_epoch = (per_rank // self.batch_size) // self.accumulate
        if self.steps_per_epoch < 1:
            raise ValueError(
                f"accumulate={self.accumulate} x batch_size={self.batch_size} exceeds the "
                f"{per_rank} windows per rank; lower 'accumulate' or 'batch_size'."
            )
        self.batches_per_epoch = self.steps_per_epoch * self.accumulate
        self.loader_generator = torch_generator(self.seed + 7919 * self.rank)
        self.loader = DataLoader(
            train_set,
            batch_size=self.batch_size,
            sampler=self.sampler,
            drop_last=True,
            num_workers=kw["num_workers"],
            generator=self.loader_generator,  # keeps torch's global RNG untouched
            persistent_workers=False,
            pin_memory=device.type == "cuda",
        )
        self.total_steps = kw["epochs"] * self.steps_per_epoch

        # optimisation
        self.optimizer = build_optimizer(method, optimizer=kw["optimizer"], lr=kw["lr"],
                                         weight_decay=kw["weight_decay"],
                                         momentum=kw["momentum"])  # fmt: skip
        warmup = int(round(kw["warmup_epochs"] * self.steps_per_epoch))
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, WarmupCosine(self.total_steps, warmup, kw["final_lr_factor"])
        )
        precision = kw["precision"]
        self.autocast_dtype = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[
            precision
        ]
        self.scaler = torch.amp.GradScaler("cuda", enabled=precision == "fp16")
        self.model = method
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel

            ids = [device.index] if device.type == "cuda" else None
            self.model = DistributedDataParallel(method, device_ids=ids)
        self.forward = torch.compile(self.model) if kw["compile"] else self.model

        # position and records
        self.step, self.epoch, self.batch_in_epoch = 0, 0, 0
        self.epoch_losses, self.epoch_seconds = [], 0.0  # of the current epoch so far
        self._epoch_start = time.perf_counter()
        self.loader_state = self.loader_generator.get_state()  # at the current epoch's start
        self.history = []
        self.best = None
        self.monitor_set = None

    # ------------------------------------------------------------------ helpers
    def _seed_augmentations_per_rank(self):
        """Give each rank its own augmentation stream (rank 0 keeps the method's seed)."""
        from ..transforms.transforms import Transform

        for module in self.method.modules():
            if isinstance(module, Transform) and self.rank > 0:
                module.generator.manual_seed(
                    (module.generator.initial_seed() + 1_000_003 * self.rank) % (2**63)
                )

    def _autocast(self):
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.autocast_dtype)

    def _lr(self):
        return float(self.optimizer.param_groups[0]["lr"])

    def _rng_snapshot(self):
        """RNG streams of this rank, as tensors (gathered from all ranks)."""
        local = {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "loader": self.loader_state,
            "method": [torch.as_tensor(s) for s in self.method.rng_state()],
        }
        return dist_utils.all_gather_object(local)

    def _restore_rng(self, per_rank):
        if len(per_rank) != self.world:
            raise ValueError(
                f"The checkpoint was written by {len(per_rank)} process(es) but this run has "
                f"{self.world}; resume with the same number of processes for an exact resume."
            )
        state = per_rank[self.rank]
        torch.set_rng_state(state["torch"])
        if torch.cuda.is_available() and state["cuda"]:
            torch.cuda.set_rng_state_all(state["cuda"])
        self.loader_generator.set_state(state["loader"])
        self.method.set_rng_state(state["method"])

    def _resolved_config(self):
        skip = ("config", "checkpoint_extra", "batch_groups")
        kw = {k: v for k, v in self.kw.items() if k not in skip}
        kw = {k: (str(v) if isinstance(v, Path) else v) for k, v in kw.items()}
        groups = self.sampler.groups
        return dict(
            kw,
            n_batch_groups=None if groups is None else int(groups.max() + 1),
            random_state=self.seed,
            method=self.method.name,
            method_kwargs=dict(self.method.hparams),
            batch_size_used=self.batch_size,
            world_size=self.world,
            device=str(self.device),
            steps_per_epoch=self.steps_per_epoch,
            total_steps=self.total_steps,
            data_manifest_hash=self.manifest_hash,
            versions=library_versions(),
            config=self.kw["config"],
        )

    # --------------------------------------------------------------- checkpoints
    def _save(self, path):
        rng = self._rng_snapshot()  # collective: every rank takes part
        if not self.main:
            return
        training = {
            "step": self.step,
            "epoch": self.epoch,
            "batch_in_epoch": self.batch_in_epoch,
            "epoch_losses": list(self.epoch_losses),
            "epoch_seconds": self.epoch_seconds + time.perf_counter() - self._epoch_start,
            "total_steps": self.total_steps,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "rng": rng,
            "seed": self.seed,
            "best": self.best,
            "world_size": self.world,
            "batch_size": self.batch_size,
            "accumulate": self.accumulate,
            "config": _plain(self._resolved_config()),
        }
        extra = dict(self.kw["checkpoint_extra"] or {})
        extra.update(history=_plain(self.history), training=training,
                     data_manifest_hash=self.manifest_hash)  # fmt: skip
        save_checkpoint(path, self.method, extra=extra)

    def _resume_path(self):
        resume = self.kw["resume"]
        if resume is None:
            return None
        if resume == "auto":
            path = self.run_dir / "checkpoints" / "last.pt"
            return path if path.exists() else None
        return Path(resume)

    def _resume(self, path):
        ckpt = load_checkpoint(path, map_location="cpu")
        training = ckpt.get("training")
        if training is None:
            raise ValueError(
                f"Checkpoint {str(path)!r} has no training state (it was saved by an older "
                f"eeg-ssl or is a weights-only export); it cannot be resumed."
            )
        if ckpt["method"] != self.method.name:
            raise ValueError(
                f"Checkpoint {str(path)!r} is a {ckpt['method']!r} run; this run trains "
                f"{self.method.name!r}. Use a new 'run_dir' or the matching method."
            )
        if _plain(ckpt["method_kwargs"]) != _plain(dict(self.method.hparams)):
            raise ValueError(
                f"Method keyword arguments differ from checkpoint {str(path)!r}: checkpoint "
                f"{ckpt['method_kwargs']}, this run {self.method.hparams}."
            )
        if ckpt.get("data_manifest_hash") != self.manifest_hash:
            raise ValueError(
                f"The data differ from the ones checkpoint {str(path)!r} was trained on (manifest "
                f"hash {ckpt.get('data_manifest_hash')} vs {self.manifest_hash}); resume on the "
                f"same prepared folder and subjects, or start a new run."
            )
        for key, mine in (("batch_size", self.batch_size), ("accumulate", self.accumulate)):
            if training[key] != mine:
                raise ValueError(
                    f"{key!r} was {training[key]} in checkpoint {str(path)!r} but is {mine} "
                    f"now; the data position would not match. Use the same {key!r}."
                )
        if training["total_steps"] != self.total_steps:
            logger.warning(
                "Resuming with %d total steps instead of %d: the learning-rate schedule "
                "changes from here on.", self.total_steps, training["total_steps"],
            )  # fmt: skip
        self.method.load_state_dict(ckpt["method_state"])
        self.optimizer.load_state_dict(training["optimizer"])
        self.scheduler.load_state_dict(training["scheduler"])
        if training["total_steps"] != self.total_steps:
            self.scheduler.lr_lambdas[0].total_steps = self.total_steps
        self.scaler.load_state_dict(training["scaler"])
        if training["seed"] != self.seed:
            logger.info("Using the checkpoint's data seed %d", training["seed"])
            self.seed = training["seed"]
            self.sampler.seed = self.seed
        self._restore_rng(training["rng"])
        self.step, self.epoch = training["step"], training["epoch"]
        self.batch_in_epoch = training["batch_in_epoch"]
        self.epoch_losses = list(training["epoch_losses"])
        self.epoch_seconds = float(training["epoch_seconds"])
        self.history = [dict(h) for h in ckpt.get("history", [])]
        self.best = training["best"]
        if self.main:
            logger.info("Resumed from %s at epoch %d, batch %d (step %d)", path, self.epoch,
                        self.batch_in_epoch, self.step)  # fmt: skip

    # ------------------------------------------------------------------ monitors
    def _monitor_data(self):
        if self.monitor_set is not None:
            return self.monitor_set
        source = self.kw["val_dataset"] if self.kw["val_dataset"] is not None else self.raw_dataset
        labelled = self.kw["val_dataset"] is not None
        n = len(source)
        size = min(self.kw["monitor_size"], n)
        rng = np.random.default_rng(self.seed)
        idx = np.sort(rng.choice(n, size, replace=False)) if size < n else np.arange(n)
        items = [source[int(i)] for i in idx]
        if isinstance(items[0], (list, tuple)):
            X = torch.stack([torch.as_tensor(it[0]) for it in items])
            y = np.array([int(it[1]) for it in items]) if labelled and len(items[0]) > 1 else None
        else:
            X, y = torch.stack([torch.as_tensor(it) for it in items]), None
        groups = getattr(source, "groups", None)
        groups = np.asarray(groups)[idx] if groups is not None and y is not None else None
        if y is not None:
            keep = y >= 0
            y, groups = y[keep], (groups[keep] if groups is not None else None)
            X_lab = X[torch.as_tensor(keep)]
        else:
            X_lab = None
        self.monitor_set = (X, X_lab, y, groups)
        return self.monitor_set

    @torch.no_grad()
    def _monitors(self):
        X, X_lab, y, groups = self._monitor_data()
        method = self.method
        was_training = method.training
        rng_state = [s.clone() for s in method.rng_state()]  # monitors must not shift training RNG
        method.eval()
        bs = self.batch_size

        def embed(data):
            # (N, C, T) -> (N, D) in batches
            return torch.cat([method.embed(data[i : i + bs].to(self.device)).float().cpu()
                              for i in range(0, len(data), bs)])  # fmt: skip

        try:
            emb = embed(X)
            out = dict(embedding_std=embedding_std(emb), effective_rank=effective_rank(emb),
                       uniformity=uniformity(emb), alignment=float("nan"),
                       knn_balanced_accuracy=float("nan"))  # fmt: skip
            views = getattr(method, "views", None)
            if callable(views):
                va, vb = [], []
                for i in range(0, len(X), bs):
                    pair = views(X[i : i + bs].to(self.device))
                    va.append(method.embed(pair[0]).float().cpu())
                    vb.append(method.embed(pair[1]).float().cpu())
                out["alignment"] = alignment(torch.cat(va), torch.cat(vb))
            if y is not None and len(y) >= 4:
                out["knn_balanced_accuracy"] = knn_accuracy(embed(X_lab), y, groups)
        finally:
            method.set_rng_state(rng_state)
            method.train(was_training)
        collapsed, reason = collapse_status(
            out["embedding_std"], out["effective_rank"], emb.shape[1],
            std_ratio=self.kw["collapse_std_ratio"], min_rank=self.kw["collapse_min_rank"],
        )  # fmt: skip
        return out, collapsed, reason

    # ---------------------------------------------------------------------- loop
    def fit(self):
        kw = self.kw
        resume_path = self._resume_path()
        if resume_path is not None:
            self._resume(resume_path)
        steps_log = epochs_log = tb = None
        if self.main and self.run_dir is not None:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            write_json(self.run_dir / "training.json", _plain(self._resolved_config()))
            steps_log = CSVLog(self.run_dir / "steps.csv", STEP_FIELDS)
            epochs_log = CSVLog(self.run_dir / "epochs.csv", EPOCH_FIELDS)
            steps_log.truncate_after("step", self.step)
            epochs_log.truncate_after("epoch", self.epoch - 1)
            tb = TensorBoardLog(self.run_dir / "tensorboard")
        ckpt_dir = self.run_dir / "checkpoints" if self.run_dir is not None else None

        bar = tqdm(total=self.total_steps, initial=self.step, unit="step",
                   desc=f"pretrain {self.method.name}",
                   disable=not (self.main and progress_enabled(self.verbose)))  # fmt: skip
        global_batch = self.batch_size * self.accumulate * self.world
        self.method.train()
        self.optimizer.zero_grad(set_to_none=True)
        while self.epoch < kw["epochs"]:
            self._epoch_start = time.perf_counter()
            self.loader_generator.set_state(self.loader_state)
            self.sampler.set_epoch(self.epoch)
            if hasattr(self.loader.dataset, "set_epoch"):  # e.g. RP/TS: fresh pairs per epoch
                self.loader.dataset.set_epoch(self.epoch)
            self.sampler.skip(self.batch_in_epoch * self.batch_size)
            step_start, step_loss = time.perf_counter(), 0.0
            for batch in self.loader:
                if self.batch_in_epoch >= self.batches_per_epoch:
                    break  # leftover batches that do not fill an accumulation round
                X = batch[0] if isinstance(batch, (list, tuple)) else batch
                X = _to_device(X, self.device)
                last_micro = (self.batch_in_epoch + 1) % self.accumulate == 0
                no_sync = self.world > 1 and not last_micro
                with self.model.no_sync() if no_sync else contextlib.nullcontext():
                    with self._autocast(), batch_channel_mask(batch, self.device):
                        loss = self.forward(X)  # mask-aware encoders read batch.ch_mask
                    if not torch.isfinite(loss):
                        raise FloatingPointError(
                            f"Non-finite loss {loss.item()} at epoch {self.epoch}, step "
                            f"{self.step} (rank {self.rank}); lower 'lr', set 'grad_clip', or "
                            f"check the data for extreme values."
                        )
                    self.scaler.scale(loss / self.accumulate).backward()
                step_loss += float(loss.detach()) / self.accumulate
                self.batch_in_epoch += 1
                if not last_micro:
                    continue
                grad_norm = float("nan")
                if kw["grad_clip"] is not None:
                    self.scaler.unscale_(self.optimizer)
                    grad_norm = float(torch.nn.utils.clip_grad_norm_(self.method.parameters(),
                                                                     kw["grad_clip"]))  # fmt: skip
                lr = self._lr()
                self.scaler.step(self.optimizer)
                self.scaler.update()
                self.optimizer.zero_grad(set_to_none=True)
                self.scheduler.step()
                self.method.on_train_step_end(self.step, self.total_steps)
                self.step += 1
                step_loss = dist_utils.all_reduce_mean(step_loss)
                seconds = time.perf_counter() - step_start
                row = dict(step=self.step, epoch=self.epoch, batch=self.batch_in_epoch,
                           loss=step_loss, lr=lr, grad_norm=grad_norm,
                           samples_per_second=global_batch / max(seconds, 1e-9))  # fmt: skip
                self.epoch_losses.append(step_loss)
                if steps_log is not None:
                    steps_log.append(row)
                    tb.scalars(row, self.step, "step")
                bar.update()
                bar.set_postfix(loss=f"{step_loss:.4f}", lr=f"{lr:.2e}")
                every = kw["checkpoint_every"]
                if ckpt_dir is not None and every and self.step % every == 0:
                    self._save(ckpt_dir / "last.pt")
                step_start, step_loss = time.perf_counter(), 0.0
            self._end_epoch(epochs_log, tb, ckpt_dir)
        bar.close()
        self.method.eval()
        if kw["checkpoint"] is not None:
            self._save(kw["checkpoint"])
        if tb is not None:
            tb.close()
        dist_utils.barrier()
        return self.history

    def _end_epoch(self, epochs_log, tb, ckpt_dir):
        kw = self.kw
        losses = self.epoch_losses
        seconds = self.epoch_seconds + time.perf_counter() - self._epoch_start
        n_steps = len(losses)
        record = dict(
            epoch=self.epoch,
            step=self.step,
            loss=float(np.mean(losses)) if losses else float("nan"),
            lr=self._lr(),
            seconds=seconds,
            samples_per_second=(n_steps * self.batch_size * self.accumulate * self.world)
            / max(seconds, 1e-9),
            embedding_std=float("nan"),
            effective_rank=float("nan"),
            alignment=float("nan"),
            uniformity=float("nan"),
            knn_balanced_accuracy=float("nan"),
            collapsed=False,
        )
        every = kw["monitor_every"]
        if every and (self.epoch + 1) % every == 0:
            if self.main:
                values, collapsed, reason = self._monitors()
                record.update(values, collapsed=collapsed)
                if collapsed:
                    warn_collapse(self.epoch, self.step, reason)
            record["collapsed"] = bool(dist_utils.broadcast_object(record["collapsed"]))
        self.history.append(record)
        logger.info(
            "epoch %d: loss %.4f, lr %.2e, %.0f windows/s, embedding spread %.3g, "
            "effective dimensions %.3g%s",
            self.epoch, record["loss"], record["lr"], record["samples_per_second"],
            record["embedding_std"], record["effective_rank"],
            " [COLLAPSED]" if record["collapsed"] else "",
        )  # fmt: skip
        if epochs_log is not None:
            epochs_log.append(record)
            tb.scalars(record, self.step, "epoch")
        self.epoch, self.batch_in_epoch = self.epoch + 1, 0
        self.epoch_losses, self.epoch_seconds = [], 0.0
        self._epoch_start = time.perf_counter()
        self.loader_state = self.loader_generator.get_state()
        if ckpt_dir is None:
            return
        metric = kw["best_metric"]
        if metric == "auto":
            metric = "knn" if not math.isnan(record["knn_balanced_accuracy"]) else "loss"
        value = record["knn_balanced_accuracy"] if metric == "knn" else -record["loss"]
        improved = not math.isnan(value) and (self.best is None or value > self.best)
        if improved:
            self.best = value
        self._save(ckpt_dir / "last.pt")
        if improved and self.main:
            _copy(ckpt_dir / "last.pt", ckpt_dir / "best.pt")
        keep = kw["keep_every_epochs"]
        if keep and self.epoch % keep == 0 and self.main:
            _copy(ckpt_dir / "last.pt", ckpt_dir / f"epoch-{self.epoch:04d}.pt")


def _copy(src, dst):
    """Atomic copy of a checkpoint file."""
    import os
    import shutil

    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def _plain(value):
    """Plain-Python copy of ``value`` (tuples -> lists, numpy scalars -> Python)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None or torch.is_tensor(value):
        return value
    return str(value)


def _to_device(X, device):
    """Move a tensor, or a tuple/list of tensors, to ``device``."""
    if isinstance(X, (list, tuple)):
        return type(X)(_to_device(x, device) for x in X)
    return X.to(device, non_blocking=True)
