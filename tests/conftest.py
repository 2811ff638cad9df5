"""Shared fixtures: the real recordings in ../shared/data and the project's sample data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _shared_data_dir():
    env = os.environ.get("EEG_SSL_SHARED_DATA")
    if env:
        return Path(env)
    return ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data():
    """Path of ``../shared/data`` (real recordings); skips the test when absent."""
    path = _shared_data_dir()
    if not (path / "README.md").exists():
        pytest.skip(
            f"Real recordings not found at {path}; set EEG_SSL_SHARED_DATA to the folder "
            f"holding eegmat/, eegmmidb/, ... to run this test."
        )
    return path


@pytest.fixture(scope="session")
def sample_dir():
    """The project's simulated ``sample_data/`` folder."""
    path = ROOT / "sample_data"
    if not sorted(path.glob("*.edf")):
        pytest.fail(f"No EDF files in {path}; regenerate them (see sample_data/README.md).")
    return path


@pytest.fixture
def sim_windows():
    """Small simulated labelled windows: X (32, 8, 256) in uV, y, groups (4 subjects)."""
    from eeg_ssl.simulation import simulate_windows

    return simulate_windows(32, 8, 256, n_subjects=4, random_state=0)


@pytest.fixture(scope="module")
def one_torch_thread():
    """torch at one thread for a test module (many small models: threads cost more than
    they give on a shared machine), restored after it."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture
def restore_threads(monkeypatch):
    """``--threads N`` sets torch's pools and OMP_NUM_THREADS & co: undo it after each test."""
    import torch

    from eeg_ssl.utils.threads import _THREAD_ENV

    for name in _THREAD_ENV:  # restored (or removed) by monkeypatch at teardown
        monkeypatch.setenv(name, os.environ.get(name, ""))
        if not os.environ[name]:
            monkeypatch.delenv(name)
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)
