"""Keeping freed heap memory in a process that handles one recording after another."""

from __future__ import annotations

import ctypes
import sys

# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
DEFAULT_RETAIN_BYTES = 256 << 20


def retain_freed_memory(max_bytes=DEFAULT_RETAIN_BYTES):
    """Let glibc's ``malloc`` reuse freed blocks instead of returning them to the system.

    Preparing a recording allocates a few arrays of several MB (MNE's samples, the
    FFT buffers, the windows) and frees them before the next recording. By default
    glibc serves such blocks with ``mmap`` or trims them off the heap when freed, so
    the next recording's arrays are fresh pages that the kernel must fault in and zero
    (with this setting ``prepare`` ran 1.23x faster in one process on 140 eegmmidb
    recordings, ``docs/benchmarks.md``). With both
    thresholds at ``max_bytes``, blocks up to that size come from the heap, and up to
    ``max_bytes`` of free heap is kept for reuse. Peak memory is unchanged (it is one
    recording's working set either way); the process keeps that much after it is done.

    The setting is process-wide and lasts until the process exits, so eeg-ssl applies it
    only in processes it owns: the ``eeg-ssl prepare`` command and ``prepare``'s worker
    processes (``n_jobs > 1``). Call it yourself before ``prepare(..., n_jobs=1)`` in a
    script that does nothing else. Hand-written because neither Python nor NumPy exposes
    the allocator's thresholds.

    Parameters
    ----------
    max_bytes : int
        Largest block served from (and free memory kept on) the heap, in bytes.

    Returns
    -------
    applied : bool
        ``False`` where there is no glibc ``mallopt`` (macOS, Windows, musl): nothing
        is changed there.
    """
    max_bytes = int(max_bytes)
    if max_bytes <= 0:
        raise ValueError(f"'max_bytes' must be a positive number of bytes; got {max_bytes}.")
    libc = _glibc()  # musl's mallopt does nothing
    if libc is None:
        return False
    mallopt = libc.mallopt
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    value = min(max_bytes, 2**31 - 1)
    # mallopt returns 1 on success; the mmap threshold first: once set, glibc stops
    # adjusting both thresholds by itself
    return bool(mallopt(_M_MMAP_THRESHOLD, value)) and bool(mallopt(_M_TRIM_THRESHOLD, value))


def _glibc():
    """The process's glibc, or ``None`` (not Linux, or another C library)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)  # the C library this process already uses
    except OSError:
        return None
    names = ("gnu_get_libc_version", "mallopt", "malloc_trim")
    if not all(hasattr(libc, name) for name in names):
        return None
    return libc


def release_freed_memory():
    """Give the heap's free memory back to the system (glibc's ``malloc_trim``).

    Reading a large manifest frees tens of bytes per window of parser buffers; glibc
    keeps most of them on the heap (measured with an index of 33 bytes per window, 1 M
    windows, ``pipelines/bench_index.py``: resident memory 54-60 bytes per window before
    this call, 33 after). Takes a few ms. A no-op where there is no glibc.
    Hand-written because neither Python nor NumPy exposes the allocator.

    Returns
    -------
    released : bool
        Whether memory was given back (``False`` also where there is no glibc).
    """
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    return bool(libc.malloc_trim(0))


__all__ = ["DEFAULT_RETAIN_BYTES", "release_freed_memory", "retain_freed_memory"]
