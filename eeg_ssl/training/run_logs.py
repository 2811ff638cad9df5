"""Run logs: a CSV file always, TensorBoard when installed."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path

from ..utils import logger


def atomic_write(path, text):
    """Write ``text`` to ``path`` through a temporary file and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_json(path, data):
    """Atomically write ``data`` as indented JSON (the resolved training config)."""
    atomic_write(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


class CSVLog:
    """Append-only CSV of dict rows with a fixed header.

    Each row is written with a single ``write`` + flush + fsync so a killed run leaves
    whole lines; :meth:`truncate_after` atomically rewrites the file keeping rows up to
    a step (used when resuming from a checkpoint older than the log).

    Parameters
    ----------
    path : str | Path
    fields : list of str
        Column names; missing values are written empty.
    """

    def __init__(self, path, fields):
        self.path = Path(path)
        self.fields = list(fields)
        if not self.path.exists() or self.path.stat().st_size == 0:
            atomic_write(self.path, ",".join(self.fields) + "\n")

    def _format(self, row):
        buf = io.StringIO()
        values = []
        for key in self.fields:
            value = row.get(key, "")
            if isinstance(value, float) and math.isnan(value):
                value = ""
            values.append(value)
        csv.writer(buf, lineterminator="\n").writerow(values)
        return buf.getvalue()

    def append(self, row):
        with open(self.path, "a") as fh:
            fh.write(self._format(row))
            fh.flush()
            os.fsync(fh.fileno())

    def read(self):
        """Rows as a list of dicts of strings (a partial last line is dropped)."""
        text = self.path.read_text()
        if not text.endswith("\n"):
            text = text[: text.rfind("\n") + 1]
        return list(csv.DictReader(io.StringIO(text)))

    def truncate_after(self, key, value):
        """Keep only rows whose ``key`` column is <= ``value`` (atomic rewrite)."""
        rows = [r for r in self.read() if r.get(key, "") != "" and float(r[key]) <= value]
        text = ",".join(self.fields) + "\n" + "".join(self._format(r) for r in rows)
        atomic_write(self.path, text)


class TensorBoardLog:
    """Scalars to TensorBoard if ``tensorboard`` is installed, else a silent no-op.

    Parameters
    ----------
    log_dir : str | Path
    """

    def __init__(self, log_dir):
        self.writer = None
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            logger.info(
                "TensorBoard logging is off: install it with `pip install 'eeg-ssl[tensorboard]'` "
                "(the CSV logs are always written)."
            )
            return
        self.writer = SummaryWriter(str(log_dir))

    def scalars(self, values, step, prefix):
        if self.writer is None:
            return
        for key, value in values.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if not (isinstance(value, float) and math.isnan(value)):
                    self.writer.add_scalar(f"{prefix}/{key}", value, step)

    def close(self):
        if self.writer is not None:
            self.writer.close()


__all__ = ["CSVLog", "TensorBoardLog", "atomic_write", "write_json"]
