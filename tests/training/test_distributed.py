"""torchrun DDP on CPU (gloo): 2 ranks x batch B train like 1 process x batch 2B."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from eeg_ssl.training.distributed import all_gather_with_grad, get_rank, get_world_size

SCRIPT = Path(__file__).with_name("tiny_run.py")


def _losses(run_dir):
    with open(Path(run_dir) / "steps.csv") as fh:
        return [float(r["loss"]) for r in csv.DictReader(fh)]


def _run(args, **kw):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                          timeout=300, **kw)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_helpers__single_process_defaults():
    x = torch.randn(3, 2, requires_grad=True)
    assert get_rank() == 0 and get_world_size() == 1
    assert all_gather_with_grad(x) is x


def test_pretrain__two_gloo_ranks_match_one_rank_with_doubled_batch(tmp_path):
    # BatchNorm is removed and augmentations are deterministic in this run: torch's
    # SyncBatchNorm has no CPU kernel and per-rank augmentation streams differ from the
    # single-process stream by design (docs/distributed.md)
    common = ["--no-bn", "--no-augment", "--epochs", "2"]
    _run([str(SCRIPT), str(tmp_path / "one"), "--batch-size", "16", *common])
    _run(["-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(SCRIPT),
          str(tmp_path / "two"), "--batch-size", "8", *common])  # fmt: skip
    one, two = _losses(tmp_path / "one"), _losses(tmp_path / "two")
    assert len(one) == len(two) == 8
    assert two == pytest.approx(one, rel=1e-5, abs=1e-6)
    assert len(set(round(v, 4) for v in one)) > 1  # the loss moves: training happened
    # only rank 0 writes: one log, one checkpoint folder
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == [
        "checkpoints", "epochs.csv", "steps.csv", "training.json"
    ]  # fmt: skip
