"""Finishing a preparation: check the shards agree, then write the manifest and record.

Split from :mod:`eeg_ssl.io.prepare` (the bookkeeping after the shards are written):
also tells whether a shard on disk is already complete (resume).
"""

from __future__ import annotations

import warnings

import mne
import numpy as np

from ..utils import logger
from .integrity import file_stamp
from .manifest import ManifestWriter, read_manifest, read_record
from .shards import FORMAT_VERSION, read_shard_info

# what _finish reads of a shard's info; the rest (channel names, positions, recipe, ...)
# is not kept for every recording until the end, nor sent back by worker processes
_MANIFEST_KEYS = ("n_chans", "n_times", "sfreq", "n_windows", "windows_offset", "starts",
                  "ch_mask", "subjects", "labels", "session", "task", "run", "segments",
                  "size", "mtime_ns", "checksum")  # fmt: skip


def _slim(info):
    return {key: info[key] for key in _MANIFEST_KEYS if key in info}


def _finish(out_dir, recordings, results, recipe, on_error, *, wait=None, return_manifest=True):
    """Check consistency across recordings, then write the manifest and record.

    ``results`` is consumed once, in input order, as recordings finish: each one's rows
    are written to the manifest then (:class:`~eeg_ssl.io.manifest.ManifestWriter`) and
    its per-window metadata dropped, so memory does not grow with the corpus. ``wait``
    (if given) is called once every result is in, before the shards are checked on disk:
    it waits for their background commits. Returns the manifest (read back from disk)
    or, with ``return_manifest=False``, the run record.
    """
    writer = ManifestWriter(out_dir)
    try:
        kept, expected, first = [], None, None
        for res in results:
            kept.append(res)
            res.setdefault("n_windows", 0)
            if res["status"] != "done":
                warnings.warn(f"Skipped {res['source']!r}: {res['reason']}", stacklevel=3)
                continue
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
            res["_checksum"] = info.get("checksum")
            writer.add(_manifest_rows(res["shard"], info))
        if wait is not None:
            wait()
        for res in kept:
            if res["status"] != "done":
                continue
            if not (out_dir / res["shard"]).exists():  # its commit failed in a worker process
                raise OSError(
                    f"Shard {res['shard']!r} of {res['source']!r} was written but could not "
                    f"be synced to disk and renamed in {str(out_dir)!r} (disk full or "
                    f"removed?); fix the disk and run prepare again: finished shards are kept."
                )
            # size, time and checksum, checked when the folder is opened (integrity.py)
            res.update(file_stamp(out_dir / res["shard"], res.pop("_checksum", None)))
        record = dict(format_version=FORMAT_VERSION, recipe=recipe.to_dict(),
                      recipe_hash=recipe.hash(), recordings=kept, n_windows=writer.n_rows,
                      mne_version=mne.__version__)  # fmt: skip
        writer.commit(record)
    except BaseException:
        writer.discard()
        raise
    n_done = sum(res["status"] == "done" for res in kept)
    logger.info("Prepared %d windows from %d/%d recordings in %s", writer.n_rows, n_done,
                len(recordings), out_dir)  # fmt: skip
    return read_manifest(out_dir, check=False) if return_manifest else read_record(out_dir)


def _manifest_rows(shard, info):
    """One recording's manifest rows, ``{column: array}``, from its shard's info."""
    n = info["n_windows"]
    starts = np.asarray(info["starts"], dtype=np.int64)
    # each window's channel mask as a string of 0/1 (one byte per channel), one string
    # object per distinct mask of the recording
    mask = np.asarray(info["ch_mask"], dtype=bool).reshape(n, -1)
    masks = np.where(mask, b"1", b"0").view(f"S{max(mask.shape[1], 1)}").ravel().tolist()
    texts = {m: m.decode() if mask.shape[1] else "" for m in set(masks)}  # decoded once
    return {
        "shard": _objects([shard] * n), "row": np.arange(n, dtype=np.int64),
        "subject": _objects(info["subjects"]), "label": _objects(info["labels"]),
        "start_sample": starts, "start_seconds": starts / info["sfreq"],
        "session": _objects([info["session"]] * n), "task": _objects([info["task"]] * n),
        "run": _objects([info["run"]] * n),
        "segment": np.asarray(info["segments"], dtype=np.int64),
        "ch_mask": _objects([texts[m] for m in masks]),
    }  # fmt: skip


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
