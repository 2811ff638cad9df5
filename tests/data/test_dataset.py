"""ShardDataset: lazy per-process handles, selection, DataLoader with workers."""

import json

import mne
import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader

from eeg_ssl.data import ShardDataset
from eeg_ssl.io import Recipe, prepare, read_shard
from eeg_ssl.simulation import simulate_raw


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prep")
    paths = []
    for subject in range(3):
        raw = simulate_raw(subject, duration=20.0, random_state=subject)
        path = tmp / f"sub-{subject:02d}_eeg.edf"
        mne.export.export_raw(path, raw, fmt="edf", verbose="error")
        paths.append(path)
    recipe = Recipe(l_freq=None, h_freq=None, sfreq=None, label_source="annotations")
    prepare(paths, tmp / "out", recipe, subject_pattern="sub-([^_]+)")
    return tmp / "out"


def test_shard_dataset__no_handle_at_construction(prepared):
    ds = ShardDataset(prepared)
    assert ds._handles == {}
    assert len(ds) == 30
    x, y = ds[3]
    assert x.shape == (8, 256) and x.dtype == torch.float32
    assert y in (0, 1)
    assert ds.classes == ["rest", "task"]
    assert ds.sfreq == 128.0  # the recipe kept the native rate: read from the shard


def test_shard_dataset__items_equal_shards(prepared):
    ds = ShardDataset(prepared)
    X, y = ds.load()
    for i in (0, 11, 29):
        shard, row = ds.manifest.loc[i, ["shard", "row"]]
        np.testing.assert_array_equal(X[i], read_shard(prepared / shard)[0][row])
        np.testing.assert_array_equal(ds[i][0].numpy(), X[i])
    np.testing.assert_array_equal(y, ds.targets)


def test_shard_dataset__subject_selection(prepared):
    ds = ShardDataset(prepared, subjects=["01"])
    assert set(ds.groups) == {"01"} and len(ds) == 10
    with pytest.raises(ValueError, match=r"Subjects \['99'\] are not in"):
        ShardDataset(prepared, subjects=["99"])


def test_shard_dataset__window_groups(prepared):
    ds = ShardDataset(prepared, subjects=["00", "02"])
    np.testing.assert_array_equal(ds.window_groups(), ds.manifest["subject"])
    recordings = ds.window_groups("recording")
    assert len(set(recordings)) == 2 and len(recordings) == len(ds)
    with pytest.raises(ValueError, match="'by'.*subject"):
        ds.window_groups("subjects")


def test_run_pretrain__group_batches_from_the_manifest(prepared, tmp_path, monkeypatch):
    import eeg_ssl.training
    from eeg_ssl.workflow import run_pretrain

    seen = {}
    real = eeg_ssl.training.pretrain

    def spy(*args, **kwargs):
        seen["batch_groups"] = kwargs.get("batch_groups")
        return real(*args, **kwargs)

    monkeypatch.setattr(eeg_ssl.training, "pretrain", spy)
    cfg = {"epochs": 1, "batch_size": 10, "group_batches": "subject",
           "encoder_kwargs": {"n_outputs": 8, "n_filters": 4, "n_blocks": 2},
           "method_kwargs": {"projection_dim": 4, "hidden_dim": 8}}  # fmt: skip
    run_pretrain(cfg, prepared, tmp_path / "run", verbose=False)
    np.testing.assert_array_equal(seen["batch_groups"], ShardDataset(prepared).groups)
    run_pretrain(dict(cfg, group_batches=None), prepared, tmp_path / "run2", verbose=False)
    assert seen["batch_groups"] is None
    # `true`, as in the benchmark configs, means by subject
    run_pretrain(dict(cfg, group_batches=True), prepared, tmp_path / "run3", verbose=False)
    np.testing.assert_array_equal(seen["batch_groups"], ShardDataset(prepared).groups)
    # the default recipe's filter bank, with the rate from the shards (the recipe kept it)
    from eeg_ssl.training.checkpoint import load_checkpoint

    config = load_checkpoint(tmp_path / "run3" / "checkpoint.pt")["encoder"]["config"]
    assert config["filter_bank"] == 9 and config["sfreq"] == 128.0


