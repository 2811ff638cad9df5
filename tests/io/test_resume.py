"""Resume after SIGKILL: same manifest and shards as an uninterrupted run."""

import multiprocessing
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from eeg_ssl.io import Recipe, prepare, read_shard

RECIPE = dict(picks=["eeg"], l_freq=1.0, h_freq=30.0, sfreq=64.0, engine="fast")
SCRIPT = """
import sys
from eeg_ssl.io import prepare
prepare(sys.argv[2:], sys.argv[1], {recipe!r}, verbose=False)
"""


def test_prepare__sigkill_then_rerun_equals_uninterrupted(shared_data, tmp_path):
    files = sorted(str(p) for p in (shared_data / "eegmmidb").glob("S00[1-2]/*.edf"))[:10]
    reference = prepare(files, tmp_path / "ref", Recipe(**RECIPE), verbose=False)
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT.format(recipe=RECIPE), str(out), *files])
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list(out.glob("*.h5"))) < 3:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "manifest.csv").exists()  # killed before the end
    for shard in out.glob("*.h5"):  # every visible shard is complete
        windows, info = read_shard(shard)
        assert len(windows) == info["n_windows"] > 0
    rerun = prepare(files, out, Recipe(**RECIPE), verbose=False)
    pd.testing.assert_frame_equal(rerun, reference)
    assert not list(out.glob(".*.tmp"))
    for name in reference["shard"].unique():
        a, info_a = read_shard(tmp_path / "ref" / name)
        b, info_b = read_shard(out / name)
        np.testing.assert_array_equal(a, b)
        assert info_a["labels"] == info_b["labels"] and info_a["ch_names"] == info_b["ch_names"]


def test_prepare__rerun_skips_done_and_redoes_changed_recipe(shared_data, tmp_path):
    path = shared_data / "eegmmidb/S001/S001R01.edf"
    prepare(path, tmp_path, Recipe(**RECIPE), verbose=False)
    shard = next(tmp_path.glob("*.h5"))
    mtime = shard.stat().st_mtime_ns
    prepare(path, tmp_path, Recipe(**RECIPE), verbose=False)
    assert shard.stat().st_mtime_ns == mtime
    prepare(path, tmp_path, Recipe(**dict(RECIPE, h_freq=20.0)), overwrite=True, verbose=False)
    assert shard.stat().st_mtime_ns != mtime


def test_prepare__new_and_resumed_shards_record_the_source_sha256(shared_data, tmp_path):
    import json

    from eeg_ssl.io import read_shard_info
    from eeg_ssl.io.read import file_sha256

    path = shared_data / "eegmmidb/S001/S001R01.edf"
    prepare(path, tmp_path, Recipe(**RECIPE), verbose=False)  # hashed beside the read
    shard = next(tmp_path.glob("*.h5"))
    assert read_shard_info(shard)["source_sha256"] == file_sha256(path)
    prepare(path, tmp_path, Recipe(**RECIPE), verbose=False)  # resumed: hashed first
    record = json.loads((tmp_path / "prepare.json").read_text())["recordings"][0]
    assert record["resumed"] and record["sha256"] == file_sha256(path)


def test_prepare__parallel_equals_serial(shared_data, tmp_path):
    files = sorted((shared_data / "eegmmidb/S002").glob("*.edf"))
    serial = prepare(files, tmp_path / "a", Recipe(**RECIPE), verbose=False)
    parallel = prepare(files, tmp_path / "b", Recipe(**RECIPE), n_jobs=2, verbose=False)
    pd.testing.assert_frame_equal(serial, parallel)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_prepare__failed_disk_sync_is_reported_and_redone(shared_data, tmp_path, monkeypatch,
                                                          n_jobs):  # fmt: skip
    import eeg_ssl.io.shards as shards

    if n_jobs > 1 and "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("the failure is injected into forked workers")
    files = sorted((shared_data / "eegmmidb/S001").glob("*.edf"))[:4]
    real_fsync, calls = os.fsync, []

    def failing_fsync(fd):  # the disk refuses the second shard's sync
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(shards.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left|could not be synced"):
        prepare(files, tmp_path, Recipe(**RECIPE), n_jobs=n_jobs, verbose=False)
    monkeypatch.setattr(shards.os, "fsync", real_fsync)
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind
    assert not (tmp_path / "manifest.csv").exists()
    assert 0 < len(list(tmp_path.glob("*.h5"))) < len(files)  # the others landed
    rerun = prepare(files, tmp_path, Recipe(**RECIPE), verbose=False)
    assert rerun["shard"].nunique() == len(files)
