"""Resampling-invariant contrastive learning: views, loss, gradients, checkpoints."""

import pytest
import torch

from eeg_ssl.losses import nt_xent_loss
from eeg_ssl.methods import ResamplingContrastive, build_method
from eeg_ssl.models import ConvEncoder
from eeg_ssl.training import method_from_checkpoint, save_checkpoint
from eeg_ssl.utils import seeded


def _method(seed=0, **kw):
    with seeded(seed):
        enc = ConvEncoder(n_chans=4, n_outputs=16, n_times=128, n_filters=8, n_blocks=3)
        return ResamplingContrastive(enc, projection_dim=8, hidden_dim=16, random_state=seed, **kw)


def _X(seed=0, n=8):
    return torch.randn(n, 4, 128, generator=torch.Generator().manual_seed(seed))


def test_resampling_contrastive__finite_loss_and_gradients():
    method = _method()
    loss = method(_X())
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in method.encoder.parameters()
               if p.ndim > 1)  # fmt: skip


def test_resampling_contrastive__views_are_resampled_to_window_length():
    method = _method(jitter_probability=0.0, scale_probability=0.0, rate_probability=1.0)
    t = torch.arange(128, dtype=torch.float32)
    X = torch.sin(2 * torch.pi * 16 * t / 128).expand(8, 4, 128).clone()
    view_a, view_b = method.views(X)
    assert view_a.shape == X.shape and view_b.shape == X.shape
    peaks = torch.fft.rfft(view_a[:, 0], dim=-1).abs().argmax(-1)
    # rates in [0.5, 2] move 16 cycles into [8, 32]; different windows get different rates
    assert peaks.min() >= 7 and peaks.max() <= 33 and peaks.unique().numel() > 1


def test_resampling_contrastive__loss_is_nt_xent_of_its_views():
    method = _method(temperature=0.3)
    states = method.rng_state()
    loss = method(_X())
    method.set_rng_state(states)
    view_a, view_b = method.views(_X())
    head, enc = method.projection_head, method.encoder
    torch.testing.assert_close(loss, nt_xent_loss(head(enc(view_a)), head(enc(view_b)), 0.3))


def test_resampling_contrastive__checkpoint_round_trip(tmp_path):
    method = _method()
    restored = method_from_checkpoint(save_checkpoint(tmp_path / "r.pt", method))
    assert restored.hparams == method.hparams
    restored.set_rng_state(method.rng_state())
    X = _X(3)
    torch.testing.assert_close(restored(X), method(X))


def test_resampling_contrastive__bad_arguments():
    enc = ConvEncoder(n_chans=4, n_outputs=16, n_times=128)
    with pytest.raises(ValueError, match="'rate_range'"):
        build_method("resampling_contrastive", enc, rate_range=(2.0, 0.5))
    with pytest.raises(ValueError, match="'probability' must be in \\[0, 1\\]"):
        build_method("resampling_contrastive", enc, jitter_probability=2.0)
