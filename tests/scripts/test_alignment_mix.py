"""The alignment class-mix study: calibration masks, alignment by calibration windows."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from eeg_ssl.io import Recipe, prepare
from eeg_ssl.transforms import euclidean_alignment

# pipelines/ is not an import package: load the script by its path
_path = Path(__file__).resolve().parents[2] / "pipelines" / "alignment_mix.py"
_spec = importlib.util.spec_from_file_location("alignment_mix", _path)
_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_script)
_align, _calibration, main = _script._align, _script._calibration, _script.main


def _labelled(seed=0):
    rng = np.random.default_rng(seed)
    groups = np.repeat(["S1", "S2", "S3"], 30)
    y = np.tile(np.r_[np.zeros(22, int), np.ones(8, int)], 3)  # 22 / 8 per subject
    X = rng.normal(size=(90, 4, 64)).astype(np.float32) * (1 + y[:, None, None])
    return X, y, groups


def test_calibration__masks_each_mix():
    X, y, groups = _labelled()
    rng = np.random.default_rng(0)
    assert _calibration("all", y, groups, ["rest", "task"], rng).all()
    only = _calibration("only-task", y, groups, ["rest", "task"], rng)
    np.testing.assert_array_equal(only, y == 1)
    balanced = _calibration("balanced", y, groups, ["rest", "task"], rng)
    for subject in np.unique(groups):
        in_subject = balanced & (groups == subject)
        assert np.bincount(y[in_subject]).tolist() == [8, 8]


def test_align__by_all_windows_is_euclidean_alignment_and_calibration_matters():
    X, y, groups = _labelled()
    np.testing.assert_allclose(_align(X, groups, "euclid"), euclidean_alignment(X, groups),
                               rtol=1e-5, atol=1e-5)  # fmt: skip
    by_rest = _align(X, groups, "euclid", calibration=y == 0)
    by_task = _align(X, groups, "euclid", calibration=y == 1)
    # the louder task windows: aligned by rest they stay louder than aligned by task
    assert np.abs(by_rest[y == 1]).mean() > 1.5 * np.abs(by_task[y == 1]).mean()


def test_main__prints_every_setting(tmp_path, sample_dir, capsys):
    files = sorted(sample_dir.glob("sub-0[1-4]_*.edf"))
    recipe = Recipe(picks=["eeg"], l_freq=1.0, h_freq=30.0, sfreq=64.0, window_seconds=2.0,
                    label_source="annotations")  # fmt: skip
    prepare(files, tmp_path / "prepared", recipe, subject_pattern="sub-([^_]+)", verbose=False)
    main([str(tmp_path / "prepared"), "--repeats", "1", "--n-splits", "2",
          "--metrics", "euclid"])  # fmt: skip
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| Riemann |")]
    settings = [row.split("|")[3].strip() for row in rows]
    assert settings[:3] == ["none", "all", "balanced"]
    assert all(s.startswith("only-") for s in settings[3:]) and len(settings) >= 5
    for row in rows:
        assert 0.0 <= float(row.split("|")[4]) <= 1.0


def test_main__bad_arguments_are_refused(tmp_path, capsys):
    for bad in (["--repeats", "0"], ["--n-splits", "1"]):
        with pytest.raises(SystemExit):
            main([str(tmp_path), *bad])
        assert "--repeats must be >= 1 and --n-splits >= 2" in capsys.readouterr().err


def test_align__a_subject_without_calibration_windows_is_named():
    X, y, groups = _labelled()
    with pytest.raises(ValueError, match="Subject 'S1' has no windows of this calibration"):
        _align(X, groups, "euclid", calibration=groups != "S1")
