"""eeg_ssl.utils.threads.set_threads: one setting for torch, BLAS and OpenMP."""

import os

import pytest

from eeg_ssl.utils.threads import set_threads


def test_set_threads__torch_blas_and_env(monkeypatch):
    import torch
    from threadpoolctl import threadpool_info, threadpool_limits

    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.setenv(name, "7")
    before = torch.get_num_threads()
    with threadpool_limits(None):  # restores BLAS pools on exit
        try:
            assert set_threads(1, torch=True) == 1
            assert torch.get_num_threads() == 1
            assert os.environ["OMP_NUM_THREADS"] == "1"
            assert all(pool["num_threads"] == 1 for pool in threadpool_info())
        finally:
            torch.set_num_threads(before)


def test_set_threads__none_keeps_defaults_and_bad_values_are_named(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert set_threads(None) is None and os.environ["OMP_NUM_THREADS"] == "3"
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ValueError, match="Invalid value for 'threads'"):
            set_threads(bad)
