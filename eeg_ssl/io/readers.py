"""Readers for recordings MNE has no reader for, each returned as an ``mne.io.RawArray``.

Once a recording is a Raw with annotations, MNE and the preprocessing recipe do the rest
(filtering, resampling, event-locked windows from the annotations). Three formats of the
public sets in ``../shared/data``:

- :func:`read_muse_csv`: Muse headband CSV exports (EEG-Notebooks / muse-lsl):
  ``timestamps, TP9, AF7, AF8, TP10, Right AUX, Marker``; non-zero markers become
  annotations.
- :func:`read_bonn_segment`: the Bonn epilepsy segments (one value per line, one
  channel, 173.61 Hz).
- :func:`read_fif_with_events`: a FIF recording whose events are in a separate
  ``-eve.fif`` file (the SSVEP exoskeleton set); events become annotations.

Select one in a prepare config with ``read_kwargs: {reader: muse_csv}`` (see
:data:`READERS` and :class:`eeg_ssl.io.sources.Recording`).
"""

from __future__ import annotations

from pathlib import Path

import mne
import numpy as np
import pandas as pd

_SCALE = {"V": 1.0, "mV": 1e-3, "uV": 1e-6, "µV": 1e-6}


def _scale(units):
    if units not in _SCALE:
        raise ValueError(f"Invalid value for 'units': allowed {list(_SCALE)}; got {units!r}.")
    return _SCALE[units]


def read_muse_csv(path, *, sfreq=256.0, units="uV", marker_column=None):
    """Read a Muse CSV export (one row per sample) as a Raw with marker annotations.

    Parameters
    ----------
    path : str | Path
        CSV with a ``timestamps`` column, the EEG columns ``TP9, AF7, AF8, TP10``, an
        optional ``Right AUX`` column (kept as a ``misc`` channel) and a marker column
        (``Marker`` or ``Marker0``; 0 = no event).
    sfreq : float
        Sampling rate in Hz (Muse: 256 Hz nominal). The file's timestamps are checked
        against it: a mean sample interval more than 1 % off is an error.
    units : str
        Units of the values in the file (Muse exports µV).
    marker_column : str | None
        Name of the marker column; ``None`` finds the first column whose name starts
        with ``Marker``.

    Returns
    -------
    raw : mne.io.RawArray
        4 EEG channels (+ ``Right AUX`` as misc), with one zero-duration annotation per
        non-zero marker, described by the marker's integer value (``"1"``, ``"2"``, ...)
        at the marker's sample.
    """
    path = Path(path)
    table = pd.read_csv(path)
    eeg = ["TP9", "AF7", "AF8", "TP10"]
    missing = [c for c in ["timestamps", *eeg] if c not in table.columns]
    if missing:
        raise ValueError(
            f"{str(path)!r} is not a Muse CSV export: columns {missing} are missing (found "
            f"{list(table.columns)}); expected timestamps, TP9, AF7, AF8, TP10, Marker."
        )
    if marker_column is None:
        marker_column = next((c for c in table.columns if str(c).startswith("Marker")), None)
    elif marker_column not in table.columns:
        raise ValueError(
            f"Invalid value for 'marker_column': {marker_column!r} is not a column of "
            f"{str(path)!r}; columns are {list(table.columns)}."
        )
    # mean interval: the timestamps are rounded to the millisecond (median 4 ms = 250 Hz)
    stamps = table["timestamps"].to_numpy(dtype=float)
    step = float((stamps[-1] - stamps[0]) / max(len(stamps) - 1, 1))
    if not abs(step * sfreq - 1) < 0.01:
        raise ValueError(
            f"The timestamps of {str(path)!r} give {1 / step:.2f} Hz, not the 'sfreq' of "
            f"{sfreq} Hz; pass the right 'sfreq'."
        )
    names = eeg + (["Right AUX"] if "Right AUX" in table.columns else [])
    types = ["eeg"] * len(eeg) + ["misc"] * (len(names) - len(eeg))
    data = table[names].to_numpy(dtype=float).T * _scale(units)  # (n_samples, C) -> (C, n)
    raw = mne.io.RawArray(data, mne.create_info(names, float(sfreq), types), verbose="error")
    raw.set_montage("standard_1020", on_missing="ignore", verbose="error")
    if marker_column is not None:
        markers = table[marker_column].fillna(0).to_numpy(dtype=float)
        at = np.flatnonzero(markers != 0)
        raw.set_annotations(mne.Annotations(
            onset=at / sfreq, duration=np.zeros(len(at)),
            description=[str(int(m)) for m in markers[at]]))  # fmt: skip
    return raw


