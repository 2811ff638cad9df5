"""Prepare in-memory arrays ``(n_segments, n_chans, n_times)`` into one shard.

Split from :mod:`eeg_ssl.io.prepare` (which re-exports :func:`prepare_arrays`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import mne
import numpy as np
from tqdm.auto import tqdm

from ..utils import check_option
from ..utils.logs import progress_enabled
from .finish import _finish
from .integrity import check_output_folder
from .prepare import _safe, window_preprocessed
from .recipe import Recipe, preprocess
from .shards import DEFAULT_CHUNK_WINDOWS, read_shard_info, write_shard


def prepare_arrays(
    X,
    out_dir,
    *,
    sfreq,
    ch_names,
    ch_types="eeg",
    units="uV",
    labels=None,
    subjects=None,
    recipe=None,
    name="arrays",
    compression=None,
    chunk_windows=DEFAULT_CHUNK_WINDOWS,
    overwrite=False,
    verbose=None,
):
    """Prepare in-memory segments ``(n_segments, n_chans, n_times)`` into one shard.

    Each segment is filtered and resampled on its own (MNE, through the recipe) and
    cut into windows; segment labels and subjects go to every window of the segment.

    Parameters
    ----------
    X : ndarray, shape (n_segments, n_chans, n_times)
        The signal in ``units``.
    out_dir : str | Path
        The prepared folder (gets ``<name>_<hash>.h5``, ``manifest.csv``, ``prepare.json``).
    sfreq : float
        Sampling rate of ``X`` in Hz.
    ch_names : list of str, length n_chans
    ch_types : str | list of str
    units : str
        Units of ``X``: ``"V"``, ``"mV"``, ``"uV"``.
    labels : array-like, shape (n_segments,) | None
        Segment labels (mapped by the recipe's ``label_map`` when it has one).
    subjects : array-like, shape (n_segments,) | None
        Subject ids; default the segment index (no subject structure: split by segment).
    recipe : Recipe | dict | None
        Picks default to all channels of ``ch_types``; ``label_source`` is ignored.
    name : str
        Stem of the shard's file name.
    overwrite : bool
        Replace another preparation in ``out_dir`` (see :func:`prepare`).

    Returns
    -------
    manifest : pandas.DataFrame
    """
    X = np.asarray(X)
    if X.ndim != 3:
        raise ValueError(
            f"'X' must have shape (n_segments, n_chans, n_times); got shape {X.shape}. "
            f"For a single recording use X[np.newaxis]."
        )
    n_seg, n_chans, _ = X.shape
    if len(ch_names) != n_chans:
        raise ValueError(
            f"'ch_names' has {len(ch_names)} names for n_chans={n_chans} of 'X' {X.shape}."
        )
    ch_types = [ch_types] * n_chans if isinstance(ch_types, str) else list(ch_types)
    scale = {"V": 1.0, "mV": 1e-3, "uV": 1e-6, "µV": 1e-6}
    check_option("units", units, list(scale))
    for arg, values in (("labels", labels), ("subjects", subjects)):
        if values is not None and len(values) != n_seg:
            raise ValueError(f"'{arg}' has {len(values)} entries for {n_seg} segments of 'X'.")
    recipe = recipe if isinstance(recipe, Recipe) else Recipe.from_dict(recipe or {})
    subjects = [str(i) for i in range(n_seg)] if subjects is None else [str(s) for s in subjects]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(np.ascontiguousarray(X).tobytes())
    digest.update(repr((sfreq, list(ch_names), ch_types, units, labels is None or list(map(str, labels)),
                        subjects)).encode())  # fmt: skip
    sha = digest.hexdigest()
    shard = out_dir / f"{_safe(name)}_{sha[:8]}.h5"
    check_output_folder(out_dir, recipe.hash(), [shard.name], overwrite=overwrite)
    record = dict(source=f"<arrays {name}>", shard=shard.name, subject="", session="", task="",
                  run="", label="")  # fmt: skip
    info = None
    if shard.exists():
        try:
            info = read_shard_info(shard)
        except ValueError:
            info = None
        if info is not None and (
            info["recipe_hash"] != recipe.hash() or info["source_sha256"] != sha
        ):
            info = None
    if info is None:
        info_mne = mne.create_info(list(ch_names), float(sfreq), ch_types)
        out_w, out_s, out_l, out_subj, out_seg, out_mask = [], [], [], [], [], []
        meta = None
        for i in tqdm(
            range(n_seg), desc="prepare", unit="seg", disable=not progress_enabled(verbose)
        ):
            raw = mne.io.RawArray(X[i] * scale[units], info_mne, verbose="error")
            pre = preprocess(raw, recipe, source=f"{name}[{i}]", verbose=verbose)
            label = "" if labels is None else str(labels[i])
            lab_recipe = (
                recipe if recipe.label_source == "recording" else _recording_labels(recipe)
            )
            windows, starts, labs = window_preprocessed(pre, lab_recipe, label=label,
                                                        source=f"{name}[{i}]")  # fmt: skip
            out_w.append(windows)
            out_s.append(starts)
            out_l.extend(labs)
            out_subj.extend([subjects[i]] * len(starts))
            out_seg.append(np.full(len(starts), i))
            out_mask.append(np.repeat(pre.measured[np.newaxis], len(starts), axis=0))
            meta = pre
        write_shard(shard, np.concatenate(out_w), starts=np.concatenate(out_s), sfreq=meta.sfreq,
                    ch_names=meta.ch_names, ch_types=meta.ch_types, source_path=record["source"],
                    source_sha256=sha, recipe=recipe, subject="", labels=out_l,
                    ch_mask=np.concatenate(out_mask), ch_pos=meta.ch_pos, subjects=out_subj,
                    segments=np.concatenate(out_seg), compression=compression,
                    chunk_windows=chunk_windows)  # fmt: skip
    results = [dict(record, status="done", sha256=sha, resumed=info is not None)]
    return _finish(out_dir, [record], results, recipe, "raise")


def _recording_labels(recipe):
    """The recipe with ``label_source="recording"`` (array labels are per segment)."""
    import dataclasses

    return dataclasses.replace(recipe, label_source="recording")


__all__ = ["prepare_arrays"]
