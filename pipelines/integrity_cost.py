"""What the integrity checks of a prepared folder cost (docs/format.md#integrity-on-read).

Prepares ``--n`` recordings (the eegmmidb EDF files of the shared data, copied under other
names until there are ``--n``) into a folder, then prints: the checksum of every shard
(the cost added to ``prepare``), the open-time check (a stat per shard and the
manifest's checksum), ``ShardDataset(folder)``, the re-hash of every shard (a folder
whose times all changed) and ``eeg-ssl verify`` (re-hash and every window finite).

Usage::

    python pipelines/integrity_cost.py [--data ../shared/data] [--n 100] [--work /tmp/x]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from eeg_ssl.data import ShardDataset
from eeg_ssl.io import Recipe, prepare, read_manifest, read_record
from eeg_ssl.io.integrity import check_shards, file_checksum, verify_folder


def best_of(func, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main():
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--data", default=str(root.parent / "shared" / "data"))
    parser.add_argument("--n", type=int, default=100, help="recordings (shards)")
    parser.add_argument("--work", help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="integrity-"))
    sources = sorted(Path(args.data, "eegmmidb").glob("*/*.edf"))
    if not sources:
        raise SystemExit(f"No eegmmidb EDF files under {args.data}; give --data.")
    inputs = work / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(args.n):  # copies under other names: one shard each
        src = sources[i % len(sources)]
        dst = inputs / f"c{i // len(sources)}_{src.name}"
        if not dst.exists():
            shutil.copy(src, dst)
        files.append(dst)
    out = work / "prepared"
    recipe = Recipe(picks=["eeg"], l_freq=1.0, h_freq=40.0, sfreq=128.0, engine="fused")
    start = time.perf_counter()
    prepare(files, out, recipe, verbose=False)
    seconds = time.perf_counter() - start
    record = read_record(out)
    shards = [out / rec["shard"] for rec in record["recordings"]]
    size = sum(p.stat().st_size for p in shards)
    print(f"prepare: {len(files)} recordings in {seconds:.1f} s ({seconds / len(files) * 1e3:.0f} "
          f"ms each; a rerun of the same job resumes); {len(shards)} shards, {size / 1e6:.0f} MB")  # fmt: skip
    lo, mid = best_of(lambda: [file_checksum(p) for p in shards], 3)
    print(f"checksum of every shard (added to prepare): best {lo * 1e3:.1f} ms, median "
          f"{mid * 1e3:.1f} ms; {lo / len(shards) * 1e3:.2f} ms per shard")  # fmt: skip
    lo, mid = best_of(lambda: check_shards(out, record["recordings"]), 7)
    print(
        f"open-time shard check (a stat each): best {lo * 1e3:.2f} ms, median {mid * 1e3:.2f} ms"
    )
    lo, mid = best_of(lambda: read_manifest(out), 7)
    lo0, mid0 = best_of(lambda: read_manifest(out, check=False), 7)
    print(f"read_manifest: best {lo * 1e3:.1f} ms checked, {lo0 * 1e3:.1f} ms unchecked (medians "
          f"{mid * 1e3:.1f}, {mid0 * 1e3:.1f})")  # fmt: skip
    lo, mid = best_of(lambda: ShardDataset(out), 7)
    print(f"ShardDataset(folder): best {lo * 1e3:.1f} ms, median {mid * 1e3:.1f} ms")
    lo, mid = best_of(lambda: check_shards(out, record["recordings"], full=True), 3)
    print(f"re-hash of every shard (all times changed): best {lo * 1e3:.1f} ms, median "
          f"{mid * 1e3:.1f} ms")  # fmt: skip
    lo, mid = best_of(lambda: verify_folder(out), 3)
    print(f"eeg-ssl verify: best {lo:.2f} s, median {mid:.2f} s")
    if not args.work:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
