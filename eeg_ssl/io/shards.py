"""HDF5 shards: one prepared recording per file, versioned, written atomically.

Schema ``FORMAT_VERSION`` 2 (full description in ``docs/format.md``):

``/windows``   float32, shape (n_windows, n_chans, n_times), contiguous (or chunked)
``/starts``    int64, shape (n_windows,), start sample of each window at ``sfreq``
``/labels``    UTF-8 strings, shape (n_windows,), ``""`` for unlabelled
``/ch_mask``   uint8, shape (n_windows, n_chans), 1 measured, 0 filled in / flat
``/ch_names``, ``/ch_types``  UTF-8 strings, shape (n_chans,)
``/ch_pos``    float64, shape (n_chans, 3), metres, NaN when unknown
``/subjects``, ``/segments``  optional per-window subject and source segment (arrays)
attributes: ``format_version``, ``sfreq``, ``n_times``, ``source_path``,
``source_sha256``, ``recipe`` (JSON), ``recipe_hash``, ``subject``, ``session``,
``task``, ``run``, ``coord_frame``, ``meta`` (JSON), ``eeg_ssl_version``, ``mne_version``.

Version 1 shards (no ``ch_mask``, ``ch_pos``, session/task/run) are still read: their
mask is all ones and the missing fields are empty.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import h5py
import mne
import numpy as np

from .._version import __version__
from .integrity import file_stamp

FORMAT_VERSION = 2
DEFAULT_CHUNK_WINDOWS = None  # contiguous (see docs/format.md: fastest measured reads)
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
    ch_mask=None,
    ch_pos=None,
    coord_frame="unknown",
    session="",
    task="",
    run="",
    subjects=None,
    segments=None,
    meta=None,
    chunk_windows=DEFAULT_CHUNK_WINDOWS,
    compression=None,
    return_info=False,
    commit=None,
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
    subject, session, task, run : str
        Recording metadata (BIDS entities or file-name rules).
    labels : list of str | None
        One label per window (``""`` for none).
    ch_mask : ndarray of bool, shape (n_windows, n_chans) or (n_chans,) | None
        1 where the channel was measured; default all ones.
    ch_pos : ndarray, shape (n_chans, 3) | None
        Channel positions in metres in ``coord_frame``; default NaN.
    subjects : list of str | None
        Per-window subject ids (arrays of several subjects in one shard).
    segments : ndarray of int, shape (n_windows,) | None
        Index of the source segment each window comes from (arrays input).
    meta : dict | None
        Extra JSON-serialisable provenance (e.g. flat channels).
    chunk_windows : int | None
        Windows per HDF5 chunk; ``None`` (default) stores ``/windows`` contiguously,
        which readers memory-map (see ``docs/format.md`` for the measurement). With a
        ``compression``, ``None`` means 64.
    compression : None | "lzf" | "gzip"
        HDF5 compression filter for ``/windows``.
    return_info : bool
        Return the shard's metadata as :func:`read_shard_info` would read it back, built
        from memory (``prepare`` uses it to write the manifest without reopening every
        shard), plus the file's ``size``, ``mtime_ns`` and ``checksum``
        (:func:`~eeg_ssl.io.integrity.file_stamp`), instead of the path.
    commit : callable | None
        ``commit(tmp, path)`` makes the complete temporary file durable and visible under
        ``path``. Default :func:`commit_file` (``fsync``, then rename) before returning;
        ``prepare`` passes one that does the same in a background thread.

    Returns
    -------
    path : Path | info : dict
    """
    path = Path(path)
    windows = np.asarray(windows, dtype=np.float32)
    if windows.ndim != 3:
        raise ValueError(
            f"'windows' must have shape (n_windows, n_chans, n_times); got {windows.shape}."
        )
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
    mask = np.ones((n_windows, n_chans), dtype=np.uint8)
    if ch_mask is not None:
        mask[:] = np.asarray(ch_mask, dtype=bool)  # (n_chans,) broadcasts to every window
    pos = np.full((n_chans, 3), np.nan) if ch_pos is None else np.asarray(ch_pos, dtype=float)
    if pos.shape != (n_chans, 3):
        raise ValueError(f"'ch_pos' must have shape ({n_chans}, 3); got {pos.shape}.")
    if compression not in (None, "lzf", "gzip"):
        raise ValueError(
            f"Invalid value for 'compression': allowed None, 'lzf', 'gzip'; got {compression!r}."
        )

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    check_room(tmp, windows.nbytes)
    try:
        with h5py.File(tmp, "w") as h5:
            if chunk_windows is None and compression is not None:
                chunk_windows = 64  # HDF5 filters need a chunked layout
            chunks = (
                (max(1, min(int(chunk_windows), n_windows)), n_chans, n_times)
                if n_windows and chunk_windows is not None
                else None
            )
            h5.create_dataset("windows", data=windows, chunks=chunks, compression=compression)
            h5.create_dataset("starts", data=starts)
            h5.create_dataset("labels", data=np.array(labels, dtype=object), dtype=_STR)
            h5.create_dataset("ch_mask", data=mask)
            h5.create_dataset("ch_names", data=np.array(list(ch_names), dtype=object), dtype=_STR)
            h5.create_dataset("ch_types", data=np.array(list(ch_types), dtype=object), dtype=_STR)
            h5.create_dataset("ch_pos", data=pos)
            if subjects is not None:
                subj = np.array([str(s) for s in subjects], dtype=object)
                if subj.shape != (n_windows,):
                    raise ValueError(
                        f"'subjects' must have {n_windows} entries; got {subj.shape}."
                    )
                h5.create_dataset("subjects", data=subj, dtype=_STR)
            if segments is not None:
                h5.create_dataset("segments", data=np.asarray(segments, dtype=np.int64))
            attrs = dict(
                format_version=FORMAT_VERSION,
                sfreq=float(sfreq),
                n_times=int(n_times),
                source_path=str(source_path),
                source_sha256=str(source_sha256),
                recipe=recipe.to_json(),
                recipe_hash=recipe.hash(),
                subject=str(subject),
                session=str(session or ""),
                task=str(task or ""),
                run=str(run or ""),
                coord_frame=str(coord_frame),
                meta=json.dumps(meta or {}, sort_keys=True),
                eeg_ssl_version=__version__,
                mne_version=mne.__version__,
            )
            write_new_attrs(h5, attrs)
            offset = windows_offset(h5["windows"])
        # size, time and checksum of the complete file, for prepare.json (integrity.py)
        stamp = file_stamp(tmp) if return_info else None
    except BaseException as err:
        tmp.unlink(missing_ok=True)
        if isinstance(err, RuntimeError) and isinstance(err.__context__, OSError):
            # h5py's close after a failed write (disk full, file-size limit) raises a
            # RuntimeError that hides the OSError naming the file and the errno
            raise err.__context__ from err
        raise
    (commit or commit_file)(tmp, path)
    if not return_info:
        return path
    info = dict(attrs, recipe=json.loads(attrs["recipe"]), meta=json.loads(attrs["meta"]))
    info.update(
        ch_names=[str(c) for c in ch_names], ch_types=[str(t) for t in ch_types],
        starts=starts, labels=labels, n_windows=n_windows, n_chans=n_chans,
        ch_mask=mask.astype(bool), ch_pos=pos,
        subjects=[str(s) for s in subjects] if subjects is not None else [str(subject)] * n_windows,
        segments=(np.asarray(segments, dtype=np.int64) if segments is not None
                  else np.zeros(n_windows, dtype=np.int64)),
        windows_offset=offset,
        **stamp,
    )  # fmt: skip
    return info


