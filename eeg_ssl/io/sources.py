"""Where recordings come from: files (any MNE format, ARFF), BIDS folders, braindecode.

Every source becomes a list of :class:`Recording`: a small picklable description
(what to read, and its subject/session/task/run/label) that :func:`eeg_ssl.io.prepare`
reads one at a time, in worker processes when ``n_jobs > 1``.
"""

from __future__ import annotations

import dataclasses
import functools
import glob
import hashlib
import json
import os
import re
import time
from pathlib import Path

import mne
import numpy as np
import pandas as pd

from .read import file_sha256, read_raw

ENTITIES = ("subject", "session", "task", "run", "label")
_INSTALL_BIDS = "pip install 'eeg-ssl[bids]'"


@dataclasses.dataclass
class Recording:
    """One recording to prepare.

    Parameters
    ----------
    path : str | None
        The file (or BIDS file); ``None`` for an in-memory ``raw``.
    subject, session, task, run : str
        Metadata written to every window's manifest row.
    label : str
        Recording-level raw label (``label_source="recording"``), mapped by the
        recipe's ``label_map``.
    reader : "file" | "bids" | "raw"
        :func:`eeg_ssl.io.read_raw`, :func:`mne_bids.read_raw_bids`, or ``raw`` as is.
    read_kwargs : dict
        Extra arguments for the reader (e.g. ``sfreq`` for ARFF files); a ``reader``
        entry names one of :data:`eeg_ssl.io.readers.READERS` (Muse CSV, Bonn text,
        FIF + ``-eve.fif``).
    raw : mne.io.BaseRaw | None
        The recording itself for ``reader="raw"``.
    key : str
        Unique name when there is no path (used for the shard's file name).
    annotations : str | None
        A separate annotation file (e.g. a Sleep-EDF hypnogram) read with
        :func:`mne.read_annotations` and set on the recording.
    """

    path: str | None = None
    subject: str = ""
    session: str = ""
    task: str = ""
    run: str = ""
    label: str = ""
    reader: str = "file"
    read_kwargs: dict = dataclasses.field(default_factory=dict)
    raw: object = None
    key: str = ""
    annotations: str | None = None

    @property
    def name(self):
        return self.path or self.key

    def entities(self):
        return {key: str(getattr(self, key) or "") for key in ENTITIES}

    def fingerprint(self):
        """SHA-256 of what is read: the file bytes, or the in-memory samples."""
        if self.reader == "raw":
            digest = hashlib.sha256(np.ascontiguousarray(self.raw.get_data()).tobytes())
            digest.update(json.dumps(self.raw.ch_names).encode())
            return digest.hexdigest()
        sha = file_sha256(self.path)
        if self.annotations:
            sha = hashlib.sha256((sha + file_sha256(self.annotations)).encode()).hexdigest()
        return sha

    def load(self, *, verbose=None):
        """Read the recording (not preloaded for files)."""
        mne_verbose = "error" if verbose in (None, False) else verbose
        if self.reader == "raw":
            raw = self.raw.copy()
        elif self.reader == "bids":
            raw = _read_bids(self.path, mne_verbose)
        elif self.read_kwargs.get("reader"):  # a format MNE lacks (eeg_ssl.io.readers)
            from .readers import read_with

            kwargs = dict(self.read_kwargs)
            raw = read_with(kwargs.pop("reader"), self.path, **kwargs)
        else:
            raw = read_raw(self.path, verbose=verbose, **self.read_kwargs)
            attach_electrodes(raw, self.path)
        if self.annotations:
            raw.set_annotations(mne.read_annotations(self.annotations), verbose=mne_verbose)
        return raw


def expand_inputs(inputs):
    """Expand files, globs and folders into a sorted list of recording paths."""
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    paths = []
    for item in inputs:
        item = str(item)
        if any(ch in item for ch in "*?["):
            matched = sorted(glob.glob(item, recursive=True))
            if not matched:
                raise FileNotFoundError(f"The pattern {item!r} matched no file; check the path.")
            paths.extend(matched)
        else:
            paths.append(item)
    return [Path(p) for p in paths]


def entities_from_path(path, rules=None):
    """Metadata from a file name with regular expressions.

    Parameters
    ----------
    path : str | Path
    rules : dict | None
        ``{entity: regex}`` for entities ``subject``, ``session``, ``task``, ``run``,
        ``label``; the first group (or the whole match) is searched in the file name,
        then in the full path. E.g. eegmat: ``{"subject": r"Subject(\\d+)_",
        "label": r"_(\\d)\\.edf$"}``. Without a ``subject`` rule, the subject is the
        file stem.

    Returns
    -------
    entities : dict
    """
    rules = dict(rules or {})
    unknown = sorted(set(rules) - set(ENTITIES))
    if unknown:
        raise ValueError(
            f"Unknown entity name(s) {unknown} in 'path_rules'; allowed: {list(ENTITIES)}."
        )
    path = Path(path)
    out = {key: "" for key in ENTITIES}
    out["subject"] = path.stem
    for key, pattern in rules.items():
        if not pattern:
            continue
        match = re.search(pattern, path.name) or re.search(pattern, path.as_posix())
        if match is None:
            raise ValueError(
                f"'path_rules[{key!r}]' = {pattern!r} does not match the file {str(path)!r}; "
                f"fix the pattern or remove the rule."
            )
        out[key] = match.group(1) if match.groups() else match.group(0)
    return out


