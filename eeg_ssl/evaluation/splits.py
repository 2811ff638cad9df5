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
    check_subject_folds(folds)
    return folds


def subject_ids(subjects):
    """Subject ids as a list of str; one id (``"03"``, or ``3`` from YAML) is a list of one.

    Iterating the str ``"03"`` would give the ids ``"0"`` and ``"3"``.
    """
    if isinstance(subjects, (str, int, np.integer)):
        return [str(subjects)]
    return [str(s) for s in subjects]


def check_disjoint_subjects(train_subjects, test_subjects, *, names=("train_subjects", "test_subjects"),
                            where=None):  # fmt: skip
    """Refuse a subject that is in both sets (its windows would leak into the score).

    Parameters
    ----------
    train_subjects, test_subjects : iterable of str
        Subject ids (compared as strings, so ``1`` and ``"1"`` are the same subject).
    names : tuple of str
        What the two sets are called in the message (``"--train-subjects"``, ...).
    where : str | None
        Where the sets come from (a config file, a split), added to the message.

    Raises
    ------
    ValueError
        Naming the subjects found in both.
    """
    train, test = (subject_ids(s) for s in (train_subjects, test_subjects))
    both = sorted(set(train) & set(test))
    if both:
        place = f" in {where}" if where else ""
        raise ValueError(
            f"Subject(s) {both} are in both {names[0]!r} and {names[1]!r}{place}: their "
            f"windows would be trained on and scored, inflating the score (leakage). Give "
            f"each subject to one side only."
        )


def check_subject_folds(folds, *, where=None):
    """Refuse folds that leak: a subject in train and test of a split, or tested twice.

    Parameters
    ----------
    folds : list of (list of str, list of str)
        ``(train_subjects, test_subjects)`` per split, as from :func:`subject_folds`.
    where : str | None
        Where the folds come from, added to the message.

    Raises
    ------
    ValueError
        Naming the split(s) and the subject ids.
    """
    seen = {}
    for k, (train, test) in enumerate(folds):
        check_disjoint_subjects(train, test, where=f"split {k + 1}" + (f" of {where}" if where
                                                                     else ""))  # fmt: skip
        for subject in {str(s) for s in test}:
            if subject in seen:
                raise ValueError(
                    f"Subject {subject!r} is in the test set of split {seen[subject] + 1} "
                    f"and of split {k + 1}{f' of {where}' if where else ''}: in subject-wise "
                    f"cross-validation each subject is held out exactly once."
                )
            seen[subject] = k


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
