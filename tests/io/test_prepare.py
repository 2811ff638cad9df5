"""``prepare``: equality with MNE, manifest, resume, and bad input."""

import os

import mne
import numpy as np
import pandas as pd
import pytest

from eeg_ssl.io import Recipe, prepare, read_manifest, read_record, read_shard
from eeg_ssl.simulation import simulate_raw

S001_RECIPE = dict(
    picks=["eeg"], l_freq=0.5, h_freq=40.0, sfreq=128.0, units="uV", window_seconds=2.0
)


def test_prepare__eegmmidb_equals_mne(shared_data, tmp_path):
    """Windows equal, to float32 precision, what MNE gives with the same recipe."""
    paths = sorted((shared_data / "eegmmidb" / "S001").glob("*R0[1-3].edf"))
    # engine="mne" (MNE's own steps); the default engine is held to its stated tolerance
    # against MNE in tests/io/test_filtering.py
    recipe = Recipe(**S001_RECIPE, engine="mne")
    manifest = prepare(paths, tmp_path, recipe)
    assert manifest["shard"].nunique() == len(paths)
    for path in paths:
        raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
        raw.pick("eeg").filter(0.5, 40.0, verbose="error").resample(128.0, verbose="error")
        epochs = mne.make_fixed_length_epochs(raw, duration=2.0, preload=True, verbose="error")
        expected = epochs.get_data(units="uV").astype(np.float32)
        shard = next(
            s for s in read_manifest(tmp_path)["shard"].unique() if s.startswith(path.stem)
        )
        windows, info = read_shard(tmp_path / shard)
        assert windows.shape == expected.shape
        np.testing.assert_allclose(windows, expected, rtol=1e-6, atol=1e-4)  # uV; float32
        assert info["ch_names"] == raw.ch_names
        assert info["sfreq"] == 128.0


def _sim_edf(tmp_path, name="sub-01_eeg.edf", duration=30.0, **kw):
    raw = simulate_raw(0, duration=duration, random_state=0, **kw)
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / name
    mne.export.export_raw(path, raw, fmt="edf", overwrite=True, verbose="error")
    return path


def test_prepare__manifest_and_labels(tmp_path):
    path = _sim_edf(tmp_path / "in")
    recipe = Recipe(
        l_freq=None, h_freq=None, sfreq=None, window_seconds=2.0, label_source="annotations"
    )
    manifest = prepare([path], tmp_path / "out", recipe, subject_pattern="sub-([^_]+)")
    assert list(manifest.columns[:4]) == ["shard", "row", "subject", "label"]
    assert len(manifest) == 15
    assert set(manifest["subject"]) == {"01"}
    # 7 blocks of 4 s cover 0-28 s: windows 0-13 are labelled, the 28-30 s one is not
    assert set(manifest["label"][:14]) == {"rest", "task"}
    assert manifest["label"].iloc[14] == ""
    raw = simulate_raw(0, duration=30.0, random_state=0)
    expected = np.repeat(raw.annotations.description, 2)
    np.testing.assert_array_equal(manifest["label"][:14], expected)
    record = read_record(tmp_path / "out")
    assert record["recordings"][0]["status"] == "done"
    assert record["recipe_hash"] == recipe.hash()
    assert pd.read_csv(tmp_path / "out" / "manifest.csv").shape[0] == 15


def test_prepare__resume_skips_done_and_redoes_changed_recipe(tmp_path):
    path = _sim_edf(tmp_path / "in")
    out = tmp_path / "out"
    prepare([path], out, Recipe(sfreq=None))
    shard = next(out.glob("*.h5"))
    mtime = shard.stat().st_mtime_ns
    prepare([path], out, Recipe(sfreq=None))
    assert shard.stat().st_mtime_ns == mtime  # skipped: same recipe, same source
    prepare([path], out, Recipe(sfreq=64.0, h_freq=30.0), overwrite=True)  # another recipe
    assert shard.stat().st_mtime_ns != mtime  # recipe changed: redone
    assert read_shard(shard)[1]["sfreq"] == 64.0


def test_prepare__missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.edf"):
        prepare([tmp_path / "nope.edf"], tmp_path / "out")


