"""Does hashing a new shard's source file in a thread pay? (issue 22)

``prepare`` computes a new shard's source SHA-256 in a thread beside the read and the
filtering. This script prepares the same recordings with that thread and with the hash
computed inline (``eeg_ssl.io.prepare._in_background`` replaced by a direct call),
alternating, each round in a fresh process, and prints wall-clock and CPU seconds.

    python pipelines/bench_hash_overlap.py --data ../shared/data/eegmmidb --n-recordings 140
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

WORKER = """
import importlib, json, os, sys, time
from concurrent.futures import Future
from eeg_ssl.io import Recipe

prep = importlib.import_module("eeg_ssl.io.prepare")  # the module, not the function

files, out, inline = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3] == "inline"
if inline:
    def run_now(name, func):
        future = Future()
        future.set_result(func())
        return future
    prep._in_background = run_now
recipe = Recipe(picks=("eeg",), l_freq=0.5, h_freq=40.0, sfreq=128.0, window_seconds=2.0)
prep.prepare(files[:1], out + "_warmup", recipe, verbose=False)
wall, cpu = time.perf_counter(), time.process_time()
manifest = prep.prepare(files, out, recipe, verbose=False)
print(json.dumps(dict(windows=len(manifest), wall=time.perf_counter() - wall,
                      cpu=time.process_time() - cpu, load=os.getloadavg()[0])))
"""


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="folder of EDF files (searched recursively)")
    p.add_argument("--n-recordings", type=int, default=140)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    sources = sorted(Path(args.data).rglob("*.edf"))
    if not sources:
        sys.exit(f"No .edf files under {args.data!r}.")
    results = {"thread": [], "inline": []}
    with tempfile.TemporaryDirectory() as tmp:
        # as pipelines/bench_data.py: the files repeated under new names (symbolic links)
        files = []
        for i in range(args.n_recordings):
            link = Path(tmp) / "edf" / f"S{900 + i // 14:03d}R{i % 14 + 1:02d}_{i:04d}.edf"
            link.parent.mkdir(exist_ok=True)
            link.symlink_to(sources[i % len(sources)].resolve())
            files.append(str(link))
        print(f"{len(files)} recordings ({len(sources)} files); one fresh process per run, "
              f"alternating")  # fmt: skip
        for r in range(args.rounds):
            for mode in ("thread", "inline"):
                out = f"{tmp}/{mode}{r}"
                run = subprocess.run([sys.executable, "-c", WORKER, json.dumps(files), out, mode],
                                     capture_output=True, text=True, check=True)  # fmt: skip
                res = json.loads(run.stdout.strip().splitlines()[-1])
                results[mode].append(res)
                print(f"round {r + 1} {mode:6s}: {res['wall']:.2f} s wall, {res['cpu']:.2f} "
                      f"CPU-s, {res['windows'] / res['wall']:.0f} windows/s, load "
                      f"{res['load']:.1f}")  # fmt: skip
    for mode, runs in results.items():
        best = min(r["wall"] for r in runs)
        print(f"{mode:6s}: fastest {best:.2f} s, median CPU {sorted(r['cpu'] for r in runs)[len(runs) // 2]:.2f} s")  # fmt: skip
    ratio = min(r["wall"] for r in results["inline"]) / min(r["wall"] for r in results["thread"])
    print(f"thread vs inline, fastest of {args.rounds}: {ratio:.3f}x the speed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
