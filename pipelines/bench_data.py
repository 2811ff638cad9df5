"""Data-layer speed benchmark: eeg-ssl prepare + loaders vs braindecode, same recipe.

Recipe on both sides: read -> pick EEG -> band-pass 0.5-40 Hz -> resample 128 Hz ->
2 s windows -> save. The corpus is ../shared/data/eegmmidb replicated with symlinks
to at least ``--n-recordings`` files (and twice that, to check RSS does not grow).
Each side runs in its own subprocess so peak RSS is measured per side
(``ru_maxrss`` of the process + its largest worker).

Run: python pipelines/bench_data.py --data ../shared/data/eegmmidb --n-recordings 140
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def replicate(src, dst, n):
    files = sorted(Path(src).glob("S*/*.edf"))
    if not files:
        raise SystemExit(f"No S*/*.edf under {src}")
    dst.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        f = files[i % len(files)]
        link = dst / f"S{900 + i // 14:03d}R{i % 14 + 1:02d}_{i:04d}.edf"
        if not link.exists():
            link.symlink_to(f.resolve())
        out.append(str(link))
    return out


def _peak_mb():
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return self_mb, child_mb


def run_eeg_ssl(files, out, n_jobs, engine):
    from eeg_ssl.io import Recipe, prepare

    t = time.perf_counter()
    recipe = Recipe(picks=("eeg",), l_freq=0.5, h_freq=40.0, sfreq=128.0, window_seconds=2.0,
                    engine=engine)  # fmt: skip
    manifest = prepare(files, out, recipe, n_jobs=n_jobs, verbose=False)
    dt = time.perf_counter() - t
    return dict(windows=len(manifest), seconds=dt, peak_mb=_peak_mb())


def run_braindecode(files, out, n_jobs):
    import mne
    from braindecode.datasets import BaseConcatDataset, RawDataset
    from braindecode.preprocessing import Preprocessor, create_fixed_length_windows, preprocess

    t = time.perf_counter()
    ds = BaseConcatDataset([
        RawDataset(mne.io.read_raw(f, preload=False, verbose="error"), {"path": f}) for f in files
    ])  # fmt: skip
    preprocess(ds, [Preprocessor("pick", picks="eeg"), Preprocessor("filter", l_freq=0.5, h_freq=40.0),
                    Preprocessor("resample", sfreq=128.0)], n_jobs=n_jobs)  # fmt: skip
    windows = create_fixed_length_windows(ds, window_size_samples=256, window_stride_samples=256,
                                          drop_last_window=True, n_jobs=n_jobs)  # fmt: skip
    windows.save(str(out), overwrite=True)
    dt = time.perf_counter() - t
    return dict(windows=len(windows), seconds=dt, peak_mb=_peak_mb())


def run_loaders(eeg_dir, bd_dir, batch_size, seed):
    import numpy as np
    import torch
    from braindecode.datautil import load_concat_dataset
    from torch.utils.data import DataLoader

    from eeg_ssl.data import ShardDataset, ShardStream

    out = {}
    # first pass: fresh process, files opened during the pass; then the next epoch
    stream = ShardStream(eeg_dir, batch_size=batch_size, random_state=seed)
    for epoch, name in enumerate(("eeg_ssl_stream", "eeg_ssl_stream_epoch2")):
        stream.set_epoch(epoch)
        t = time.perf_counter()
        n = sum(len(xb) for xb, _ in DataLoader(stream, batch_size=None))
        out[name] = n / (time.perf_counter() - t)

    ds = ShardDataset(eeg_dir)
    loader = DataLoader(ds, batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))  # fmt: skip
    for name in ("eeg_ssl_map_getitems", "eeg_ssl_map_getitems_epoch2"):
        t = time.perf_counter()
        n = sum(len(xb) for xb, _ in loader)
        out[name] = n / (time.perf_counter() - t)

    X, _ = ds.load()
    perm = np.random.default_rng(seed).permutation(len(X))
    t = time.perf_counter()
    n = 0
    for i in range(0, len(X), batch_size):
        n += len(torch.from_numpy(X[perm[i : i + batch_size]]))
    out["numpy_in_memory"] = n / (time.perf_counter() - t)

    bd = load_concat_dataset(str(bd_dir), preload=False)
    loader = DataLoader(bd, batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))  # fmt: skip
    t = time.perf_counter()
    n = 0
    for batch in loader:
        n += len(batch[0])
    out["braindecode_lazy"] = n / (time.perf_counter() - t)
    return out


def run_chunk_study(files, out, batch_size, seed):
    """Write the same recordings with several chunkings/compressions; time write and read."""
    import os

    from torch.utils.data import DataLoader

    from eeg_ssl.data import ShardStream
    from eeg_ssl.io import Recipe, prepare

    recipe = Recipe(picks=("eeg",), l_freq=0.5, h_freq=40.0, sfreq=128.0, engine="fast")
    rows = []
    for chunk in (1, 16, 64, 256):
        for compression in (None, "lzf", "gzip"):
            folder = Path(out) / f"c{chunk}_{compression}"
            t = time.perf_counter()
            manifest = prepare(files, folder, recipe, chunk_windows=chunk,
                               compression=compression, verbose=False)  # fmt: skip
            write_s = time.perf_counter() - t
            size = sum(os.path.getsize(p) for p in folder.glob("*.h5"))
            stream = ShardStream(folder, batch_size=batch_size, random_state=seed)
            t = time.perf_counter()
            n = sum(len(xb) for xb, _ in DataLoader(stream, batch_size=None))
            read = n / (time.perf_counter() - t)
            rows.append(dict(chunk_windows=chunk, compression=str(compression),
                             prepare_s=round(write_s, 2), mb=round(size / 2**20, 1),
                             stream_windows_per_s=round(read), n=len(manifest)))  # fmt: skip
    return {"rows": rows}


def _sub(args):
    """Run one side in a fresh process; returns its JSON result."""
    res = subprocess.run([sys.executable, __file__, "--worker", json.dumps(args)],
                         capture_output=True, text=True, check=False)  # fmt: skip
    if res.returncode:
        raise SystemExit(res.stderr[-3000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/eegmmidb")
    )
    p.add_argument("--n-recordings", type=int, default=140)
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--engine", default="fast", choices=["fast", "mne"])
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--skip-double", action="store_true", help="skip the 2x-corpus RSS check")
    p.add_argument(
        "--chunk-study",
        action="store_true",
        help="only compare chunk sizes / compression (on the first 28 recordings)",
    )
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        job = json.loads(args.worker)
        kind = job.pop("kind")
        funcs = {"eeg_ssl": run_eeg_ssl, "braindecode": run_braindecode, "loaders": run_loaders,
                 "chunks": run_chunk_study}  # fmt: skip
        func = funcs[kind]
        print(json.dumps(func(**job)))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        files = replicate(args.data, tmp / "corpus", args.n_recordings)
        if args.chunk_study:
            res = _sub(dict(kind="chunks", files=files[:28], out=str(tmp / "chunks"),
                            batch_size=args.batch_size, seed=0))  # fmt: skip
            print("chunk_windows compression prepare_s size_MB stream_windows/s")
            for row in res["rows"]:
                print(f"{row['chunk_windows']:>13} {row['compression']:>11} {row['prepare_s']:>9} "
                      f"{row['mb']:>7} {row['stream_windows_per_s']:>16,}")  # fmt: skip
            return 0
        print(f"corpus: {len(files)} recordings (symlinks to {args.data}); n_jobs={args.n_jobs}, "
              f"engine={args.engine}")  # fmt: skip
        ours = _sub(dict(kind="eeg_ssl", files=files, out=str(tmp / "eeg"), n_jobs=args.n_jobs,
                         engine=args.engine))  # fmt: skip
        bd = _sub(dict(kind="braindecode", files=files, out=str(tmp / "bd"), n_jobs=args.n_jobs))
        for name, res in (("eeg-ssl prepare", ours), ("braindecode", bd)):
            print(f"{name:>16}: {res['windows']} windows in {res['seconds']:.1f} s = "
                  f"{res['windows'] / res['seconds']:.0f} windows/s; peak RSS main "
                  f"{res['peak_mb'][0]:.0f} MB, largest worker {res['peak_mb'][1]:.0f} MB")  # fmt: skip
        ratio = (ours["windows"] / ours["seconds"]) / (bd["windows"] / bd["seconds"])
        print(f"prepare speed-up vs braindecode: {ratio:.1f}x (target >= 5x)")
        if not args.skip_double:
            files2 = replicate(args.data, tmp / "corpus2", 2 * args.n_recordings)
            ours2 = _sub(dict(kind="eeg_ssl", files=files2, out=str(tmp / "eeg2"),
                              n_jobs=args.n_jobs, engine=args.engine))  # fmt: skip
            print(f"eeg-ssl prepare on {len(files2)} recordings: peak RSS main "
                  f"{ours2['peak_mb'][0]:.0f} MB (was {ours['peak_mb'][0]:.0f}), largest worker "
                  f"{ours2['peak_mb'][1]:.0f} MB (was {ours['peak_mb'][1]:.0f})")  # fmt: skip
        load = _sub(dict(kind="loaders", eeg_dir=str(tmp / "eeg"), bd_dir=str(tmp / "bd"),
                         batch_size=args.batch_size, seed=0))  # fmt: skip
        print(f"one shuffled pass, batch {args.batch_size} (windows/s):")
        for name, value in load.items():
            print(f"  {name:>28}: {value:,.0f}")
        print(f"stream vs braindecode lazy: {load['eeg_ssl_stream'] / load['braindecode_lazy']:.1f}x "
              f"(target >= 20x); stream vs in-memory gather: "
              f"{load['eeg_ssl_stream'] / load['numpy_in_memory']:.2f}x (target >= 0.5x); "
              f"epoch 2: {load['eeg_ssl_stream_epoch2'] / load['braindecode_lazy']:.1f}x and "
              f"{load['eeg_ssl_stream_epoch2'] / load['numpy_in_memory']:.2f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
