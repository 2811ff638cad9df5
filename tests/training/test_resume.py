"""Exact resume: a run killed with SIGKILL mid-epoch continues the uninterrupted curve."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

SCRIPT = Path(__file__).with_name("tiny_run.py")


def _rows(path):
    if not path.exists():
        return []
    with open(path) as fh:
        return list(csv.DictReader(fh))


def _env():
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")


def test_pretrain__sigkill_then_resume_continues_the_same_curve(tmp_path):
    ref, killed = tmp_path / "reference", tmp_path / "killed"
    # reference and victim run side by side (augmentations, dropout and BatchNorm on)
    reference = subprocess.Popen([sys.executable, str(SCRIPT), str(ref), "--epochs", "3"],
                                 env=_env(), stderr=subprocess.PIPE)  # fmt: skip
    victim = subprocess.Popen(
        [sys.executable, str(SCRIPT), str(killed), "--epochs", "3", "--sleep", "0.3"],
        env=_env(), stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while len(_rows(killed / "steps.csv")) < 5:  # 8 steps per epoch: stop mid-epoch 0
        assert victim.poll() is None, victim.stderr.read().decode()[-3000:]
        assert time.monotonic() < deadline, "the run did not start in time"
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert victim.returncode == -signal.SIGKILL
    state = torch.load(killed / "checkpoints" / "last.pt", weights_only=True)["training"]
    assert state["epoch"] == 0 and 0 < state["batch_in_epoch"] < 8  # a mid-epoch position
    resumed = subprocess.run([sys.executable, str(SCRIPT), str(killed), "--epochs", "3",
                              "--resume"], env=_env(), capture_output=True, text=True,
                             timeout=240)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert reference.wait(timeout=240) == 0, reference.stderr.read().decode()[-3000:]
    ref_rows, new_rows = _rows(ref / "steps.csv"), _rows(killed / "steps.csv")
    assert [r["step"] for r in new_rows] == [str(s) for s in range(1, 25)]
    assert [r["loss"] for r in new_rows] == [r["loss"] for r in ref_rows]  # bit-identical
    assert [r["lr"] for r in new_rows] == [r["lr"] for r in ref_rows]
    epoch_losses = [[r["loss"] for r in _rows(d / "epochs.csv")] for d in (ref, killed)]
    assert epoch_losses[0] == epoch_losses[1] and len(epoch_losses[0]) == 3
