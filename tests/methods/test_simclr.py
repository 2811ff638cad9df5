"""SimCLR: loss, gradients, determinism, checkpoint round trip."""

import pytest
import torch

from eeg_ssl.methods import METHODS, SimCLR, build_method
from eeg_ssl.models import ConvEncoder
from eeg_ssl.training import load_checkpoint, method_from_checkpoint, save_checkpoint
from eeg_ssl.utils import seeded


def _method(seed=0, **kw):
    with seeded(seed):
        enc = ConvEncoder(n_chans=4, n_outputs=16, n_times=128, n_filters=8, n_blocks=3)
        return SimCLR(enc, projection_dim=8, hidden_dim=16, random_state=seed, **kw)


def test_simclr__finite_loss_and_encoder_gradients():
    method = _method()
    X = torch.randn(8, 4, 128)
    loss = method(X)
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    grads = [p.grad for p in method.encoder.parameters()]
    assert all(g is not None for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)


def test_simclr__same_seed_same_loss():
    X = torch.randn(8, 4, 128)
    assert _method(3)(X).item() == _method(3)(X).item()
    assert _method(3)(X).item() != _method(4)(X).item()


def test_simclr__checkpoint_round_trip(tmp_path):
    method = _method().eval()
    path = save_checkpoint(tmp_path / "m.pt", method, extra={"note": "x"})
    payload = load_checkpoint(path)  # weights_only=True inside
    assert payload["method"] == "simclr" and payload["note"] == "x"
    assert payload["method_kwargs"]["temperature"] == 0.1
    assert set(payload["versions"]) >= {"eeg_ssl", "torch", "braindecode", "mne"}
    restored = method_from_checkpoint(path).eval()
    X = torch.randn(8, 4, 128)
    torch.testing.assert_close(restored.embed(X), method.embed(X))


def test_simclr__phase_surrogate_views_train_and_round_trip(tmp_path):
    method = _method(phase_probability=1.0)
    X = torch.randn(8, 4, 128)
    loss = method(X)
    assert torch.isfinite(loss) and loss.item() != _method()(X).item()
    path = save_checkpoint(tmp_path / "m.pt", method.eval())
    assert load_checkpoint(path)["method_kwargs"]["phase_probability"] == 1.0
    restored = method_from_checkpoint(path).eval()
    torch.testing.assert_close(restored.embed(X), method.embed(X))


def test_load_checkpoint__rejects_pickled_code(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"checkpoint_version": 1, "obj": torch.nn.Linear(2, 2)}, path)
    with pytest.raises(ValueError, match="evil.pt"):
        load_checkpoint(path)


def test_build_method__suggests_name():
    with pytest.raises(ValueError, match="Did you mean 'simclr'"):
        build_method("simclrr", None)
    assert "simclr" in METHODS
