"""VICReg: loss, gradients, agreement with its loss on the same views, checkpoints."""

import pytest
import torch

from eeg_ssl.losses import vicreg_loss
from eeg_ssl.methods import VICReg, build_method
from eeg_ssl.models import ConvEncoder
from eeg_ssl.training import method_from_checkpoint, save_checkpoint
from eeg_ssl.utils import seeded


def _method(seed=0, **kw):
    with seeded(seed):
        enc = ConvEncoder(n_chans=4, n_outputs=16, n_times=128, n_filters=8, n_blocks=3)
        return VICReg(enc, expander_dim=32, hidden_dim=32, random_state=seed, **kw)


def _X(seed=0, n=8):
    return torch.randn(n, 4, 128, generator=torch.Generator().manual_seed(seed))


def test_vicreg__finite_loss_and_gradients():
    method = _method()
    loss = method(_X())
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in method.encoder.parameters()
               if p.ndim > 1)  # fmt: skip


def test_vicreg__weights_reach_the_loss():
    method = _method(invariance_weight=2.0, variance_weight=3.0, covariance_weight=0.5)
    states = method.rng_state()
    loss = method(_X())
    method.set_rng_state(states)
    view_a, view_b = method.views(_X())
    z_a, z_b = method.expander(method.encoder(view_a)), method.expander(method.encoder(view_b))
    torch.testing.assert_close(loss, vicreg_loss(z_a, z_b, 2.0, 3.0, 0.5))


def test_vicreg__checkpoint_round_trip(tmp_path):
    method = _method()
    restored = method_from_checkpoint(save_checkpoint(tmp_path / "v.pt", method))
    assert restored.hparams == method.hparams
    restored.set_rng_state(method.rng_state())
    X = _X(3)
    torch.testing.assert_close(restored(X), method(X))


def test_vicreg__bad_arguments():
    enc = ConvEncoder(n_chans=4, n_outputs=16, n_times=128)
    with pytest.raises(ValueError, match="'covariance_weight' must be >= 0"):
        build_method("vicreg", enc, covariance_weight=-1.0)
    with pytest.raises(ValueError, match="'n_layers'"):
        build_method("vicreg", enc, n_layers=0)
