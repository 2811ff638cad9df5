"""Inputs of ``eeg-ssl benchmark``: its config, and the labelled windows it evaluates.

Split from :mod:`eeg_ssl.evaluation.benchmark_runner` (which re-exports these names).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np

from eeg_ssl.data import ShardDataset
from eeg_ssl.io import Recipe, prepare, read_record
from eeg_ssl.utils.files import check_mapping, load_yaml
from eeg_ssl.workflow import check_sections

TOP_KEYS = {
    "out", "seed", "threads", "align", "align_metric", "data", "prepare", "test_data",
    "test_prepare", "label_rules", "subjects", "unlabelled", "n_splits", "repeats", "encoder",
    "encoder_params", "methods", "pretrain", "supervised", "baselines", "fractions", "seeds",
    "probes", "rates", "n_jobs", "quick", "max_pretrain_windows",
}  # fmt: skip


def load_benchmark_config(path, *, quick=False):
    """Read a benchmark config; ``quick`` applies its ``quick`` section on top.

    Relative paths (``out``, ``data``, ``test_data``, ``prepare.inputs``, ``unlabelled``)
    are resolved against the config's folder.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Config {str(path)!r} does not exist; check the path.")
    from eeg_ssl.io.datasets import expand_data_root  # ${data_root}: --data-root / $EEG_SSL_DATA

    config = load_yaml(path, what="Benchmark config")  # errors name the file (and line)
    check_sections(config, path)
    for key in ("quick", "supervised", "encoder_params", "label_rules"):
        if key in config:
            config[key] = check_mapping(config[key], key, path)
    config = expand_data_root(config, where=f"{str(path)!r}")
    unknown = sorted(set(config) - TOP_KEYS)
    if unknown:
        raise ValueError(
            f"Unknown key(s) {unknown} in {str(path)!r}; allowed: {sorted(TOP_KEYS)}."
        )
    config = copy.deepcopy(config)
    overrides = config.pop("quick", {}) or {}
    if quick:
        unknown = sorted(set(overrides) - TOP_KEYS)
        if unknown:
            raise ValueError(f"Unknown key(s) {unknown} in the 'quick' section of {str(path)!r}.")
        config.update(overrides)
    base = path.resolve().parent

    def resolve(p):
        return str(p) if Path(p).is_absolute() else str((base / p).resolve())

    for key in ("out", "data", "test_data"):
        if config.get(key):
            config[key] = resolve(config[key])
    config["unlabelled"] = [resolve(p) for p in config.get("unlabelled") or []]
    for key in ("prepare", "test_prepare"):
        if config.get(key):
            inputs = config[key].get("inputs", [])
            inputs = [inputs] if isinstance(inputs, str) else inputs
            config[key]["inputs"] = [resolve(p) for p in inputs]
    if quick and config.get("subjects") and config.get("prepare"):
        _only_subjects(config["prepare"], config["subjects"])
    if not config.get("data") and not config.get("prepare"):
        raise ValueError(
            f"Config {str(path)!r} needs 'data' (a labelled prepared folder) or a 'prepare' "
            f"section (inputs, recipe, ...) that makes one."
        )
    return config


def _only_subjects(section, subjects):
    """A smoke run prepares only the recordings of the subjects it uses."""
    from eeg_ssl.io.sources import entities_from_path, expand_inputs

    rules = section.get("path_rules") or {}
    if not rules.get("subject"):
        return
    keep = {str(s) for s in subjects}
    try:
        paths = expand_inputs(section["inputs"])
    except FileNotFoundError:  # no data here: the prepare step says where to get it
        return
    section["inputs"] = [str(p) for p in paths if entities_from_path(p, rules)["subject"] in keep]


def _prepare(section, out, verbose):
    from eeg_ssl.io.datasets import missing_data_message

    section = dict(section)
    inputs = section.pop("inputs")
    recipe = Recipe.from_dict(section.pop("recipe", {}))
    try:
        # MNE's logs are long; prepare itself logs "Prepared N windows ..." once
        prepare(inputs, out, recipe, verbose=False, **section)
    except FileNotFoundError as err:
        raise FileNotFoundError(missing_data_message(err, inputs)) from err
    return out


def labels_from_sources(folder, rules):
    """Window labels from the source file names of a prepared folder.

    A stop-gap for data whose label is only in the file name (eegmat) when the data
    was not prepared with file-name label rules.

    Parameters
    ----------
    folder : Path
        Prepared folder (``manifest.csv`` + ``prepare.json``).
    rules : dict
        ``{regex: label}``; the first regex found in a recording's file name gives
        the label of all its windows.

    Returns
    -------
    labels : ndarray of str, shape (n_windows,)
        In manifest order; ``""`` when no rule matches.
    """
    sources = {r["shard"]: Path(r["source"]).name for r in read_record(folder)["recordings"]
               if r.get("status") == "done"}  # fmt: skip
    shard_label = {}
    for shard, name in sources.items():
        shard_label[shard] = next((lab for rx, lab in rules.items() if re.search(rx, name)), "")
    manifest = ShardDataset(folder).manifest
    return manifest["shard"].map(shard_label).fillna("").to_numpy(dtype=str)


def load_labelled(folder, *, label_rules=None, subjects=None, classes=None,
                  return_positions=False):  # fmt: skip
    """Labelled windows of a prepared folder.

    Returns
    -------
    X : ndarray of float32, shape (n_windows, n_chans, n_times)
    y : ndarray of int, shape (n_windows,)
    groups : ndarray of str, shape (n_windows,)
    classes : list of str
    sfreq : float
    positions : tuple of ndarray, shape (n_windows,) each
        Only with ``return_positions``: the recording (shard) and start time in seconds
        of each window, for methods that sample windows within recordings.
    """
    record = read_record(folder)
    sfreq = float(record["recipe"].get("sfreq") or 0) or None
    dataset = ShardDataset(folder, subjects=subjects)
    if label_rules:
        labels = labels_from_sources(folder, label_rules)
        if subjects is not None:
            keep = ShardDataset(folder).manifest["subject"].astype(str).isin(
                [str(s) for s in subjects]).to_numpy()  # fmt: skip
            labels = labels[keep]
    else:
        labels = dataset.manifest["label"].astype(str).to_numpy()
    X, _ = dataset.load()
    mask = labels != ""
    classes = list(classes) if classes is not None else sorted(set(labels[mask]))
    if len(classes) < 2:
        raise ValueError(
            f"The benchmark needs labelled windows of at least 2 classes in {str(folder)!r}; "
            f"found {classes}. Prepare the data with labels (annotations or file-name rules) "
            f"or give 'label_rules'."
        )
    lookup = {c: i for i, c in enumerate(classes)}
    y = np.array([lookup.get(lab, -1) for lab in labels[mask]])
    if (y < 0).any():
        raise ValueError(f"Labels {sorted(set(labels[mask]) - set(classes))} of the held-out "
                         f"data are not among the training classes {classes}.")  # fmt: skip
    groups = dataset.groups[mask].astype(str)
    if sfreq is None:
        raise ValueError(
            f"The recipe of {str(folder)!r} has no 'sfreq'; prepare with a fixed rate."
        )
    if return_positions:
        manifest = dataset.manifest
        positions = (manifest["shard"].to_numpy()[mask],
                     manifest["start_seconds"].to_numpy(dtype=float)[mask])  # fmt: skip
        return X[mask], y, groups, classes, sfreq, positions
    return X[mask], y, groups, classes, sfreq


__all__ = ["labels_from_sources", "load_benchmark_config", "load_labelled"]