def file_recordings(inputs, *, path_rules=None, read_kwargs=None):
    """:class:`Recording` objects for files or glob patterns (see :func:`entities_from_path`)."""
    return [
        Recording(
            path=str(path),
            read_kwargs=dict(read_kwargs or {}),
            **entities_from_path(path, path_rules),
        )  # fmt: skip
        for path in expand_inputs(inputs)
    ]


def bids_recordings(root, *, datatypes=None, subjects=None, sessions=None, tasks=None,
                    runs=None, extensions=None):  # fmt: skip
    """:class:`Recording` objects for a BIDS folder, read with mne-bids.

    Subject, session, task and run go into the manifest; channel types,
    ``electrodes.tsv`` positions and ``events.tsv`` annotations come from mne-bids.

    Parameters
    ----------
    root : str | Path
        The BIDS root (holding ``dataset_description.json`` and ``sub-*`` folders).
    datatypes : list of str | None
        E.g. ``["eeg"]`` or ``["ieeg"]``; default all of eeg, ieeg, meg.
    subjects, sessions, tasks, runs : list | None
        Restrict to these entities.
    extensions : list of str | None
        Data file extensions; default the formats mne-bids reads.
    """
    try:
        import mne_bids
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(f"Reading BIDS folders needs mne-bids: {_INSTALL_BIDS}") from err
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"BIDS root {str(root)!r} does not exist; check the path.")
    datatypes = datatypes or ["eeg", "ieeg", "meg"]
    extensions = extensions or [".edf", ".bdf", ".vhdr", ".set", ".fif", ".eeg", ".nwb"]
    paths = mne_bids.find_matching_paths(
        root, subjects=subjects, sessions=sessions, tasks=tasks, runs=runs,
        datatypes=datatypes, suffixes=datatypes, extensions=extensions,
    )  # fmt: skip
    out = []
    for bp in sorted(paths, key=lambda p: str(p.fpath)):
        if bp.extension == ".eeg" and Path(str(bp.fpath)).with_suffix(".vhdr").exists():
            continue  # BrainVision: the .vhdr is the entry point
        out.append(Recording(
            path=str(bp.fpath), reader="bids", subject=bp.subject or "",
            session=bp.session or "", task=bp.task or "", run=str(bp.run or ""),
        ))  # fmt: skip
    if not out:
        raise ValueError(
            f"No {datatypes} recording found under the BIDS root {str(root)!r} with the "
            f"given filters; check 'datatypes', 'subjects', 'tasks'."
        )
    return out


def _read_bids(path, verbose):
    import mne_bids

    bids_path = mne_bids.get_bids_path_from_fname(path)
    return mne_bids.read_raw_bids(bids_path, verbose=verbose)


def braindecode_recordings(concat_ds):
    """:class:`Recording` objects for a braindecode ``BaseConcatDataset`` of raw datasets.

    The description's ``subject``, ``session``, ``task``, ``run`` (and ``target`` as the
    recording label) go into the manifest.
    """
    out = []
    for i, ds in enumerate(concat_ds.datasets):
        raw = getattr(ds, "raw", None)
        if raw is None:
            raise TypeError(
                f"Dataset {i} of the BaseConcatDataset is a {type(ds).__name__} without "
                f"'.raw'; pass the continuous (non-windowed) datasets, or use "
                f"eeg_ssl.io.prepare_arrays on the windows' data."
            )
        desc = ds.description if ds.description is not None else pd.Series(dtype=object)
        meta = {key: _desc(desc, key) for key in ("subject", "session", "task", "run")}
        meta["label"] = _desc(desc, "target")
        meta["subject"] = meta["subject"] or str(i)
        out.append(Recording(reader="raw", raw=raw, key=f"braindecode_{i:05d}", **meta))
    return out


