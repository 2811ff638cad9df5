"""Euclidean alignment of each subject's windows."""

from __future__ import annotations

import numpy as np
import pytest

from eeg_ssl.transforms import euclidean_alignment, mean_covariance


def _subjects(n_subjects=3, n_windows=40, n_chans=5, n_times=64, seed=0):
    """Windows of subjects that differ by a random channel mixing."""
    rng = np.random.default_rng(seed)
    X, groups = [], []
    for s in range(n_subjects):
        mixing = rng.normal(size=(n_chans, n_chans)) + 3 * np.eye(n_chans)
        X.append(mixing @ rng.normal(size=(n_windows, n_chans, n_times)))
        groups += [f"S{s}"] * n_windows
    return np.concatenate(X).astype(np.float32), np.array(groups)


def test_euclidean_alignment__each_subject_mean_covariance_is_identity():
    X, groups = _subjects()
    before = mean_covariance(X[groups == "S0"])
    assert np.abs(before - np.eye(5)).max() > 1  # the mixing is far from identity
    aligned = euclidean_alignment(X, groups)
    assert aligned.shape == X.shape and aligned.dtype == np.float32
    for subject in np.unique(groups):
        np.testing.assert_allclose(mean_covariance(aligned[groups == subject]), np.eye(5),
                                   atol=1e-4)  # fmt: skip


def test_euclidean_alignment__a_subject_is_aligned_by_its_own_windows_only():
    X, groups = _subjects()
    together = euclidean_alignment(X, groups)
    alone = euclidean_alignment(X[groups == "S1"], groups[groups == "S1"])
    np.testing.assert_allclose(together[groups == "S1"], alone, rtol=1e-5, atol=1e-5)


def test_euclidean_alignment__removes_a_subject_wide_gain():
    X, groups = _subjects(n_subjects=1)
    louder = np.concatenate([X, 7.5 * X])
    groups = np.array(["quiet"] * len(X) + ["loud"] * len(X))
    aligned = euclidean_alignment(louder, groups)
    np.testing.assert_allclose(aligned[groups == "loud"], aligned[groups == "quiet"],
                               rtol=1e-4, atol=1e-4)  # fmt: skip


def test_euclidean_alignment__rank_deficient_data_stays_finite():
    X, groups = _subjects(n_subjects=2)
    X = X - X.mean(axis=1, keepdims=True)  # average reference: rank n_chans - 1
    aligned = euclidean_alignment(X, groups)
    assert np.isfinite(aligned).all()
    with pytest.raises(ValueError, match="no finite, non-zero signal"):
        euclidean_alignment(np.zeros((4, 3, 16)), np.zeros(4))


@pytest.mark.parametrize(
    ("X", "groups", "kwargs", "match"),
    [
        (np.zeros((4, 16)), np.zeros(4), {}, "n_windows, n_chans, n_times"),
        (np.ones((4, 3, 16)), np.zeros(3), {}, "one entry per window"),
        (np.ones((4, 3, 16)), np.zeros(4), {"reg": -1.0}, "'reg' must be >= 0"),
    ],
)
def test_euclidean_alignment__bad_input_is_named(X, groups, kwargs, match):
    with pytest.raises(ValueError, match=match):
        euclidean_alignment(X, groups, **kwargs)
