"""The manifest of a prepared folder: one row per window, plus one JSON record per run.

``manifest.csv`` columns: ``shard`` (file name relative to the folder), ``row`` (index
in the shard), ``subject``, ``label``, ``start_sample``, ``start_seconds``, then
``session``, ``task``, ``run``, ``segment`` (source segment for array input) and
``ch_mask`` (one ``0``/``1`` character per channel, 1 = measured).
``prepare.json``: format version, recipe, and one entry per recording (source, sha256,
shard, number of windows, status ``"done"`` or ``"skipped"`` with the reason).
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

MANIFEST_NAME = "manifest.csv"
RECORD_NAME = "prepare.json"
COLUMNS = ["shard", "row", "subject", "label", "start_sample", "start_seconds"]
EXTRA_COLUMNS = ["session", "task", "run", "segment", "ch_mask"]


def atomic_write_text(path, text):
    """Write text to ``path`` through a temporary file and a rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w") as fid:
            fid.write(text)
            fid.flush()
            os.fsync(fid.fileno())
        os.replace(tmp, path)
    except BaseException:  # disk full, read-only, ...: no half-written file is left
        tmp.unlink(missing_ok=True)
        raise


class ManifestWriter:
    """Write ``manifest.csv`` in parts as recordings finish, then commit it with its record.

    The rows go to a temporary file (in chunks of ``chunk_rows``) and are hashed as they
    are written, so preparing a corpus holds one chunk of rows in memory, not the whole
    table (0.36 KB per window when it was gathered first: 17 GB at TUH's 48 M windows).
    :meth:`commit` syncs the table, renames it into place and writes ``prepare.json``
    with its checksum and row count; :meth:`discard` removes the temporary file. The text
    is the same as one ``DataFrame.to_csv`` of the whole table (tested).
    """

    def __init__(self, folder, *, chunk_rows=100_000):
        from .integrity import _hasher

        self.folder = Path(folder)
        self.chunk_rows = int(chunk_rows)
        self.n_rows = 0
        self._hasher = _hasher()
        self._parts, self._pending = [], 0
        self._tmp = self.folder / f".{MANIFEST_NAME}.{os.getpid()}.tmp"
        self._fid = open(self._tmp, "wb")
        self._write(",".join(COLUMNS + EXTRA_COLUMNS) + "\n")

    def _write(self, text):
        data = text.encode()  # once, for the file and the checksum
        self._fid.write(data)
        self._hasher.update(data)

    def add(self, columns):
        """Queue one recording's rows: ``{column: array of n values}`` for every column."""
        n = len(columns["shard"])
        if n:
            self._parts.append(columns)
            self._pending += n
            self.n_rows += n
        if self._pending >= self.chunk_rows:
            self._flush()

    def _flush(self):
        if not self._parts:
            return
        names = COLUMNS + EXTRA_COLUMNS
        frame = pd.DataFrame({c: np.concatenate([p[c] for p in self._parts]) for c in names})
        self._write(frame.to_csv(index=False, header=False))
        self._parts, self._pending = [], 0

    def commit(self, record):
        """Put the table in place, then ``prepare.json`` (``record`` + the table's checksum)."""
        self._flush()
        self._fid.flush()
        os.fsync(self._fid.fileno())
        self._fid.close()
        os.replace(self._tmp, self.folder / MANIFEST_NAME)
        from .integrity import CHECKSUM_ALGORITHM

        checksum = f"{CHECKSUM_ALGORITHM}:{self._hasher.hexdigest()}"
        record = dict(record, manifest=dict(checksum=checksum, n_rows=self.n_rows))
        atomic_write_text(self.folder / RECORD_NAME,
                          json.dumps(record, indent=2, sort_keys=True))  # fmt: skip
        return record

    def discard(self):
        """Drop the unfinished table (an error stopped the preparation)."""
        if not self._fid.closed:
            self._fid.close()
        self._tmp.unlink(missing_ok=True)


