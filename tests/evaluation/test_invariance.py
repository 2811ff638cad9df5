"""Resampling of windows and the invariance test."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.preprocessing import FunctionTransformer

from eeg_ssl.evaluation import resample_windows, resampling_invariance


@pytest.mark.parametrize("rate", [0.5, 0.8, 1.5, 2.0])
def test_resample_windows__frequency_scales_by_rate(rate):
    n, sfreq, f = 512, 128.0, 8.0
    t = np.arange(n) / sfreq
    X = np.sin(2 * np.pi * f * t)[None, None].astype(np.float32)
    Y = resample_windows(X, rate)
    assert Y.shape == X.shape and Y.dtype == np.float32
    spectrum = np.abs(np.fft.rfft(Y[0, 0] * np.hanning(n)))
    peak = np.fft.rfftfreq(n, 1 / sfreq)[spectrum.argmax()]
    assert peak == pytest.approx(f / rate, abs=0.5)


def test_resample_windows__rate_one_is_identity():
    X = np.random.default_rng(0).normal(size=(3, 2, 100)).astype(np.float32)
    np.testing.assert_allclose(resample_windows(X, 1.0), X, atol=1e-5)
    with pytest.raises(ValueError, match="'rate'"):
        resample_windows(X, 0)


def test_resampling_invariance__invariant_vs_sensitive_features():
    from scipy.signal import butter, sosfiltfilt

    rng = np.random.default_rng(0)
    # band-limited noise (below a fifth of Nyquist), so that halving the rate keeps it whole
    X = sosfiltfilt(butter(4, 0.2, output="sos"), rng.normal(size=(40, 2, 256)), axis=-1)
    X = (X * rng.uniform(0.5, 3, size=(40, 2, 1))).astype(np.float32)
    # per-channel log variance is (nearly) unchanged by resampling; raw samples are not
    invariant = FunctionTransformer(lambda Z: np.log(Z.var(axis=2)))
    sensitive = FunctionTransformer(lambda Z: Z[:, :, :64].reshape(len(Z), -1))
    a = resampling_invariance(invariant, X, rates=(0.5, 2.0)).set_index("rate")
    b = resampling_invariance(sensitive, X, rates=(0.5, 2.0)).set_index("rate")
    assert list(a.index) == ["0.5", "2.0", "other window"]
    assert (a.loc[["0.5", "2.0"], "cosine_mean"] > 0.8).all()
    assert (b.loc[["0.5", "2.0"], "cosine_mean"] < 0.5).all()
    assert a.loc["other window", "cosine_mean"] < 0.5
