"""The training loop of :func:`eeg_ssl.training.pretrain`.

:class:`Engine` holds one run's state: data loader, optimiser, schedule, mixed
precision, DDP wrapper, position and records. Its resume and checkpoint logic lives
in :mod:`.run_state`, its monitor pass in :mod:`.engine_monitors`, its sampler in
:mod:`.sampler`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from ..models.channel_mask import batch_channel_mask
from ..utils import logger, torch_generator
from ..utils.logs import progress_enabled
from . import distributed as dist_utils
from .checkpoint import data_manifest_hash
from .engine_monitors import MonitorMixin
from .monitors import warn_collapse
from .optim import build_optimizer
from .run_logs import CSVLog, TensorBoardLog, write_json
from .run_state import RunStateMixin, _copy, _plain
from .sampler import ResumableSampler
from .schedules import WarmupCosine

_BATCHNORMS = (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.BatchNorm3d)
STEP_FIELDS = ["step", "epoch", "batch", "loss", "lr", "grad_norm", "samples_per_second"]
EPOCH_FIELDS = [
    "epoch", "step", "loss", "lr", "seconds", "samples_per_second", "embedding_std",
    "effective_rank", "alignment", "uniformity", "knn_balanced_accuracy", "collapsed",
]  # fmt: skip


class Engine(RunStateMixin, MonitorMixin):
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
        # at most about ten progress lines per run (first, every tenth of the run, last, and
        # any collapse); every epoch is in history.csv / epochs.csv and at DEBUG level
        total = kw["epochs"]
        shown = (
            self.epoch == 0
            or self.epoch + 1 == total
            or (self.epoch + 1) % max(1, total // 10) == 0
            or record["collapsed"]
        )
        logger.log(
            logging.INFO if shown else logging.DEBUG,
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


def _to_device(X, device):
    """Move a tensor, or a tuple/list of tensors, to ``device``."""
    if isinstance(X, (list, tuple)):
        return type(X)(_to_device(x, device) for x in X)
    return X.to(device, non_blocking=True)
