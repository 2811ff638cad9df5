"""Label-fraction sweeps: probes fit on stratified fractions of the training labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import balanced_accuracy_score

from ..utils import check_random_state
from .probe import tuned_feature_classifier

#: Default fractions of the training labels: 1 %, 10 %, 100 %.
FRACTIONS = (0.01, 0.1, 1.0)


def label_fraction_indices(y, fraction, *, random_state=None):
    """A class-stratified random subset of ``fraction`` of the labelled windows.

    Each class keeps ``round(fraction * n_class)`` windows, and at least 2 (or all
    it has), so every probe sees every class.

    Parameters
    ----------
    y : ndarray, shape (n_windows,)
    fraction : float
        In ``(0, 1]``.
    random_state : int | numpy.random.Generator | None

    Returns
    -------
    indices : ndarray of int, sorted
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"'fraction' must be in (0, 1]; got {fraction!r}.")
    y = np.asarray(y)
    if fraction == 1:
        return np.arange(len(y))
    rng = check_random_state(random_state)
    keep = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        n_keep = min(len(members), max(2, int(round(fraction * len(members)))))
        keep.append(rng.choice(members, size=n_keep, replace=False))
    return np.sort(np.concatenate(keep))


def per_subject_scores(y_true, y_pred, groups):
    """Balanced accuracy on each subject separately: dict subject -> score."""
    groups = np.asarray(groups)
    return {str(s): float(balanced_accuracy_score(y_true[groups == s], y_pred[groups == s]))
            for s in sorted(set(groups))}  # fmt: skip


def label_fraction_sweep(features_train, y_train, groups_train, features_test, y_test,
                         groups_test, *, fractions=FRACTIONS, seeds=(0, 1, 2), kind="linear",
                         **tune_kwargs):  # fmt: skip
    """Fit feature probes on label fractions of the training windows; score held-out subjects.

    For each fraction and seed a stratified subset of the training windows is drawn
    (:func:`label_fraction_indices`), the probe's hyperparameter is chosen by
    cross-validation inside that subset (:func:`~eeg_ssl.evaluation.probe.tuned_feature_classifier`),
    and balanced accuracy is computed on each held-out subject.

    Parameters
    ----------
    features_train, features_test : ndarray, shape (n_windows, n_features)
    y_train, y_test : ndarray, shape (n_windows,)
    groups_train, groups_test : ndarray, shape (n_windows,)
        Subject of each window.
    fractions : sequence of float
    seeds : sequence of int
        One subset per seed (at 100 % all seeds share the same windows).
    kind : "linear" | "knn"
    **tune_kwargs
        Passed to :func:`~eeg_ssl.evaluation.probe.tuned_feature_classifier`.

    Returns
    -------
    scores : pandas.DataFrame
        Columns ``fraction``, ``seed``, ``n_train``, ``subject``, ``balanced_accuracy``.
    """
    rows = []
    for fraction in fractions:
        for seed in seeds if fraction < 1 else seeds[:1]:
            idx = label_fraction_indices(y_train, fraction, random_state=seed)
            clf = tuned_feature_classifier(features_train[idx], y_train[idx], groups_train[idx],
                                           kind=kind, random_state=seed, **tune_kwargs)  # fmt: skip
            pred = clf.predict(features_test)
            for subject, score in per_subject_scores(y_test, pred, groups_test).items():
                rows.append(dict(fraction=fraction, seed=seed, n_train=len(idx), subject=subject,
                                 balanced_accuracy=score))  # fmt: skip
    return pd.DataFrame(rows)