def check_room(path, nbytes):
    """Raise ``OSError`` (EFBIG or ENOSPC) if ``nbytes`` cannot be written to ``path``.

    Checked before HDF5 writes the file: when a write fails half-way (disk full,
    file-size limit), h5py's close raises a ``RuntimeError`` that hides the cause and
    can leave HDF5 in a state that crashes the interpreter at exit (seen here). A
    statvfs and a getrlimit cost microseconds; a write that still fails (another
    process filling the disk) raises as before.
    """
    try:
        import resource  # POSIX only

        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        unlimited = limit == resource.RLIM_INFINITY
    except (ImportError, AttributeError, OSError, ValueError):
        limit, unlimited = 0, True
    if not unlimited and nbytes > limit:
        raise OSError(errno.EFBIG, os.strerror(errno.EFBIG), str(path))
    try:
        free = shutil.disk_usage(Path(path).parent).free
    except OSError:
        return
    if nbytes > free:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


def write_new_attrs(obj, attrs):
    """Create scalar attributes (``str``, ``int`` or ``float``) that ``obj`` does not have yet.

    The same attributes as ``obj.attrs.update(attrs)`` (tested), written through h5py's
    low-level ``h5a`` API. Hand-written because h5py's ``attrs[name] = value`` writes
    each attribute under a temporary name and then renames it, so that it could replace
    an existing one: for a new shard's 15 attributes, 1.2 instead of 0.75 ms.
    """
    space = h5py.h5s.create(h5py.h5s.SCALAR)
    for name, value in attrs.items():
        if not isinstance(value, (str, int, float, np.integer, np.floating)):
            raise TypeError(f"Attribute {name!r} must be a str, int or float; got {value!r}.")
        data = np.array(value, dtype=_STR if isinstance(value, str) else None)
        file_type = h5py.h5t.py_create(data.dtype, logical=True)
        attr = h5py.h5a.create(obj.id, name.encode(), file_type, space)
        attr.write(data, mtype=h5py.h5t.py_create(data.dtype))


