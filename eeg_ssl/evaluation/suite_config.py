"""Suite configs: reading, checking and extending them (``load_suite_config``).

Split from :mod:`eeg_ssl.evaluation.suite` (which re-exports these names).
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from .tasks import METRICS

SUITE_KEYS = {
    "out", "prepared", "seed", "threads", "encoder", "encoder_params", "methods", "pretrain",
    "pretrain_on", "max_pretrain_windows", "supervised", "baselines", "fractions", "seeds",
    "probes", "n_splits", "max_subjects", "max_windows", "groups", "tasks", "corpora", "quick",
    "corpus_encoder_params", "corpus_window_seconds", "n_jobs", "align", "align_metric",
}  # fmt: skip
TASK_KEYS = {"prepare", "metric", "n_splits", "subjects", "max_subjects", "extra_baselines",
             "fractions", "quick", "align", "align_metric", "dataset"}  # fmt: skip
PRETRAIN_SOURCES = ("train", "dataset", "others", "transductive")
TASK_SOURCES = ("train", "dataset")  # the task's own encoder, pretrained in each fold
GROUPS = ("selection", "evaluation")


def is_suite_config(path):
    """Whether a benchmark YAML is a suite (has ``tasks``, or ``extends`` a suite) rather
    than a single benchmark."""
    config = yaml.safe_load(Path(path).read_text()) or {}
    return isinstance(config, dict) and ("tasks" in config or "extends" in config)


def load_suite_config(path, *, quick=False):
    """Read a suite config; ``quick`` applies the ``quick`` sections (suite and tasks).

    ``${data_root}`` in paths is the data root (``--data-root``, ``$EEG_SSL_DATA``, else
    ``../shared/data`` beside a source checkout). Relative paths (``out``, ``prepared``,
    ``prepare.inputs``) are resolved against the config's folder. Unknown keys, groups
    naming unknown tasks and unknown metrics or pretraining sources are errors.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Suite config {str(path)!r} does not exist; check the path.")
    from ..io.datasets import expand_data_root  # ${data_root}: --data-root / $EEG_SSL_DATA

    config = copy.deepcopy(yaml.safe_load(path.read_text()) or {})
    _check_keys(config, SUITE_KEYS | {"extends"}, str(path))
    # without a data root the placeholder stays: the tasks then find no file and are skipped
    config = expand_data_root(config, where=f"{str(path)!r}")
    if config.get("extends"):
        config = _extend(config, path)
    overrides = config.pop("quick", {}) or {}
    if quick:
        _check_keys(overrides, SUITE_KEYS, f"the 'quick' section of {str(path)!r}")
        config.update(overrides)
    base = path.resolve().parent

    def resolve(p):
        return str(p) if Path(p).is_absolute() else str((base / p).resolve())

    for key in ("out", "prepared"):
        if config.get(key):
            config[key] = resolve(config[key])
    tasks, corpora = config.get("tasks") or {}, config.get("corpora") or {}
    for name, task in {**tasks, **corpora}.items():
        _check_keys(task, TASK_KEYS, f"task {name!r} of {str(path)!r}")
        task_quick = task.pop("quick", {}) or {}
        if quick:  # the suite's quick folds win over a task's own
            task.update(task_quick, **{k: overrides[k] for k in ("n_splits",) if k in overrides})
        section = task.get("prepare") or {}
        if not section.get("inputs"):
            raise ValueError(f"Task {name!r} of {str(path)!r} needs 'prepare: {{inputs: ...}}'.")
        inputs = section["inputs"]
        section["inputs"] = [resolve(p) for p in ([inputs] if isinstance(inputs, str) else inputs)]
        if task.get("metric", "subject") not in METRICS:
            raise ValueError(f"Invalid value for 'metric' of task {name!r}: allowed "
                             f"{list(METRICS)}; got {task['metric']!r}.")  # fmt: skip
    groups = config.get("groups") or {}
    for group, names in groups.items():
        if group not in GROUPS:
            raise ValueError(f"Invalid group {group!r} in {str(path)!r}: allowed {list(GROUPS)}.")
        unknown = sorted(set(names) - set(tasks))
        if unknown:
            raise ValueError(f"Group {group!r} names unknown task(s) {unknown}; tasks are "
                             f"{sorted(tasks)}.")  # fmt: skip
    for where, section in [("the suite", config)] + [(f"task {n!r}", t) for n, t in tasks.items()]:
        if section.get("align") not in (None, "none", "subject"):
            raise ValueError(f"'align' of {where} in {str(path)!r} must be 'subject' or "
                             f"'none'; got {section['align']!r}.")  # fmt: skip
        if section.get("align_metric", "euclid") not in ("euclid", "riemann"):
            raise ValueError(f"'align_metric' of {where} in {str(path)!r} must be 'euclid' "
                             f"or 'riemann'; got {section['align_metric']!r}.")  # fmt: skip
    bad = sorted(set(config.get("pretrain_on") or ["train"]) - set(PRETRAIN_SOURCES))
    if bad:
        raise ValueError(f"Invalid value(s) {bad} for 'pretrain_on': allowed "
                         f"{list(PRETRAIN_SOURCES)}.")  # fmt: skip
    return config


def _extend(config, path):
    """A recipe variant (``extends: suite.yaml``): the base suite's keys, each top-level key
    of the variant replacing the base's. The base's relative paths stay relative to the
    base's own folder."""
    from ..io.datasets import expand_data_root

    base_path = Path(config.pop("extends"))
    if not base_path.is_absolute():
        base_path = path.resolve().parent / base_path
    if not base_path.exists():
        raise FileNotFoundError(f"'extends' in {str(path)!r} names {str(base_path)!r}, which "
                                f"does not exist; give the base suite's path relative to "
                                f"{str(path.resolve().parent)!r}.")  # fmt: skip
    base = yaml.safe_load(base_path.read_text()) or {}
    if "extends" in base:
        raise ValueError(f"{str(base_path)!r} (extended by {str(path)!r}) extends another "
                         f"suite; one level only.")  # fmt: skip
    _check_keys(base, SUITE_KEYS, str(base_path))
    base = expand_data_root(base, where=f"{str(base_path)!r}")
    folder = base_path.resolve().parent

    def absolute(p):
        return str(p) if Path(p).is_absolute() else str((folder / p).resolve())

    for section in (base, base.get("quick") or {}):
        for key in ("out", "prepared"):
            if section.get(key):
                section[key] = absolute(section[key])
    for task in {**(base.get("tasks") or {}), **(base.get("corpora") or {})}.values():
        inputs = (task.get("prepare") or {}).get("inputs")
        if inputs:
            task["prepare"]["inputs"] = [absolute(p) for p in
                                         ([inputs] if isinstance(inputs, str) else inputs)]  # fmt: skip
    quick = base.get("quick") or {}
    if config.get("out") and "quick" not in config and quick.get("out"):
        # a variant's smoke run writes beside the variant's results, not the base's
        base["quick"] = dict(quick, out=f"{config['out']}-quick")
    return dict(base, **config)


def _check_keys(section, allowed, where):
    if not isinstance(section, dict):
        raise ValueError(f"Expected a mapping in {where}; got {type(section).__name__}.")
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise ValueError(f"Unknown key(s) {unknown} in {where}; allowed: {sorted(allowed)}.")


__all__ = ["GROUPS", "PRETRAIN_SOURCES", "SUITE_KEYS", "TASK_KEYS", "TASK_SOURCES",
           "is_suite_config", "load_suite_config"]  # fmt: skip