def read_bonn_segment(path, *, sfreq=173.61, units="uV", ch_name="EEG", ch_type="eeg"):
    """Read a Bonn epilepsy segment (plain text, one sample per line) as a 1-channel Raw.

    Parameters
    ----------
    path : str | Path
    sfreq : float
        Sampling rate in Hz (173.61 Hz for the Bonn sets).
    units : str
        Units of the values in the file.
    ch_name, ch_type : str
        Name and MNE type of the single channel (sets A and B are scalp EEG, C-E
        intracranial; one name lets every segment share a montage).

    Returns
    -------
    raw : mne.io.RawArray
    """
    path = Path(path)
    try:
        values = np.loadtxt(path, dtype=float, ndmin=1)
    except ValueError as err:
        raise ValueError(
            f"Could not read {str(path)!r} as a Bonn segment (one number per line): {err}"
        ) from err
    if values.ndim != 1 or len(values) < 2:
        raise ValueError(
            f"{str(path)!r} is not a Bonn segment: expected one number per line, got an "
            f"array of shape {values.shape}."
        )
    info = mne.create_info([ch_name], float(sfreq), [ch_type])
    return mne.io.RawArray(values[None] * _scale(units), info, verbose="error")


def events_path(path):
    """The ``-eve.fif`` file beside a ``_raw.fif`` (or ``-raw.fif``, ``.fif``) recording."""
    path = Path(path)
    name = path.name
    for suffix in ("_raw.fif", "-raw.fif", ".fif"):
        if name.endswith(suffix):
            return path.with_name(name[: -len(suffix)] + "-eve.fif")
    raise ValueError(f"{str(path)!r} is not a FIF recording (its name must end in .fif).")


def read_fif_with_events(path, *, events=None, event_desc=None, duration=0.0):
    """Read a FIF recording and turn the events of its ``-eve.fif`` file into annotations.

    Parameters
    ----------
    path : str | Path
        The recording (``..._raw.fif``).
    events : str | Path | None
        The events file; ``None``: the ``-eve.fif`` beside ``path``
        (:func:`events_path`).
    event_desc : dict | None
        ``{code: description}``; ``None`` describes each event by its code as a
        string (``"1"``, ``"2"``, ...), to be named by the recipe's ``label_map``.
    duration : float
        Duration of each annotation in seconds.

    Returns
    -------
    raw : mne.io.Raw
        With one annotation per event (at the event's sample, first_samp accounted).
    """
    path = Path(path)
    events = Path(events) if events is not None else events_path(path)
    if not events.exists():
        raise FileNotFoundError(
            f"The events file {str(events)!r} of {str(path)!r} does not exist; pass "
            f"'events' (read_kwargs: {{reader: fif_events, events: ...}})."
        )
    raw = mne.io.read_raw_fif(path, preload=False, verbose="error")
    found = mne.read_events(events, verbose="error")
    if event_desc is None:
        event_desc = {int(code): str(int(code)) for code in np.unique(found[:, 2])}
    annotations = mne.annotations_from_events(
        found, raw.info["sfreq"], event_desc=event_desc, first_samp=raw.first_samp,
        orig_time=raw.annotations.orig_time, verbose="error")  # fmt: skip
    annotations.duration[:] = duration
    raw.set_annotations(annotations, verbose="error")
    return raw


#: Readers selectable by name (``read_kwargs: {reader: NAME}``).
READERS = {
    "muse_csv": read_muse_csv,
    "bonn": read_bonn_segment,
    "fif_events": read_fif_with_events,
}


def read_with(reader, path, **kwargs):
    """Read ``path`` with the reader named ``reader`` (a key of :data:`READERS`)."""
    if reader not in READERS:
        raise ValueError(f"Invalid value for 'reader': allowed {sorted(READERS)}; got {reader!r}.")
    return READERS[reader](path, **kwargs)


__all__ = ["READERS", "events_path", "read_bonn_segment", "read_fif_with_events",
           "read_muse_csv", "read_with"]  # fmt: skip