def _desc(desc, key):
    value = desc.get(key, "") if hasattr(desc, "get") else ""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def read_arff(path, *, sfreq, units="uV", label_column=None, ch_type="eeg"):
    """Read an ARFF table of samples (rows) x channels (numeric attributes) as a Raw.

    Nominal attributes (e.g. the per-sample ``eyeDetection`` of the UCI EEG Eye State
    data) become ``misc`` channels holding their values, usable as
    ``Recipe(label_source="channel", label_channel=...)``.

    Parameters
    ----------
    path : str | Path
    sfreq : float
        Sampling rate in Hz (ARFF files do not store it).
    units : str
        Units of the numeric values (``"uV"``, ``"mV"``, ``"V"``).
    label_column : str | None
        A numeric attribute to treat as a label channel as well.
    ch_type : str
        Channel type of the numeric attributes.

    Returns
    -------
    raw : mne.io.RawArray
    """
    from scipy.io import arff

    scale = {"V": 1.0, "mV": 1e-3, "uV": 1e-6, "µV": 1e-6}
    if units not in scale:
        raise ValueError(f"Invalid value for 'units': allowed {list(scale)}; got {units!r}.")
    try:
        table, meta = arff.loadarff(str(path))
    except Exception as err:
        raise ValueError(
            f"Could not read {str(path)!r} as ARFF ({type(err).__name__}: {err}); the file "
            f"may be truncated or not an ARFF table."
        ) from err
    names, types, rows = [], [], []
    for name in meta.names():
        column = table[name]
        if meta[name][0] == "nominal":
            values = np.array([float(v.decode() if isinstance(v, bytes) else v) for v in column])
            names.append(name)
            types.append("misc")
            rows.append(values)
        else:
            names.append(name)
            is_label = name == label_column
            types.append("misc" if is_label else ch_type)
            rows.append(np.asarray(column, dtype=float) * (1.0 if is_label else scale[units]))
    info = mne.create_info(names, float(sfreq), types)
    return mne.io.RawArray(np.vstack(rows), info, verbose="error")


def _sidecar_names(folder):
    """Sorted names of the ``*_electrodes.tsv`` and ``*_coordsystem.json`` in a folder.

    One directory scan per folder and process, redone when the folder changes: a glob
    per recording would list the whole folder every time (quadratic in a flat folder of
    thousands of recordings). A folder changed in the last two seconds is scanned
    every time, as its modification time may not have ticked yet (coarse clocks).
    """
    try:
        mtime = os.stat(folder).st_mtime_ns
    except OSError:
        return ()
    if time.time_ns() - mtime < 2_000_000_000:
        return _scan_sidecars.__wrapped__(str(folder), mtime)
    return _scan_sidecars(str(folder), mtime)


@functools.lru_cache(maxsize=256)
def _scan_sidecars(folder, mtime_ns):
    del mtime_ns  # part of the cache key only
    with os.scandir(folder) as entries:
        return tuple(sorted(entry.name for entry in entries
                            if entry.name.endswith(("_electrodes.tsv", "_coordsystem.json"))))  # fmt: skip


def attach_electrodes(raw, path):
    """Set channel positions from a BIDS ``*_electrodes.tsv`` beside ``path``, if present.

    The sidecar is the file sharing the recording's BIDS prefix (the name up to its
    last ``_<suffix>``); units come from ``*_coordsystem.json`` (``mm``, ``cm`` or
    ``m``). Hand-written because :func:`mne_bids.read_raw_bids` needs a full BIDS
    tree, while loose BIDS-named files are common.

    Returns
    -------
    n_positions : int
        How many channels got a position.
    """
    path = Path(path)
    stem = path.name.split(".")[0]
    if "_" not in stem:
        return 0
    prefix = stem.rsplit("_", 1)[0]
    sidecars = _sidecar_names(path.parent)
    candidates = [n for n in sidecars if n.startswith(prefix) and n.endswith("_electrodes.tsv")]
    if not candidates:
        return 0
    table = pd.read_csv(path.parent / candidates[0], sep="\t", na_values=["n/a"])
    if not {"name", "x", "y", "z"} <= set(table.columns):
        return 0
    units = "m"
    coords = [n for n in sidecars if n.startswith(prefix) and n.endswith("_coordsystem.json")]
    if coords:
        sidecar = json.loads((path.parent / coords[0]).read_text())
        units = next((sidecar[k] for k in sidecar if k.endswith("CoordinateUnits")), "m")
    factor = {"m": 1.0, "cm": 1e-2, "mm": 1e-3}.get(str(units), 1.0)
    ch_pos = {
        str(row.name): np.array([row.x, row.y, row.z], dtype=float) * factor
        for row in table.itertuples(index=False)
        if str(row.name) in raw.ch_names and np.isfinite([row.x, row.y, row.z]).all()
    }
    if not ch_pos:
        return 0
    montage = mne.channels.make_dig_montage(ch_pos=ch_pos, coord_frame="unknown")
    raw.set_montage(montage, on_missing="ignore", verbose="error")
    return len(ch_pos)


__all__ = [
    "Recording",
    "attach_electrodes",
    "bids_recordings",
    "braindecode_recordings",
    "entities_from_path",
    "expand_inputs",
    "file_recordings",
    "read_arff",
]
