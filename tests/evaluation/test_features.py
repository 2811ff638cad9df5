"""Classical baseline features."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from eeg_ssl.evaluation import LogBandPower, riemann_features
from eeg_ssl.evaluation.features import BandPass, filter_bank_features


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


def test_band_pass__keeps_its_band_and_refuses_one_above_nyquist():
    t = np.arange(512) / 128.0
    X = np.stack([np.sin(2 * np.pi * 10 * t), np.sin(2 * np.pi * 30 * t)])[None]  # (1, 2, T)
    Y = BandPass(128.0, 8.0, 12.0).fit(X).transform(X)
    middle = slice(128, 384)  # away from the edges
    assert np.abs(Y[0, 0, middle]).max() == pytest.approx(1.0, abs=0.05)
    assert np.abs(Y[0, 1, middle]).max() < 0.01
    with pytest.raises(ValueError, match="Nyquist"):
        BandPass(64.0, 30.0, 40.0).fit(X)


def test_filter_bank_features__tell_ssvep_frequencies_apart_where_broadband_cannot():
    # 13 vs 17 Hz, same spatial pattern and power, random phase: the broadband covariance
    # is the same for both classes, the covariance of the 12-16 and 16-20 Hz bands is not
    pytest.importorskip("pyriemann")
    rng = np.random.default_rng(0)
    n, t = 80, np.arange(384) / 128.0
    y = np.repeat([0, 1], n // 2)
    pattern = rng.normal(size=(4, 1))
    freqs = np.where(y == 0, 13.0, 17.0)[:, None]
    source = np.sin(2 * np.pi * freqs * t + rng.uniform(0, 2 * np.pi, (n, 1)))
    X = pattern[None] * source[:, None] + rng.normal(scale=1.0, size=(n, 4, len(t)))

    def accuracy(features):
        clf = make_pipeline(features, StandardScaler(), LogisticRegression(max_iter=1000))
        return cross_val_score(clf, X, y, cv=4).mean()

    union = filter_bank_features(128.0)
    assert len(union.transformer_list) == 9  # 4-8 ... 36-40 Hz
    assert union.fit(X).transform(X).shape == (n, 9 * 4 * 5 // 2)
    assert accuracy(filter_bank_features(128.0)) > 0.9
    assert accuracy(riemann_features()) < 0.75
    assert len(filter_bank_features(64.0).transformer_list) == 6  # bands below 32 Hz only
