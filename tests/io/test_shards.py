"""Shard round trip: data and every metadata field survive write -> read."""

import h5py
import numpy as np
import pytest

from eeg_ssl.io import FORMAT_VERSION, Recipe, read_shard, read_shard_info, write_shard
from eeg_ssl.io.integrity import file_stamp


def _write(path, n=5, recipe=None, **kw):
    rng = np.random.default_rng(0)
    windows = rng.standard_normal((n, 3, 16)).astype(np.float32)
    args = dict(
        starts=np.arange(n) * 16,
        sfreq=128.0,
        ch_names=["Fz", "Cz", "Pz"],
        ch_types=["eeg", "eeg", "eeg"],
        source_path="/data/rec.edf",
        source_sha256="ab" * 32,
        recipe=recipe or Recipe(),
        subject="07",
        labels=["rest", "", "task", "rest", "task"][:n],
    )
    args.update(kw)
    write_shard(path, windows, **args)
    return windows, args


def test_write_shard__round_trips_data_and_metadata(tmp_path):
    recipe = Recipe(l_freq=1.0, h_freq=30.0, sfreq=100.0, label_source="annotations")
    windows, args = _write(tmp_path / "a.h5", recipe=recipe)
    data, info = read_shard(tmp_path / "a.h5")
    np.testing.assert_array_equal(data, windows)
    assert data.dtype == np.float32
    assert info["format_version"] == FORMAT_VERSION
    assert info["sfreq"] == 128.0
    assert info["ch_names"] == args["ch_names"]
    assert info["ch_types"] == args["ch_types"]
    assert info["source_path"] == "/data/rec.edf"
    assert info["source_sha256"] == "ab" * 32
    assert info["subject"] == "07"
    assert info["labels"] == args["labels"]
    np.testing.assert_array_equal(info["starts"], args["starts"])
    assert info["recipe"] == recipe.to_dict()
    assert info["recipe_hash"] == recipe.hash()
    assert Recipe.from_dict(info["recipe"]) == recipe
    assert info["n_windows"] == 5
    assert info["n_times"] == 16
    assert info["eeg_ssl_version"]
    assert info["mne_version"]


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {
            "subjects": list("abcde"),
            "segments": [0, 0, 1, 1, 2],
            "ch_mask": np.eye(5, 3, dtype=bool),
            "meta": {"k": 1},
        },
    ],
)
def test_write_shard__returned_info_equals_what_is_read_back(tmp_path, extra):
    rng = np.random.default_rng(1)
    info = write_shard(tmp_path / "a.h5", rng.standard_normal((5, 3, 16)), starts=np.arange(5),
                       sfreq=128.0, ch_names=["Fz", "Cz", "Pz"], ch_types=["eeg"] * 3,
                       source_path="r.edf", source_sha256="cd" * 32, recipe=Recipe(),
                       subject="07", labels=["x", "", "y", "x", "y"], session="1", run="2",
                       return_info=True, **extra)  # fmt: skip
    read = read_shard_info(tmp_path / "a.h5")
    stamp = {key: info.pop(key) for key in ("size", "mtime_ns", "checksum")}  # of the file
    assert stamp == file_stamp(tmp_path / "a.h5")
    assert sorted(info) == sorted(read)
    for key, value in read.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(info[key], value, err_msg=key)
            assert info[key].dtype == value.dtype, key
        else:
            assert info[key] == value, key
    assert info["windows_offset"] is not None


def test_write_shard__leaves_no_temporary_file(tmp_path):
    _write(tmp_path / "a.h5")
    assert [p.name for p in tmp_path.iterdir()] == ["a.h5"]


def test_write_shard__failure_leaves_nothing(tmp_path):
    with pytest.raises(ValueError, match="ch_names"):
        _write(tmp_path / "a.h5", ch_names=["Fz"])
    assert list(tmp_path.iterdir()) == []


def test_write_shard__bad_shape_names_both(tmp_path):
    with pytest.raises(ValueError, match=r"\(n_windows, n_chans, n_times\)"):
        write_shard(tmp_path / "a.h5", np.zeros((3, 4)), starts=[0, 1, 2], sfreq=1, ch_names=[],
                    ch_types=[], source_path="x", source_sha256="y", recipe=Recipe())  # fmt: skip


def test_read_shard_info__rejects_non_shard(tmp_path):
    with h5py.File(tmp_path / "other.h5", "w") as h5:
        h5["x"] = np.zeros(3)
    with pytest.raises(ValueError, match="not an eeg-ssl shard"):
        read_shard_info(tmp_path / "other.h5")
    (tmp_path / "junk.h5").write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="not a readable HDF5 shard"):
        read_shard_info(tmp_path / "junk.h5")


def test_read_shard_info__rejects_newer_format(tmp_path):
    _write(tmp_path / "a.h5")
    with h5py.File(tmp_path / "a.h5", "a") as h5:
        h5.attrs["format_version"] = FORMAT_VERSION + 1
    with pytest.raises(ValueError, match="upgrade eeg-ssl"):
        read_shard_info(tmp_path / "a.h5")


def test_recipe__rejects_unknown_key():
    with pytest.raises(ValueError, match="Unknown recipe key"):
        Recipe.from_dict({"sfreqq": 100})


def test_recipe__hash_changes_with_content():
    assert Recipe().hash() == Recipe().hash()
    assert Recipe(sfreq=100.0).hash() != Recipe().hash()


def test_write_new_attrs__same_attributes_as_h5py(tmp_path):
    from eeg_ssl.io.shards import write_new_attrs

    attrs = dict(text="Fp1 é", empty="", json='{"a": [1, 2]}', integer=2, big=np.int64(7),
                 real=128.5, nan=float("nan"), single=np.float32(0.25))  # fmt: skip
    with h5py.File(tmp_path / "ours.h5", "w") as ours, h5py.File(tmp_path / "h5py.h5", "w") as ref:
        write_new_attrs(ours, attrs)
        ref.attrs.update(attrs)
    with h5py.File(tmp_path / "ours.h5") as ours, h5py.File(tmp_path / "h5py.h5") as ref:
        assert list(ours.attrs) == list(ref.attrs)
        for name in attrs:
            got, want = ours.attrs[name], ref.attrs[name]
            assert type(got) is type(want)
            assert got == want or (np.isnan(got) and np.isnan(want))
            got_type = ours.attrs.get_id(name).get_type()
            # class, size, variable length and character set
            assert got_type.equal(ref.attrs.get_id(name).get_type())
    with h5py.File(tmp_path / "bad.h5", "w") as h5, pytest.raises(TypeError, match="'meta'"):
        write_new_attrs(h5, {"meta": {"a": 1}})


def test_commit_files__batch_lands_together_or_not_at_all(tmp_path, monkeypatch):
    import eeg_ssl.io.shards as shards

    pairs = []
    for i in range(3):
        tmp = tmp_path / f".s{i}.h5.tmp"
        tmp.write_bytes(b"x" * (i + 1))
        pairs.append((tmp, tmp_path / f"s{i}.h5"))
    shards.commit_files(pairs)
    assert [p.read_bytes() for _, p in pairs] == [b"x", b"xx", b"xxx"]
    assert not list(tmp_path.glob(".*.tmp"))

    for tmp, _ in pairs:  # again, and the disk refuses the second file's sync
        tmp.write_bytes(b"y")
    calls = []

    def failing_fsync(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(shards.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        shards.commit_files(pairs)
    assert not list(tmp_path.glob(".*.tmp"))  # every temporary file removed
    assert [p.read_bytes() for _, p in pairs] == [b"x", b"xx", b"xxx"]  # none replaced
