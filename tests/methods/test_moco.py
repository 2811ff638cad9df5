"""MoCo: loss, gradients, key queue (FIFO, wrap-around), momentum encoder, checkpoints."""

import pytest
import torch

from eeg_ssl.methods import MoCo, build_method
from eeg_ssl.models import ConvEncoder
from eeg_ssl.training import method_from_checkpoint, save_checkpoint
from eeg_ssl.utils import seeded


def _method(seed=0, **kw):
    kw = dict(dict(projection_dim=8, hidden_dim=16, queue_size=20), **kw)
    with seeded(seed):
        enc = ConvEncoder(n_chans=4, n_outputs=16, n_times=128, n_filters=8, n_blocks=3)
        return MoCo(enc, random_state=seed, **kw)


def _X(seed=0, n=8):
    return torch.randn(n, 4, 128, generator=torch.Generator().manual_seed(seed))


def _train(method, n_steps, lr=1e-2):
    opt = torch.optim.SGD([p for p in method.parameters() if p.requires_grad], lr=lr)
    for step in range(n_steps):
        loss = method(_X(step))
        opt.zero_grad()
        loss.backward()
        opt.step()
        method.on_train_step_end(step, n_steps)


def _distance(a, b):
    return sum((p - q).norm() for p, q in zip(a.parameters(), b.parameters())).item()


def test_moco__finite_loss_gradients_reach_encoder_not_key_encoder():
    method = _method()
    loss = method(_X())
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in method.encoder.parameters()
               if p.ndim > 1)  # fmt: skip
    assert all(p.grad is None for p in method.target_encoder.parameters())
    assert all(not p.requires_grad for p in method.target_projection_head.parameters())


@pytest.mark.parametrize("symmetric, keys_per_step", [(False, 8), (True, 16)])
def test_moco__queue_pointer_wraps_and_holds_latest_keys(symmetric, keys_per_step):
    method = _method(symmetric=symmetric)  # queue of 20: not a multiple of 8 or 16
    method.train()
    for step in range(3):
        method(_X(step))
        assert int(method.queue.ptr) == (step + 1) * keys_per_step % 20
    # The newest keys are unit-norm key-encoder outputs, not the random initial ones.
    ptr = int(method.queue.ptr)
    newest = method.queue.queue[(ptr - 1) % 20]
    assert newest.norm().item() == pytest.approx(1.0, abs=1e-5)


def test_moco__eval_forward_leaves_queue_alone():
    method = _method().eval()
    before = method.queue.queue.clone()
    method(_X())
    torch.testing.assert_close(method.queue.queue, before, rtol=0, atol=0)
    assert int(method.queue.ptr) == 0


def test_moco__key_encoder_moves_towards_online():
    method = _method(momentum=0.9)
    torch.testing.assert_close(_distance(method.encoder, method.target_encoder), 0.0)
    opt = torch.optim.SGD([p for p in method.parameters() if p.requires_grad], lr=0.1)
    method(_X()).backward()
    opt.step()
    before = _distance(method.encoder, method.target_encoder)
    assert before > 0
    method.on_train_step_end(0, 10)
    after = _distance(method.encoder, method.target_encoder)
    assert after == pytest.approx(0.9 * before, rel=0.05)  # each parameter's gap shrinks by m


def test_moco__cosine_momentum_schedule():
    method = _method(momentum=0.9, momentum_schedule="cosine")
    method.on_train_step_end(0, 100)
    assert method.current_momentum.item() == pytest.approx(0.9)
    method.on_train_step_end(100, 100)
    assert method.current_momentum.item() == pytest.approx(1.0)


def test_moco__checkpoint_round_trip_resumes_queue_and_key_encoder(tmp_path):
    method = _method()
    method.train()
    _train(method, 3)
    path = save_checkpoint(tmp_path / "moco.pt", method)
    restored = method_from_checkpoint(path)
    assert restored.hparams == method.hparams
    torch.testing.assert_close(restored.queue.queue, method.queue.queue, rtol=0, atol=0)
    assert int(restored.queue.ptr) == int(method.queue.ptr)
    for a, b in zip(restored.target_encoder.parameters(), method.target_encoder.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    restored.train()
    restored.set_rng_state(method.rng_state())
    X = _X(99)
    torch.testing.assert_close(restored(X), method(X))  # same views, queue, weights -> same loss


def test_moco__bad_arguments():
    enc = ConvEncoder(n_chans=4, n_outputs=16, n_times=128)
    with pytest.raises(ValueError, match="'momentum_schedule'.*Did you mean 'cosine'"):
        build_method("moco", enc, momentum_schedule="cosin")
    with pytest.raises(ValueError, match="'momentum' must be in \\[0, 1\\]"):
        build_method("moco", enc, momentum=1.5)
    with pytest.raises(ValueError, match="'size'"):
        build_method("moco", enc, queue_size=0)
    with pytest.raises(ValueError, match="'temperature'"):
        build_method("moco", enc, temperature=0)
