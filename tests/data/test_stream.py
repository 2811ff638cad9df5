"""Streaming and map-style loading of prepared folders; subject-wise splits."""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from eeg_ssl.data import ShardDataset, ShardStream, split_dataset, subject_split, to_braindecode
from eeg_ssl.io import Recipe, prepare_arrays


@pytest.fixture
def prepared(tmp_path, sim_windows):
    X, y, groups = sim_windows
    X = np.concatenate([X * (k + 1) for k in range(4)])  # (128, 8, 256), all distinct
    recipe = Recipe(l_freq=None, h_freq=None, sfreq=None, window_seconds=1.0)
    prepare_arrays(X, tmp_path, sfreq=128.0, ch_names=[f"C{i}" for i in range(8)],
                   labels=np.tile(y, 4), subjects=np.tile(groups, 4), recipe=recipe)  # fmt: skip
    return tmp_path


def test_shard_stream__one_pass_covers_every_window_once(prepared):
    ds = ShardDataset(prepared)
    stream = ShardStream(prepared, batch_size=10, block_size=8, buffer_blocks=3, random_state=0)
    seen = torch.cat([xb for xb, _ in DataLoader(stream, batch_size=None)])
    X, _ = ds.load()
    assert seen.shape == torch.Size(X.shape)
    key = lambda a: np.sort(np.asarray(a).reshape(len(a), -1)[:, :4], axis=0)  # noqa: E731
    np.testing.assert_array_equal(key(seen.numpy()), key(X))
    first = next(iter(stream))[0]
    assert not torch.equal(first, torch.from_numpy(X[:10]))  # shuffled


@pytest.mark.parametrize("batch_size", [None, 10])
def test_shard_stream__read_threads_do_not_change_the_stream(prepared, batch_size):
    def run(read_threads):
        stream = ShardStream(prepared, batch_size=batch_size, block_size=4, buffer_blocks=3,
                             random_state=5, read_threads=read_threads)  # fmt: skip
        return [(x.clone(), torch.as_tensor(y)) for x, y in stream]

    one = run(1)
    assert len(one) > 0
    for threaded in (run(2), run(3)):  # the reads are dealt to the threads in chunks
        assert len(threaded) == len(one)
        for (x1, y1), (x2, y2) in zip(one, threaded):
            torch.testing.assert_close(x1, x2, rtol=0, atol=0)
            torch.testing.assert_close(y1, y2)


def test_shard_stream__bad_read_threads(prepared):
    with pytest.raises(ValueError, match="read_threads"):
        ShardStream(prepared, read_threads=0)


def test_shard_stream__workers_partition_the_blocks(prepared):
    stream = ShardStream(prepared, block_size=4, random_state=1)
    loader = DataLoader(stream, batch_size=None, num_workers=2)
    n = sum(1 for _ in loader)
    assert n == len(ShardDataset(prepared))


def test_shard_stream__ranks_read_disjoint_parts(prepared, monkeypatch):
    import eeg_ssl.data.stream as stream_mod

    parts = []
    for rank in range(2):
        monkeypatch.setattr(stream_mod, "rank_and_world", lambda r=rank: (r, 2))
        stream = ShardStream(prepared, block_size=4, random_state=3)
        parts.append({tuple(x[0, :3].tolist()) for x, _ in stream})
    assert not parts[0] & parts[1]
    assert len(parts[0]) + len(parts[1]) == len(ShardDataset(prepared))


def test_shard_dataset__getitems_matches_getitem(prepared):
    ds = ShardDataset(prepared)
    batch = ds.__getitems__([5, 1, 5, 40])
    for (x, y), i in zip(batch, [5, 1, 5, 40]):
        torch.testing.assert_close(x, ds[i][0])
        assert y == ds[i][1]


def test_subject_split__disjoint_and_seeded(prepared):
    groups = ShardDataset(prepared).groups
    split = subject_split(groups, val_size=1, test_size=1, random_state=0)
    assert split == subject_split(groups, val_size=1, test_size=1, random_state=0)
    assert not set(split["train"]) & set(split["test"]) and len(split["val"]) == 1
    datasets = split_dataset(prepared, val_size=1, test_size=1, random_state=0)
    assert set(datasets["test"].groups) == set(split["test"])
    with pytest.raises(ValueError, match="keep any for training"):
        subject_split(groups, val_size=2, test_size=2)


