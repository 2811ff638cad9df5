"""EMA updates and momentum schedules."""

import math

import pytest
import torch
from torch import nn

from eeg_ssl.modules import cosine_momentum, make_target, momentum_at, update_ema


def _net(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))


def test_cosine_momentum__endpoints_and_monotone():
    values = [cosine_momentum(s, 100, base=0.9) for s in range(101)]
    assert values[0] == pytest.approx(0.9)
    assert values[-1] == pytest.approx(1.0)
    assert values[50] == pytest.approx(0.95)
    assert all(b >= a for a, b in zip(values, values[1:]))


def test_momentum_at__constant_and_bad_schedule():
    assert momentum_at(70, 100, 0.99, "constant") == 0.99
    assert momentum_at(25, 100, 0.99, "cosine") == pytest.approx(
        1 - 0.01 * (math.cos(math.pi / 4) + 1) / 2
    )
    with pytest.raises(
        ValueError, match="Invalid value for 'momentum_schedule'.*Did you mean 'cosine'"
    ):
        momentum_at(0, 10, 0.99, "cosin")
    with pytest.raises(ValueError, match="'total_steps' must be > 0"):
        cosine_momentum(0, 0)


def test_make_target__frozen_copy():
    online = _net(0)
    target = make_target(online)
    assert all(not p.requires_grad for p in target.parameters())
    assert all(p.requires_grad for p in online.parameters())
    for t, o in zip(target.parameters(), online.parameters()):
        torch.testing.assert_close(t, o)
        assert t.data_ptr() != o.data_ptr()


def test_update_ema__formula_and_extremes():
    online, target = _net(0), _net(1)
    before = [p.clone() for p in target.parameters()]
    update_ema(target, online, 0.9)
    for t, b, o in zip(target.parameters(), before, online.parameters()):
        torch.testing.assert_close(t, 0.9 * b + 0.1 * o)
    snapshot = [p.clone() for p in target.parameters()]
    update_ema(target, online, 1.0)
    for t, s in zip(target.parameters(), snapshot):
        torch.testing.assert_close(t, s)
    update_ema(target, online, 0.0)
    for t, o in zip(target.parameters(), online.parameters()):
        torch.testing.assert_close(t, o)


def test_update_ema__moves_target_towards_online_and_tracks_buffers():
    online, target = _net(0), _net(1)
    online.train()
    online(torch.randn(8, 4) + 5.0)  # changes BatchNorm running statistics
    dist = sum((t - o).norm() for t, o in zip(target.parameters(), online.parameters()))
    for _ in range(5):
        update_ema(target, online, 0.5)
    new = sum((t - o).norm() for t, o in zip(target.parameters(), online.parameters()))
    assert new < dist / 10
    assert int(target[1].num_batches_tracked) == int(online[1].num_batches_tracked)
    assert target[1].running_mean.abs().sum() > 0


def test_update_ema__mismatched_modules():
    with pytest.raises(ValueError, match="differ"):
        update_ema(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)), 0.5)
