"""One ``threads`` setting for torch, BLAS and OpenMP (``eeg-ssl --threads N``)."""

from __future__ import annotations

import os
import sys

from .logs import logger

# OpenMP and BLAS libraries read these when they load: set before torch/scipy import
_THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")  # fmt: skip


def set_threads(n_threads, *, torch=False):
    """Use at most ``n_threads`` threads for torch, BLAS and OpenMP in this process.

    On a shared or loaded CPU one thread per process is often faster than the default
    of one per core (the threads then contend for the same cores).

    Parameters
    ----------
    n_threads : int | None
        ``None`` keeps every library's default.
    torch : bool
        Also import torch now and set its intra-op and inter-op pools. Without it,
        torch (if imported later) starts with ``OMP_NUM_THREADS`` intra-op threads.

    Returns
    -------
    n_threads : int | None
    """
    if n_threads is None:
        return None
    if isinstance(n_threads, bool) or not isinstance(n_threads, int) or n_threads < 1:
        raise ValueError(
            f"Invalid value for 'threads': allowed a whole number >= 1 (or None for the "
            f"libraries' defaults); got {n_threads!r}."
        )
    for name in _THREAD_ENV:  # libraries loaded later, and child processes
        os.environ[name] = str(n_threads)
    try:  # BLAS/OpenMP libraries already loaded (numpy's OpenBLAS, ...)
        from threadpoolctl import threadpool_limits

        threadpool_limits(n_threads)
    except ImportError:  # pragma: no cover - scikit-learn depends on threadpoolctl
        pass
    if torch or "torch" in sys.modules:
        import torch as _torch

        _torch.set_num_threads(n_threads)
        try:
            _torch.set_num_interop_threads(n_threads)
        except RuntimeError:  # allowed once, before any inter-op work started
            logger.debug("torch's inter-op threads were already started; left as they are")
    return n_threads


__all__ = ["set_threads"]
