"""SwAV: loss, gradients, prototypes (normalised, frozen at first), checkpoints."""

import pytest
import torch

from eeg_ssl.methods import SwAV, build_method
from eeg_ssl.models import ConvEncoder
from eeg_ssl.training import method_from_checkpoint, save_checkpoint
from eeg_ssl.utils import seeded


def _method(seed=0, **kw):
    with seeded(seed):
        enc = ConvEncoder(n_chans=4, n_outputs=16, n_times=128, n_filters=8, n_blocks=3)
        return SwAV(enc, projection_dim=8, hidden_dim=16, n_prototypes=6, random_state=seed, **kw)


def _X(seed=0, n=12):
    return torch.randn(n, 4, 128, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("n_views", [2, 3])
def test_swav__finite_loss_and_gradients(n_views):
    method = _method(n_views=n_views)
    loss = method(_X())
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in method.encoder.parameters()
               if p.ndim > 1)  # fmt: skip
    assert method.prototypes.layer.weight.grad.abs().sum() > 0


def test_swav__prototypes_normalised_each_forward():
    method = _method()
    with torch.no_grad():
        method.prototypes.layer.weight.mul_(5.0)
    method(_X())
    torch.testing.assert_close(method.prototypes.layer.weight.norm(dim=1), torch.ones(6))


def test_swav__prototypes_frozen_for_first_steps():
    method = _method(freeze_prototypes_steps=2)
    for step in range(3):
        method.zero_grad()
        method(_X(step)).backward()
        grad = method.prototypes.layer.weight.grad
        assert (grad is None) == (step < 2)
        method.on_train_step_end(step, 10)
    assert int(method.step) == 3


def test_swav__checkpoint_round_trip(tmp_path):
    method = _method(freeze_prototypes_steps=5)
    opt = torch.optim.SGD(method.parameters(), lr=0.05)
    for step in range(2):
        method(_X(step)).backward()
        opt.step()
        opt.zero_grad()
        method.on_train_step_end(step, 10)
    restored = method_from_checkpoint(save_checkpoint(tmp_path / "swav.pt", method))
    assert int(restored.step) == 2
    restored.set_rng_state(method.rng_state())
    X = _X(7)
    torch.testing.assert_close(restored(X), method(X))


def test_swav__bad_arguments():
    enc = ConvEncoder(n_chans=4, n_outputs=16, n_times=128)
    with pytest.raises(ValueError, match="'n_views' must be >= 2"):
        build_method("swav", enc, n_views=1)
    with pytest.raises(ValueError, match="'n_prototypes'"):
        build_method("swav", enc, n_prototypes=1)
    with pytest.raises(ValueError, match="'epsilon'"):
        build_method("swav", enc, sinkhorn_epsilon=0.0)
