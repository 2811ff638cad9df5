"""The manifest of a prepared folder: one row per window, plus one JSON record per run.

``manifest.csv`` columns: ``shard`` (file name relative to the folder), ``row`` (index
in the shard), ``subject``, ``label``, ``start_sample``, ``start_seconds``, then
``session``, ``task``, ``run``, ``segment`` (source segment for array input) and
``ch_mask`` (one ``0``/``1`` character per channel, 1 = measured).
``prepare.json``: format version, recipe, and one entry per recording (source, sha256,
shard, number of windows, status ``"done"`` or ``"skipped"`` with the reason).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

MANIFEST_NAME = "manifest.csv"
RECORD_NAME = "prepare.json"
COLUMNS = ["shard", "row", "subject", "label", "start_sample", "start_seconds"]
EXTRA_COLUMNS = ["session", "task", "run", "segment", "ch_mask"]


def atomic_write_text(path, text):
    """Write text to ``path`` through a temporary file and a rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as fid:
        fid.write(text)
        fid.flush()
        os.fsync(fid.fileno())
    os.replace(tmp, path)


def write_manifest(folder, rows, record):
    """Write ``manifest.csv`` (window rows) and ``prepare.json`` (run record) atomically."""
    folder = Path(folder)
    frame = (
        rows
        if isinstance(rows, pd.DataFrame)
        else pd.DataFrame(rows, columns=COLUMNS + EXTRA_COLUMNS)
    )
    atomic_write_text(folder / MANIFEST_NAME, frame.to_csv(index=False))
    atomic_write_text(folder / RECORD_NAME, json.dumps(record, indent=2, sort_keys=True))
    return frame


def read_manifest(folder):
    """Read a prepared folder's window table.

    Returns
    -------
    manifest : pandas.DataFrame
        One row per window, columns as in :data:`COLUMNS`.
    """
    folder = Path(folder)
    path = folder / MANIFEST_NAME
    if not path.exists():
        raise FileNotFoundError(
            f"No {MANIFEST_NAME} in {str(folder)!r}: it is not a prepared folder. "
            f"Run `eeg-ssl prepare ... --out {folder}` first."
        )
    text_columns = ["shard", "subject", "label", "session", "task", "run", "ch_mask"]
    frame = pd.read_csv(path, dtype=dict.fromkeys(text_columns, str), keep_default_na=False)
    missing = [col for col in COLUMNS if col not in frame.columns]
    if missing:
        raise ValueError(f"{str(path)!r} lacks columns {missing}; re-run `eeg-ssl prepare`.")
    return frame


def read_record(folder):
    """Read ``prepare.json`` of a prepared folder."""
    path = Path(folder) / RECORD_NAME
    if not path.exists():
        raise FileNotFoundError(
            f"No {RECORD_NAME} in {str(folder)!r}: it is not a prepared folder."
        )
    return json.loads(path.read_text())
