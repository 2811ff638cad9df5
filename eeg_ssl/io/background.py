"""Work a preparation runs beside the recordings: background commits, hashing, workers.

Split from :mod:`eeg_ssl.io.prepare`. Each process that writes shards (the caller with
``n_jobs=1``, or each worker process) has its own one-thread executors, created on first
use and joined at interpreter exit.
"""

from __future__ import annotations

import collections
import os

from ..utils import retain_freed_memory
from .shards import commit_files

# Background commits: a shard's fsync (waiting for the disk, ~5-10 ms per recording here)
# runs in one thread of the process that wrote it, while the process computes the next
# recording. The thread commits every shard queued since its last commit at once (one
# file-system sync, then the renames: shards.commit_files), so a slow disk batches them;
# each shard still gets its own task, so a worker's exit still waits for all of them.
# Hand-written because neither h5py nor concurrent.futures defers a file's sync. The
# invariant is unchanged: a shard appears under its name only once it is on disk; a
# killed run leaves temporary files, which the next run deletes and redoes.
# ThreadPoolExecutor threads are joined at interpreter exit, also in the pool's worker
# processes (multiprocessing calls threading._shutdown), so every commit a worker queued
# is done once the worker pool has shut down.
_COMMITS = {}  # pid -> (list of pending futures, deque of (tmp, path))


def _commit_in_background(tmp, path):
    pid = os.getpid()
    if pid not in _COMMITS:  # a forked worker has its own queue (and thread, _thread)
        _COMMITS.clear()
        _COMMITS[pid] = ([], collections.deque())
    pending, queue = _COMMITS[pid]
    queue.append((tmp, path))
    pending.append(_thread("commit").submit(_commit_queued, queue))


# The SHA-256 of a new shard's source file (1.8 ms for a 2.5 MB EDF file, 7 % of a
# recording's time on the 140-recording benchmark) runs in a thread beside the read and
# the filtering: hashlib and file reads release the GIL. Same bytes, same digest; only
# the wall time changes (measured in docs/benchmarks.md).
_THREADS = {}  # (pid, name) -> ThreadPoolExecutor of one thread


def _thread(name):
    """This process's one-thread executor ``name`` (a forked worker gets its own)."""
    from concurrent.futures import ThreadPoolExecutor

    key = (os.getpid(), name)
    if key not in _THREADS:
        _THREADS[key] = ThreadPoolExecutor(1, thread_name_prefix=f"eeg-ssl-{name}")
    return _THREADS[key]


def _in_background(name, func):
    return _thread(name).submit(func)


def _commit_queued(queue):
    """Commit what is queued now (none left: an earlier task took this shard with its own)."""
    batch = []
    while queue:
        batch.append(queue.popleft())
    if batch:
        commit_files(batch)


def _wait_for_commits():
    """Wait for this process's pending commits; re-raise the first failure."""
    pending, _ = _COMMITS.get(os.getpid(), ([], None))
    errors = []
    while pending:
        error = pending.pop(0).exception()
        if error is not None:
            errors.append(error)
    if errors:
        raise errors[0]


def _parallel_map(func, items, n_jobs, kwargs):
    """``func(item, **kwargs)`` over items in worker processes, results in input order.

    Hand-written on ``concurrent.futures`` rather than joblib: with the ``fork`` start
    method (POSIX) workers start instantly, without re-importing torch/MNE per worker.
    """
    import functools
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    n_jobs = os.cpu_count() or 1 if n_jobs in (-1, None) else int(n_jobs)
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    # the workers are eeg-ssl's own processes, which exit at the end: they keep freed
    # arrays for their next recording (see retain_freed_memory)
    with ProcessPoolExecutor(max_workers=n_jobs, mp_context=context,
                             initializer=retain_freed_memory) as pool:  # fmt: skip
        yield from pool.map(functools.partial(func, **kwargs), items)