def write_manifest(folder, rows, record):
    """Write ``manifest.csv`` (window rows) and ``prepare.json`` (run record) atomically.

    The record gets ``manifest``: the checksum and row count of ``manifest.csv``,
    which :func:`read_manifest` checks.
    """
    frame = (
        rows
        if isinstance(rows, pd.DataFrame)
        else pd.DataFrame(rows, columns=COLUMNS + EXTRA_COLUMNS)
    )
    writer = ManifestWriter(folder)
    try:
        writer.add({col: frame[col].to_numpy() for col in COLUMNS + EXTRA_COLUMNS})
        writer.commit(record)
    except BaseException:
        writer.discard()
        raise
    return frame


def manifest_path(folder):
    """``folder / "manifest.csv"``, or a clear error when ``folder`` is not a prepared folder."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(
            f"{str(folder)!r} is a file; give a prepared folder (the one holding "
            f"{MANIFEST_NAME} and {RECORD_NAME})."
        )
    path = folder / MANIFEST_NAME
    if not path.exists():
        raise FileNotFoundError(
            f"No {MANIFEST_NAME} in {str(folder)!r}: it is not a prepared folder. "
            f"Run `eeg-ssl prepare ... --out {folder}` first."
        )
    return path


def read_manifest(folder, *, check=True, return_checksum=False):
    """Read a prepared folder's window table.

    Parameters
    ----------
    folder : str | Path
    check : bool
        Check the table against ``prepare.json``: its checksum (rows or labels edited
        after preparation) and its number of rows.
    return_checksum : bool
        Also return the checksum of the file's bytes.

    Returns
    -------
    manifest : pandas.DataFrame
        One row per window, columns as in :data:`COLUMNS`.
    checksum : str
        Only with ``return_checksum``: ``"xxh3_128:<hex>"``.

    See Also
    --------
    eeg_ssl.io.manifest_columns.read_manifest_columns : a few columns, compactly.
    """
    folder = Path(folder)
    path = manifest_path(folder)
    data = path.read_bytes()
    record = read_record(folder) if check and (folder / RECORD_NAME).exists() else None
    text_columns = ["shard", "subject", "label", "session", "task", "run", "ch_mask"]
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=dict.fromkeys(text_columns, str),
                            keep_default_na=False)  # fmt: skip
    except (ValueError, pd.errors.ParserError) as err:
        raise ValueError(
            f"{str(path)!r} is not a readable manifest ({err}); re-run `eeg-ssl prepare`."
        ) from err
    missing = [col for col in COLUMNS if col not in frame.columns]
    if missing:
        raise ValueError(f"{str(path)!r} lacks columns {missing}; re-run `eeg-ssl prepare`.")
    checksum = None
    if record is not None or return_checksum:
        from .integrity import bytes_checksum

        checksum = bytes_checksum(data)
    if record is not None:
        _check_manifest(folder, record, checksum, len(frame))
    return (frame, checksum) if return_checksum else frame


def read_record(folder):
    """Read ``prepare.json`` of a prepared folder."""
    path = Path(folder) / RECORD_NAME
    if not path.exists():
        raise FileNotFoundError(
            f"No {RECORD_NAME} in {str(folder)!r}: it is not a prepared folder."
        )
    try:
        record = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as err:
        raise ValueError(
            f"{str(path)!r} is not valid JSON ({err}); the folder is damaged: re-run "
            f"`eeg-ssl prepare ... --out {folder}`."
        ) from err
    if not isinstance(record, dict):
        raise ValueError(f"{str(path)!r} is not a prepare record; re-run `eeg-ssl prepare`.")
    return record


def _check_manifest(folder, record, checksum, n_rows):
    """``manifest.csv`` (the checksum of its bytes, ``n_rows`` rows) against ``prepare.json``."""
    path = str(Path(folder) / MANIFEST_NAME)
    fix = (
        f"re-run `eeg-ssl prepare ... --out {folder}` (finished shards are reused) or "
        f"restore the folder; `eeg-ssl verify {folder}` checks it all"
    )
    if "n_windows" in record and n_rows != record["n_windows"]:
        raise ValueError(
            f"{path!r} lists {n_rows} windows but {RECORD_NAME} records "
            f"{record['n_windows']} (rows deleted or added after preparation). Fix: {fix}."
        )
    expected = (record.get("manifest") or {}).get("checksum")
    if expected and checksum != expected:
        raise ValueError(
            f"{path!r} was changed after preparation (its checksum differs from the one in "
            f"{RECORD_NAME}): rows, labels or subjects edited by hand are not used. Fix: {fix}."
        )
