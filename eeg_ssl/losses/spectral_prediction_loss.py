"""Spectral targets and the regression loss of spectral prediction.

A masked-feature-prediction objective (MaskFeat, Wei et al. 2022, CVPR: predict
hand-designed features of the intact input from a masked one) with EEG's own
features as targets: each band's log power per channel, or each band's
log-Euclidean spatial covariance (the matrix logarithm of the band's cross-spectral
matrix), the features of band-power and Riemannian EEG pipelines (Barachant et al.
2012, IEEE TBME 59(4)). LaBraM (Jiang et al. 2024, ICLR) likewise predicts Fourier
amplitudes of masked EEG patches.

The targets are computed in torch on the training batch, on its device, from the
real FFT: no gradient flows through them, and MNE's filters work on NumPy arrays of
whole recordings, not on batches of windows inside a training step.
"""

from __future__ import annotations

import torch
from torch import nn

from ..models.covariance_encoder import oas_shrinkage, spd_log, upper_triangle
from .autoencoder_loss import reconstruction_loss

#: Target kinds of :func:`band_features`.
TARGETS = ("covariance", "power")


def check_bands(bands, sfreq, n_times):
    """Validate frequency bands against a window's sampling and length.

    Parameters
    ----------
    bands : sequence of (float, float)
        ``(low, high)`` edges in Hz, ``0 <= low < high``.
    sfreq : float
        Sampling frequency of the windows, in Hz.
    n_times : int
        Samples per window.

    Returns
    -------
    list of (float, float)
        The bands, as floats.
    """
    bands = list(bands)
    if not bands:
        raise ValueError("'bands' must hold at least one (low, high) band.")
    nyquist = sfreq / 2
    freqs = torch.fft.rfftfreq(n_times, d=1.0 / sfreq)
    checked = []
    for band in bands:
        try:
            low, high = (float(f) for f in band)
        except (TypeError, ValueError):
            raise ValueError(f"Each entry of 'bands' must be a (low, high) pair in Hz; got "
                             f"{band!r}.") from None  # fmt: skip
        if not 0.0 <= low < high:
            raise ValueError(f"Each band must be (low, high) with 0 <= low < high Hz; got "
                             f"{(low, high)} in 'bands'.")  # fmt: skip
        if low >= nyquist:
            raise ValueError(
                f"Band {(low, high)} starts at or above the Nyquist frequency ({nyquist:g} Hz "
                f"at sfreq={sfreq:g}); drop it from 'bands' or resample the windows."
            )
        if not ((freqs >= low) & (freqs < high)).any():
            raise ValueError(
                f"Band {(low, high)} holds no frequency bin of a {n_times}-sample window "
                f"(bins every {sfreq / n_times:g} Hz); widen it in 'bands' or use longer "
                f"windows."
            )
        checked.append((low, high))
    return checked


def band_features(X, sfreq, bands, target="covariance"):
    """Log band power or log-Euclidean band covariance of each window.

    Each band keeps the FFT bins in ``[low, high)`` (an ideal band-pass). Its real
    cross-spectral matrix, summed over those bins, is proportional to the covariance of
    the band-passed window. With ``target="power"`` the features are the log of its
    diagonal (each channel's band power); with ``"covariance"`` the matrix is shrunk
    with the Oracle Approximating Shrinkage coefficient (narrow bands hold few bins, so
    the raw matrix is often singular), mapped to its matrix logarithm and vectorised by
    its upper triangle.

    Parameters
    ----------
    X : Tensor, shape (B, C, T)
    sfreq : float
        Sampling frequency, in Hz.
    bands : sequence of (float, float)
        Band edges in Hz (see :func:`check_bands`).
    target : "covariance" | "power"

    Returns
    -------
    Tensor, shape (B, n_features)
        ``n_features`` is ``len(bands) * C`` (power) or ``len(bands) * C * (C + 1) / 2``
        (covariance), in ``X``'s dtype, without gradient.
    """
    if target not in TARGETS:
        raise ValueError(f"'target' must be one of {list(TARGETS)}; got {target!r}.")
    with torch.no_grad():
        n_chans, n_times = X.shape[-2:]
        spectrum = torch.fft.rfft(X.double(), dim=-1)  # (B, C, F)
        freqs = torch.fft.rfftfreq(n_times, d=1.0 / sfreq).to(X.device)
        floor = torch.finfo(torch.float64).tiny
        features = []
        for low, high in bands:
            Z = spectrum[..., (freqs >= low) & (freqs < high)]  # (B, C, F_band)
            if target == "power":
                power = Z.abs().pow(2).sum(dim=-1)  # (B, C)
                features.append(torch.log(power.clamp_min(floor)))
                continue
            n_bins = Z.shape[-1]
            cov = (Z @ Z.conj().transpose(-1, -2)).real / n_bins  # (B, C, C)
            # a real covariance from n_bins complex bins has 2 * n_bins degrees of freedom
            shrink = oas_shrinkage(cov, 2 * n_bins)[..., None, None]
            scale = cov.diagonal(dim1=-2, dim2=-1).mean(dim=-1)[..., None, None]
            eye = torch.eye(n_chans, dtype=cov.dtype, device=cov.device)
            cov = (1.0 - shrink) * cov + shrink * scale.clamp_min(floor) * eye
            features.append(upper_triangle(spd_log(cov)))
        return torch.cat(features, dim=-1).to(X.dtype)


def spectral_prediction_loss(prediction, target, eps=1e-5):
    """Mean squared error to targets standardised feature by feature over the batch.

    Standardising puts every band and channel pair on the same scale (log-power
    features differ by orders of magnitude between bands) and makes the loss free of
    the data's units; a feature constant over the batch contributes zero.

    Parameters
    ----------
    prediction, target : Tensor, shape (B, n_features)
    eps : float
        Added to each feature's standard deviation.

    Returns
    -------
    loss : Tensor, scalar
    """
    if target.shape[0] < 2:
        raise ValueError("spectral_prediction_loss standardises targets over the batch and "
                         "needs at least 2 windows per batch; raise 'batch_size'.")  # fmt: skip
    target = target.detach()
    mean = target.mean(dim=0, keepdim=True)
    std = target.std(dim=0, keepdim=True)
    # the autoencoder's MSE (it also checks that the shapes match)
    return reconstruction_loss(prediction, (target - mean) / (std + eps))


class SpectralPredictionLoss(nn.Module):
    """Module form of :func:`spectral_prediction_loss`.

    Parameters
    ----------
    eps : float
        Added to each feature's standard deviation (> 0).
    """

    def __init__(self, eps=1e-5):
        super().__init__()
        if not eps > 0:
            raise ValueError(f"'eps' must be > 0; got {eps!r}.")
        self.eps = eps

    def forward(self, prediction, target):
        return spectral_prediction_loss(prediction, target, self.eps)
