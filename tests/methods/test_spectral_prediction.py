"""Spectral prediction: masks, intact-window targets, target kinds, bad arguments."""

import pytest
import torch

from eeg_ssl.losses.spectral_prediction_loss import band_features, spectral_prediction_loss
from eeg_ssl.methods import SpectralPrediction, build_method
from eeg_ssl.models import ConvEncoder
from eeg_ssl.training import method_from_checkpoint, save_checkpoint
from eeg_ssl.utils import seeded

N_CHANS, N_TIMES, SFREQ = 8, 128, 64.0


def _method(seed=0, **kw):
    with seeded(seed):
        enc = ConvEncoder(n_chans=N_CHANS, n_outputs=16, n_times=N_TIMES, sfreq=SFREQ,
                          n_filters=8, n_blocks=3)  # fmt: skip
        return SpectralPrediction(enc, hidden_dim=32, random_state=seed, **kw)


def test_spectral_prediction__masks_channels_and_one_stretch_of_time():
    method = _method(channel_mask_ratio=0.5, time_mask_ratio=0.25)
    X = torch.randn(16, N_CHANS, N_TIMES) + 1.0  # no sample is zero by chance
    masked = method.mask(X)
    zero_channels = (masked == 0).all(dim=-1)  # (B, C)
    assert 0.3 < zero_channels.float().mean() < 0.7
    # the smooth time mask: about 32 samples near zero on every channel of each window
    quiet = (masked.abs() < 1e-3).all(dim=1).sum(dim=-1)  # (B,)
    assert ((quiet >= 24) & (quiet <= 40)).all()
    unmasked = _method(channel_mask_ratio=0.0, time_mask_ratio=0.0)
    torch.testing.assert_close(unmasked.mask(X), X)


def test_spectral_prediction__targets_are_the_intact_windows_features():
    method = _method().train()
    X = torch.randn(16, N_CHANS, N_TIMES)
    state = method.rng_state()
    loss = method(X)
    method.set_rng_state(state)
    prediction = method.head(method.encoder(method.mask(X)))
    targets = band_features(X, SFREQ, method.hparams["bands"])
    torch.testing.assert_close(loss, spectral_prediction_loss(prediction, targets))
    method.set_rng_state(state)
    masked_targets = band_features(method.mask(X), SFREQ, method.hparams["bands"])
    assert not torch.allclose(masked_targets, method.targets(X))


def test_spectral_prediction__target_kinds_set_the_head_size():
    n_bands = 4  # the default bands
    cov = _method(target="covariance")
    power = _method(target="power")
    assert cov.head.layers[-1].out_features == n_bands * N_CHANS * (N_CHANS + 1) // 2
    assert power.head.layers[-1].out_features == n_bands * N_CHANS
    X = torch.randn(8, N_CHANS, N_TIMES)
    assert power.targets(X).shape == (8, n_bands * N_CHANS)
    assert torch.isfinite(power(X))


def test_spectral_prediction__same_seed_same_loss_and_checkpoint_round_trip(tmp_path):
    X = torch.randn(8, N_CHANS, N_TIMES)
    assert _method(3)(X).item() == _method(3)(X).item()
    assert _method(3)(X).item() != _method(4)(X).item()
    method = _method(bands=[(4, 8), (8, 13)], target="power").eval()
    restored = method_from_checkpoint(save_checkpoint(tmp_path / "m.pt", method)).eval()
    assert restored.hparams == method.hparams
    assert restored.hparams["bands"] == [[4.0, 8.0], [8.0, 13.0]]
    torch.testing.assert_close(restored.embed(X), method.embed(X))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(target="phase"), "target"),
        (dict(bands=[(40.0, 50.0)]), "Nyquist"),
        (dict(channel_mask_ratio=1.0), "channel_mask_ratio"),
        (dict(time_mask_ratio=-0.1), "time_mask_ratio"),
        (dict(bands=[(8.0,)]), "pair"),
    ],
)
def test_spectral_prediction__bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _method(**kwargs)


def test_spectral_prediction__encoder_without_sfreq_is_named():
    with seeded(0):
        enc = ConvEncoder(n_chans=N_CHANS, n_outputs=16, n_times=N_TIMES)
    with pytest.raises(ValueError, match="sfreq"):
        SpectralPrediction(enc)


def test_spectral_prediction__is_registered():
    with seeded(0):
        enc = ConvEncoder(n_chans=N_CHANS, n_outputs=16, n_times=N_TIMES, sfreq=SFREQ)
    assert isinstance(build_method("spectral_prediction", enc), SpectralPrediction)
