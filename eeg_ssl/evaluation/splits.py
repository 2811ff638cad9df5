"""Subject-wise cross-validation."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import GroupKFold, cross_val_score


def subject_folds(groups, n_splits=4, *, random_state=0):
    """Split subjects into ``n_splits`` folds (each subject is tested exactly once).

    Parameters
    ----------
    groups : array-like, shape (n_windows,)
        Subject of each window.
    n_splits : int
        Number of folds; at most the number of subjects.
    random_state : int
        Seed of the assignment of subjects to folds.

    Returns
    -------
    folds : list of (list of str, list of str)
        ``(train_subjects, test_subjects)`` per fold.
    """
    subjects = np.array(sorted({str(g) for g in groups}))
    if not 2 <= n_splits <= len(subjects):
        raise ValueError(
            f"'n_splits' must be between 2 and the number of subjects ({len(subjects)}); "
            f"got {n_splits!r}."
        )
    cv = GroupKFold(n_splits, shuffle=True, random_state=random_state)
    folds = []
    for train, test in cv.split(subjects, groups=subjects):
        folds.append((subjects[train].tolist(), subjects[test].tolist()))
    return folds


def subject_cross_val_score(estimator, X, y, groups, *, n_splits=4, scoring="balanced_accuracy",
                            random_state=0, n_jobs=None):  # fmt: skip
    """``cross_val_score`` with folds by subject (no subject in both train and test).

    Parameters
    ----------
    estimator : sklearn estimator
    X : ndarray, shape (n_windows, n_chans, n_times) | mne.Epochs
    y, groups : ndarray, shape (n_windows,)
        Labels and subject of each window.

    Returns
    -------
    scores : ndarray, shape (n_splits,)
    """
    cv = GroupKFold(n_splits, shuffle=True, random_state=random_state)
    return cross_val_score(estimator, X, y, groups=groups, cv=cv, scoring=scoring,
                           n_jobs=n_jobs)  # fmt: skip