def test_prepare__unreadable_file_names_it(tmp_path):
    bad = tmp_path / "broken.edf"
    bad.write_bytes(b"0" * 300)
    with pytest.raises(ValueError, match="broken.edf.*truncated or corrupt"):
        prepare([bad], tmp_path / "out")


def test_prepare__unknown_extension(tmp_path):
    bad = tmp_path / "data.xyz"
    bad.write_text("1 2 3")
    with pytest.raises(ValueError, match="unknown extension '.xyz'"):
        prepare([bad], tmp_path / "out")


def test_prepare__too_short_recording(tmp_path):
    path = _sim_edf(tmp_path, duration=1.0, block_seconds=1.0)
    with pytest.raises(ValueError, match=r"shorter than one window \('window_seconds'=2.0\)"):
        prepare([path], tmp_path / "out", Recipe(sfreq=None, l_freq=None, h_freq=None))


def test_prepare__failure_leaves_no_shard(tmp_path):
    good = _sim_edf(tmp_path / "in", "sub-01_eeg.edf")
    bad = tmp_path / "in" / "sub-02_eeg.edf"
    bad.write_bytes(good.read_bytes()[:400])  # truncated copy
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="sub-02_eeg.edf"):
        prepare([good, bad], out, Recipe(sfreq=None))
    names = sorted(os.listdir(out))
    assert len(names) == 1 and names[0].startswith("sub-01")  # the finished one only
    assert not any(n.endswith(".tmp") for n in names)


def test_prepare__on_error_warn_records_skip(tmp_path):
    good = _sim_edf(tmp_path / "in", "sub-01_eeg.edf")
    bad = tmp_path / "in" / "sub-02_eeg.edf"
    bad.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="Skipped"):
        manifest = prepare([good, bad], tmp_path / "out", Recipe(sfreq=None), on_error="warn")
    record = read_record(tmp_path / "out")
    status = {r["source"].split("/")[-1]: r["status"] for r in record["recordings"]}
    assert status == {"sub-01_eeg.edf": "done", "sub-02_eeg.edf": "skipped"}
    assert "sub-02_eeg.edf" in record["recordings"][1]["reason"]
    assert manifest["shard"].nunique() == 1


def test_prepare__bad_on_error_value(tmp_path):
    with pytest.raises(ValueError, match="Did you mean 'warn'"):
        prepare([tmp_path], tmp_path / "out", on_error="wran")


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_prepare__only_worker_processes_retain_freed_memory(tmp_path, sample_dir, monkeypatch,
                                                            n_jobs):  # fmt: skip
    import importlib
    import multiprocessing

    # the module that starts the worker processes (eeg_ssl.io.background)
    background = importlib.import_module("eeg_ssl.io.background")

    if n_jobs > 1 and "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("workers inherit the patched function only when forked")
    marks = tmp_path / "marks"
    marks.mkdir()

    def mark():  # records the process it ran in (a forked worker inherits this patch)
        (marks / str(os.getpid())).touch()
        return True

    monkeypatch.setattr(background, "retain_freed_memory", mark)
    files = sorted(sample_dir.glob("*.edf"))[:3]
    manifest = prepare(files, tmp_path / "out", Recipe(sfreq=64.0, h_freq=30.0), n_jobs=n_jobs,
                       verbose=False)  # fmt: skip
    assert manifest["shard"].nunique() == 3
    pids = {path.name for path in marks.iterdir()}
    # the caller's process is never changed; each worker process applies it once
    assert str(os.getpid()) not in pids
    assert len(pids) == (0 if n_jobs == 1 else n_jobs)


def test_prepare__return_manifest_false_returns_the_record(tmp_path):
    paths = [_sim_edf(tmp_path / "in", f"sub-0{i}_eeg.edf") for i in (1, 2)]
    record = prepare(paths, tmp_path / "out", Recipe(sfreq=None), return_manifest=False)
    assert record == read_record(tmp_path / "out")
    manifest = read_manifest(tmp_path / "out")  # the table written in parts passes its check
    assert (
        record["n_windows"] == len(manifest) == sum(r["n_windows"] for r in record["recordings"])
    )
    assert list(manifest["shard"].unique()) == [r["shard"] for r in record["recordings"]]
    again = prepare(paths, tmp_path / "out", Recipe(sfreq=None))  # resumed: same table
    pd.testing.assert_frame_equal(again, manifest)
