"""Running benchmark splits: the resume store and the worker processes.

Split from :mod:`eeg_ssl.evaluation.benchmark_runner` (which re-exports these names):
each finished split is kept as one JSON file, so an interrupted run resumes.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.connection
import time
from pathlib import Path

import pandas as pd

from eeg_ssl.io.manifest import atomic_write_text


class _SplitStore:
    """One JSON file per finished split, so an interrupted benchmark resumes.

    A split's three tables and the fingerprint of the config and data they came from
    go into ``splits/split-{i}.json`` (written atomically). Values are kept exactly
    (JSON numbers round-trip), and so are column types: subject ids such as ``"01"``
    stay strings, which they would not through a CSV.
    """

    def __init__(self, folder, fingerprint, *, restart=False):
        self.folder = Path(folder)
        self.fingerprint = fingerprint
        if restart:
            for path in self.folder.glob("split-*.json"):
                path.unlink()

    def path(self, i):
        return self.folder / f"split-{i}.json"

    def load(self, i):
        """The split's ``(scores, timings, invariance)``, or None if it has not finished.

        A split stored by another config, other windows, other eeg-ssl source or other
        package versions is an error (the runner loads every split before computing any).
        """
        path = self.path(i)
        if not path.exists():
            return None
        stored = json.loads(path.read_text())
        if stored.get("fingerprint") != self.fingerprint:
            raise ValueError(
                f"{str(path)!r} holds the results of another config, other windows, other "
                f"eeg-ssl source or other package versions. Pass --restart to discard the "
                f"finished splits in {str(self.folder)!r}, or --out to write this run "
                f"elsewhere."
            )
        return tuple(pd.DataFrame(stored[name]["data"], columns=stored[name]["columns"])
                     .astype(stored[name]["dtypes"])
                     for name in ("scores", "timings", "invariance"))  # fmt: skip

    def save(self, i, scores, timings, invariance):
        self.folder.mkdir(parents=True, exist_ok=True)
        stored = dict(fingerprint=self.fingerprint)
        for name, frame in (("scores", scores), ("timings", timings), ("invariance", invariance)):
            stored[name] = dict(columns=list(frame.columns), data=frame.to_numpy().tolist(),
                                dtypes={c: str(t) for c, t in frame.dtypes.items()})  # fmt: skip
        atomic_write_text(self.path(i), json.dumps(stored))


def _split_process(job, folder, fingerprint, threads, runner=None):
    """Body of a worker process: run one split and store it (read back by the parent).

    ``runner(job)`` returns ``(i, (scores, timings, invariance), ...)``; default the
    benchmark runner's ``_run_split`` (the suite's tasks pass their fold runner).
    """
    import torch
    from threadpoolctl import threadpool_limits

    if runner is None:
        # the split itself stays in benchmark_runner, where tests patch benchmark_split
        from .benchmark_runner import _run_split as runner

    # as many threads per worker for torch as for numpy's BLAS (Riemann, probes): with
    # BLAS's default of one per core, the workers oversubscribe the cores
    torch.set_num_threads(threads)
    with threadpool_limits(threads):
        i, tables = runner(job)[:2]
    _SplitStore(folder, fingerprint).save(i, *tables)


def _run_in_processes(jobs, n_jobs, store, threads, on_finished, runner=None):
    """Run ``jobs`` (``(i, job)`` pairs), ``n_jobs`` at a time, one process each.

    Hand-written rather than a pool: each worker stores its split itself, so nothing
    large goes back through a pipe, and on Ctrl-C or a failure the running workers are
    terminated at once. (concurrent.futures lets running splits, and one queued split,
    run to their end; multiprocessing's Pool can hang in terminate() while its feeder
    thread is blocked on a full pipe to a dead worker.)
    """
    # spawn: fresh interpreters (forking a process whose torch thread pools have
    # started can deadlock)
    context = multiprocessing.get_context("spawn")
    jobs, running = iter(jobs), {}
    try:
        while True:
            while len(running) < n_jobs:
                item = next(jobs, None)
                if item is None:
                    break
                process = context.Process(target=_split_process,
                                          args=(item, store.folder, store.fingerprint, threads,
                                                runner))  # fmt: skip
                process.start()
                running[process.sentinel] = (item[0], process, time.perf_counter())
            if not running:
                return
            for sentinel in multiprocessing.connection.wait(list(running)):
                i, process, started = running.pop(sentinel)
                process.join()
                if process.exitcode != 0:
                    raise RuntimeError(
                        f"Split {i + 1} failed in its worker process (exit code "
                        f"{process.exitcode}; its error is printed above). The finished "
                        f"splits are kept: run the same command again to resume."
                    )
                on_finished(i, store.load(i), time.perf_counter() - started)
    finally:
        for _, process, _ in running.values():
            process.terminate()
        for _, process, _ in running.values():
            process.join()
