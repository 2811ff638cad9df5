"""Corpus-scale benchmark: prepare then stream simulated corpora of growing size.

For each size (``--hours``) a corpus of EDF files is written: ``--base`` distinct
recordings simulated by :func:`eeg_ssl.simulation.simulate_raw` (8 EEG channels at
``--sfreq``, ``--recording-seconds`` long, exported with MNE through edfio) and copied
(real files, not links) to reach ``hours * 3600 / recording_seconds`` recordings. Each
corpus is then prepared (``eeg_ssl.io.prepare``, n_jobs=1, default recipe engine,
band-pass 0.5-40 Hz, 128 Hz, 2 s windows) and streamed once (``ShardStream``, one
shuffled pass, batch 256), each in a fresh process, which reports its wall time, CPU
time and peak RSS. Printed per size: recordings, files written, hours, time, ms per
recording, windows/s, peak RSS; a flat curve means the cost per recording does not
grow with the corpus.

Run: python pipelines/bench_corpus.py --hours 5 20 50 100
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _usage():
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime, me.ru_maxrss / 1024


def write_corpus(out, n_recordings, *, recording_seconds, sfreq, n_base, seed=0):
    """Write ``n_recordings`` EDF files (``n_base`` simulated ones, then copies)."""
    import mne

    from eeg_ssl.simulation import simulate_raw

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    base = []
    for i in range(min(n_base, n_recordings)):
        raw = simulate_raw(i, duration=recording_seconds, sfreq=sfreq, random_state=seed + i)
        path = out / f"sub-{i:05d}_eeg.edf"
        mne.export.export_raw(path, raw, fmt="edf", overwrite=True, verbose="error")
        base.append(path)
    paths = list(base)
    for i in range(len(base), n_recordings):
        path = out / f"sub-{i:05d}_eeg.edf"
        shutil.copyfile(base[i % len(base)], path)
        paths.append(path)
    return [str(p) for p in paths]


def run_prepare(corpus, out):
    """Prepare every EDF file of ``corpus`` (fresh process); time, CPU, peak RSS."""
    from eeg_ssl.io import Recipe, prepare

    files = sorted(str(p) for p in Path(corpus).glob("*.edf"))
    recipe = Recipe(l_freq=0.5, h_freq=40.0, sfreq=128.0, window_seconds=2.0)
    # untimed warm-up on one recording (lazy imports, first calls), as in bench_data.py
    prepare(files[:1], f"{out}_warmup", recipe, verbose=False)
    shutil.rmtree(f"{out}_warmup")
    cpu0 = _usage()[0]
    t = time.perf_counter()
    # the run record, as the `eeg-ssl prepare` command: the window table is not loaded
    record = prepare(files, out, recipe, n_jobs=1, verbose=False, return_manifest=False)
    seconds = time.perf_counter() - t
    cpu, peak = _usage()
    n_files = sum(1 for _ in Path(out).iterdir())
    size = sum(p.stat().st_size for p in Path(out).iterdir())
    return dict(recordings=len(files), windows=record["n_windows"], seconds=seconds,
                cpu_seconds=cpu - cpu0, peak_mb=peak, files=n_files, mb=size / 2**20,
                engine=recipe.engine)  # fmt: skip


def run_stream(folder, batch_size=256, seed=0):
    """One shuffled pass of ``ShardStream`` over a prepared folder (fresh process)."""
    from torch.utils.data import DataLoader

    from eeg_ssl.data import ShardStream

    cpu0 = _usage()[0]
    t = time.perf_counter()
    stream = ShardStream(folder, batch_size=batch_size, random_state=seed)
    n = sum(len(xb) for xb, _ in DataLoader(stream, batch_size=None))
    seconds = time.perf_counter() - t
    cpu, peak = _usage()
    return dict(windows=n, seconds=seconds, cpu_seconds=cpu - cpu0, peak_mb=peak)


def _sub(job):
    res = subprocess.run([sys.executable, __file__, "--worker", json.dumps(job)],
                         capture_output=True, text=True, check=False)  # fmt: skip
    if res.returncode:
        raise SystemExit(res.stderr[-3000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def _load():
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--hours", type=float, nargs="+", default=[5, 20, 50, 100],
                   help="corpus sizes in hours of recording")  # fmt: skip
    p.add_argument("--recording-seconds", type=float, default=180.0,
                   help="length of each recording (100 h = 2,000 recordings of 180 s)")  # fmt: skip
    p.add_argument("--sfreq", type=float, default=256.0, help="sampling rate of the EDF files")
    p.add_argument("--base", type=int, default=16, help="distinct simulated recordings")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--tmp", default=None, help="folder for the corpora (default: system temp)")
    p.add_argument("--keep", action="store_true", help="keep each corpus and prepared folder")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        job = json.loads(args.worker)
        kind = job.pop("kind")
        print(json.dumps({"prepare": run_prepare, "stream": run_stream}[kind](**job)))
        return 0

    print(f"{os.cpu_count()} CPUs; load average before: {_load()}")
    print(f"recordings of {args.recording_seconds:g} s, 8 EEG channels at {args.sfreq:g} Hz, "
          f"EDF ({args.base} simulated, the rest copies); prepare n_jobs=1 (0.5-40 Hz, 128 Hz, "
          f"2 s windows), then one shuffled ShardStream pass (batch {args.batch_size})")  # fmt: skip
    header = (f"{'hours':>6} {'recs':>6} {'files':>6} {'windows':>8} | {'prepare s':>9} "
              f"{'ms/rec':>7} {'win/s':>7} {'RSS MB':>6} | {'stream s':>8} {'win/s':>8} "
              f"{'RSS MB':>6} | load")  # fmt: skip
    rows = []
    # --keep: a folder that outlives the run (a TemporaryDirectory would remove it)
    keep_dir = tempfile.mkdtemp(prefix="bench_corpus_", dir=args.tmp) if args.keep else None
    if keep_dir:
        folder = contextlib.nullcontext(keep_dir)
    else:
        folder = tempfile.TemporaryDirectory(dir=args.tmp)
    with folder as tmp:
        for hours in args.hours:
            n = max(1, int(round(hours * 3600 / args.recording_seconds)))
            corpus, out = Path(tmp) / f"corpus_{hours:g}h", Path(tmp) / f"prepared_{hours:g}h"
            t = time.perf_counter()
            write_corpus(corpus, n, recording_seconds=args.recording_seconds, sfreq=args.sfreq,
                         n_base=args.base)  # fmt: skip
            write_s = time.perf_counter() - t
            prep = _sub(dict(kind="prepare", corpus=str(corpus), out=str(out)))
            stream = _sub(dict(kind="stream", folder=str(out), batch_size=args.batch_size))
            real_hours = n * args.recording_seconds / 3600
            row = dict(hours=real_hours, write_s=write_s, prepare=prep, stream=stream,
                       load=_load())  # fmt: skip
            rows.append(row)
            if len(rows) == 1:
                print(f"engine={prep['engine']}")
                print(header)
            print(f"{real_hours:6.1f} {n:6d} {prep['files']:6d} {prep['windows']:8d} | "
                  f"{prep['seconds']:9.1f} {1e3 * prep['seconds'] / n:7.1f} "
                  f"{prep['windows'] / prep['seconds']:7.0f} {prep['peak_mb']:6.0f} | "
                  f"{stream['seconds']:8.1f} {stream['windows'] / stream['seconds']:8.0f} "
                  f"{stream['peak_mb']:6.0f} | {row['load']}", flush=True)  # fmt: skip
            if stream["windows"] != prep["windows"]:
                raise SystemExit(f"the stream gave {stream['windows']} windows of "
                                 f"{prep['windows']}")  # fmt: skip
            if not args.keep:
                shutil.rmtree(corpus)
                shutil.rmtree(out)
    if len(rows) > 1:
        per_rec = [1e3 * r["prepare"]["seconds"] / r["prepare"]["recordings"] for r in rows]
        print(f"prepare ms per recording from the smallest to the largest corpus: "
              f"{per_rec[0]:.1f} -> {per_rec[-1]:.1f} ({per_rec[-1] / per_rec[0]:.2f}x); "
              f"peak RSS {rows[0]['prepare']['peak_mb']:.0f} -> "
              f"{rows[-1]['prepare']['peak_mb']:.0f} MB")  # fmt: skip
    if keep_dir:
        print(f"corpora and prepared folders kept in {keep_dir}")
    print(f"load average after: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
