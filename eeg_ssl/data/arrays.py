"""A prepared folder as the arrays scikit-learn takes: ``X, y, groups``."""

from __future__ import annotations

import numpy as np

from .dataset import ShardDataset


def load_windows(folder, *, subjects=None, labelled_only=True):
    """Load the windows of a prepared folder for scikit-learn.

    ``X, y, groups = eeg_ssl.load_windows("prepared/")`` then feeds
    ``cross_val_score(clf, X, y, groups=groups, cv=GroupKFold(5))``: every window of
    one subject stays on one side of each split.

    Parameters
    ----------
    folder : str | Path
        A folder written by ``eeg-ssl prepare`` / :func:`eeg_ssl.io.prepare`.
    subjects : list of str | None
        Keep only these subjects (default: all).
    labelled_only : bool
        Keep only windows with a label (default). ``False`` also returns unlabelled
        windows, with label ``""`` (e.g. for pretraining).

    Returns
    -------
    X : ndarray of float32, shape (n_windows, n_chans, n_times)
        The windows, in the units of the recipe (``"uV"`` by default).
    y : ndarray of str, shape (n_windows,)
        Label names (``"rest"``, ``"arithmetic"``, ...).
    groups : ndarray of str, shape (n_windows,)
        The subject of each window.
    """
    dataset = ShardDataset(folder, subjects=subjects, labelled_only=labelled_only)
    if not len(dataset):
        what = "labelled windows" if labelled_only else "windows"
        raise ValueError(
            f"No {what} in {str(folder)!r}"
            + (f" for subjects {list(subjects)}" if subjects is not None else "")
            + (
                "; prepare with a label_source (see `eeg-ssl prepare --help`) or pass "
                "labelled_only=False."
                if labelled_only
                else "."
            )
        )
    X, _ = dataset.load()
    y = dataset.manifest["label"].to_numpy(dtype=str)
    groups = np.asarray(dataset.groups, dtype=str)
    return X, y, groups


__all__ = ["load_windows"]
