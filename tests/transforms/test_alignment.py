"""Euclidean and Riemannian alignment of each subject's windows."""

from __future__ import annotations

import numpy as np
import pytest

from eeg_ssl.transforms import (
    alignment_matrix,
    euclidean_alignment,
    mean_covariance,
    riemannian_alignment,
)

ALIGNERS = pytest.mark.parametrize("align", [euclidean_alignment, riemannian_alignment])


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


@ALIGNERS
def test_alignment__a_subject_is_aligned_by_its_own_windows_only(align):
    X, groups = _subjects()
    together = align(X, groups)
    alone = align(X[groups == "S1"], groups[groups == "S1"])
    np.testing.assert_allclose(together[groups == "S1"], alone, rtol=1e-5, atol=1e-5)


@ALIGNERS
def test_alignment__removes_a_subject_wide_gain(align):
    X, groups = _subjects(n_subjects=1)
    louder = np.concatenate([X, 7.5 * X])
    groups = np.array(["quiet"] * len(X) + ["loud"] * len(X))
    aligned = align(louder, groups)
    np.testing.assert_allclose(aligned[groups == "loud"], aligned[groups == "quiet"],
                               rtol=1e-4, atol=1e-4)  # fmt: skip


@ALIGNERS
def test_alignment__rank_deficient_data_stays_finite(align):
    X, groups = _subjects(n_subjects=2)
    X = X - X.mean(axis=1, keepdims=True)  # average reference: rank n_chans - 1
    aligned = align(X, groups)
    assert np.isfinite(aligned).all()
    with pytest.raises(ValueError, match="Group 0.0: .*no finite, non-zero signal"):
        align(np.zeros((4, 3, 16)), np.zeros(4))


def test_riemannian_alignment__each_subject_riemannian_mean_is_identity():
    try:
        from pyriemann.geometry.mean import mean_riemann
    except ImportError:  # pyRiemann < 0.12
        from pyriemann.utils.mean import mean_riemann

    X, groups = _subjects()
    X[:3] *= 20  # three loud windows in S0: they pull the arithmetic mean, less so this one
    aligned = riemannian_alignment(X, groups)
    assert aligned.dtype == np.float32
    for subject in np.unique(groups):
        Xs = aligned[groups == subject].astype(np.float64)
        C = np.einsum("nct,ndt->ncd", Xs, Xs) / Xs.shape[2]
        np.testing.assert_allclose(mean_riemann(C), np.eye(5), atol=1e-3)
    # not the Euclidean result: the loud windows weigh less
    euclid = euclidean_alignment(X, groups)
    assert np.abs(aligned[groups == "S0"] - euclid[groups == "S0"]).max() > 0.1
    np.testing.assert_allclose(mean_covariance(euclid[groups == "S0"]), np.eye(5), atol=1e-4)


def test_riemannian_alignment__flat_windows_are_left_out_of_the_mean():
    X, groups = _subjects(n_subjects=1)
    with_flat = np.concatenate([X, np.zeros((2, *X.shape[1:]), X.dtype)])
    aligned = riemannian_alignment(with_flat, np.zeros(len(with_flat)))
    np.testing.assert_allclose(aligned[: len(X)], riemannian_alignment(X, np.zeros(len(X))),
                               rtol=1e-5, atol=1e-5)  # fmt: skip
    assert not aligned[len(X) :].any()


@pytest.mark.parametrize(
    ("X", "groups", "kwargs", "match"),
    [
        (np.zeros((4, 16)), np.zeros(4), {}, "n_windows, n_chans, n_times"),
        (np.ones((4, 3, 16)), np.zeros(3), {}, "one entry per window"),
        (np.ones((4, 3, 16)), np.zeros(4), {"reg": -1.0}, "'reg' must be >= 0"),
    ],
)
@ALIGNERS
def test_alignment__bad_input_is_named(X, groups, kwargs, match, align):
    with pytest.raises(ValueError, match=match):
        align(X, groups, **kwargs)


@pytest.mark.parametrize("metric", ["euclid", "riemann"])
def test_alignment_matrix__from_calibration_windows_applies_to_others(metric):
    X, groups = _subjects(n_subjects=1, n_windows=80)
    align = {"euclid": euclidean_alignment, "riemann": riemannian_alignment}[metric]
    W = alignment_matrix(X, metric=metric)
    np.testing.assert_allclose(W @ X, align(X, groups), rtol=1e-4, atol=1e-4)
    # from the first half only: the second half is aligned close to, not exactly, identity
    W_first = alignment_matrix(X[:40], metric=metric)
    later = W_first.astype(np.float32) @ X[40:]
    R = mean_covariance(later)
    assert np.abs(R - np.eye(5)).max() < 0.5
    assert not np.allclose(R, np.eye(5), atol=1e-3)
    with pytest.raises(ValueError, match="'metric' must be 'euclid' or 'riemann'"):
        alignment_matrix(X, metric="log-euclid")
    with pytest.raises(ValueError, match="at least one window"):
        alignment_matrix(X[:0])
