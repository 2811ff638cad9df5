"""The training loop: accumulation, precision, checkpoints, logs and input errors."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from torch.utils.data import Dataset, TensorDataset

from eeg_ssl.methods import SimCLR, SSLMethod
from eeg_ssl.models import build_encoder
from eeg_ssl.simulation import simulate_windows
from eeg_ssl.training import load_checkpoint, method_from_checkpoint, pretrain
from eeg_ssl.utils import seeded


class Shrink(SSLMethod):
    """A per-window loss (mean over the batch): accumulation must equal a bigger batch."""

    name = "shrink"

    def forward(self, X):
        z = self.encoder(X)
        return ((z - 1.0) ** 2).mean()


def _windows(n=64):
    X, y, _ = simulate_windows(n, 4, 64, n_subjects=2, random_state=0)
    return TensorDataset(torch.as_tensor(X / X.std()), torch.as_tensor(y))


def _simclr():
    with seeded(0):
        enc = build_encoder("conv", n_chans=4, n_times=64, n_outputs=16, n_filters=8, n_blocks=2)
        return SimCLR(enc, projection_dim=8, hidden_dim=16, random_state=0)


def test_pretrain__accumulation_equals_bigger_batch():
    results = []
    for batch_size, accumulate in ((16, 1), (8, 2)):
        with seeded(0):
            method = Shrink(nn.Sequential(nn.Flatten(), nn.Linear(4 * 64, 8)))
        initial = method.encoder[1].weight.detach().clone()
        history = pretrain(method, _windows(), epochs=2, batch_size=batch_size,
                           accumulate=accumulate, lr=1e-2, warmup_epochs=1, monitor_every=0,
                           random_state=0, verbose=False)  # fmt: skip
        results.append((history, method.encoder[1].weight.detach().clone()))
    (h1, w1), (h2, w2) = results
    assert [h["step"] for h in h1] == [h["step"] for h in h2] == [4, 8]
    assert [h["loss"] for h in h1] == pytest.approx([h["loss"] for h in h2], rel=1e-5)
    assert torch.allclose(w1, w2, atol=1e-6)
    assert not torch.allclose(w1, initial, atol=1e-3)  # the weights did move


def test_pretrain__checkpoint_round_trip_weights_only(tmp_path):
    method = _simclr()
    run = tmp_path / "run"
    pretrain(method, _windows(), epochs=2, batch_size=16, lr=1e-3, run_dir=run,
             checkpoint=tmp_path / "final.pt", checkpoint_extra={"data": {"note": "sim"}},
             keep_every_epochs=1, random_state=0, verbose=False)  # fmt: skip
    for name in ("last.pt", "best.pt", "epoch-0001.pt", "epoch-0002.pt"):
        assert (run / "checkpoints" / name).exists(), name
    raw = torch.load(tmp_path / "final.pt", weights_only=True)  # no pickled code
    ckpt = load_checkpoint(tmp_path / "final.pt")
    assert raw.keys() == ckpt.keys()
    training = ckpt["training"]
    assert training["step"] == 8 and training["epoch"] == 2
    assert {"optimizer", "scheduler", "scaler", "rng", "seed"} <= set(training)
    assert set(training["rng"][0]) == {"torch", "cuda", "loader", "method"}
    assert ckpt["data"] == {"note": "sim"} and len(ckpt["history"]) == 2
    assert set(ckpt["versions"]) >= {"eeg_ssl", "torch", "braindecode", "mne", "numpy"}
    rebuilt = method_from_checkpoint(ckpt).eval()
    X = _windows().tensors[0][:8]
    with torch.no_grad():
        assert torch.allclose(rebuilt.embed(X), method.embed(X), atol=1e-6)
    # logs and resolved config beside the run
    with open(run / "steps.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["step"]) for r in rows] == list(range(1, 9))
    assert (run / "training.json").exists() and (run / "epochs.csv").exists()


def test_pretrain__bf16_autocast_on_cpu_gives_finite_losses():
    history = pretrain(_simclr(), _windows(), epochs=1, batch_size=16, precision="bf16",
                       monitor_every=0, random_state=0, verbose=False)  # fmt: skip
    assert history and all(torch.isfinite(torch.tensor(h["loss"])) for h in history)


def test_pretrain__bad_arguments_raise_clear_errors():
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="precision='fp16' needs a CUDA"):
            pretrain(_simclr(), _windows(), epochs=1, batch_size=8, precision="fp16")
    with pytest.raises(ValueError, match="Did you mean 'bf16'"):
        pretrain(_simclr(), _windows(), precision="bf61")
    with pytest.raises(ValueError, match="'accumulate' must be an integer >= 1"):
        pretrain(_simclr(), _windows(), accumulate=0)
    with pytest.raises(ValueError, match="lower 'accumulate' or 'batch_size'"):
        pretrain(_simclr(), _windows(16), batch_size=8, accumulate=4, verbose=False)


class _ManifestData(Dataset):
    """Windows with a manifest, like ShardDataset (the manifest hash guards resume)."""

    def __init__(self, data, tag):
        self.data = data
        self.manifest = pd.DataFrame({"row": range(len(data)), "tag": tag})

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        return self.data[i]


def test_pretrain__resume_on_other_data_raises(tmp_path):
    data = _windows()
    pretrain(_simclr(), _ManifestData(data, "a"), epochs=1, batch_size=16, run_dir=tmp_path,
             monitor_every=0, random_state=0, verbose=False)  # fmt: skip
    with pytest.raises(ValueError, match="data differ"):
        pretrain(_simclr(), _ManifestData(data, "b"), epochs=2, batch_size=16, run_dir=tmp_path,
                 resume="auto", monitor_every=0, random_state=0, verbose=False)  # fmt: skip
    with pytest.raises(ValueError, match="'batch_size' was 16"):
        pretrain(_simclr(), _ManifestData(data, "a"), epochs=2, batch_size=8, run_dir=tmp_path,
                 resume="auto", monitor_every=0, random_state=0, verbose=False)  # fmt: skip


def test_pretrain__calls_dataset_set_epoch_each_epoch():
    """Datasets with ``set_epoch`` (RP/TS pairs) get a fresh draw every epoch."""

    class Recorded(TensorDataset):
        epochs = []

        def set_epoch(self, epoch):
            self.epochs.append(epoch)

    with seeded(0):
        enc = build_encoder("conv", n_chans=4, n_times=64, n_outputs=8, n_filters=4, n_blocks=2)
        method = SimCLR(enc, projection_dim=4, hidden_dim=8, random_state=0)
    data = Recorded(torch.randn(16, 4, 64))
    pretrain(method, data, epochs=3, batch_size=8, random_state=0, verbose=False)
    assert Recorded.epochs == [0, 1, 2]


def test_resumable_sampler__grouped_order_keeps_groups_together():
    from eeg_ssl.training.trainer import ResumableSampler

    groups = np.repeat(["a", "b", "c", "d", "e"], [30, 10, 25, 20, 15])
    data = list(range(len(groups)))
    sampler = ResumableSampler(data, 1, 0, seed=3, groups=groups)
    order = list(sampler)
    assert sorted(order) == data  # every window once
    runs = [g for i, g in enumerate(groups[order]) if i == 0 or g != groups[order][i - 1]]
    assert sorted(runs) == ["a", "b", "c", "d", "e"]  # each group one contiguous run
    batches = [groups[order[i : i + 16]] for i in range(0, len(order) - 15, 16)]
    assert max(len(set(b)) for b in batches) <= 2 and min(len(set(b)) for b in batches) == 1
    # depends on (seed, epoch) only: new order each epoch, the same after a restart
    sampler.set_epoch(1)
    assert list(sampler) != order
    sampler.set_epoch(0)
    assert list(sampler) == order
    sampler.skip(7)
    assert list(sampler) == order[7:]
    # ranks take alternate windows of the same order: a partition
    ranks = [list(ResumableSampler(data, 2, r, seed=3, groups=groups)) for r in (0, 1)]
    assert sorted(ranks[0] + ranks[1]) == data and ranks[0] == order[0::2]


def test_pretrain__batch_groups_reach_the_batches():
    seen = []

    class Spy(Shrink):
        def forward(self, X):
            seen.append(X[:, 0, 0].round().long().tolist())  # window id in the first sample
            return super().forward(X)

    X = torch.randn(48, 4, 64)
    X[:, 0, 0] = torch.arange(48, dtype=torch.float32)
    groups = np.arange(48) // 12  # 4 groups of 12
    with seeded(0):
        enc = build_encoder("conv", n_chans=4, n_times=64, n_outputs=8, n_filters=4, n_blocks=2)
    pretrain(Spy(enc), TensorDataset(X), epochs=2, batch_size=12, batch_groups=groups,
             random_state=0, verbose=False)  # fmt: skip
    assert len(seen) == 8 and all(len(set(groups[b])) == 1 for b in seen)
    with pytest.raises(ValueError, match="'batch_groups' has 47 entries.*48 items"):
        pretrain(Spy(enc), TensorDataset(X), epochs=1, batch_size=12,
                 batch_groups=groups[:47], verbose=False)  # fmt: skip


def test_pretrain__progress_lines__about_ten_per_run(caplog):
    with seeded(0):
        method = Shrink(nn.Sequential(nn.Flatten(), nn.Linear(4 * 64, 8)))
    with caplog.at_level("DEBUG", logger="eeg_ssl"):
        history = pretrain(method, _windows(16), epochs=30, batch_size=16, monitor_every=0,
                           random_state=0, verbose=True)  # fmt: skip
    lines = [r for r in caplog.records if r.getMessage().startswith("epoch ")]
    shown = [int(r.getMessage().split()[1].rstrip(":")) for r in lines if r.levelname == "INFO"]
    assert len(history) == len(lines) == 30  # every epoch is logged, most at DEBUG
    assert shown == [0, 2, 5, 8, 11, 14, 17, 20, 23, 26, 29]
