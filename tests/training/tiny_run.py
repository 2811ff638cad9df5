"""A tiny deterministic pretraining run, launched as a subprocess by the training tests.

Usage: python tiny_run.py RUN_DIR [--batch-size B] [--epochs E] [--resume] [--sleep S]
       [--no-bn] [--no-augment] (also under ``python -m torch.distributed.run``).
"""

from __future__ import annotations

import argparse
import time

import torch
from torch import nn
from torch.utils.data import TensorDataset

from eeg_ssl.methods import SimCLR
from eeg_ssl.models import build_encoder
from eeg_ssl.simulation import simulate_windows
from eeg_ssl.training import pretrain
from eeg_ssl.utils import seeded


class SlowSimCLR(SimCLR):
    """SimCLR that sleeps after each step, so a test can kill it mid-run."""

    sleep = 0.0

    def on_train_step_end(self, step, total_steps):
        time.sleep(self.sleep)


def build(no_bn, no_augment):
    with seeded(0):
        encoder = build_encoder("conv", n_chans=4, n_times=64, n_outputs=16, n_filters=8,
                                n_blocks=2, dropout=0.0 if no_bn else 0.2)  # fmt: skip
        kwargs = dict(projection_dim=8, hidden_dim=16, random_state=0)
        if no_augment:
            kwargs.update(crop_fraction=1.0, augment_probability=0.0)
        method = SlowSimCLR(encoder, **kwargs)
    if no_bn:
        # torch's SyncBatchNorm has no CPU kernel: without BN the 2-rank run is exactly
        # the 1-rank run with the doubled batch (see docs/distributed.md)
        for parent in list(method.modules()):
            for name, child in parent.named_children():
                if isinstance(child, nn.BatchNorm1d):
                    setattr(parent, name, nn.Identity())
    return method


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--no-bn", action="store_true")
    parser.add_argument("--no-augment", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)  # dropout draws from the global generator
    X, y, _ = simulate_windows(64, 4, 64, n_subjects=2, random_state=0)
    X = torch.as_tensor(X / X.std())  # (64, 4, 64)
    method = build(args.no_bn, args.no_augment)
    method.sleep = args.sleep
    pretrain(method, TensorDataset(X, torch.as_tensor(y)), epochs=args.epochs,
             batch_size=args.batch_size, lr=3e-3, warmup_epochs=0.5, grad_clip=5.0,
             run_dir=args.run_dir, checkpoint_every=1, monitor_every=0,
             resume="auto" if args.resume else None, random_state=0, verbose=False)  # fmt: skip


if __name__ == "__main__":
    main()
