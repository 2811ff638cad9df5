"""Label-fraction subsets and sweeps, subject-wise folds, probes."""

from __future__ import annotations

import numpy as np
import pytest

from eeg_ssl.evaluation import (
    label_fraction_indices,
    label_fraction_sweep,
    subject_folds,
    tuned_feature_classifier,
)


def test_label_fraction_indices__stratified_and_seeded():
    y = np.repeat([0, 1], [900, 100])
    idx = label_fraction_indices(y, 0.1, random_state=0)
    assert np.bincount(y[idx]).tolist() == [90, 10]
    np.testing.assert_array_equal(idx, label_fraction_indices(y, 0.1, random_state=0))
    assert not np.array_equal(idx, label_fraction_indices(y, 0.1, random_state=1))
    small = label_fraction_indices(y, 0.01, random_state=0)
    assert np.bincount(y[small]).tolist() == [9, 2]  # every class keeps at least 2
    assert len(label_fraction_indices(y, 1.0)) == 1000
    with pytest.raises(ValueError, match="'fraction'"):
        label_fraction_indices(y, 0.0)


def test_subject_folds__disjoint_and_covering():
    groups = np.repeat([f"s{i}" for i in range(10)], 3)
    folds = subject_folds(groups, 4, random_state=0)
    tested = [s for _, test in folds for s in test]
    assert sorted(tested) == sorted(set(groups))
    for train, test in folds:
        assert not set(train) & set(test)
    with pytest.raises(ValueError, match="'n_splits'"):
        subject_folds(groups, 11)


def _informative(n=200, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    F = rng.normal(size=(n, 5))
    F[:, 0] += 3 * y
    return F, y, np.repeat(np.arange(10), n // 10)


def test_tuned_feature_classifier__learns_and_uses_only_given_data():
    F, y, g = _informative()
    clf = tuned_feature_classifier(F[:100], y[:100], g[:100])
    assert clf.score(F[100:], y[100:]) > 0.9
    knn = tuned_feature_classifier(F[:100], y[:100], g[:100], kind="knn")
    assert knn.score(F[100:], y[100:]) > 0.8


def test_label_fraction_sweep__rows_per_subject_fraction_seed():
    F, y, g = _informative()
    tr, te = g < 7, g >= 7
    scores = label_fraction_sweep(F[tr], y[tr], g[tr], F[te], y[te], g[te],
                                  fractions=(0.1, 1.0), seeds=(0, 1))  # fmt: skip
    assert set(scores["fraction"]) == {0.1, 1.0}
    assert len(scores) == 3 * 2 + 3  # 3 held-out subjects x (2 seeds at 10%, 1 at 100%)
    assert scores["balanced_accuracy"].mean() > 0.8
