"""Monitors: reference values on constructed embeddings, and the collapse warning."""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

from eeg_ssl.methods import SimCLR, SSLMethod
from eeg_ssl.models import build_encoder
from eeg_ssl.simulation import simulate_windows
from eeg_ssl.training import (
    alignment,
    collapse_status,
    effective_rank,
    embedding_std,
    knn_accuracy,
    pretrain,
    uniformity,
)
from eeg_ssl.utils import seeded


def test_effective_rank__matches_subspace_dimension():
    gen = torch.Generator().manual_seed(0)
    basis = torch.linalg.qr(torch.randn(32, 3, generator=gen))[0]  # 3 orthonormal columns
    # equal singular values in 3 directions -> rank exactly 3
    emb = torch.cat([basis.T, -basis.T]) * 5.0  # (6, 32)
    assert effective_rank(emb) == pytest.approx(3.0, rel=1e-4)
    assert effective_rank(torch.ones(10, 8)) == pytest.approx(1.0, rel=1e-4)


def test_alignment_uniformity__reference_values():
    z = torch.eye(4)  # 4 orthogonal unit vectors: squared distances all 2
    assert alignment(z, z) == 0.0
    assert alignment(z, -z) == pytest.approx(4.0)
    assert uniformity(z) == pytest.approx(-4.0)  # log mean exp(-2 * 2)
    assert uniformity(torch.ones(5, 3)) == pytest.approx(0.0, abs=1e-6)


def test_embedding_std__collapsed_vs_spread():
    gen = torch.Generator().manual_seed(0)
    spread = torch.randn(2000, 16, generator=gen)
    assert embedding_std(spread) * math.sqrt(16) == pytest.approx(1.0, abs=0.05)
    assert embedding_std(torch.ones(50, 16) + 1e-6 * spread[:50]) < 1e-4
    collapsed, reason = collapse_status(0.001, 1.0, 16)
    assert collapsed and "std" in reason and "rank" in reason
    assert collapse_status(embedding_std(spread), effective_rank(spread), 16) == (False, "")


def test_knn_accuracy__separable_vs_random():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 40)
    groups = np.tile(np.repeat(["a", "b"], 20), 2)
    centres = np.array([[5.0, 0, 0, 0], [0, 5.0, 0, 0]])  # distinct directions (cosine kNN)
    separable = rng.standard_normal((80, 4)) + centres[y]
    assert knn_accuracy(torch.as_tensor(separable), y, groups) == 1.0
    noise = rng.standard_normal((80, 4))
    assert knn_accuracy(noise, y, groups) < 0.8
    assert math.isnan(knn_accuracy(noise, np.zeros(80, dtype=int)))


class AttractOnly(SSLMethod):
    """Deliberately collapsing: pulls every window's embedding towards every other's."""

    name = "attract_only"

    def forward(self, X):
        z = F.normalize(self.encoder(X), dim=1)
        return -(z @ z.T).mean()


def _data():
    X, y, groups = simulate_windows(96, 4, 64, n_subjects=3, random_state=0)
    return TensorDataset(torch.as_tensor(X / X.std()), torch.as_tensor(y))


def _encoder():
    return build_encoder("conv", n_chans=4, n_times=64, n_outputs=16, n_filters=8, n_blocks=2)


def test_pretrain__collapse_warning_fires_on_collapsing_objective(caplog):
    with seeded(0):
        method = AttractOnly(_encoder())
    with caplog.at_level(logging.WARNING, logger="eeg_ssl"):
        history = pretrain(method, _data(), epochs=2, batch_size=8, lr=1e-2, random_state=0,
                           verbose=False)  # fmt: skip
    assert history[-1]["collapsed"] is True
    assert any("collapse" in r.getMessage().lower() for r in caplog.records)


def test_pretrain__collapse_warning_silent_on_healthy_simclr(caplog):
    with seeded(0):
        method = SimCLR(_encoder(), projection_dim=8, hidden_dim=16, random_state=0)
    with caplog.at_level(logging.WARNING, logger="eeg_ssl"):
        history = pretrain(method, _data(), epochs=2, batch_size=32, lr=1e-2, random_state=0,
                           verbose=False)  # fmt: skip
    assert not any(h["collapsed"] for h in history)
    assert not any("collapse" in r.getMessage().lower() for r in caplog.records)
    assert all(np.isfinite(h["embedding_std"]) and h["effective_rank"] > 2 for h in history)
