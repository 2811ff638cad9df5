"""BYOL: loss, gradients, EMA target with cosine momentum, checkpoints."""

import pytest
import torch

from eeg_ssl.methods import BYOL, build_method
from eeg_ssl.models import ConvEncoder
from eeg_ssl.training import method_from_checkpoint, save_checkpoint
from eeg_ssl.utils import seeded


def _method(seed=0, **kw):
    with seeded(seed):
        enc = ConvEncoder(n_chans=4, n_outputs=16, n_times=128, n_filters=8, n_blocks=3)
        return BYOL(enc, projection_dim=8, hidden_dim=16, random_state=seed, **kw)


def _X(seed=0, n=8):
    return torch.randn(n, 4, 128, generator=torch.Generator().manual_seed(seed))


def _distance(a, b):
    return sum((p - q).norm() for p, q in zip(a.parameters(), b.parameters())).item()


def _step(method, opt, step, total):
    loss = method(_X(step))
    opt.zero_grad()
    loss.backward()
    opt.step()
    method.on_train_step_end(step, total)
    return loss


def test_byol__finite_loss_in_range_and_gradients():
    method = _method()
    loss = method(_X())
    assert loss.ndim == 0 and -1.0 <= loss.item() <= 1.0
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in method.encoder.parameters()
               if p.ndim > 1)  # fmt: skip
    assert all(p.grad is not None for p in method.prediction_head.parameters())
    assert all(p.grad is None for p in method.target_encoder.parameters())


def test_byol__target_follows_online_by_ema_with_cosine_momentum():
    method = _method(momentum=0.9)
    opt = torch.optim.SGD([p for p in method.parameters() if p.requires_grad], lr=0.1)
    total = 4
    for step in range(total):
        loss = method(_X(step))
        opt.zero_grad()
        loss.backward()
        opt.step()
        gap = _distance(method.encoder, method.target_encoder)
        assert gap > 0
        method.on_train_step_end(step, total)
        momentum = method.current_momentum.item()
        assert momentum == pytest.approx(
            1 - 0.1 * (torch.cos(torch.tensor(torch.pi * step / total)).item() + 1) / 2
        )
        assert _distance(method.encoder, method.target_encoder) == pytest.approx(
            momentum * gap, rel=0.05
        )
    method.on_train_step_end(total, total)
    assert method.current_momentum.item() == pytest.approx(1.0)


def test_byol__constant_schedule_and_target_not_optimised():
    method = _method(momentum=0.95, momentum_schedule="constant")
    before = [p.clone() for p in method.target_encoder.parameters()]
    opt = torch.optim.AdamW(method.parameters(), lr=0.1, weight_decay=0.5)
    loss = method(_X())
    loss.backward()
    opt.step()  # weight decay must not touch the frozen target either
    for a, b in zip(method.target_encoder.parameters(), before):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    method.on_train_step_end(7, 10)
    assert method.current_momentum.item() == pytest.approx(0.95)


def test_byol__checkpoint_round_trip(tmp_path):
    method = _method()
    opt = torch.optim.SGD([p for p in method.parameters() if p.requires_grad], lr=0.05)
    for step in range(2):
        _step(method, opt, step, 10)
    path = save_checkpoint(tmp_path / "byol.pt", method)
    restored = method_from_checkpoint(path)
    for a, b in zip(restored.state_dict().values(), method.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    restored.set_rng_state(method.rng_state())
    X = _X(50)
    torch.testing.assert_close(restored(X), method(X))


def test_byol__bad_arguments():
    enc = ConvEncoder(n_chans=4, n_outputs=16, n_times=128)
    with pytest.raises(ValueError, match="'momentum_schedule'"):
        build_method("byol", enc, momentum_schedule="linear")
    with pytest.raises(ValueError, match="'momentum' must be in \\[0, 1\\]"):
        build_method("byol", enc, momentum=-0.1)
