"""Training-speed benchmark: the full SimCLR pipeline vs a bare loop on an in-memory tensor.

The pipeline is :func:`eeg_ssl.training.pretrain` reading HDF5 shards (prepared here from
simulated EDF files with :func:`eeg_ssl.io.prepare`) through a DataLoader, with SimCLR's
on-the-fly augmentations (random crop, noise, scaling). The bare loop runs the same
encoder, projection head, NT-Xent loss, optimiser and batch size on the same windows held
in one in-memory tensor, with fixed crops instead of augmentations, so only the data path,
the augmentations and the engine's bookkeeping differ. Rounds alternate between the two
and the medians are compared. Usage::

    python pipelines/bench_training.py [--steps 40] [--batch-size 64] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch


def prepare_data(folder, n_subjects, duration):
    from eeg_ssl.io import Recipe, prepare
    from eeg_ssl.simulation import make_sample_data

    paths = make_sample_data(Path(folder) / "edf", n_subjects=n_subjects, duration=duration)
    recipe = Recipe(l_freq=1.0, h_freq=40.0, sfreq=128.0, window_seconds=2.0)
    prepare(paths, Path(folder) / "prepared", recipe, subject_pattern="sub-([^_]+)",
            verbose=False)  # fmt: skip
    return Path(folder) / "prepared"


def build(n_chans, n_times, seed=0):
    from eeg_ssl.methods import SimCLR
    from eeg_ssl.models import build_encoder
    from eeg_ssl.utils import seeded

    with seeded(seed):
        encoder = build_encoder("conv", n_chans=n_chans, n_times=n_times, n_outputs=128)
        return SimCLR(encoder, random_state=seed)


def run_pipeline(dataset, n_chans, n_times, batch_size, steps, num_workers):
    """Steps/s of pretrain() over the shards (the first epoch is a warm-up, not timed)."""
    from eeg_ssl.training import pretrain

    method = build(n_chans, n_times)
    per_epoch = len(dataset) // batch_size
    epochs = 1 + max(1, -(-steps // per_epoch))
    history = pretrain(method, dataset, epochs=epochs, batch_size=batch_size, lr=1e-3,
                       num_workers=num_workers, monitor_every=0, random_state=0,
                       verbose=False)  # fmt: skip
    timed = history[1:]
    return sum(h["step"] - p["step"] for h, p in zip(timed, history)) / sum(
        h["seconds"] for h in timed
    )


def run_bare(X, batch_size, steps):
    """Steps/s of a plain loop: in-memory batches, fixed crops, same model/loss/optimiser."""
    method = build(X.shape[1], X.shape[2])
    crop = method.views.views[0].transforms[0].output_length
    optimizer = torch.optim.AdamW(method.parameters(), lr=1e-3, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(0)
    method.train()

    def one_step():
        idx = torch.randint(len(X), (batch_size,), generator=gen)
        batch = X[idx]  # (B, C, T)
        z_a = method.projection_head(method.encoder(batch[..., :crop]))
        z_b = method.projection_head(method.encoder(batch[..., -crop:]))
        loss = method.criterion(z_a, z_b)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(3):  # warm-up
        one_step()
    start = time.perf_counter()
    for _ in range(steps):
        one_step()
    return steps / (time.perf_counter() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python pipelines/bench_training.py",
                                     description=__doc__.split("\n")[0])  # fmt: skip
    parser.add_argument("--steps", type=int, default=40, help="timed steps per round")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--subjects", type=int, default=4)
    parser.add_argument("--duration", type=float, default=300.0, help="seconds per recording")
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    from eeg_ssl.data import ShardDataset

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        root = prepare_data(tmp, args.subjects, args.duration)
        dataset = ShardDataset(root)
        n_chans, n_times = dataset.shape
        X = torch.as_tensor(dataset.load()[0])
        print(f"data: {len(dataset)} windows of {n_chans} ch x {n_times} samples in "
              f"{len(set(dataset.groups))} shards (prepared in {time.perf_counter() - t0:.1f} s)")  # fmt: skip
        print(f"torch threads: {torch.get_num_threads()}, load average before: "
              f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")  # fmt: skip
        pipe, bare = [], []
        for r in range(args.rounds):
            pipe.append(run_pipeline(dataset, n_chans, n_times, args.batch_size, args.steps,
                                     args.num_workers))  # fmt: skip
            bare.append(run_bare(X, args.batch_size, args.steps))
            print(f"round {r + 1}: pipeline {pipe[-1]:.2f} steps/s, bare loop {bare[-1]:.2f} "
                  f"steps/s, ratio {pipe[-1] / bare[-1]:.3f}")  # fmt: skip
        p, b = statistics.median(pipe), statistics.median(bare)
        print(f"median: pipeline {p:.2f} steps/s, bare loop {b:.2f} steps/s, "
              f"ratio {p / b:.3f} (target >= 0.9) [batch {args.batch_size}, "
              f"num_workers {args.num_workers}]")  # fmt: skip
        print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":  # pragma: no cover
    main()
