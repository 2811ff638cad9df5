"""Integrity of prepared folders: checksums recorded at prepare, checked on open and by verify."""

import json
import os
import shutil

import h5py
import numpy as np
import pytest

from eeg_ssl.io import Recipe, prepare, read_manifest, read_record
from eeg_ssl.io.integrity import (
    changed_shards,
    check_output_folder,
    file_checksum,
    file_stamp,
    verify_folder,
)

RECIPE = Recipe(l_freq=1.0, h_freq=30.0, sfreq=64.0, label_source="annotations")


@pytest.fixture
def edfs(sample_dir):
    return sorted(str(p) for p in sample_dir.glob("*.edf"))[:2]


def _prepare(edfs, out, recipe=RECIPE, **kw):
    return prepare(edfs, out, recipe, subject_pattern="sub-([^_]+)", verbose=False, **kw)


def test_prepare__records_each_shards_checksum_and_the_manifests(edfs, tmp_path):
    _prepare(edfs, tmp_path)
    record = read_record(tmp_path)
    for rec in record["recordings"]:
        assert {k: rec[k] for k in ("size", "mtime_ns", "checksum")} == file_stamp(
            tmp_path / rec["shard"]
        )
        assert rec["checksum"].startswith("xxh3_128:")
    assert record["manifest"]["n_rows"] == record["n_windows"] == len(read_manifest(tmp_path))
    summary = verify_folder(tmp_path)
    assert summary["n_shards"] == 2 and summary["n_windows"] == record["n_windows"]


def test_file_checksum__changes_with_one_byte_and_not_with_the_time(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"\0" * 1000)
    before = file_checksum(path)
    os.utime(path, ns=(0, 0))
    assert file_checksum(path) == before
    path.write_bytes(b"\0" * 999 + b"\1")
    assert file_checksum(path) != before
    (tmp_path / "empty").write_bytes(b"")
    assert file_checksum(tmp_path / "empty").startswith("xxh3_128:")


def test_changed_shards__copied_folder_passes_edited_shard_does_not(edfs, tmp_path):
    _prepare(edfs, tmp_path / "a")
    copy = tmp_path / "b"
    shutil.copytree(tmp_path / "a", copy)  # copy2 keeps times; then a plain copy's new time
    for shard in copy.glob("*.h5"):
        os.utime(shard, ns=(1, 1))
    recordings = read_record(copy)["recordings"]
    assert changed_shards(copy, recordings) == []  # re-hashed, same bytes
    shard = sorted(copy.glob("*.h5"))[0]
    with h5py.File(shard, "r+") as h5:
        h5["windows"][0, 0, 0] = np.nan  # same size, another time and checksum
    problems = changed_shards(copy, recordings)
    assert len(problems) == 1 and shard.name in problems[0] and "checksum" in problems[0]


def test_prepare__same_job_resumes_and_redoes_only_a_changed_shard(edfs, tmp_path):
    _prepare(edfs, tmp_path)
    shards = sorted(tmp_path.glob("*.h5"))
    times = [p.stat().st_mtime_ns for p in shards]
    _prepare(edfs, tmp_path)  # the same job: nothing redone
    assert [p.stat().st_mtime_ns for p in shards] == times
    with open(shards[0], "ab") as fid:  # edited after preparation
        fid.write(b"\0" * 16)
    _prepare(edfs, tmp_path)
    assert shards[1].stat().st_mtime_ns == times[1]  # kept
    assert shards[0].stat().st_mtime_ns != times[0]  # redone
    verify_folder(tmp_path)


def test_prepare__another_recipe_needs_overwrite_which_replaces_the_old_job(edfs, tmp_path):
    _prepare(edfs, tmp_path)
    with pytest.raises(ValueError, match="another recipe.*overwrite"):
        _prepare(edfs, tmp_path, Recipe(l_freq=1.0, h_freq=20.0, sfreq=64.0))
    assert read_record(tmp_path)["recipe"]["h_freq"] == 30.0  # untouched
    _prepare(edfs[:1], tmp_path, Recipe(l_freq=1.0, h_freq=20.0, sfreq=64.0), overwrite=True)
    record = read_record(tmp_path)
    assert record["recipe"]["h_freq"] == 20.0 and len(record["recordings"]) == 1
    assert sorted(p.name for p in tmp_path.glob("*.h5")) == [record["recordings"][0]["shard"]]
    verify_folder(tmp_path)


def test_check_output_folder__interrupted_job_without_record_resumes(edfs, tmp_path):
    _prepare(edfs, tmp_path)
    names = [rec["shard"] for rec in read_record(tmp_path)["recordings"]]
    for name in ("manifest.csv", "prepare.json"):  # as a run killed before its end leaves it
        (tmp_path / name).unlink()
    check_output_folder(tmp_path, RECIPE.hash(), names)  # the same job: no error
    with pytest.raises(ValueError, match="shard.*of other inputs"):
        check_output_folder(tmp_path, RECIPE.hash(), names[:1])


def test_verify_folder__reports_every_problem_with_the_file(edfs, tmp_path):
    _prepare(edfs, tmp_path)
    record = read_record(tmp_path)
    first, second = (rec["shard"] for rec in record["recordings"])
    (tmp_path / second).unlink()
    with h5py.File(tmp_path / first, "r+") as h5:
        h5["windows"][1] = np.inf
    with pytest.raises(ValueError) as info:
        verify_folder(tmp_path)
    message = str(info.value)
    assert f"{first}: content changed" in message and f"{second}: missing" in message


def test_verify_folder__non_finite_windows_of_a_folder_without_checksums(edfs, tmp_path):
    """A folder prepared before checksums existed: verify still checks the windows."""
    _prepare(edfs, tmp_path)
    record = read_record(tmp_path)
    for rec in record["recordings"]:
        del rec["checksum"]
    (tmp_path / "prepare.json").write_text(json.dumps(record))
    shard = tmp_path / record["recordings"][0]["shard"]
    with h5py.File(shard, "r+") as h5:
        h5["windows"][0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=f"{shard.name}: 1 window"):
        verify_folder(tmp_path)
