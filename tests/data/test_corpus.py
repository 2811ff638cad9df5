"""CorpusDataset: mixed montages and rates behind one dataset, balancing, pretraining on it."""

import numpy as np
import pytest
from scipy.signal import resample
from torch.utils.data import default_collate

from eeg_ssl.cli import main
from eeg_ssl.data import CorpusDataset, ShardDataset
from eeg_ssl.data.samplers import BalancedIndex
from eeg_ssl.io.prepare import prepare_arrays
from eeg_ssl.methods import build_method
from eeg_ssl.models import ChannelTokenEncoder, build_encoder
from eeg_ssl.models.channel_mask import current_channel_mask
from eeg_ssl.simulation import CH_NAMES, simulate_raw
from eeg_ssl.training import pretrain
from eeg_ssl.training.checkpoint import load_checkpoint
from eeg_ssl.utils import seeded

B_NAMES = ["EEG O1", "OZ", "TP9", "Misc"]  # spellings to standardise, and a name with no position
RECIPE = dict(l_freq=None, h_freq=None, sfreq=None, window_seconds=2.0)


def _prepare(folder, *, sfreq, picks, names, subjects, labels=None):
    X = np.stack([simulate_raw(i, duration=20.0, sfreq=sfreq, random_state=i)
                  .get_data(units="uV")[picks] for i in range(len(subjects))])  # fmt: skip
    prepare_arrays(X, folder, sfreq=sfreq, ch_names=names, subjects=subjects, labels=labels,
                   recipe=RECIPE, verbose=False)  # fmt: skip
    return folder


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    a = _prepare(root / "a", sfreq=128.0, picks=list(range(8)), names=CH_NAMES,
                 subjects=["s1", "s1", "s2", "s2"], labels=["rest", "task", "rest", "task"])  # fmt: skip
    b = _prepare(root / "b", sfreq=160.0, picks=[5, 6, 0, 1], names=B_NAMES,
                 subjects=["s1", "s2", "s3"])  # fmt: skip
    return a, b


def test_corpus_dataset__one_channel_list_rate_and_unique_subjects(folders):
    a, b = folders
    ds = CorpusDataset([a, b], balance=None)
    assert ds.ch_names == CH_NAMES + ["TP9", "Misc"]  # "EEG O1", "OZ" map onto O1, Oz
    assert (ds.sfreq, ds.n_times, ds.shape) == (128.0, 256, (10, 256))
    assert len(ds) == 40 + 30 and sorted(set(ds.groups)) == ["a/s1", "a/s2", "b/s1", "b/s2",
                                                             "b/s3"]  # fmt: skip
    assert ds.classes == ["a/rest", "a/task"] and set(ds.targets[40:]) == {-1}
    items = ds.__getitems__([0, 45])
    window_a, target_a, mask_a = items[0]
    assert window_a.shape == (10, 256) and target_a in (0, 1)
    assert mask_a.tolist() == [True] * 8 + [False, False]
    np.testing.assert_array_equal(window_a[:8].numpy(), ShardDataset(a)[0][0].numpy())
    assert not window_a[8:].any()  # absent channels are zeros
    window_b, _, mask_b = items[1]
    on = [CH_NAMES.index("O1"), CH_NAMES.index("Oz"), 8, 9]
    assert np.flatnonzero(mask_b.numpy()).tolist() == sorted(on)
    source = ShardDataset(b)[5][0].numpy()  # (4, 320) at 160 Hz
    np.testing.assert_allclose(window_b[on].numpy(), resample(source, 256, axis=-1),
                               rtol=1e-5, atol=1e-4)  # fmt: skip
    assert not window_b[[i for i in range(10) if i not in on]].any()
    batch = default_collate(items)  # the trainer's batch[0] is the windows
    assert batch[0].shape == (2, 10, 256) and batch.ch_mask.shape == (2, 10)
    summary = ds.summary()
    assert summary["n_chans"].tolist() == [8, 4] and summary["sfreq"].tolist() == [128.0, 160.0]
    np.testing.assert_allclose(summary["hours"], [40 * 2 / 3600, 30 * 2 / 3600])
    record = ds.record()
    assert record["channels"] == ds.ch_names and set(record["folders"]) == {"a", "b"}
    # a given channel list: other channels are dropped, subjects selected by corpus id
    ds = CorpusDataset({"x": a, "y": b}, channels=["Oz", "O1", "Cz"], subjects=["y/s2", "x/s1"],
                       sfreq=64.0, window_seconds=1.5)  # fmt: skip
    assert ds.shape == (3, 96) and sorted(set(ds.groups)) == ["x/s1", "y/s2"]
    assert ds.ch_mask[ds.window_datasets[ds.indices] == "y"].tolist()[0] == [True, True, False]


