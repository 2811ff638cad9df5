"""Prepare recordings: read with MNE, apply a recipe, window, write shards + manifest.

One shard per recording, written atomically; resumable (a rerun skips recordings whose
shard was made from the same bytes, recipe and metadata); parallel over recordings
(``n_jobs``), each worker holding one recording at a time.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..utils import check_option, logger
from ..utils.logs import progress_enabled
from ..utils.validation import check_n_jobs
from .background import (
    _commit_in_background,
    _in_background,
    _parallel_map,
    _wait_for_commits,
)
from .finish import _completed_shard, _finish, _slim
from .integrity import check_output_folder
from .recipe import Recipe, preprocess
from .shards import DEFAULT_CHUNK_WINDOWS, write_shard
from .sources import (
    Recording,
    braindecode_recordings,
    entities_from_path,
    expand_inputs,
    file_recordings,
)
from .windows import (
    channel_labels,
    event_windows,
    interval_labels,
    label_problem,
    window_sizes,
    window_starts,
)

__all__ = [
    "expand_inputs",
    "prepare",
    "prepare_arrays",
    "prepare_recording",
    "shard_name",
    "subject_from_path",
]


def subject_from_path(path, subject_pattern=None):
    """Subject id from a file name: first group of ``subject_pattern``, else the stem."""
    return entities_from_path(path, {"subject": subject_pattern} if subject_pattern else None)[
        "subject"
    ]


def shard_name(source):
    """A shard file name unique to a source: ``<stem>_<hash8>.h5``."""
    if isinstance(source, Recording):
        if source.path is None:
            key = source.key
            return f"{_safe(key)}_{hashlib.sha256(key.encode()).hexdigest()[:8]}.h5"
        source = source.path
    digest = hashlib.sha256(str(Path(source).resolve()).encode()).hexdigest()[:8]
    return f"{_safe(Path(source).stem)}_{digest}.h5"


def _safe(text):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", str(text))


def window_preprocessed(pre, recipe, *, label="", source=""):
    """Cut a :class:`~eeg_ssl.io.recipe.Preprocessed` recording into labelled windows.

    Returns
    -------
    windows : ndarray of float32, shape (n_windows, n_chans, n_times)
    starts : ndarray of int64, shape (n_windows,)
    labels : list of str
    """
    data, sfreq = pre.data, pre.sfreq
    onsets, durations, descriptions = pre.annotations
    if recipe.label_source == "events":
        starts, labels, size = event_windows(
            onsets, descriptions, tmin=recipe.tmin, tmax=recipe.tmax, sfreq=sfreq,
            n_times=data.shape[1], label_map=recipe.label_map,
        )  # fmt: skip
        if len(starts) == 0:
            raise ValueError(
                f"Recording {source!r} has no annotation in the 'label_map' "
                f"{sorted(recipe.label_map or {})} whose window [onset{recipe.tmin:+g} s, "
                f"onset{recipe.tmax:+g} s) fits in it; its descriptions are "
                f"{sorted(set(descriptions))[:10]}."
            )
    else:
        size, stride = window_sizes(recipe, sfreq)
        starts = window_starts(data.shape[1], size, stride)
        if len(starts) == 0:
            raise ValueError(
                f"Recording {source!r} lasts {data.shape[1] / sfreq:.2f} s after "
                f"preprocessing, shorter than one window ('window_seconds'="
                f"{recipe.window_seconds}); use a shorter window or drop this file."
            )
        if recipe.label_source == "annotations":
            labels = interval_labels(onsets, durations, descriptions, starts, size, sfreq,
                                     recipe.label_map)  # fmt: skip
        elif recipe.label_source == "channel":
            labels = channel_labels(pre.label_values, pre.label_sfreq, starts, size, sfreq,
                                    recipe.label_map)  # fmt: skip
        elif recipe.label_source == "recording" and label != "":
            mapped = label if recipe.label_map is None else recipe.label_map.get(str(label))
            labels = [str(mapped) if mapped is not None else ""] * len(starts)
        else:
            labels = [""] * len(starts)
    # (C, T) -> (n_windows, C, size): a strided view, copied once into the array
    windows = np.lib.stride_tricks.sliding_window_view(data, size, axis=1)[:, starts]
    windows = np.ascontiguousarray(windows.transpose(1, 0, 2))
    return windows, starts, labels


def prepare_recording(path, recipe, *, verbose=None):
    """Read and window one recording in memory.

    Parameters
    ----------
    path : str | Path | Recording
    recipe : Recipe

    Returns
    -------
    windows : ndarray of float32, shape (n_windows, n_chans, n_times)
    meta : dict
        ``starts``, ``labels``, ``sfreq``, ``ch_names``, ``ch_types``, ``ch_mask``
        (n_chans,), ``ch_pos`` (n_chans, 3), ``coord_frame``, and ``meta`` (flat
        channels; ``unlabelled``: why the label source labelled no window, see
        :func:`~eeg_ssl.io.windows.label_problem`) when there is any.
    """
    recording = path if isinstance(path, Recording) else Recording(path=str(path))
    raw = recording.load(verbose=verbose)
    pre = preprocess(raw, recipe, source=recording.name, verbose=verbose)
    del raw
    windows, starts, labels = window_preprocessed(pre, recipe, label=recording.label,
                                                  source=recording.name)  # fmt: skip
    meta = dict(
        starts=starts, labels=labels, sfreq=pre.sfreq, ch_names=pre.ch_names,
        ch_types=pre.ch_types, ch_mask=pre.measured, ch_pos=pre.ch_pos,
        coord_frame=pre.coord_frame,
    )  # fmt: skip
    extra = {"flat_channels": pre.flat_channels} if pre.flat_channels else {}
    problem = label_problem(recipe.label_source, labels, source=recording.name,
                            annotations=pre.annotations, recording_label=recording.label,
                            label_map=recipe.label_map, label_channel=recipe.label_channel)  # fmt: skip
    if problem:  # kept in the shard's provenance; prepare raises or warns
        extra["unlabelled"] = problem
    if extra:
        meta["meta"] = extra
    return windows, meta


def _to_recordings(inputs, path_rules, read_kwargs):
    if hasattr(inputs, "datasets"):  # a braindecode BaseConcatDataset
        return braindecode_recordings(inputs)
    if isinstance(inputs, (str, Path, Recording)):
        inputs = [inputs]
    recordings, files = [], []
    for item in inputs:
        if isinstance(item, Recording):
            recordings.append(item)
        else:
            files.append(item)
    if files:
        recordings.extend(file_recordings(files, path_rules=path_rules, read_kwargs=read_kwargs))
    return recordings


def prepare(
    inputs,
    out_dir,
    recipe=None,
    *,
    subject_pattern=None,
    path_rules=None,
    read_kwargs=None,
    on_error="raise",
    n_jobs=1,
    compression=None,
    chunk_windows=DEFAULT_CHUNK_WINDOWS,
    overwrite=False,
    verbose=None,
    return_manifest=True,
):
    """Prepare recordings into a folder of HDF5 shards with a manifest.

    Each recording becomes one shard. A rerun with the same recipe skips recordings
    whose shard is complete and was made from the same bytes and metadata (resume) and
    redoes the others; shards are written atomically, so an interrupted run (even a
    SIGKILL) never leaves a partial shard, and the manifest is written last.

    Parameters
    ----------
    inputs : str | Path | list | Recording | braindecode.datasets.BaseConcatDataset
        Recording files, glob patterns, :class:`~eeg_ssl.io.sources.Recording`
        objects (e.g. from :func:`~eeg_ssl.io.sources.bids_recordings`), or a
        braindecode dataset of continuous recordings.
    out_dir : str | Path
        The prepared folder.
    recipe : Recipe | dict | None
        The preprocessing recipe (default :class:`Recipe`).
    subject_pattern : str | None
        Regular expression whose first group, searched in the file name, is the
        subject id (e.g. ``"sub-([^_]+)"``); shorthand for ``path_rules["subject"]``.
    path_rules : dict | None
        ``{"subject"|"session"|"task"|"run"|"label": regex}`` applied to file names
        (see :func:`~eeg_ssl.io.sources.entities_from_path`).
    read_kwargs : dict | None
        Extra reader arguments (e.g. ``{"sfreq": 128}`` for ARFF files).
    on_error : "raise" | "warn"
        A recording that cannot be prepared raises, or is skipped with a warning and
        recorded (with the reason) in ``prepare.json``. A recording whose windows the
        recipe's ``label_source`` labels none of (no annotations, no recording label)
        raises, or is kept unlabelled with a warning naming it.
    n_jobs : int
        Recordings prepared in parallel (worker processes), as in joblib: ``-1`` = all
        cores, ``-2`` = all but one, ...; 0 is an error. Memory
        is bounded by one recording per worker. With ``1`` the recordings are prepared
        in this process; :func:`eeg_ssl.utils.retain_freed_memory` speeds that up (the
        ``eeg-ssl prepare`` command and the worker processes apply it).
    compression : None | "lzf" | "gzip"
        HDF5 compression of the windows.
    chunk_windows : int | None
        Windows per HDF5 chunk; ``None`` (default): contiguous ``/windows``, which
        the loaders memory-map.
    overwrite : bool
        Replace another preparation in ``out_dir`` (other recipe or inputs); by
        default that is an error. The same job again resumes it either way (see
        :func:`~eeg_ssl.io.integrity.check_output_folder`).
    verbose : bool | str | None
        Progress bar and log level.
    return_manifest : bool
        Return the manifest (read back from ``manifest.csv``); ``False`` returns the
        run record of ``prepare.json`` instead, for corpora whose table is too large to
        hold in memory (the ``eeg-ssl prepare`` command does so).

    Returns
    -------
    manifest : pandas.DataFrame | dict
        One row per window (``return_manifest=False``: the run record, with
        ``n_windows`` and one entry per recording).
    """
    check_option("on_error", on_error, ["raise", "warn"])
    n_jobs = check_n_jobs(n_jobs)
    recipe = recipe if isinstance(recipe, Recipe) else Recipe.from_dict(recipe or {})
    rules = dict(path_rules or {})
    if subject_pattern:
        rules.setdefault("subject", subject_pattern)
    for key, pattern in rules.items():  # a bad pattern names its rule, not re's internals
        try:
            re.compile(pattern)
        except (re.error, TypeError) as err:
            raise ValueError(
                f"Invalid value for path rule {key!r} ('path_rules' / --path-rule / "
                f"'subject_pattern'): {pattern!r} is not a regular expression ({err})."
            ) from err
    out_dir = Path(out_dir)
    recordings = _to_recordings(inputs, rules, read_kwargs)
    if not recordings:
        raise ValueError("'inputs' is empty: give at least one recording file or pattern.")
    names = [shard_name(rec) for rec in recordings]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(
            f"Some inputs are listed twice (shards {duplicates[:3]}); remove duplicates."
        )
    check_output_folder(out_dir, recipe.hash(), names, overwrite=overwrite)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(".*.tmp"):  # left by a killed run; never read
        stale.unlink(missing_ok=True)

    job_kwargs = dict(out_dir=out_dir, recipe=recipe, on_error=on_error, compression=compression,
                      chunk_windows=chunk_windows, verbose=verbose)  # fmt: skip
    bar = dict(desc="prepare", unit="rec", total=len(recordings),
               disable=not progress_enabled(verbose))  # fmt: skip
    # each recording's manifest rows are written as it finishes (_finish consumes the
    # results one by one), so memory stays flat however large the corpus
    if n_jobs == 1 or len(recordings) == 1:
        results = (_prepare_one(rec, **job_kwargs) for rec in tqdm(recordings, **bar))
        try:
            return _finish(out_dir, recordings, results, recipe, on_error,
                           wait=_wait_for_commits, return_manifest=return_manifest)  # fmt: skip
        finally:
            _wait_for_commits()  # also when a recording raised: what was written lands
    # the pool's workers finish their commits before they exit, i.e. before the last
    # result arrives
    results = tqdm(_parallel_map(_prepare_one, recordings, n_jobs, job_kwargs), **bar)
    return _finish(out_dir, recordings, results, recipe, on_error,
                   return_manifest=return_manifest)  # fmt: skip


def _prepare_one(recording, *, out_dir, recipe, on_error, compression, chunk_windows, verbose):
    """Prepare one recording into its shard; returns a small plain record."""
    shard = out_dir / shard_name(recording)
    record = dict(source=recording.name, shard=shard.name, **recording.entities())
    try:
        if recording.path is not None and not Path(recording.path).exists():
            raise FileNotFoundError(
                f"Recording {recording.path!r} does not exist; check the path."
            )
        hashing = None
        if shard.exists() or recording.path is None:
            # resume: the source's fingerprint decides whether the shard is still good
            sha = recording.fingerprint()
            info = _completed_shard(shard, recipe, sha, recording)
            if info is not None:
                logger.info("Skipping %s: shard %s is already done.", recording.name,
                            shard.name)  # fmt: skip
                problem = info["meta"].get("unlabelled")
                record.update({"warning": problem} if problem else {})
                return dict(record, status="done", sha256=sha, resumed=True, _info=_slim(info))
        else:  # a new shard: the file is hashed while it is read and filtered
            hashing = _in_background("hash", recording.fingerprint)
        windows, meta = prepare_recording(recording, recipe, verbose=verbose)
        if hashing is not None:
            sha = hashing.result()
        problem = meta.get("meta", {}).get("unlabelled")
        if problem and on_error == "raise":
            raise ValueError(f"{problem} (on_error='warn' keeps it unlabelled, with a warning)")
        record.update({"warning": problem} if problem else {})
        entities = recording.entities()
        info = write_shard(shard, windows, source_path=recording.name, source_sha256=sha,
                           recipe=recipe, subject=entities["subject"],
                           session=entities["session"], task=entities["task"],
                           run=entities["run"], compression=compression,
                           chunk_windows=chunk_windows, return_info=True,
                           commit=_commit_in_background, **meta)  # fmt: skip
    except Exception as err:
        if on_error == "raise":
            raise
        return dict(record, status="skipped", reason=f"{type(err).__name__}: {err}")
    # the shard's metadata travels with the record, so _finish need not reopen the shard
    return dict(record, status="done", sha256=sha, resumed=False, _info=_slim(info))


# prepare_arrays lives in .arrays, which imports window_preprocessed and _safe from here:
# imported last so those exist (eeg_ssl.io imports this module before .arrays)
from .arrays import prepare_arrays  # noqa: E402
