"""Prepare recordings: read with MNE, apply a recipe, window, write shards + manifest."""

from __future__ import annotations

import glob
import hashlib
import re
import warnings
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..utils import check_option, logger
from ..utils.logs import progress_enabled
from .manifest import write_manifest
from .read import file_sha256, read_raw
from .recipe import Recipe, apply_recipe
from .shards import FORMAT_VERSION, read_shard_info, write_shard
from .windows import annotation_labels, window_sizes, window_starts


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


def subject_from_path(path, subject_pattern=None):
    """Subject id from a file name: first group of ``subject_pattern``, else the stem."""
    name = Path(path).name
    if subject_pattern:
        match = re.search(subject_pattern, name)
        if match is None:
            raise ValueError(
                f"'subject_pattern' {subject_pattern!r} does not match the file name {name!r}; "
                f"fix the pattern or leave it unset to use the file stem."
            )
        return match.group(1) if match.groups() else match.group(0)
    return Path(path).stem


def shard_name(path):
    """A shard file name unique to a source path: ``<stem>_<hash8>.h5``."""
    digest = hashlib.sha256(str(Path(path).resolve()).encode()).hexdigest()[:8]
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(path).stem)
    return f"{stem}_{digest}.h5"


def prepare_recording(path, recipe, *, verbose=None):
    """Read and window one recording in memory.

    Returns
    -------
    windows : ndarray of float32, shape (n_windows, n_chans, n_times)
    meta : dict
        ``starts``, ``labels``, ``sfreq``, ``ch_names``, ``ch_types``.
    """
    raw = read_raw(path, verbose=verbose)
    data, raw = apply_recipe(raw, recipe, verbose=verbose)
    if data.shape[0] == 0:
        raise ValueError(
            f"No channel of {str(path)!r} matches the recipe's 'picks' {list(recipe.picks)}; "
            f"its channel types are {sorted(set(raw.get_channel_types()))}."
        )
    sfreq = raw.info["sfreq"]
    size, stride = window_sizes(recipe, sfreq)
    starts = window_starts(data.shape[1], size, stride)
    if len(starts) == 0:
        raise ValueError(
            f"Recording {str(path)!r} lasts {data.shape[1] / sfreq:.2f} s after preprocessing, "
            f"shorter than one window ('window_seconds'={recipe.window_seconds}); use a "
            f"shorter window or drop this file."
        )
    if not np.isfinite(data).all():
        raise ValueError(
            f"Recording {str(path)!r} contains NaN or Inf samples after preprocessing; "
            f"clean or drop the file."
        )
    # (C, T) -> (n_windows, C, size): a strided view, copied once into the array
    windows = np.lib.stride_tricks.sliding_window_view(data, size, axis=1)[:, starts]
    windows = np.ascontiguousarray(windows.transpose(1, 0, 2))
    if recipe.label_source == "annotations":
        labels = annotation_labels(raw, starts, size, recipe.label_map)
    else:
        labels = [""] * len(starts)
    meta = dict(
        starts=starts,
        labels=labels,
        sfreq=sfreq,
        ch_names=list(raw.ch_names),
        ch_types=list(raw.get_channel_types()),
    )
    return windows, meta


def prepare(
    inputs,
    out_dir,
    recipe=None,
    *,
    subject_pattern=None,
    on_error="raise",
    compression=None,
    verbose=None,
):
    """Prepare recordings into a folder of HDF5 shards with a manifest.

    Each recording becomes one shard. A rerun with the same recipe skips recordings
    whose shard is complete and matches the source's SHA-256 (resume); shards are
    written atomically, so an interrupted run never leaves a partial shard.

    Parameters
    ----------
    inputs : str | Path | list
        Recording files, glob patterns or a mix.
    out_dir : str | Path
        The prepared folder.
    recipe : Recipe | dict | None
        The preprocessing recipe (default :class:`Recipe`).
    subject_pattern : str | None
        Regular expression whose first group, searched in the file name, is the
        subject id (e.g. ``"sub-([^_]+)"``); ``None`` uses the file stem.
    on_error : "raise" | "warn"
        What to do with a recording that cannot be prepared: raise, or warn and
        record the skip and its reason in ``prepare.json``.
    compression : None | "lzf" | "gzip"
        HDF5 compression of the windows.
    verbose : bool | str | None
        Progress bar and log level.

    Returns
    -------
    manifest : pandas.DataFrame
        One row per window.
    """
    check_option("on_error", on_error, ["raise", "warn"])
    recipe = recipe if isinstance(recipe, Recipe) else Recipe.from_dict(recipe or {})
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = expand_inputs(inputs)
    if not paths:
        raise ValueError("'inputs' is empty: give at least one recording file or pattern.")

    rows, records = [], []
    for path in tqdm(paths, desc="prepare", unit="rec", disable=not progress_enabled(verbose)):
        shard = out_dir / shard_name(path)
        record = dict(source=str(path), shard=shard.name)
        try:
            if not path.exists():
                raise FileNotFoundError(f"Recording {str(path)!r} does not exist; check the path.")
            sha = file_sha256(path)
            subject = subject_from_path(path, subject_pattern)
            info = _completed_shard(shard, recipe, sha)
            if info is None:
                windows, meta = prepare_recording(path, recipe, verbose=verbose)
                write_shard(shard, windows, source_path=path, source_sha256=sha, recipe=recipe,
                            subject=subject, compression=compression, **meta)  # fmt: skip
                info = read_shard_info(shard)
            else:
                logger.info("Skipping %s: shard %s is already done.", path, shard.name)
        except Exception as err:
            if on_error == "raise":
                raise
            warnings.warn(f"Skipped {str(path)!r}: {err}", stacklevel=2)
            records.append(dict(record, status="skipped", reason=str(err), n_windows=0))
            continue
        records.append(dict(record, status="done", sha256=sha, subject=subject,
                            n_windows=info["n_windows"]))  # fmt: skip
        sfreq = info["sfreq"]
        for row, (start, label) in enumerate(zip(info["starts"], info["labels"])):
            rows.append((shard.name, row, info["subject"], label, int(start), start / sfreq))

    record = dict(format_version=FORMAT_VERSION, recipe=recipe.to_dict(),
                  recipe_hash=recipe.hash(), recordings=records)  # fmt: skip
    manifest = write_manifest(out_dir, rows, record)
    logger.info("Prepared %d windows from %d recordings in %s", len(manifest), len(paths), out_dir)
    return manifest


def _completed_shard(shard, recipe, sha):
    """The shard's info if it exists and was made from the same source and recipe."""
    if not shard.exists():
        return None
    try:
        info = read_shard_info(shard)
    except ValueError:
        return None
    if info["recipe_hash"] != recipe.hash() or info["source_sha256"] != sha:
        return None
    return info
