"""Memory of the loaders' window index against the whole manifest table, per window.

A prepared folder of ``--windows`` small windows (2 channels, 1 s at 8 Hz, one shard,
``--subjects`` subjects, three labels; written once with ``eeg_ssl.io.prepare_arrays``)
is opened in fresh processes, each measuring one way of holding its manifest:

- ``table``: :func:`eeg_ssl.io.read_manifest`, the whole DataFrame;
- ``dataset``: :class:`eeg_ssl.data.ShardDataset` (the compact index);
- ``stream``: :class:`eeg_ssl.data.ShardStream` (the dataset + its block list), then one
  shuffled pass (batch 256).

Printed per way: bytes per window held after construction and at the construction's
peak (``tracemalloc``: Python objects and NumPy arrays), the process's resident memory
(RSS) held after construction, and the time taken (``build s*``: with tracemalloc on,
which slows it). The figures scale to a corpus: at
TUH's ~48 M windows, multiply the per-window bytes by 48e6.

Run: python pipelines/bench_index.py --windows 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WAYS = ("table", "dataset", "stream")


def make_folder(out, n_windows, n_subjects):
    """A prepared folder of ``n_windows`` windows of 2 channels x 8 samples."""
    import numpy as np

    from eeg_ssl.io import prepare_arrays

    per_segment = 1000
    n_seg = -(-n_windows // per_segment)
    X = np.random.default_rng(0).standard_normal((n_seg, 2, per_segment * 8)).astype(np.float32)
    prepare_arrays(X, out, sfreq=8.0, ch_names=["a", "b"], labels=np.arange(n_seg) % 3,
                   subjects=[f"sub-{i % n_subjects:05d}" for i in range(n_seg)],
                   recipe=dict(l_freq=None, h_freq=None, sfreq=None, window_seconds=1.0),
                   verbose=False)  # fmt: skip


def _rss_mb():
    with open("/proc/self/statm") as fid:
        return int(fid.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(way, folder):
    """Open ``folder`` one way (in this process); a dict of what was measured."""
    import gc
    import tracemalloc

    import numpy as np  # noqa: F401  (imported before the baseline)
    import torch  # noqa: F401

    from eeg_ssl.data import ShardStream
    from eeg_ssl.io import read_manifest

    gc.collect()
    rss0 = _rss_mb()
    tracemalloc.start()
    t0 = time.perf_counter()
    if way == "table":
        obj = read_manifest(folder)
        n = len(obj)
    else:
        obj = ShardStream(folder, batch_size=256, random_state=0)
        n = len(obj.base)
        if way == "stream":
            obj._blocks()  # the block list a pass makes
    seconds = time.perf_counter() - t0
    gc.collect()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out = dict(way=way, n=n, held=held / n, peak=peak / n, rss=(_rss_mb() - rss0) * 2**20 / n,
               seconds=seconds)  # fmt: skip
    if way == "stream":
        t0 = time.perf_counter()
        total = sum(len(y) for _, y in obj)
        out["pass_seconds"], out["pass_windows"] = time.perf_counter() - t0, total
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=1_000_000)
    parser.add_argument("--subjects", type=int, default=500)
    parser.add_argument("--folder", help="reuse (or write) the prepared folder here")
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)  # way, folder
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.folder or Path(tmp) / "prepared")
        if not (folder / "manifest.csv").exists():
            t0 = time.perf_counter()
            make_folder(folder, args.windows, args.subjects)
            print(f"prepared {folder} in {time.perf_counter() - t0:.1f} s")
        print(f"{'way':8} {'windows':>9} {'held B/w':>9} {'peak B/w':>9} {'RSS B/w':>8} "
              f"{'build s*':>8} | pass")  # fmt: skip
        for way in WAYS:
            env = dict(os.environ, OMP_NUM_THREADS="1")
            res = subprocess.run([sys.executable, __file__, "--measure", way, str(folder)],
                                 capture_output=True, text=True, env=env, check=True)  # fmt: skip
            r = json.loads(res.stdout.strip().splitlines()[-1])
            tail = ""
            if "pass_seconds" in r:
                tail = f"{r['pass_windows']} windows in {r['pass_seconds']:.1f} s"
            print(f"{r['way']:8} {r['n']:>9} {r['held']:>9.1f} {r['peak']:>9.1f} "
                  f"{r['rss']:>8.1f} {r['seconds']:>8.2f} | {tail}")  # fmt: skip


if __name__ == "__main__":
    main()
