"""Classical baseline features."""

from __future__ import annotations

import numpy as np
import pytest

from eeg_ssl.evaluation import LogBandPower, riemann_features


def test_log_band_power__peak_in_the_right_band():
    sfreq, t = 128.0, np.arange(256) / 128.0
    rng = np.random.default_rng(0)
    X = rng.normal(scale=0.1, size=(4, 2, 256))
    X[:, 0] += np.sin(2 * np.pi * 10 * t)  # alpha on channel 0
    X[:, 1] += np.sin(2 * np.pi * 20 * t)  # beta on channel 1
    est = LogBandPower(sfreq).fit(X)
    F = est.transform(X).reshape(4, 2, 5)  # (n, C * bands) -> (n, C, bands)
    assert est.n_features_out_ == 10
    assert np.all(F[:, 0].argmax(axis=1) == 2)  # (8, 13) Hz
    assert np.all(F[:, 1].argmax(axis=1) == 3)  # (13, 30) Hz


def test_log_band_power__band_above_nyquist_is_refused():
    with pytest.raises(ValueError, match="Nyquist"):
        LogBandPower(64.0, bands=[(30.0, 40.0)]).fit(np.zeros((2, 1, 64)))
    default = LogBandPower(64.0).fit(np.ones((2, 1, 64)))  # default bands stop at Nyquist
    assert default.bands_[-1] == (30.0, 32.0) and default.n_features_out_ == 5


def test_riemann_features__tangent_vectors(sim_windows):
    pytest.importorskip("pyriemann")
    X, _, _ = sim_windows
    F = riemann_features().fit(X).transform(X)
    assert F.shape == (len(X), 8 * 9 // 2) and np.isfinite(F).all()
