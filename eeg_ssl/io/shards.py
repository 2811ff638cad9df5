"""HDF5 shards: one prepared recording per file, versioned, written atomically.

Schema (``FORMAT_VERSION`` 1, documented in ``docs/format.md``):

``/windows``   float32, shape (n_windows, n_chans, n_times)
``/starts``    int64, shape (n_windows,), start sample of each window at ``sfreq``
``/labels``    UTF-8 strings, shape (n_windows,), ``""`` for unlabelled
``/ch_names``, ``/ch_types``  UTF-8 strings, shape (n_chans,)
attributes: ``format_version``, ``sfreq``, ``source_path``, ``source_sha256``,
``recipe`` (JSON), ``recipe_hash``, ``subject``, ``eeg_ssl_version``, ``mne_version``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import h5py
import mne
import numpy as np

from .._version import __version__

FORMAT_VERSION = 1
_STR = h5py.string_dtype("utf-8")
_REQUIRED_ATTRS = ("format_version", "sfreq", "source_path", "source_sha256", "recipe",
                   "recipe_hash", "subject")  # fmt: skip


def write_shard(
    path,
    windows,
    *,
    starts,
    sfreq,
    ch_names,
    ch_types,
    source_path,
    source_sha256,
    recipe,
    subject="",
    labels=None,
    chunk_windows=64,
    compression=None,
):
    """Write one shard atomically (temporary file, then rename).

    Parameters
    ----------
    path : str | Path
        Destination ``.h5`` file. It appears only once complete.
    windows : ndarray, shape (n_windows, n_chans, n_times)
        The windows; stored as float32.
    starts : ndarray of int, shape (n_windows,)
        Start sample of each window.
    sfreq : float
        Sampling rate of the windows in Hz.
    ch_names, ch_types : list of str, length n_chans
    source_path, source_sha256 : str
        Provenance of the recording.
    recipe : Recipe
        The recipe that produced the windows.
    subject : str
    labels : list of str | None
        One label per window (``""`` for none).
    chunk_windows : int
        Windows per HDF5 chunk.
    compression : None | "lzf" | "gzip"
        HDF5 compression filter for ``/windows``.
    """
    path = Path(path)
    windows = np.asarray(windows, dtype=np.float32)
    if windows.ndim != 3:
        raise ValueError(f"'windows' must have shape (n_windows, n_chans, n_times); got {windows.shape}.")
    n_windows, n_chans, n_times = windows.shape
    if len(ch_names) != n_chans or len(ch_types) != n_chans:
        raise ValueError(
            f"'ch_names' ({len(ch_names)}) and 'ch_types' ({len(ch_types)}) must match "
            f"n_chans={n_chans} of 'windows' {windows.shape}."
        )
    starts = np.asarray(starts, dtype=np.int64)
    if starts.shape != (n_windows,):
        raise ValueError(f"'starts' must have shape ({n_windows},); got {starts.shape}.")
    labels = [""] * n_windows if labels is None else [str(lab) for lab in labels]
    if len(labels) != n_windows:
        raise ValueError(f"'labels' must have {n_windows} entries; got {len(labels)}.")

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with h5py.File(tmp, "w") as h5:
            chunks = (max(1, min(chunk_windows, n_windows)), n_chans, n_times) if n_windows else None
            h5.create_dataset("windows", data=windows, chunks=chunks, compression=compression)
            h5.create_dataset("starts", data=starts)
            h5.create_dataset("labels", data=np.array(labels, dtype=object), dtype=_STR)
            h5.create_dataset("ch_names", data=np.array(list(ch_names), dtype=object), dtype=_STR)
            h5.create_dataset("ch_types", data=np.array(list(ch_types), dtype=object), dtype=_STR)
            h5.attrs.update(
                format_version=FORMAT_VERSION,
                sfreq=float(sfreq),
                n_times=int(n_times),
                source_path=str(source_path),
                source_sha256=str(source_sha256),
                recipe=recipe.to_json(),
                recipe_hash=recipe.hash(),
                subject=str(subject),
                eeg_ssl_version=__version__,
                mne_version=mne.__version__,
            )
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def read_shard_info(path):
    """Read a shard's metadata (everything but the windows).

    Returns
    -------
    info : dict
        Attributes plus ``ch_names``, ``ch_types``, ``starts``, ``labels``, ``n_windows``.
    """
    path = Path(path)
    try:
        h5 = h5py.File(path, "r")
    except OSError as err:
        raise ValueError(f"{str(path)!r} is not a readable HDF5 shard ({err}).") from err
    with h5:
        missing = [key for key in _REQUIRED_ATTRS if key not in h5.attrs]
        if missing:
            raise ValueError(f"{str(path)!r} is not an eeg-ssl shard: missing attributes {missing}.")
        version = int(h5.attrs["format_version"])
        if version > FORMAT_VERSION:
            raise ValueError(
                f"{str(path)!r} has shard format {version}, newer than this eeg-ssl "
                f"understands ({FORMAT_VERSION}); upgrade eeg-ssl."
            )
        info = {key: _plain(h5.attrs[key]) for key in h5.attrs}
        info["recipe"] = json.loads(info["recipe"])
        info["ch_names"] = [s.decode() if isinstance(s, bytes) else s for s in h5["ch_names"][()]]
        info["ch_types"] = [s.decode() if isinstance(s, bytes) else s for s in h5["ch_types"][()]]
        info["starts"] = h5["starts"][()]
        info["labels"] = [s.decode() if isinstance(s, bytes) else s for s in h5["labels"][()]]
        info["n_windows"] = int(h5["windows"].shape[0])
    return info


def read_shard(path):
    """Read a whole shard: ``(windows, info)``, windows of shape (n_windows, n_chans, n_times)."""
    info = read_shard_info(path)
    with h5py.File(path, "r") as h5:
        windows = h5["windows"][()]
    return windows, info


def _plain(value):
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    return value