def commit_file(tmp, path):
    """Make a complete temporary file durable (``fsync``), then visible as ``path`` (rename).

    A reader sees either no file or the whole file under ``path``, also after a crash or
    a power loss. On failure the temporary file is removed.
    """
    try:
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def commit_files(pairs):
    """Commit several complete temporary files: one sync of their file system, then renames.

    The batched form of :func:`commit_file` with the same guarantee (each file is on disk
    before it appears under its name): ``prepare``'s background thread commits every
    shard written since its last commit at once. Two or more files on Linux are first
    flushed together by one ``syncfs`` of their file system, then each gets its
    ``fsync`` (then cheap: nothing left to write; it still reports that file's write
    errors): 0.34-0.89 s instead of 0.64-1.08 s for 140 shards of 3.4 MB, measured on
    the development machine. On failure every temporary file of the batch is removed.

    Parameters
    ----------
    pairs : list of (tmp, path)
    """
    try:
        if len(pairs) > 1:
            _syncfs(pairs[0][0])
        for tmp, _ in pairs:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        for tmp, path in pairs:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in pairs:
            Path(tmp).unlink(missing_ok=True)
        raise


def _syncfs(path):
    """``syncfs`` of the file system holding ``path`` (Linux); False where unavailable.

    Hand-written (ctypes) because Python's ``os`` has ``fsync`` and ``sync`` but no
    ``syncfs``, which flushes one file system in one call.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        syncfs = libc.syncfs
    except (OSError, AttributeError, TypeError):
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"syncfs failed for {str(path)!r}: {os.strerror(errno)}")
    finally:
        os.close(fd)
    return True


def read_shard_info(path):
    """Read a shard's metadata (everything but the windows).

    Returns
    -------
    info : dict
        Attributes plus ``ch_names``, ``ch_types``, ``ch_pos`` (n_chans, 3), ``starts``,
        ``labels``, ``ch_mask`` (n_windows, n_chans) bool, ``subjects`` (per window),
        ``segments``, ``n_windows``, ``n_chans``.
    """
    path = Path(path)
    try:
        h5 = h5py.File(path, "r")
    except OSError as err:
        raise ValueError(f"{str(path)!r} is not a readable HDF5 shard ({err}).") from err
    with h5:
        missing = [key for key in _REQUIRED_ATTRS if key not in h5.attrs]
        if missing:
            raise ValueError(
                f"{str(path)!r} is not an eeg-ssl shard: missing attributes {missing}."
            )
        version = int(h5.attrs["format_version"])
        if version > FORMAT_VERSION:
            raise ValueError(
                f"{str(path)!r} has shard format {version}, newer than this eeg-ssl "
                f"understands ({FORMAT_VERSION}); upgrade eeg-ssl."
            )
        info = {key: _plain(h5.attrs[key]) for key in h5.attrs}
        info["recipe"] = json.loads(info["recipe"])
        info["meta"] = json.loads(info.get("meta", "{}"))
        for key in ("session", "task", "run"):
            info.setdefault(key, "")
        info.setdefault("coord_frame", "unknown")
        info["ch_names"] = _strings(h5["ch_names"])
        info["ch_types"] = _strings(h5["ch_types"])
        info["starts"] = h5["starts"][()]
        info["labels"] = _strings(h5["labels"])
        n_windows, n_chans = int(h5["windows"].shape[0]), len(info["ch_names"])
        info["n_windows"], info["n_chans"] = n_windows, n_chans
        # version 1 had no mask/positions: every channel measured, positions unknown
        info["ch_mask"] = (
            h5["ch_mask"][()].astype(bool)
            if "ch_mask" in h5
            else np.ones((n_windows, n_chans), dtype=bool)
        )
        info["ch_pos"] = h5["ch_pos"][()] if "ch_pos" in h5 else np.full((n_chans, 3), np.nan)
        info["subjects"] = (
            _strings(h5["subjects"]) if "subjects" in h5 else [info["subject"]] * n_windows
        )
        info["segments"] = (
            h5["segments"][()] if "segments" in h5 else np.zeros(n_windows, dtype=np.int64)
        )
        info["windows_offset"] = windows_offset(h5["windows"])
    return info


def windows_offset(dset):
    """Byte offset of a contiguous, uncompressed float32 ``/windows`` in its file, else None.

    Loaders read such shards with ``os.preadv`` at this offset (without opening HDF5).
    """
    if dset.chunks is not None or dset.compression is not None or dset.dtype != np.float32:
        return None
    offset = dset.id.get_offset()
    return None if offset is None else int(offset)


def read_shard(path):
    """Read a whole shard: ``(windows, info)``, windows of shape (n_windows, n_chans, n_times)."""
    info = read_shard_info(path)
    with h5py.File(path, "r") as h5:
        windows = h5["windows"][()]
    return windows, info


def _strings(dataset):
    return [s.decode() if isinstance(s, bytes) else s for s in dataset[()]]


def _plain(value):
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    return value
