"""Subject-wise train/validation/test splits of a prepared folder."""

from __future__ import annotations

import numpy as np

from ..utils import check_random_state


def subject_split(subjects, *, val_size=0.1, test_size=0.2, random_state=None):
    """Split subject ids into disjoint train/validation/test groups.

    Parameters
    ----------
    subjects : array-like of str
        Subject of every window (or the unique subjects).
    val_size, test_size : float | int
        Fraction (``0 <= x < 1``) or number of subjects for each held-out group; at
        least one subject goes to a group whose size is positive.
    random_state : int | None

    Returns
    -------
    split : dict
        ``{"train": [...], "val": [...], "test": [...]}``, sorted subject ids.
    """
    unique = np.array(sorted(set(map(str, subjects))))
    n = len(unique)

    def count(size, name):
        if isinstance(size, float):
            if not 0 <= size < 1:
                raise ValueError(f"'{name}' as a fraction must be in [0, 1); got {size!r}.")
            return 0 if size == 0 else max(1, int(round(size * n)))
        return int(size)

    n_val, n_test = count(val_size, "val_size"), count(test_size, "test_size")
    if n_val + n_test >= n:
        raise ValueError(
            f"Cannot hold out {n_val} validation and {n_test} test subjects from {n} "
            f"subjects and keep any for training; lower 'val_size'/'test_size'."
        )
    order = check_random_state(random_state).permutation(n)
    test = unique[order[:n_test]]
    val = unique[order[n_test : n_test + n_val]]
    train = unique[order[n_test + n_val :]]
    return {"train": sorted(train), "val": sorted(val), "test": sorted(test)}


def split_dataset(root, *, val_size=0.1, test_size=0.2, random_state=None, **kwargs):
    """Subject-wise :class:`~eeg_ssl.data.ShardDataset` splits of a prepared folder.

    Returns
    -------
    datasets : dict
        ``{"train": ShardDataset, "val": ShardDataset | None, "test": ShardDataset | None}``
        (``None`` for an empty group); ``kwargs`` go to every dataset.
    """
    from .dataset import ShardDataset

    groups = ShardDataset(root, **kwargs).groups
    split = subject_split(groups, val_size=val_size, test_size=test_size,
                          random_state=random_state)  # fmt: skip
    return {
        name: ShardDataset(root, subjects=subs, **kwargs) if subs else None
        for name, subs in split.items()
    }
