"""eeg_ssl.load_windows: a prepared folder as X, y (label names), groups (subjects)."""

import numpy as np
import pytest

import eeg_ssl


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, sample_dir):
    from eeg_ssl.io import prepare

    out = tmp_path_factory.mktemp("arrays")
    prepare(str(sample_dir / "sub-0[12]_*.edf"), out, {"sfreq": 64.0, "h_freq": 30.0,
            "label_source": "annotations"}, subject_pattern="sub-([^_]+)",
            verbose=False)  # fmt: skip
    return out


def test_load_windows__sklearn_arrays_with_label_names(prepared):
    X, y, groups = eeg_ssl.load_windows(prepared)
    assert X.shape == (100, 8, 128) and X.dtype == np.float32
    assert set(y) == {"rest", "task"} and set(groups) == {"01", "02"}
    X1, y1, g1 = eeg_ssl.load_windows(prepared, subjects=["02"])
    assert set(g1) == {"02"} and len(X1) == 50
    np.testing.assert_array_equal(X1, X[groups == "02"])


def test_load_windows__group_cross_validation(prepared):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, cross_val_score

    X, y, groups = eeg_ssl.load_windows(prepared)
    features = np.log(X.var(axis=-1))  # (n_windows, n_chans) log-power
    scores = cross_val_score(LogisticRegression(), features, y, groups=groups, cv=GroupKFold(2))
    assert scores.shape == (2,)


def test_load_windows__unlabelled_folder_says_how(tmp_path, sample_dir):
    from eeg_ssl.io import prepare

    prepare(str(sample_dir / "sub-01_*.edf"), tmp_path, {"sfreq": 64.0, "h_freq": 30.0},
            verbose=False)  # fmt: skip
    with pytest.raises(ValueError, match="label_source"):
        eeg_ssl.load_windows(tmp_path)
    X, y, _ = eeg_ssl.load_windows(tmp_path, labelled_only=False)
    assert len(X) == 50 and set(y) == {""}


def test_load_windows__exported_without_importing_torch():
    import subprocess
    import sys

    code = ("import sys, eeg_ssl; assert 'load_windows' in dir(eeg_ssl); "
            "print('torch' in sys.modules)")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)  # fmt: skip
    assert result.stdout.strip() == "False"
