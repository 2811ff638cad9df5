"""Training-speed benchmark on a GPU (or, smaller, on the CPU): encoders x methods x precision.

For each encoder (conv, patch transformer, covariance, a braindecode model through the
adapter) and method (SimCLR, MAE, spectral prediction by default), at each precision
(``fp32``, ``bf16``; ``fp16`` with a GradScaler on CUDA) and with and without
``torch.compile``:

- ``pretrain samples/s``: one epoch of :func:`eeg_ssl.training.pretrain` (the public
  training API, its ``precision`` and ``compile`` options) over a prepared folder;
- ``loop samples/s`` and ``data wait``: ``--steps`` optimiser steps of the same method
  fed by a ``DataLoader`` over :class:`eeg_ssl.data.ShardStream`, timing
  ``next(iterator)`` (waiting for data, including the copy to the device) against the
  whole step (synchronised on CUDA);
- ``peak MB``: ``torch.cuda.max_memory_allocated`` over both (CUDA only).

Then a DDP smoke test: one process joins a process group of world size 1 (NCCL on
CUDA, gloo on CPU, through a ``tcp://127.0.0.1`` store), wraps the method in
``DistributedDataParallel``, takes a few steps and all-reduces the loss.

Data: the project's ``sample_data/`` EDF files prepared by this script into a temporary
folder (copies under new names, ``--replicate`` times, for more windows).
Without CUDA the script says so and runs small sizes on the CPU (``--compile`` opt-in).

Run: python pipelines/bench_gpu.py                 (GPU: full sizes)
     python pipelines/bench_gpu.py --device cpu --steps 3 --encoders conv
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
ENCODERS = ("conv", "patch_transformer", "covariance", "braindecode")
METHODS = ("simclr", "mae", "spectral_prediction")
_DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def make_prepared(out, *, replicate=1, sample_dir=None):
    """Prepare ``sample_data/*.edf`` (``replicate`` copies of each) into ``out``."""
    from eeg_ssl.io import Recipe, prepare

    sample_dir = Path(sample_dir or REPO / "sample_data")
    files = sorted(sample_dir.glob("*.edf"))
    if not files:
        raise SystemExit(f"No EDF file in {sample_dir}; run from a checkout with sample_data/.")
    src = Path(out).parent / "edf"
    src.mkdir(parents=True, exist_ok=True)
    copies = []
    for k in range(replicate):
        for f in files:
            dest = src / f"{f.stem}_copy{k}.edf"
            if not dest.exists():
                shutil.copyfile(f, dest)
            copies.append(dest)
    recipe = Recipe(l_freq=0.5, h_freq=40.0, sfreq=128.0, window_seconds=2.0)
    prepare(copies, out, recipe, subject_pattern=r"sub-(\d+)", verbose=False)
    return Path(out)


def build(encoder, method, *, n_chans, n_times, sfreq, small):
    """An encoder and a method around it, from the public builders."""
    from eeg_ssl.methods import build_method
    from eeg_ssl.models import build_encoder

    kwargs = {
        "conv": dict(n_filters=16, n_blocks=2) if small else {},
        "patch_transformer": dict(embed_dim=32, depth=1, n_heads=2) if small else {},
        "covariance": {},
        "braindecode": dict(model="ShallowFBCSPNet"),
    }[encoder]
    enc = build_encoder(encoder, n_chans=n_chans, n_times=n_times, n_outputs=32 if small else 128,
                        sfreq=sfreq, **kwargs)  # fmt: skip
    return build_method(method, enc, random_state=0)


def timed_loop(method, folder, *, device, precision, compile, steps, batch_size, lr=1e-3):
    """``steps`` optimiser steps fed by a ShardStream; data wait vs step time."""
    from torch.utils.data import DataLoader

    from eeg_ssl.data import ShardStream

    method.to(device).train()
    opt = torch.optim.AdamW([p for p in method.parameters() if p.requires_grad], lr=lr)
    scaler = torch.amp.GradScaler("cuda", enabled=precision == "fp16" and device.type == "cuda")
    forward = torch.compile(method) if compile else method
    stream = ShardStream(folder, batch_size=batch_size, drop_last=True, random_state=0)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    def batches():  # endless: one pass after the other
        epoch = 0
        while True:
            stream.set_epoch(epoch)
            yield from DataLoader(stream, batch_size=None, pin_memory=device.type == "cuda")
            epoch += 1

    it = batches()
    wait = total = 0.0
    n = 0
    for step in range(steps + 1):  # step 0: warm-up (compilation, allocator), not timed
        sync()
        t0 = time.perf_counter()
        X, _ = next(it)
        X = X.to(device, non_blocking=True)
        t1 = time.perf_counter()
        autocast = (torch.autocast(device.type, dtype=_DTYPES[precision])
                    if _DTYPES[precision] is not None else contextlib.nullcontext())  # fmt: skip
        with autocast:
            loss = forward(X)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        sync()
        t2 = time.perf_counter()
        if not math.isfinite(float(loss.detach())):
            raise FloatingPointError(f"non-finite loss at step {step}")
        if step:
            wait, total, n = wait + t1 - t0, total + t2 - t0, n + len(X)
    return dict(loop_samples_per_s=n / total, data_wait=wait / total)


def run_pretrain(method, folder, *, device, precision, compile, batch_size):
    """One epoch of eeg_ssl.training.pretrain; its samples/s."""
    from eeg_ssl.data import ShardDataset
    from eeg_ssl.training import pretrain

    history = pretrain(method, ShardDataset(folder), epochs=1, batch_size=batch_size,
                       precision=precision, compile=compile, device=device, monitor_every=0,
                       random_state=0, verbose=False)  # fmt: skip
    return history[-1]["samples_per_second"]


def ddp_smoke(folder, *, device, steps=3, batch_size=16):
    """World-size-1 DDP over NCCL (CUDA) or gloo (CPU): a few steps, one all-reduce."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from eeg_ssl.data import ShardDataset

    backend = "nccl" if device.type == "cuda" else "gloo"
    with socket.socket() as sock:  # a free port for the store
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dist.init_process_group(backend, init_method=f"tcp://127.0.0.1:{port}", rank=0,
                            world_size=1)  # fmt: skip
    try:
        ds = ShardDataset(folder)
        n_chans, n_times = ds.shape
        method = build("conv", "simclr", n_chans=n_chans, n_times=n_times, sfreq=128.0,
                       small=True).to(device)  # fmt: skip
        model = DistributedDataParallel(method, device_ids=[device.index] if device.index
                                        is not None else None)  # fmt: skip
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        X, _ = ds.load()
        for step in range(steps):
            xb = torch.from_numpy(X[step * batch_size : (step + 1) * batch_size]).to(device)
            loss = model(xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        total = loss.detach().clone()
        dist.all_reduce(total)
        return dict(backend=backend, world_size=dist.get_world_size(), loss=float(total))
    finally:
        dist.destroy_process_group()


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--device", default="auto", help="'auto' (CUDA when present), 'cuda', 'cpu'")
    p.add_argument("--encoders", nargs="+", default=list(ENCODERS), choices=ENCODERS)
    p.add_argument("--methods", nargs="+", default=list(METHODS))
    p.add_argument("--precisions", nargs="+", default=None, choices=list(_DTYPES),
                   help="default: fp32 bf16 fp16 on CUDA, fp32 bf16 on CPU")  # fmt: skip
    p.add_argument("--compile", choices=["off", "on", "both"], default=None,
                   help="torch.compile; default 'both' on CUDA, 'off' on CPU")  # fmt: skip
    p.add_argument("--steps", type=int, default=None, help="timed loop steps (CUDA 50, CPU 5)")
    p.add_argument("--batch-size", type=int, default=None, help="CUDA 256, CPU 32")
    p.add_argument("--replicate", type=int, default=None, help="copies of sample_data (CUDA 8)")
    p.add_argument("--no-pretrain", action="store_true", help="skip the pretrain() epochs")
    p.add_argument("--no-ddp", action="store_true", help="skip the DDP smoke test")
    args = p.parse_args(argv)

    cuda = torch.cuda.is_available()
    if args.device == "auto":
        device = torch.device("cuda" if cuda else "cpu")
    else:
        device = torch.device(args.device)
    if device.type == "cuda" and not cuda:
        raise SystemExit("--device cuda: no CUDA device is available.")
    if device.type == "cuda":
        device = torch.device("cuda", torch.cuda.current_device())
    on_gpu = device.type == "cuda"
    precisions = args.precisions or (["fp32", "bf16", "fp16"] if on_gpu else ["fp32", "bf16"])
    if not on_gpu and "fp16" in precisions:
        print("fp16 needs CUDA (GradScaler): skipped on the CPU")
        precisions = [x for x in precisions if x != "fp16"]
    compile_mode = args.compile or ("both" if on_gpu else "off")
    compiles = {"off": [False], "on": [True], "both": [False, True]}[compile_mode]
    steps = args.steps or (50 if on_gpu else 5)
    batch_size = args.batch_size or (256 if on_gpu else 32)
    replicate = args.replicate or (8 if on_gpu else 1)
    if on_gpu:
        print(f"device: {torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda}), "
              f"torch {torch.__version__}")  # fmt: skip
    else:
        print(f"NO GPU: CUDA is not available (torch {torch.__version__}); running small "
              f"sizes on the CPU ({os.cpu_count()} CPUs, load average "
              f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}). These are not GPU figures.")  # fmt: skip

    from eeg_ssl.data import ShardDataset

    with tempfile.TemporaryDirectory() as tmp:
        folder = make_prepared(Path(tmp) / "prepared", replicate=replicate)
        ds = ShardDataset(folder)
        n_chans, n_times = ds.shape
        print(f"data: {len(ds)} windows of ({n_chans}, {n_times}) at 128 Hz from sample_data "
              f"(x{replicate}); batch {batch_size}, {steps} timed steps after one warm-up")  # fmt: skip
        print(f"{'encoder':>17} {'method':>19} {'prec':>4} {'compile':>7} | "
              f"{'pretrain samples/s':>18} | {'loop samples/s':>14} {'data wait':>9} | "
              f"{'peak MB':>8}")  # fmt: skip
        for encoder in args.encoders:
            for name in args.methods:
                try:  # e.g. MAE masks patches: it needs the patch transformer
                    build(encoder, name, n_chans=n_chans, n_times=n_times, sfreq=128.0,
                          small=not on_gpu)  # fmt: skip
                except ValueError as err:
                    print(f"{encoder:>17} {name:>19}  not combined: {str(err).split(';')[0]}")
                    continue
                for precision in precisions:
                    for comp in compiles:
                        if on_gpu:
                            torch.cuda.reset_peak_memory_stats(device)
                        row = dict(pretrain=float("nan"))
                        try:
                            if not args.no_pretrain:
                                method = build(encoder, name, n_chans=n_chans, n_times=n_times,
                                               sfreq=128.0, small=not on_gpu)  # fmt: skip
                                row["pretrain"] = run_pretrain(
                                    method, folder, device=device, precision=precision,
                                    compile=comp, batch_size=batch_size,
                                )  # fmt: skip
                            method = build(encoder, name, n_chans=n_chans, n_times=n_times,
                                           sfreq=128.0, small=not on_gpu)  # fmt: skip
                            row.update(timed_loop(method, folder, device=device,
                                                  precision=precision, compile=comp,
                                                  steps=steps, batch_size=batch_size))  # fmt: skip
                        except Exception as err:  # noqa: BLE001  a row that fails is reported
                            print(f"{encoder:>17} {name:>19} {precision:>4} {str(comp):>7} | "
                                  f"FAILED: {type(err).__name__}: {str(err)[:200]}")  # fmt: skip
                            continue
                        peak = torch.cuda.max_memory_allocated(device) / 2**20 if on_gpu else None
                        print(f"{encoder:>17} {name:>19} {precision:>4} {str(comp):>7} | "
                              f"{row['pretrain']:>18,.0f} | {row['loop_samples_per_s']:>14,.0f} "
                              f"{row['data_wait']:>9.1%} | "
                              f"{'n/a (CPU)' if peak is None else f'{peak:,.0f}':>8}",
                              flush=True)  # fmt: skip
        if not args.no_ddp:
            res = ddp_smoke(folder, device=device)
            print(f"DDP smoke test: backend {res['backend']}, world size {res['world_size']}, "
                  f"3 steps, all-reduced loss {res['loss']:.4f}: OK")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
