"""Spectral targets against NumPy band-passing, and the standardised regression loss."""

import numpy as np
import pytest
import torch

from eeg_ssl.losses.spectral_prediction_loss import (
    band_features,
    check_bands,
    spectral_prediction_loss,
)

SFREQ, N_TIMES = 128.0, 256


def _windows(n=4, n_chans=3, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).normal(size=(n, n_chans, N_TIMES)))


def _numpy_band_pass(x, low, high):
    """Ideal band-pass by zeroing rfft bins outside [low, high), back to time."""
    spectrum = np.fft.rfft(x, axis=-1)
    freqs = np.fft.rfftfreq(x.shape[-1], d=1 / SFREQ)
    spectrum[..., (freqs < low) | (freqs >= high)] = 0
    return np.fft.irfft(spectrum, n=x.shape[-1], axis=-1)


def test_band_features__power_is_log_energy_of_band_passed_window():
    X = _windows()
    bands = [(4.0, 8.0), (8.0, 13.0)]
    features = band_features(X, SFREQ, bands, target="power").numpy()
    for i, (low, high) in enumerate(bands):
        passed = _numpy_band_pass(X.numpy(), low, high)
        # Parseval: each positive-frequency bin holds half of its energy
        expected = np.log((passed**2).sum(-1) * N_TIMES / 2)
        np.testing.assert_allclose(features[:, i * 3 : (i + 1) * 3], expected, rtol=1e-6)


def test_band_features__a_rhythm_raises_its_own_band_and_channel():
    X = _windows(n=1, n_chans=2)
    t = np.arange(N_TIMES) / SFREQ
    rhythm = X.clone()
    rhythm[0, 0] += torch.from_numpy(10 * np.sin(2 * np.pi * 10.0 * t))
    bands = [(1.0, 4.0), (8.0, 13.0)]
    before = band_features(X, SFREQ, bands, target="power")[0]
    after = band_features(rhythm, SFREQ, bands, target="power")[0]
    change = (after - before).numpy()  # [delta ch0, delta ch1, alpha ch0, alpha ch1]
    assert change[2] > 3 and np.allclose(change[[0, 1, 3]], 0, atol=1e-9)


def test_band_features__covariance_is_matrix_log_of_band_covariance():
    # a wide band with many bins per channel: OAS shrinks little, and the diagonal of
    # the log-covariance moves by exactly 2 log(a) when the window is scaled by a
    X = _windows(n=2, n_chans=3)
    band = [(1.0, 40.0)]
    base = band_features(X, SFREQ, band).numpy()
    scaled = band_features(3.0 * X, SFREQ, band).numpy()
    diagonal = [0, 3, 5]  # upper-triangle order of a 3 x 3 matrix
    np.testing.assert_allclose(scaled[:, diagonal] - base[:, diagonal], 2 * np.log(3.0),
                               rtol=1e-6)  # fmt: skip
    np.testing.assert_allclose(np.delete(scaled, diagonal, 1), np.delete(base, diagonal, 1),
                               atol=1e-9)  # fmt: skip
    # exponentiating the matrix logarithm gives back a matrix close to the NumPy
    # covariance of the band-passed window (up to the shrinkage and the constant)
    passed = _numpy_band_pass(X.numpy(), *band[0])
    upper = base[0]
    log_cov = np.zeros((3, 3))
    log_cov[np.triu_indices(3)] = upper / np.where(np.eye(3)[np.triu_indices(3)] == 1, 1, 2**0.5)
    log_cov = log_cov + np.triu(log_cov, 1).T
    values, vectors = np.linalg.eigh(log_cov)
    cov = (vectors * np.exp(values)) @ vectors.T
    reference = passed[0] @ passed[0].T
    correlation = np.corrcoef(cov.ravel(), reference.ravel())[0, 1]
    assert correlation > 0.99


def test_band_features__narrow_band_with_more_channels_than_bins_is_finite():
    X = _windows(n=2, n_chans=16)
    features = band_features(X, SFREQ, [(8.0, 10.0)])  # 4 bins for 16 channels
    assert features.shape == (2, 16 * 17 // 2) and torch.isfinite(features).all()
    flat = X.clone()
    flat[:, 3] = 0  # a flat channel
    assert torch.isfinite(band_features(flat, SFREQ, [(8.0, 13.0)], target="covariance")).all()


def test_band_features__bad_target_is_named():
    with pytest.raises(ValueError, match="target"):
        band_features(_windows(), SFREQ, [(8.0, 13.0)], target="phase")


@pytest.mark.parametrize(
    ("bands", "match"),
    [
        ([(13.0, 8.0)], "low < high"),
        ([(70.0, 80.0)], "Nyquist"),
        ([(8.1, 8.2)], "no frequency bin"),
        ([], "at least one"),
    ],
)
def test_check_bands__bad_bands_are_named(bands, match):
    with pytest.raises(ValueError, match=match):
        check_bands(bands, SFREQ, N_TIMES)


def test_spectral_prediction_loss__zero_for_standardised_target():
    target = torch.randn(8, 5) * torch.tensor([1.0, 10.0, 100.0, 0.1, 3.0]) + 7
    standardised = (target - target.mean(0)) / target.std(0)
    assert spectral_prediction_loss(standardised, target).item() < 1e-8
    # every feature weighs the same whatever its scale
    expected = torch.nn.functional.mse_loss(torch.zeros(8, 5), standardised).item()
    assert abs(spectral_prediction_loss(torch.zeros(8, 5), target).item() - expected) < 1e-3


def test_spectral_prediction_loss__constant_feature_is_finite_and_targets_detached():
    target = torch.randn(6, 3, requires_grad=True)
    constant = torch.cat([target, torch.ones(6, 1)], dim=1)
    prediction = torch.zeros(6, 4, requires_grad=True)
    loss = spectral_prediction_loss(prediction, constant)
    loss.backward()
    assert torch.isfinite(loss) and target.grad is None


def test_spectral_prediction_loss__bad_shapes_are_named():
    with pytest.raises(ValueError, match="same shape"):
        spectral_prediction_loss(torch.zeros(4, 3), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="batch_size"):
        spectral_prediction_loss(torch.zeros(1, 3), torch.zeros(1, 3))