def test_corpus_dataset__index_without_the_manifests(folders):
    a, b = folders
    ds = CorpusDataset([a, b], balance=None, subjects=["a/s2", "b/s1", "b/s3"])
    assert all(d._manifest is None for d in ds.datasets.values()) and ds._manifest is None
    recordings, starts = ds.recordings, ds.start_seconds  # without the tables
    assert ds._manifest is None
    table = ds.manifest  # read now, from both folders
    assert len(table) == len(ds) == 20 + 20
    np.testing.assert_array_equal(recordings, table["dataset"] + "/" + table["shard"])
    np.testing.assert_array_equal(starts, table["start_seconds"])
    np.testing.assert_array_equal(ds.groups, table["subject"])
    np.testing.assert_array_equal(ds.window_datasets, table["dataset"])
    assert ds.summary()["n_subjects"].tolist() == [1, 2]


def test_corpus_dataset__balances_datasets_every_epoch(folders):
    ds = CorpusDataset(folders, random_state=0)  # balance="dataset": equal shares
    assert len(ds) == 70
    _, counts = np.unique(ds.window_groups("dataset"), return_counts=True)
    assert counts.tolist() == [35, 35]  # 40 and 30 windows unbalanced
    first, groups = ds.indices.copy(), ds.groups.copy()
    ds.set_epoch(1)
    assert not np.array_equal(first, ds.indices)
    np.testing.assert_array_equal(groups, ds.groups)  # slot groups stay: batch_groups work
    np.testing.assert_array_equal(ds.window_subjects[ds.indices], ds.groups)
    ds.set_epoch(0)
    np.testing.assert_array_equal(first, ds.indices)  # the draw depends on (seed, epoch) only
    # within a group, windows are drawn without replacement while it has any left
    draw = BalancedIndex(["big"] * 6 + ["small"] * 2, list("aaabbbcd"), size=8, random_state=0)
    big = draw.indices[draw.slot_strata == "big"]
    assert len(set(big.tolist())) == 4 and sorted(draw.slot_groups[:4].tolist()) == list("aabb")
    assert sorted(draw.indices[draw.slot_strata == "small"].tolist()) == [6, 6, 7, 7]


def test_corpus_dataset__clear_errors(folders, tmp_path):
    a, b = folders
    with pytest.raises(ValueError, match="has no channel in 'channels'"):
        CorpusDataset([a, b], channels=["Fz", "Cz"])
    with pytest.raises(ValueError, match="fewer than n_times=1000"):
        CorpusDataset([a, b], n_times=1000)
    with pytest.raises(ValueError, match="'<dataset>/<subject>'"):
        CorpusDataset([a, b], subjects=["s1"])
    with pytest.raises(ValueError, match="share the name"):
        CorpusDataset([a, a])
    with pytest.raises(ValueError, match="Invalid value for 'balance'"):
        CorpusDataset([a, b], balance="subject")
    with pytest.raises(FileNotFoundError, match="not a prepared folder"):
        CorpusDataset([a, tmp_path])


def _spy_masks(monkeypatch):
    """Record, for every encoder call during training, the mask published by the trainer."""
    seen = []
    resolve = ChannelTokenEncoder.resolve_mask

    def spy(self, x, ch_mask=None):
        if self.training:
            seen.append(current_channel_mask(x))
        return resolve(self, x, ch_mask)

    monkeypatch.setattr(ChannelTokenEncoder, "resolve_mask", spy)
    return seen


def test_pretrain_cli__mixed_montage_folders(folders, tmp_path, monkeypatch):
    seen = _spy_masks(monkeypatch)
    out = tmp_path / "run"
    argv = ["--quiet", "pretrain", *map(str, folders), "--out", str(out), "--epochs", "1",
            "--batch-size", "16", "--encoder", "tokens"]  # fmt: skip
    assert main(argv) == 0
    ckpt = load_checkpoint(out / "checkpoint.pt")
    assert ckpt["data"]["folders"] == {"a": str(folders[0]), "b": str(folders[1])}
    assert ckpt["data"]["channels"] == CH_NAMES + ["TP9", "Misc"]
    assert ckpt["encoder"]["config"]["ch_names"] == CH_NAMES + ["TP9", "Misc"]
    assert ckpt["recording"]["ch_names"] == CH_NAMES + ["TP9", "Misc"]
    # the encoder saw each batch's channel mask (both views), never a guessed one
    assert seen and all(m is not None and m.shape[1] == 10 for m in seen)
    assert any(not m.all() for m in seen)


def test_pretrain__python_api_on_a_corpus(folders, monkeypatch):
    seen = _spy_masks(monkeypatch)
    ds = CorpusDataset(folders, random_state=0)
    with seeded(0):
        encoder = build_encoder("tokens", n_chans=10, n_times=256, n_outputs=16, sfreq=128.0,
                                ch_names=ds.ch_names, embed_dim=16, n_heads=2)  # fmt: skip
        method = build_method("spectral_prediction", encoder, random_state=0)
    history = pretrain(method, ds, epochs=1, batch_size=16, batch_groups=ds.groups,
                       random_state=0, verbose=False)  # fmt: skip
    assert np.isfinite(history[0]["loss"])
    assert seen and all(m is not None for m in seen)
    assert any(not m.all() for m in seen)
