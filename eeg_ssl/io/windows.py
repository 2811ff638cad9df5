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
    for onset, duration, desc in zip(
        onsets, raw.annotations.duration, raw.annotations.description
    ):
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


def interval_labels(onsets, durations, descriptions, starts, window_size, sfreq, label_map=None):
    """:func:`annotation_labels` on plain arrays (onsets in seconds from the first sample)."""
    labels = [""] * len(starts)
    for onset, duration, desc in zip(onsets, durations, descriptions):
        label = desc if label_map is None else label_map.get(str(desc))
        if label is None:
            continue
        first, last = onset * sfreq, (onset + duration) * sfreq
        # a tolerance of half a sample absorbs float rounding of onsets
        inside = (starts >= first - 0.5) & (starts + window_size <= last + 0.5)
        for i in inside.nonzero()[0]:
            if not labels[i]:
                labels[i] = str(label)
    return labels


def event_windows(onsets, descriptions, *, tmin, tmax, sfreq, n_times, label_map=None):
    """One window per (mapped) annotation: ``[onset + tmin, onset + tmax)``.

    Parameters
    ----------
    onsets : ndarray of float, shape (n_events,)
        Onsets in seconds from the first sample.
    descriptions : sequence of str, length n_events
    tmin, tmax : float
        Window edges in seconds relative to each onset.
    sfreq : float
        Sampling rate of the data in Hz.
    n_times : int
        Length of the data; events whose window leaves it are dropped.
    label_map : dict | None
        Description -> label; descriptions not in it are not windowed.

    Returns
    -------
    starts : ndarray of int64, shape (n_windows,)
    labels : list of str
    window_size : int
        ``round((tmax - tmin) * sfreq)`` samples.
    """
    size = int(round((tmax - tmin) * sfreq))
    starts, labels = [], []
    for onset, desc in zip(onsets, descriptions):
        label = desc if label_map is None else label_map.get(str(desc))
        if label is None:
            continue
        start = int(round((onset + tmin) * sfreq))
        if start < 0 or start + size > n_times:
            continue
        starts.append(start)
        labels.append(str(label))
    return np.asarray(starts, dtype=np.int64), labels, size


def channel_labels(values, values_sfreq, starts, window_size, sfreq, label_map=None):
    """Window labels from a per-sample label channel: its value when constant over the window.

    Parameters
    ----------
    values : ndarray, shape (n_samples,)
        Per-sample labels at ``values_sfreq`` (before any resampling of the data).
    values_sfreq : float
        Sampling rate of ``values`` in Hz.
    starts : ndarray of int, shape (n_windows,)
        Window starts in samples at ``sfreq``.
    window_size : int
        Window length in samples at ``sfreq``.
    sfreq : float
        Sampling rate of the windows in Hz.
    label_map : dict | None
        Value (as a string, integers without ``.0``) -> label.

    Returns
    -------
    labels : list of str
        ``""`` for windows whose label changes inside them, or is not mapped.
    """
    values = np.asarray(values)
    ratio = values_sfreq / sfreq
    labels = []
    for start in starts:
        first = int(np.floor(start * ratio))
        last = max(int(np.ceil((start + window_size) * ratio)), first + 1)
        segment = values[first : min(last, len(values))]
        if segment.size == 0 or not np.all(segment == segment[0]):
            labels.append("")
            continue
        value = segment[0]
        key = str(int(value)) if float(value).is_integer() else str(value)
        label = key if label_map is None else label_map.get(key)
        labels.append("" if label is None else str(label))
    return labels