def test_shard_dataset__workers_read_same_windows(prepared):
    ds = ShardDataset(prepared)
    ref = torch.stack([ds[i][0] for i in range(len(ds))])
    loader = DataLoader(ds, batch_size=7, num_workers=2, shuffle=False)
    got = torch.cat([x for x, _ in loader])
    torch.testing.assert_close(got, ref)


def test_shard_dataset__not_prepared_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="eeg-ssl prepare"):
        ShardDataset(tmp_path)


@pytest.fixture
def copy(prepared, tmp_path):
    import shutil

    return shutil.copytree(prepared, tmp_path / "copy")


def test_shard_dataset__refuses_a_shard_edited_after_preparation(copy):
    import h5py

    shard = sorted(copy.glob("*.h5"))[0]
    with h5py.File(shard, "r+") as h5:  # same size, another checksum
        h5["windows"][0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=f"{shard.name}: content changed.*eeg-ssl verify"):
        ShardDataset(copy)


def test_shard_dataset__refuses_edited_labels_and_deleted_rows(copy):
    path = copy / "manifest.csv"
    text = path.read_text()
    path.write_text(text.replace(",rest,", ",task,", 1))
    with pytest.raises(ValueError, match="manifest.csv.*changed after preparation"):
        ShardDataset(copy)
    path.write_text("".join(text.splitlines(True)[:-4]))
    with pytest.raises(ValueError, match="lists 26 windows but prepare.json records 30"):
        ShardDataset(copy)
    path.write_text(text)
    assert len(ShardDataset(copy)) == 30


def test_shard_dataset__copied_folder_with_new_times_opens(copy):
    import os

    for shard in copy.glob("*.h5"):
        os.utime(shard, ns=(10**9, 10**9))  # as a plain `cp` leaves them: re-hashed, equal
    assert len(ShardDataset(copy)) == 30


@pytest.mark.parametrize("subjects", [None, ["02", "00"]])
@pytest.mark.parametrize("labelled_only", [False, True])
def test_shard_dataset__compact_index_equals_the_manifest(prepared, subjects, labelled_only):
    from eeg_ssl.io import read_manifest

    ds = ShardDataset(prepared, subjects=subjects, labelled_only=labelled_only)
    assert ds._manifest is None  # the whole table is not read to make the dataset
    whole = read_manifest(prepared)
    if subjects is not None:
        whole = whole[whole["subject"].isin(subjects)]
    if labelled_only:
        whole = whole[whole["label"] != ""]
    assert len(ds) == len(whole) > 0
    np.testing.assert_array_equal(ds.groups, whole["subject"])
    np.testing.assert_array_equal(ds.recordings, whole["shard"])
    np.testing.assert_array_equal(ds._rows, whole["row"])
    np.testing.assert_array_equal(ds.start_seconds, whole["start_seconds"])
    assert ds.classes == sorted(set(whole["label"]) - {""})
    np.testing.assert_array_equal(ds.targets, [ds.classes.index(lab) if lab else -1
                                               for lab in whole["label"]])  # fmt: skip
    masks = [[c == "1" for c in m] for m in whole["ch_mask"]]
    np.testing.assert_array_equal(ds.ch_mask, masks)
    assert ds.shard_names == list(dict.fromkeys(whole["shard"]))
    pd.testing.assert_frame_equal(ds.manifest, whole.reset_index(drop=True))


def test_shard_dataset__manifest_read_later_must_be_the_same(copy):
    ds = ShardDataset(copy, subjects=["01"])
    path = copy / "manifest.csv"
    text = path.read_text()
    # prepared again in between (a consistent new table and record): refused, not misread
    path.write_text(text.replace(",rest,", ",task,"))
    from eeg_ssl.io.integrity import bytes_checksum
    from eeg_ssl.io.manifest import read_record

    record = read_record(copy)
    record["manifest"]["checksum"] = bytes_checksum(path.read_bytes())
    (copy / "prepare.json").write_text(json.dumps(record))
    with pytest.raises(ValueError, match="changed since this dataset was made"):
        _ = ds.manifest
    with pytest.raises(ValueError, match="changed since this dataset was made"):
        _ = ds.start_seconds


def test_shard_stream__does_not_read_the_whole_manifest(prepared):
    from eeg_ssl.data import ShardStream

    stream = ShardStream(prepared, batch_size=8, random_state=0)
    n = sum(len(y) for _, y in stream)
    assert n == 30 and stream.base._manifest is None
