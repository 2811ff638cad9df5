"""Finishing a preparation: check the shards agree, then write the manifest and record.

Split from :mod:`eeg_ssl.io.prepare` (the bookkeeping after the shards are written):
also tells whether a shard on disk is already complete (resume).
"""

from __future__ import annotations

import warnings

import mne
import numpy as np
import pandas as pd

from ..utils import logger
from .integrity import file_stamp
from .manifest import COLUMNS, EXTRA_COLUMNS, write_manifest
from .shards import FORMAT_VERSION, read_shard_info

# what _finish reads of a shard's info; the rest (channel names, positions, recipe, ...)
# is not kept for every recording until the end, nor sent back by worker processes
_MANIFEST_KEYS = ("n_chans", "n_times", "sfreq", "n_windows", "windows_offset", "starts",
                  "ch_mask", "subjects", "labels", "session", "task", "run", "segments",
                  "size", "mtime_ns", "checksum")  # fmt: skip


def _slim(info):
    return {key: info[key] for key in _MANIFEST_KEYS if key in info}


def _finish(out_dir, recordings, results, recipe, on_error):
    """Check consistency across recordings, then write the manifest and record."""
    columns = COLUMNS + EXTRA_COLUMNS
    # each column is gathered as one array per recording and concatenated once (a small
    # DataFrame per recording, then pd.concat, took 116 instead of 44 ms for 140
    # recordings); repeated values share one object
    parts, expected, first = {col: [] for col in columns}, None, None
    for res in results:
        res.setdefault("n_windows", 0)
        if res["status"] != "done":
            warnings.warn(f"Skipped {res['source']!r}: {res['reason']}", stacklevel=3)
            continue
        if not (out_dir / res["shard"]).exists():  # its commit failed in a worker process
            raise OSError(
                f"Shard {res['shard']!r} of {res['source']!r} was written but could not be "
                f"synced to disk and renamed in {str(out_dir)!r} (disk full or removed?); "
                f"fix the disk and run prepare again: finished shards are kept."
            )
        info = res.pop("_info", None) or read_shard_info(out_dir / res["shard"])
        if res.get("warning"):
            warnings.warn(res["warning"], stacklevel=3)
        shape = (info["n_chans"], int(info.get("n_times", 0)), round(info["sfreq"], 6))
        if expected is None:
            expected, first = shape, res["source"]
        elif shape != expected:
            reason = (
                f"ValueError: its windows are (n_chans, n_times, sfreq) = {shape}, unlike "
                f"{expected} of {first!r} (mixed sampling rates or montages); set the "
                f"recipe's 'sfreq' and 'channels' so all recordings match."
            )
            if on_error == "raise":
                raise ValueError(f"Recording {res['source']!r}: {reason}")
            res.update(status="skipped", reason=reason)
            warnings.warn(f"Skipped {res['source']!r}: {reason}", stacklevel=3)
            continue
        res["n_windows"] = info["n_windows"]
        # layout for the loaders, which then read the shard without opening HDF5
        res["windows_offset"] = info["windows_offset"]
        res["window_shape"] = [int(info["n_chans"]), int(info.get("n_times", 0))]
        # size, time and checksum, checked when the folder is opened (integrity.py)
        res.update(file_stamp(out_dir / res["shard"], info.get("checksum")))
        n = info["n_windows"]
        starts = np.asarray(info["starts"], dtype=np.int64)
        # each window's channel mask as a string of 0/1 (one byte per channel), one
        # string object per distinct mask of the recording
        mask = np.asarray(info["ch_mask"], dtype=bool).reshape(n, -1)
        masks = np.where(mask, b"1", b"0").view(f"S{max(mask.shape[1], 1)}").ravel()
        masks = masks.tolist()
        texts = {m: m.decode() if mask.shape[1] else "" for m in set(masks)}  # decoded once
        masks = [texts[m] for m in masks]
        for col, values in (
            ("shard", _objects([res["shard"]] * n)), ("row", np.arange(n, dtype=np.int64)),
            ("subject", _objects(info["subjects"])), ("label", _objects(info["labels"])),
            ("start_sample", starts), ("start_seconds", starts / info["sfreq"]),
            ("session", _objects([info["session"]] * n)),
            ("task", _objects([info["task"]] * n)),
            ("run", _objects([info["run"]] * n)),
            ("segment", np.asarray(info["segments"], dtype=np.int64)),
            ("ch_mask", _objects(masks)),
        ):  # fmt: skip
            parts[col].append(values)
    if parts["shard"]:
        frame = pd.DataFrame({col: np.concatenate(parts[col]) for col in columns})
    else:
        frame = pd.DataFrame(columns=columns)
    record = dict(format_version=FORMAT_VERSION, recipe=recipe.to_dict(),
                  recipe_hash=recipe.hash(), recordings=list(results),
                  n_windows=len(frame), mne_version=mne.__version__)  # fmt: skip
    write_manifest(out_dir, frame, record)
    n_done = sum(res["status"] == "done" for res in results)
    logger.info("Prepared %d windows from %d/%d recordings in %s", len(frame), n_done,
                len(recordings), out_dir)  # fmt: skip
    return frame


def _objects(values):
    """A list of strings as an object array (repeated strings stay one object)."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _completed_shard(shard, recipe, sha, recording):
    """The shard's info if it exists and was made from the same source, recipe and metadata."""
    if not shard.exists():
        return None
    try:
        info = read_shard_info(shard)
    except ValueError:
        return None
    same_meta = all(
        str(info.get(key, "")) == str(getattr(recording, key) or "")
        for key in ("session", "task", "run")
    ) and info["subject"] == str(recording.subject)
    if info["recipe_hash"] != recipe.hash() or info["source_sha256"] != sha or not same_meta:
        return None
    if recipe.label_source == "recording":
        label = recording.label
        mapped = label if recipe.label_map is None else recipe.label_map.get(str(label), "")
        if any(lab != str(mapped or "") for lab in info["labels"]):
            return None
    return info
