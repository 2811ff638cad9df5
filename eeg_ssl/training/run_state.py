"""Exact resume of a training run: RNG streams, checkpoint saving and loading.

:class:`RunStateMixin` is the part of the training engine (:mod:`.engine`) that turns a
run's position (weights, optimiser, schedule, scaler, RNG streams, data position,
records) into a checkpoint and back.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from ..utils import logger
from . import distributed as dist_utils
from .checkpoint import library_versions, load_checkpoint, save_checkpoint


class RunStateMixin:
    """Checkpoint saving, resume and RNG state of :class:`~eeg_ssl.training.engine.Engine`."""

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
