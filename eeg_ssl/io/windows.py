"""Cutting a preprocessed recording into fixed-length windows, and labelling them."""

from __future__ import annotations

import numpy as np


def window_starts(n_times, window_size, stride):
    """Start samples of all complete windows of ``window_size`` every ``stride``."""
    if n_times < window_size:
        return np.zeros(0, dtype=np.int64)
    return np.arange(0, n_times - window_size + 1, stride, dtype=np.int64)


def window_sizes(recipe, sfreq):
    """Window size and stride in samples at sampling rate ``sfreq``."""
    size = int(round(recipe.window_seconds * sfreq))
    stride = size if recipe.stride_seconds is None else int(round(recipe.stride_seconds * sfreq))
    return size, max(stride, 1)


def annotation_labels(raw, starts, window_size, label_map=None):
    """Label each window with the description of an annotation covering it entirely.

    Parameters
    ----------
    raw : mne.io.BaseRaw
        The (preprocessed) recording whose annotations are used.
    starts : ndarray of int, shape (n_windows,)
        Window start samples relative to the first sample of ``raw``'s data.
    window_size : int
        Window length in samples.
    label_map : dict | None
        Description -> label; descriptions not in it are unlabelled.

    Returns
    -------
    labels : list of str, length n_windows
        ``""`` for windows that no (mapped) annotation covers.
    """
    sfreq = raw.info["sfreq"]
    labels = [""] * len(starts)
    onsets = raw.annotations.onset - raw.first_time
    for onset, duration, desc in zip(onsets, raw.annotations.duration, raw.annotations.description):
        label = desc if label_map is None else label_map.get(desc)
        if label is None:
            continue
        first = onset * sfreq
        last = (onset + duration) * sfreq
        # a tolerance of half a sample absorbs float rounding of onsets
        inside = (starts >= first - 0.5) & (starts + window_size <= last + 0.5)
        for i in inside.nonzero()[0]:
            if not labels[i]:
                labels[i] = str(label)
    return labels
