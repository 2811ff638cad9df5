"""The scaling-curve script on tiny simulated prepared folders (seconds)."""

import importlib.util
from pathlib import Path

import mne
import numpy as np
import pandas as pd
import pytest

from eeg_ssl.io import Recipe, prepare
from eeg_ssl.io.sources import file_recordings

# pipelines/ is not an import package: load the script by its path
_path = Path(__file__).resolve().parents[2] / "pipelines" / "scaling_curve.py"
_spec = importlib.util.spec_from_file_location("scaling_curve", _path)
_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_script)


def _prepared(folder, names, *, subjects, labels, seconds, window_seconds, seed):
    """A prepared folder of simulated recordings (``<subject>_<label>.fif``)."""
    rng = np.random.default_rng(seed)
    raw_dir = folder.parent / f"{folder.name}-raw"
    raw_dir.mkdir(parents=True)
    for subject in subjects:
        for label in labels:
            data = rng.standard_normal((len(names), int(seconds * 128))) * 1e-5
            raw = mne.io.RawArray(data, mne.create_info(names, 128.0, "eeg"), verbose="error")
            raw.save(raw_dir / f"{subject}_{label}_raw.fif", verbose="error")
    rules = {"subject": r"(S\d+)_"}
    recipe = {"picks": ["eeg"], "sfreq": 128.0, "units": "uV", "window_seconds": window_seconds}
    if len(labels) > 1:
        rules["label"] = r"_(\d)_raw"
        recipe.update(label_source="recording", label_map={"1": "rest", "2": "task"})
    recordings = file_recordings([str(raw_dir / "*.fif")], path_rules=rules)
    prepare(recordings, folder, Recipe.from_dict(recipe), verbose=False)
    return folder


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("scaling")
    subjects = ["S01", "S02", "S03", "S04"]
    # the labelled task (2-s windows) and its own dataset in the corpus (4-s windows)
    _prepared(root / "prepared" / "eegmat", ["Fz", "Cz", "Pz"], subjects=subjects,
              labels=["1", "2"], seconds=16, window_seconds=2.0, seed=0)  # fmt: skip
    _prepared(root / "corpus" / "eegmat", ["Fz", "Cz", "Pz"], subjects=subjects[:2],
              labels=["0"], seconds=16, window_seconds=4.0, seed=1)  # fmt: skip
    _prepared(root / "corpus" / "bonn", ["Cz"], subjects=subjects[:2], labels=["0"],
              seconds=40, window_seconds=4.0, seed=2)  # fmt: skip
    _prepared(root / "corpus" / "muse-cueing", ["Fz", "Pz"], subjects=subjects[:2],
              labels=["0"], seconds=40, window_seconds=4.0, seed=3)  # fmt: skip
    return root


def test_nested_subsets__each_size_holds_the_smaller_ones():
    small, middle, everything = _script.nested_subsets(50, [5, 20, None], random_state=0)
    assert len(small) == 5 and len(middle) == 20 and len(everything) == 50
    assert set(small) <= set(middle) <= set(everything) == set(range(50))
    again = _script.nested_subsets(50, [5], random_state=0)[0]
    assert np.array_equal(again, small)  # same seed, same subset


def test_corpus_without__leaves_out_the_task_dataset(folders):
    corpus = _script.corpus_without("eegmat", folders / "corpus")
    assert sorted(corpus) == ["bonn", "muse-cueing"]  # eegmat left out, absent sets skipped


def test_main__quick_writes_one_gain_per_size_and_fraction(folders, tmp_path):
    out, png = tmp_path / "out", tmp_path / "images" / "scaling-curve.png"
    argv = ["--quick", "--tasks", "eegmat", "--hours", "0.005", "all", "--passes", "1",
            "--batch-size", "8", "--prepared", str(folders / "prepared"),
            "--corpus", str(folders / "corpus"), "--out", str(out), "--png", str(png)]  # fmt: skip
    assert _script.main(argv) == 0
    table = pd.read_csv(out / "scaling.csv")
    assert sorted(set(table["fraction"])) == [0.1, 1.0]
    # 0.005 h = 9 windows of 2 s; all = bonn + muse-cueing: 2 x (10 + 10) 4-s windows
    assert sorted(set(table["windows"])) == [9, 40]
    assert np.allclose(sorted(set(table["hours"])), [9 * 2 / 3600, 40 * 2 / 3600])
    assert (table["gain_n"] == 4).all()  # paired over the 4 held-out subjects
    assert np.allclose(table["gain_diff"], table["pretrained"] - table["random_weights"])
    assert png.stat().st_size > 0 and (out / "scaling.png").exists()


def test_main__missing_folders_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="--prepared"):
        _script.main(["--quick", "--tasks", "eegmat", "--prepared", str(tmp_path),
                      "--corpus", str(tmp_path)])  # fmt: skip


def test_main__pretrain_seeds_are_averaged_into_one_row_per_size(folders, tmp_path):
    argv = ["--quick", "--tasks", "eegmat", "--hours", "0.005", "--passes", "1",
            "--batch-size", "8", "--prepared", str(folders / "prepared"),
            "--corpus", str(folders / "corpus"), "--png", str(tmp_path / "c.png")]  # fmt: skip
    assert _script.main([*argv, "--out", str(tmp_path / "one")]) == 0
    assert _script.main([*argv, "--out", str(tmp_path / "two"), "--pretrain-seeds", "2"]) == 0
    one = pd.read_csv(tmp_path / "one" / "scaling.csv")
    two = pd.read_csv(tmp_path / "two" / "scaling.csv")
    assert len(two) == len(one) == 2 and (two["pretrain_seeds"] == 2).all()
    assert (two["gain_n"] == 4).all() and "#" not in "".join(two["model"])
    assert np.allclose(two["gain_diff"], two["pretrained"] - two["random_weights"])
    # seed 1's encoders enter the means: the scores differ from seed 0's alone
    assert not np.allclose(two["random_weights"], one["random_weights"])
