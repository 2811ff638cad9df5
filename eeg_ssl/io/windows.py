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


def label_problem(label_source, labels, *, source, annotations=None, recording_label="",
                  label_map=None, label_channel=None):  # fmt: skip
    """Why the recipe's label source labelled none of a recording's windows, or None.

    Parameters
    ----------
    label_source : None | str
        The recipe's ``label_source``; ``None`` (unlabelled on purpose) and
        ``"events"`` (which windows only labelled events) never have a problem.
    labels : list of str
        The windows' labels, ``""`` for unlabelled.
    source : str
        The recording's name, for the message.
    annotations : tuple | None
        ``(onsets, durations, descriptions)`` of the recording.
    recording_label : str
        The recording's raw label (file-name rule, array labels).
    label_map : dict | None
    label_channel : str | None

    Returns
    -------
    problem : str | None
        A message naming the recording and the fix.
    """
    if label_source in (None, "events") or any(labels):
        return None
    n = len(labels)
    unlabelled = "or prepare it without 'label_source' (unlabelled, for pretraining)"
    if label_source == "annotations":
        descriptions = sorted({str(d) for d in (annotations or ((), (), ()))[2]})
        if not descriptions:
            return (
                f"Recording {source!r} has no annotations, so label_source='annotations' "
                f"labels none of its {n} windows. Fix: label it another way (e.g. "
                f"label_source='recording' with a 'label' path rule) {unlabelled}."
            )
        mapped = f" and 'label_map' keys {sorted(label_map)[:10]}" if label_map else ""
        return (
            f"No annotation of {source!r} labels any of its {n} windows "
            f"(label_source='annotations' needs a (mapped) annotation covering a whole "
            f"window); its descriptions are {descriptions[:10]}{mapped}. Fix: map its "
            f"descriptions in 'label_map', shorten 'window_seconds' below the annotations' "
            f"durations, {unlabelled}."
        )
    if label_source == "channel":
        return (
            f"Channel {label_channel!r} labels none of the {n} windows of {source!r} "
            f"(label_source='channel'): its value changes inside every window or is not in "
            f"'label_map'. Fix: shorten 'window_seconds', extend 'label_map', {unlabelled}."
        )
    if recording_label in (None, ""):
        return (
            f"Recording {source!r} has no recording label, so label_source='recording' "
            f"labels none of its {n} windows. Fix: give a 'label' rule (path_rules="
            f"{{'label': regex}}, e.g. r'_(\\d)\\.edf$') or Recording(label=...), "
            f"{unlabelled}."
        )
    return (
        f"The label {str(recording_label)!r} of {source!r} is not in 'label_map' "
        f"{sorted(label_map or {})[:10]}, so none of its {n} windows is labelled. Fix: add "
        f"it to 'label_map' {unlabelled}."
    )
