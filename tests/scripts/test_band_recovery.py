"""The band-recovery script (issue 18.7) on simulated windows (seconds)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from eeg_ssl.simulation import simulate_windows

# pipelines/ is not an import package: load the script by its path
_path = Path(__file__).resolve().parents[2] / "pipelines" / "band_recovery.py"
_spec = importlib.util.spec_from_file_location("band_recovery", _path)
_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_script)


def test_band_recovery__features_that_hold_the_power_recover_it():
    rng = np.random.default_rng(0)
    power = rng.standard_normal((120, 3, 4))
    groups = np.repeat(np.arange(6), 20)
    train, test = groups < 4, groups >= 4
    exact = power.reshape(120, -1)
    r2 = _script.band_recovery(exact[train], power[train], groups[train], exact[test],
                               power[test])  # fmt: skip
    assert r2.shape == (4,) and np.all(r2 > 0.99)
    noise = rng.standard_normal((120, 12))
    r2 = _script.band_recovery(noise[train], power[train], groups[train], noise[test],
                               power[test])  # fmt: skip
    assert np.all(r2 < 0.2)  # nothing to recover from unrelated features
    # a held-out subject's offset does not count, only the variation within each subject
    offset = power + 5.0 * groups[:, None, None]
    args = (exact[train], power[train], groups[train], exact[test], offset[test])
    assert np.all(_script.band_recovery(*args, groups[test]) > 0.99)
    assert np.all(_script.band_recovery(*args) < 0.5)  # one group: the offsets count


@pytest.mark.usefixtures("one_torch_thread")
def test_task_rows__one_row_per_fold_and_band_and_a_paired_summary():
    X, _, g = simulate_windows(48, 4, 128, sfreq=64.0, n_subjects=4, random_state=0)
    rows = _script.task_rows("sim", X, g, 64.0, n_splits=2,
                             pretrain={"epochs": 1, "batch_size": 16},
                             encoder_params={"n_outputs": 8, "n_filters": 4, "n_blocks": 2})  # fmt: skip
    bands = [b for b in _script.BANDS if b[1] <= 32]  # up to Nyquist at 64 Hz
    assert len(rows) == 2 * len(bands) and set(rows["fold"]) == {0, 1}
    summary = _script.summarise(rows)
    assert len(summary) == len(bands) and (summary["folds"] == 2).all()
    assert np.allclose(summary["change"], summary["pretrained"] - summary["random_weights"])
