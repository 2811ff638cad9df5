"""Shard format v2 round trip, v1 compatibility, layouts."""

import json

import h5py
import numpy as np
import pytest

from eeg_ssl.data import ShardDataset
from eeg_ssl.io import FORMAT_VERSION, Recipe, read_shard, read_shard_info, write_shard
from eeg_ssl.io.manifest import write_manifest


def _v1_shard(path, windows):
    """A shard as the walking skeleton (format 1) wrote it."""
    string = h5py.string_dtype("utf-8")
    with h5py.File(path, "w") as h5:
        h5.create_dataset("windows", data=windows, chunks=(2,) + windows.shape[1:])
        h5.create_dataset("starts", data=np.arange(len(windows)) * windows.shape[2])
        h5.create_dataset(
            "labels", data=np.array(["a"] * len(windows), dtype=object), dtype=string
        )
        names = np.array([f"C{i}" for i in range(windows.shape[1])], dtype=object)
        h5.create_dataset("ch_names", data=names, dtype=string)
        h5.create_dataset(
            "ch_types", data=np.array(["eeg"] * len(names), dtype=object), dtype=string
        )
        h5.attrs.update(format_version=1, sfreq=128.0, n_times=windows.shape[2], source_path="x.edf",
                        source_sha256="0" * 64, recipe=json.dumps(Recipe().to_dict()),
                        recipe_hash="abc", subject="07")  # fmt: skip


def test_read_shard_info__reads_format_1(tmp_path):
    windows = np.random.default_rng(0).normal(size=(5, 3, 16)).astype(np.float32)
    _v1_shard(tmp_path / "old.h5", windows)
    info = read_shard_info(tmp_path / "old.h5")
    assert (
        info["format_version"] == 1 and info["ch_mask"].all() and info["ch_mask"].shape == (5, 3)
    )
    assert (
        np.isnan(info["ch_pos"]).all() and info["session"] == "" and info["subjects"] == ["07"] * 5
    )
    rows = [("old.h5", i, "07", "a", i * 16, i / 8, "", "", "", 0, "111") for i in range(5)]
    write_manifest(tmp_path, rows, {})
    X, _ = ShardDataset(tmp_path).load()
    np.testing.assert_array_equal(X, windows)


@pytest.mark.parametrize("chunk_windows,compression", [(None, None), (4, None), (None, "lzf")])
def test_write_shard__layouts_round_trip(tmp_path, chunk_windows, compression):
    windows = np.random.default_rng(1).normal(size=(9, 4, 32)).astype(np.float32)
    mask = np.array([1, 0, 1, 1], dtype=bool)
    write_shard(tmp_path / "s.h5", windows, starts=np.arange(9) * 32, sfreq=100.0,
                ch_names=list("abcd"), ch_types=["ecog"] * 4, source_path="s", source_sha256="1",
                recipe=Recipe(), subject="3", session="2", run="1", ch_mask=mask,
                chunk_windows=chunk_windows, compression=compression)  # fmt: skip
    out, info = read_shard(tmp_path / "s.h5")
    np.testing.assert_array_equal(out, windows)
    assert info["format_version"] == FORMAT_VERSION == 2
    assert (
        (info["ch_mask"] == mask).all()
        and info["session"] == "2"
        and info["ch_types"][0] == "ecog"
    )
    rows = [("s.h5", i, "3", "", i * 32, i * 0.32, "2", "", "1", 0, "1011") for i in range(9)]
    write_manifest(tmp_path, rows, {})
    ds = ShardDataset(tmp_path)
    batch = ds.__getitems__([8, 0, 3, 4, 4])
    for (x, _), i in zip(batch, [8, 0, 3, 4, 4]):
        np.testing.assert_array_equal(x.numpy(), windows[i])
    assert ds.ch_mask.tolist() == [[True, False, True, True]] * 9


def test_read_shard_info__newer_format_asks_to_upgrade(tmp_path):
    windows = np.zeros((2, 1, 4), dtype=np.float32)
    _v1_shard(tmp_path / "new.h5", windows)
    with h5py.File(tmp_path / "new.h5", "a") as h5:
        h5.attrs["format_version"] = 99
    with pytest.raises(ValueError, match="upgrade eeg-ssl"):
        read_shard_info(tmp_path / "new.h5")
