"""The data-layer benchmark's measuring functions (not their timings)."""

import importlib.util
from pathlib import Path

import numpy as np

from eeg_ssl.data import ShardDataset
from eeg_ssl.io import Recipe, prepare

# pipelines/ is not an import package: load the script by its path
_path = Path(__file__).resolve().parents[2] / "pipelines" / "bench_data.py"
_spec = importlib.util.spec_from_file_location("bench_data", _path)
_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_script)
run_bandwidth, run_gather = _script.run_bandwidth, _script.run_gather


def _prepared(tmp_path, sample_dir):
    files = sorted(sample_dir.glob("*.edf"))[:2]
    recipe = Recipe(l_freq=0.5, h_freq=40.0, sfreq=128.0, window_seconds=2.0, engine="fused")
    manifest = prepare(files, tmp_path / "prepared", recipe, verbose=False)
    return tmp_path / "prepared", manifest


def test_run_bandwidth__reads_every_window_byte(tmp_path, sample_dir):
    folder, manifest = _prepared(tmp_path, sample_dir)
    n_chans, n_times = ShardDataset(folder).shape
    res = run_bandwidth(str(folder), repeats=1)
    assert res["bytes"] == 4 * len(manifest) * n_chans * n_times
    for key in ("preadv_1_threads", "preadv_2_threads", "memcpy"):
        assert np.isfinite(res[key]) and res[key] > 0


def test_run_gather__passes_over_every_window(tmp_path, sample_dir):
    folder, manifest = _prepared(tmp_path, sample_dir)
    res = run_gather(str(folder), batch_size=16, seed=0)
    assert set(res) == {"numpy_in_memory", "numpy_in_memory_epoch2"}
    assert all(rate > 0 for rate in res.values())


def test_read_edf_bare__equals_mnes_samples(sample_dir):
    import mne

    path = sorted(sample_dir.glob("*.edf"))[0]
    expected = mne.io.read_raw_edf(path, verbose="error").get_data()
    np.testing.assert_allclose(_script.read_edf_bare(path), expected, rtol=0,
                               atol=1e-9 * np.abs(expected).max())  # fmt: skip


def test_run_bare_and_run_profile__count_the_windows_they_write(tmp_path, shared_data):
    files = [str(p) for p in sorted((shared_data / "eegmmidb" / "S001").glob("*.edf"))[:2]]
    bare = _script.run_bare(files, str(tmp_path / "bare"))
    profile = _script.run_profile(files, str(tmp_path / "profile"), "fused")
    assert bare["windows"] == profile["windows"] > 0  # the same 2 s windows at 128 Hz
    assert len(list((tmp_path / "bare").glob("*.npy"))) == len(files)
    stages = profile["stages"]
    assert 0 < stages["HDF5 write (write_shard)"] < profile["seconds"]
    assert "read: header, info, annotations" in stages
    # the manifest's stages are its own work, not the whole run it is written during
    assert {"manifest rows", "manifest + prepare.json (2 fsyncs)"} <= set(stages)
    import importlib

    prep = importlib.import_module("eeg_ssl.io.prepare")
    assert not hasattr(prep.write_shard, "__wrapped__")  # unwrapped again (functools.wraps)
    from eeg_ssl.io.manifest import ManifestWriter

    assert not hasattr(ManifestWriter.commit, "__wrapped__")