def test_to_braindecode__windows_and_targets(prepared):
    concat = to_braindecode(prepared)
    X, y = ShardDataset(prepared).load()
    assert len(concat) == len(X)
    x0, y0 = concat[0][:2]
    np.testing.assert_allclose(x0 * 1e6, X[0], rtol=1e-5, atol=1e-4)
    assert y0 == y[0]


def _row_labels(ds):
    """{bytes of a window: its target} for checking yielded (x, y) pairs."""
    X, y = ds.load()
    return {X[i].tobytes(): int(y[i]) for i in range(len(X))}


def test_shard_stream__batches_kept_by_the_caller_are_never_recycled(prepared):
    ds = ShardDataset(prepared)
    truth = _row_labels(ds)
    stream = ShardStream(prepared, batch_size=16, block_size=8, buffer_blocks=4, random_state=0)
    kept = []
    for epoch in range(3):  # 8 batches a pass; the pool holds only 2 + 1 arrays
        stream.set_epoch(epoch)
        kept.extend(DataLoader(stream, batch_size=None))
    pairs = [(x.numpy()[i].tobytes(), int(yb[i])) for x, yb in kept for i in range(len(x))]
    assert len(pairs) == 3 * len(ds)
    assert all(truth.get(key) == label for key, label in pairs)  # nothing overwritten
    assert sorted(key for key, _ in pairs) == sorted(list(truth) * 3)


def test_shard_stream__dropped_batches_reuse_pool_memory(prepared):
    ds = ShardDataset(prepared)
    truth = _row_labels(ds)
    stream = ShardStream(prepared, batch_size=16, block_size=8, buffer_blocks=4, random_state=0)
    pointers, n = set(), 0
    for epoch in range(2):
        stream.set_epoch(epoch)
        for xb, yb in stream:
            pointers.add(xb.data_ptr())
            assert all(truth[xb.numpy()[i].tobytes()] == int(yb[i]) for i in range(len(xb)))
            n += len(xb)
    assert n == 2 * len(ds)
    assert len(pointers) <= 3  # 16 batches served from a pool of 2 + 1 arrays


def test_shard_stream__unfilled_huge_page_arrays_are_fully_read(prepared, monkeypatch):
    # batch arrays from 4 MiB up are not touched before the reads (huge pages): every
    # row must still come from the shards, in both passes and with 1 or 2 read threads
    monkeypatch.setattr("eeg_ssl.data.stream._HUGE_PAGE_ARRAY", 1)
    ds = ShardDataset(prepared)
    truth = _row_labels(ds)
    for threads in (1, 2):
        stream = ShardStream(prepared, batch_size=16, block_size=8, buffer_blocks=4,
                             random_state=0, read_threads=threads)  # fmt: skip
        for epoch in range(2):
            stream.set_epoch(epoch)
            pairs = [(x.numpy()[i].tobytes(), int(yb[i]))
                     for x, yb in DataLoader(stream, batch_size=None) for i in range(len(x))]  # fmt: skip
            assert sorted(key for key, _ in pairs) == sorted(truth)
            assert all(truth[key] == label for key, label in pairs)


def test_shard_dataset__recorded_layout_and_hdf5_fallback_agree(prepared):
    import json

    X, _ = ShardDataset(prepared).load()
    record_path = prepared / "prepare.json"
    record = json.loads(record_path.read_text())
    assert all(rec["windows_offset"] > 0 for rec in record["recordings"])
    for rec in record["recordings"]:
        rec["windows_offset"] = 10**12  # not this file: the reader must fall back to HDF5
    record_path.write_text(json.dumps(record))
    ds = ShardDataset(prepared)
    np.testing.assert_array_equal(ds.load()[0], X)
    assert ds._reader(ds._shard_of(0)).mapped  # HDF5 gave the true offset
    np.testing.assert_array_equal(torch.stack([x for x, _ in ds.__getitems__([5, 2, 9])]),
                                  torch.from_numpy(X[[5, 2, 9]]))  # fmt: skip
