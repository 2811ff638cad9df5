"""Pair/triplet sampling within recordings, on in-memory windows and on shards."""

import numpy as np
import pytest
import torch

from eeg_ssl.data import ShardDataset
from eeg_ssl.data.samplers import (
    RecordingWindows,
    RelativePositioningPairs,
    TemporalShufflingTriplets,
    window_positions,
)
from eeg_ssl.losses.relative_positioning_loss import (
    relative_positioning_label,
    temporal_shuffling_label,
)


def _windows(n_rec=3, per_rec=30, step=2.0):
    rec = np.repeat([f"rec{i}" for i in range(n_rec)], per_rec)
    starts = np.tile(np.arange(per_rec) * step, n_rec)
    order = np.random.default_rng(0).permutation(len(rec))  # windows need not be sorted
    X = np.zeros((len(rec), 2, 8), dtype=np.float32)
    X[:, 0, 0] = np.arange(len(rec))  # window id, to check what the items carry
    return RecordingWindows(X[order], rec[order], starts[order])


def test_relative_positioning_pairs__labels_follow_textbook_rule():
    ds = _windows()
    pairs = RelativePositioningPairs(ds, 5.0, 20.0, n_pairs=400, random_state=0)
    rec, t = window_positions(ds)
    a, b = pairs.pairs.T
    assert (rec[a] == rec[b]).all() and (a != b).all()
    expected = relative_positioning_label(t[a], t[b], 5.0, 20.0)
    assert (expected == pairs.targets).all()
    assert 0.4 < pairs.targets.mean() < 0.6


def test_relative_positioning_pairs__items_and_determinism():
    ds = _windows()
    p1 = RelativePositioningPairs(ds, 5.0, 20.0, random_state=3)
    p2 = RelativePositioningPairs(ds, 5.0, 20.0, random_state=3)
    assert len(p1) == len(ds) and np.array_equal(p1.pairs, p2.pairs)
    (xa, xb, target), label = p1[0]
    assert xa.shape == (2, 8) and float(target) == float(label) == p1.targets[0]
    assert xa[0, 0] == ds.X[p1.pairs[0, 0], 0, 0]


def test_temporal_shuffling_triplets__labels_follow_textbook_rule():
    ds = _windows()
    trip = TemporalShufflingTriplets(ds, 8.0, 12.0, n_triplets=300, random_state=0)
    rec, t = window_positions(ds)
    f, m, last = trip.triplets.T
    assert (rec[f] == rec[m]).all() and (rec[m] == rec[last]).all()
    expected = temporal_shuffling_label(t[f], t[m], t[last], 8.0, 12.0)
    assert (expected == trip.targets).all()
    assert 0.35 < trip.targets.mean() < 0.65
    (x1, x2, x3, target), label = trip[0]
    assert x3.shape == (2, 8) and float(target) == float(label)


def test_samplers__clear_errors():
    ds = _windows(per_rec=4)
    with pytest.raises(ValueError, match="negative pair"):
        RelativePositioningPairs(ds, 3.0, 100.0, random_state=0)
    with pytest.raises(ValueError, match="tau_neg"):
        RelativePositioningPairs(ds, 5.0, 1.0)
    with pytest.raises(ValueError, match="RecordingWindows"):
        window_positions(torch.utils.data.TensorDataset(torch.zeros(3, 2, 8)))
    with pytest.raises(ValueError, match="one entry per window"):
        RecordingWindows(np.zeros((3, 2, 8)), ["a", "b"], [0.0, 1.0, 2.0])


def test_window_positions__subset_and_shards(tmp_path):
    from eeg_ssl.io import Recipe, prepare
    from eeg_ssl.simulation import simulate_raw

    paths = []
    for s in range(2):
        raw = simulate_raw(s, duration=40.0, sfreq=64.0, random_state=s)
        path = tmp_path / f"sub-{s + 1:02d}_eeg.fif"
        raw.save(path, verbose="error")
        paths.append(path)
    out = tmp_path / "prepared"
    prepare(
        paths,
        out,
        Recipe(sfreq=64.0, h_freq=20.0, window_seconds=2.0, stride_seconds=2.0),
        verbose=False,
    )
    ds = ShardDataset(out)
    rec, starts = window_positions(ds)
    assert len(set(rec)) == 2 and np.allclose(np.sort(starts[rec == rec[0]])[:3], [0.0, 2.0, 4.0])
    pairs = RelativePositioningPairs(ds, 4.0, 10.0, random_state=0)
    a, b = pairs.pairs.T
    assert (rec[a] == rec[b]).all()
    sub = torch.utils.data.Subset(ds, [3, 1])
    assert window_positions(sub)[1].tolist() == [starts[3], starts[1]]


def _drawn(dataset):
    return dataset.pairs if hasattr(dataset, "pairs") else dataset.triplets


@pytest.mark.parametrize("cls", [RelativePositioningPairs, TemporalShufflingTriplets])
def test_pair_datasets__redrawn_per_epoch_and_reproducible(cls):
    X = np.zeros((40, 2, 8), dtype=np.float32)
    windows = RecordingWindows(X, np.repeat([0, 1], 20), np.tile(np.arange(20.0), 2))
    a, b = cls(windows, 2.0, 6.0, random_state=0), cls(windows, 2.0, 6.0, random_state=0)
    epoch0 = _drawn(a).copy()
    a.set_epoch(1)
    assert not np.array_equal(_drawn(a), epoch0)  # a fresh draw
    b.set_epoch(1)
    np.testing.assert_array_equal(_drawn(a), _drawn(b))  # same seed and epoch, same draw
    a.set_epoch(0)
    np.testing.assert_array_equal(_drawn(a), epoch0)
