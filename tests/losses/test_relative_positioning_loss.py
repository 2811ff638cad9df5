"""RP/TS labels, features and loss against textbook definitions (Banville et al. 2021)."""

import math

import numpy as np
import torch

from eeg_ssl.losses.relative_positioning_loss import (
    pretext_loss,
    relative_positioning_features,
    relative_positioning_label,
    temporal_shuffling_features,
    temporal_shuffling_label,
)


def _rp(ta, tb, tau_pos, tau_neg):
    d = abs(ta - tb)
    if d <= tau_pos:
        return 1
    if d >= tau_neg:
        return 0
    return -1


def _ts(a, m, b, tau_pos, tau_neg):
    if not (a < b and b - a <= tau_pos):
        return -1
    if a < m < b:
        return 1
    if m <= a - tau_neg or m >= b + tau_neg:
        return 0
    return -1


def test_relative_positioning_label__matches_textbook():
    rng = np.random.default_rng(0)
    ta, tb = rng.uniform(0, 100, 500).round(), rng.uniform(0, 100, 500).round()
    got = relative_positioning_label(ta, tb, 10, 30)
    assert got.tolist() == [_rp(a, b, 10, 30) for a, b in zip(ta, tb)]
    assert set(got.tolist()) == {-1, 0, 1}


def test_temporal_shuffling_label__matches_textbook():
    rng = np.random.default_rng(1)
    a, m, b = (rng.uniform(0, 60, 2000).round() for _ in range(3))
    got = temporal_shuffling_label(a, m, b, 20, 10)
    assert got.tolist() == [_ts(*v, 20, 10) for v in zip(a, m, b)]
    assert set(got.tolist()) == {-1, 0, 1}


def test_features_and_loss__textbook_values():
    h1, h2, h3 = (
        torch.tensor([[1.0, -2.0]]),
        torch.tensor([[3.0, 1.0]]),
        torch.tensor([[0.0, 0.0]]),
    )
    torch.testing.assert_close(relative_positioning_features(h1, h2), torch.tensor([[2.0, 3.0]]))
    torch.testing.assert_close(temporal_shuffling_features(h1, h2, h3),
                               torch.tensor([[2.0, 3.0, 3.0, 1.0]]))  # fmt: skip
    logits, y = torch.tensor([[2.0], [-1.0]]), torch.tensor([1.0, 0.0])
    sig = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    expected = -(math.log(sig(2.0)) + math.log(1 - sig(-1.0))) / 2
    assert abs(pretext_loss(logits, y).item() - expected) < 1e-6
