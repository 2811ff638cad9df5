"""``eeg-ssl benchmark SUITE.yaml``: one recipe on several cross-subject tasks, one table.

A suite config (``pipelines/benchmarks/suite.yaml``) holds the SSL recipe under test
(encoder, methods, pretraining), the protocol shared by every task (baselines, label
fractions, seeds, probes), a ``selection`` and an ``evaluation`` group of tasks, and per
task how its recordings are prepared and scored. Each task is prepared once (cached),
read as arrays and run by :func:`~eeg_ssl.evaluation.tasks.run_task`; the suite writes
``table.md`` (the SSL gain per task and label fraction, next to the gaps to the best
classical pipeline and to supervised training), ``gains.csv``, ``scores.csv``, and per
task its summary, under ``out``.
"""

from __future__ import annotations

import time
from itertools import zip_longest
from pathlib import Path

import numpy as np
import pandas as pd

from ..io import Recipe, prepare
from ..io.manifest import atomic_write_text
from ..io.sources import file_recordings
from ..utils import logger, use_log_level
from .benchmark import BASELINES
from .suite_config import (  # noqa: F401  (re-exported)
    GROUPS,
    PRETRAIN_SOURCES,
    SUITE_KEYS,
    TASK_KEYS,
    TASK_SOURCES,
    _check_keys,
    is_suite_config,
    load_suite_config,
)
from .tables import gain_table, gains_markdown, markdown_table, summarise_scores
from .tasks import corpus_available, run_task

SMOKE = ("SMOKE RUN (--quick): tiny encoder, 1 epoch, few subjects and windows per task. "
         "It checks that every code path runs; its numbers mean nothing.")  # fmt: skip


def select_recordings(section, *, subjects=None, max_subjects=None):
    """The task's recordings, optionally restricted to some subjects.

    ``max_subjects`` keeps the first subjects in an order that alternates between the
    recordings' raw labels (so that a quick run of a set whose subjects each have one
    class, such as Bonn's segments, still sees every class). Returns an empty list when
    the inputs match no file (the data are absent).
    """
    try:
        recordings = file_recordings(section["inputs"], path_rules=section.get("path_rules"),
                                     read_kwargs=section.get("read_kwargs"))  # fmt: skip
    except FileNotFoundError:
        return []
    recordings = [r for r in recordings if Path(r.path).exists()]
    if subjects is not None:
        recordings = [r for r in recordings if r.subject in {str(s) for s in subjects}]
    if max_subjects is not None:
        by_label = {}
        for rec in recordings:
            by_label.setdefault(rec.label, []).append(rec.subject)
        columns = zip_longest(*[sorted(set(v)) for v in by_label.values()])
        order = [s for many in columns for s in many if s is not None]
        chosen = list(dict.fromkeys(order))[: int(max_subjects)]
        recordings = [r for r in recordings if r.subject in chosen]
    return recordings


def _prepare_task(name, task, folder, *, max_subjects):
    """Prepare a task's recordings into ``folder`` (reused when already done)."""
    section = dict(task["prepare"])
    recordings = select_recordings(section, subjects=task.get("subjects"),
                                   max_subjects=task.get("max_subjects", max_subjects))  # fmt: skip
    if not recordings:
        return None
    start = time.perf_counter()
    kwargs = {k: v for k, v in section.items() if k not in ("inputs", "path_rules", "read_kwargs",
                                                            "recipe")}  # fmt: skip
    prepare(recordings, folder, Recipe.from_dict(section.get("recipe", {})), verbose=False,
            **kwargs)  # MNE's logs are long  # fmt: skip
    logger.info("%s: %d recordings prepared in %s (%.0f s)", name, len(recordings), folder,
                time.perf_counter() - start)  # fmt: skip
    return folder


def _task_settings(config, task):
    baselines = list(config.get("baselines", BASELINES)) + list(task.get("extra_baselines", []))
    return dict(
        methods=config.get("methods", {"simclr": {}}) or {},
        encoder=config.get("encoder", "conv"),
        encoder_params=config.get("encoder_params"),
        pretrain_params=config.get("pretrain"),
        supervised_params=config.get("supervised"),
        baselines=list(dict.fromkeys(baselines)),
        fractions=task.get("fractions", config.get("fractions", [0.01, 0.1, 1.0])),
        seeds=config.get("seeds", [0, 1, 2]),
        probes=config.get("probes", ["linear"]),
        max_pretrain_windows=config.get("max_pretrain_windows"),
    )


def run_suite(config_path, out=None, *, group=None, quick=False, tasks=None, restart=False,
              n_jobs=None, verbose=True):  # fmt: skip
    """Run the tasks of a suite config and write the combined table; return it (markdown).

    Parameters
    ----------
    config_path : str | Path
        The suite YAML.
    out : str | Path | None
        Output folder (default: the config's ``out``).
    group : "selection" | "evaluation" | None
        The group of tasks to run. ``None``: with ``quick`` every task (a smoke run);
        otherwise the ``selection`` group: the evaluation group runs once per recipe,
        only when asked for by name.
    quick : bool
        Apply the ``quick`` sections (a smoke run for CI; its numbers mean nothing).
    tasks : list of str | None
        Run only these tasks (of the group).
    restart : bool
        Discard finished folds of an earlier run in ``out`` (default: resume).
    n_jobs : int | None
        Folds of a task run at once, one process each (default: the config's
        ``n_jobs``, else 1); the scores do not depend on it.
    """
    from .benchmark_runner import _fingerprint, _SplitStore  # the runner's resume store

    start = time.perf_counter()
    config = load_suite_config(config_path, quick=quick)
    groups = config.get("groups") or {}
    if group is not None and group not in GROUPS:
        raise ValueError(f"Invalid value for 'group': allowed {list(GROUPS)}; got {group!r}.")
    if group is None:
        names = list(config["tasks"]) if quick else list(groups.get("selection", []))
    else:
        names = list(groups.get(group, []))
    if tasks is not None:
        outside = sorted(set(tasks) - set(names))
        if outside:
            raise ValueError(f"Task(s) {outside} are not in the {group or 'selection'} group of "
                             f"{str(config_path)!r} (it holds {names}); pick another --group "
                             f"or task.")  # fmt: skip
        names = [n for n in names if n in set(tasks)]
    group_of = {n: g for g, members in groups.items() for n in members}
    out = Path(out or config.get("out") or "runs/benchmarks/suite").resolve()
    # a quick run prepares its few recordings beside its results; a full run reuses the
    # config's cache of prepared folders
    prepared = (
        Path(config["prepared"]) if config.get("prepared") and not quick else out / "prepared"
    )
    restart = restart or quick  # a smoke run never resumes
    from ..workflow import write_resolved

    write_resolved(out, dict(config, out=str(out), quick=bool(quick), group=group, run=names))
    import torch

    torch.set_num_threads(int(config.get("threads", 1)))
    from ..utils.validation import check_n_jobs

    try:  # folds run at once, one process each (the scores do not depend on it)
        n_jobs = check_n_jobs(config.get("n_jobs", 1) if n_jobs is None else n_jobs)
    except ValueError as err:
        raise ValueError(f"{err} (in {str(config_path)!r} or --n-jobs)") from err
    seed = int(config.get("seed", 0))
    all_scores, all_gains, notes, sizes = [], [], [], []
    pretrain_on = config.get("pretrain_on") or ["train"]
    # fold-wise sources (the task's encoder) and cross-dataset ones (the tokens encoder)
    in_task = [s for s in pretrain_on if s in TASK_SOURCES]
    sources = [s for s in pretrain_on if s not in TASK_SOURCES]
    cross = bool(sources and names) and corpus_available()
    with use_log_level(verbose):
        folders = _every_folder(config, prepared) if cross else {}
        for name in names:
            task = config["tasks"][name]
            task_start = time.perf_counter()
            folder = _prepare_task(name, task, prepared / name,
                                   max_subjects=config.get("max_subjects"))  # fmt: skip
            if folder is None:
                notes.append(f"{name}: skipped, its recordings were not found "
                             f"({task['prepare']['inputs']}).")  # fmt: skip
                logger.warning(notes[-1])
                continue
            from .benchmark_runner import load_labelled

            # positions (recording, start) let methods that draw windows within a
            # recording run (relative positioning, ...); the others ignore them
            X, y, g, classes, sfreq, positions = load_labelled(folder, return_positions=True)
            max_windows = config.get("max_windows")
            if max_windows is not None and len(X) > max_windows:  # quick: a random subset
                keep = np.sort(np.random.default_rng(seed).choice(len(X), int(max_windows),
                                                                  replace=False))  # fmt: skip
                X, y, g = X[keep], y[keep], g[keep]
                positions = tuple(p[keep] for p in positions)
            if task.get("align", config.get("align")) == "subject":
                # each subject (group) re-centred by its own windows, label-free, before
                # the folds (held-out subjects too, transductively), for every model
                from ..transforms import euclidean_alignment, riemannian_alignment

                metric_name = task.get("align_metric", config.get("align_metric", "euclid"))
                aligner = {"euclid": euclidean_alignment,
                           "riemann": riemannian_alignment}[metric_name]  # fmt: skip
                X = aligner(X, g)
                logger.info("%s: every subject aligned (%s mean covariance)", name, metric_name)
            metric = task.get("metric", "subject")
            settings = _task_settings(config, task)
            if not in_task:  # cross-dataset rows only: no fold-wise pretraining
                settings["methods"] = {}
            n_splits = task.get("n_splits", config.get("n_splits", 4))
            related = _same_dataset(config, name)  # left out of `others` with the task
            fingerprint = _fingerprint(dict(settings, task=name, metric=metric, seed=seed,
                                            n_splits=n_splits, sources=sources,
                                            # (only when set: older stores stay valid)
                                            **({} if in_task == ["train"]
                                               else {"in_task": in_task or "none"}),
                                            corpus=config.get("corpus_encoder_params"),
                                            corpus_seconds=config.get("corpus_window_seconds"),
                                            folders=sorted(folders),
                                            # (only when set: older stores stay valid)
                                            **({"related": related}
                                               if sources and related else {})),
                                       [X, y, g])  # fmt: skip
            store = _SplitStore(out / name / "splits", fingerprint, restart=restart)
            frozen = {}
            # encoders pretrained across datasets: not again when every fold is stored
            if cross and not all(store.path(k).exists() for k in range(n_splits)):
                frozen, more = _cross_dataset_encoders(config, folders, name, sources, seed,
                                                       verbose)  # fmt: skip
                notes += more
            scores, timings = run_task(
                X, y, g, sfreq=sfreq, n_splits=n_splits, metric=metric, class_names=classes,
                random_state=seed, store=store, name=name, frozen=frozen, verbose=verbose,
                pretrain_on=in_task or ["train"], n_jobs=n_jobs,
                threads=int(config.get("threads", 1)), positions=positions,
                **settings,
            )  # fmt: skip
            scores = scores.assign(task=name)
            summary = summarise_scores(scores, timings)
            atomic_write_text(out / name / "summary.csv", summary.to_csv(index=False))
            atomic_write_text(out / name / "table.md", markdown_table(summary) + "\n")
            all_scores.append(scores)
            if (summary["kind"] == "ssl").any():
                all_gains.append(gain_table(scores, task=name, metric=metric))
            seconds = time.perf_counter() - task_start
            sizes.append(dict(group=group_of.get(name, ""), task=name, metric=metric,
                              windows=len(X), shape=f"{X.shape[1]} x {X.shape[2]} @ {sfreq:g} Hz",
                              groups=len(set(g)), classes=", ".join(classes),
                              folds=n_splits,
                              seconds=round(seconds)))  # fmt: skip
            logger.info("%s: done in %.0f s", name, seconds)
    for source in sources if names and not cross else []:
        notes.append(_cross_dataset_note(source))
        logger.warning(notes[-1])
    return _write_report(out, all_scores, all_gains, sizes, notes, group_of, quick=quick,
                         group=group, seconds=time.perf_counter() - start)  # fmt: skip


def _cross_dataset_note(source):
    """Why ``pretrain_on: others / transductive`` rows could not run."""
    return (f"pretrain_on {source!r} not run: it needs eeg_ssl.data.CorpusDataset (issue 18, "
            f"point 3), not in this version of eeg-ssl.")  # fmt: skip


def _every_folder(config, prepared):
    """Every dataset's prepared folder (every task, any group, and the corpora): the
    pool of unlabelled windows that leave-one-dataset-out pretraining draws from."""
    folders = {}
    for name, task in {**config["tasks"], **(config.get("corpora") or {})}.items():
        folder = _prepare_task(name, task, prepared / name,
                               max_subjects=config.get("max_subjects"))  # fmt: skip
        if folder is not None:
            folders[name] = folder
    return folders


def _same_dataset(config, name):
    """The other tasks and corpora of ``name``'s dataset (``dataset:``, default the name):
    leave-one-dataset-out pretraining leaves them out with the task."""
    entries = {**config["tasks"], **(config.get("corpora") or {})}
    dataset = entries[name].get("dataset", name)
    return sorted(n for n, e in entries.items() if n != name and e.get("dataset", n) == dataset)


def _cross_dataset_encoders(config, folders, name, sources, seed, verbose):
    """``run_task``'s ``frozen`` encoders of one task: pretrained on the other datasets
    (and on its own windows for ``transductive``), and their random-weights reference."""
    from .cross_dataset import corpus_encoders

    if name not in folders:
        return {}, []
    methods = config.get("methods", {"simclr": {}}) or {}
    if not methods:
        return {}, []
    method, params = next(iter(methods.items()))  # the recipe's (first) method
    params = dict(config.get("pretrain") or {}, **(params or {}))
    transformers, notes = corpus_encoders(
        folders, name, sources=sources, method=method, method_params=params.get("method_params"),
        related=_same_dataset(config, name),
        encoder_params=config.get("corpus_encoder_params"),
        window_seconds=config.get("corpus_window_seconds", 2.0),
        pretrain_params={k: params[k] for k in ("epochs", "batch_size", "lr", "weight_decay")
                         if k in params},
        max_windows=config.get("max_pretrain_windows"), random_state=seed, verbose=verbose,
    )  # fmt: skip
    kinds = {n: "baseline" if n.startswith("random_weights") else "ssl" for n in transformers}
    return {n: (kinds[n], t) for n, t in transformers.items()}, notes


def _write_report(out, all_scores, all_gains, sizes, notes, group_of, *, quick, group, seconds):
    sizes = pd.DataFrame(sizes)
    gains = pd.concat(all_gains, ignore_index=True) if all_gains else pd.DataFrame()
    if all_scores:
        atomic_write_text(out / "scores.csv",
                          pd.concat(all_scores, ignore_index=True).to_csv(index=False))  # fmt: skip
    atomic_write_text(out / "gains.csv", gains.to_csv(index=False))
    if len(gains) and _has_matplotlib():
        from .tables import plot_gains

        plot_gains(gains, out / "gains.png", title="SSL gain over random weights")
    atomic_write_text(out / "tasks.csv", sizes.to_csv(index=False))
    report = [SMOKE, ""] if quick else []
    report += [
        f"Suite: {group or ('every task' if quick else 'selection')} group. Balanced accuracy "
        f"on held-out subjects ('paired by subject': the mean over subjects, every comparison "
        f"paired per subject) or, for tasks without subjects, balanced accuracy pooled over "
        f"the test windows of each fold ('paired by fold'). SSL gain = pretrained minus the "
        f"same architecture with random weights; 'vs' columns: paired differences "
        f"(mean ± standard error, wins/n).",
        "",
        gains_markdown(gains, group_of) if len(gains) else "(no SSL method in this run)",
        "",
        "Tasks:",
        "",
        sizes.to_string(index=False) if len(sizes) else "(no task ran)",
    ]
    if notes:
        report += ["", "Notes:", ""] + [f"- {note}" for note in notes]
    report += ["", f"Total wall time: {seconds:.0f} s"]
    text = "\n".join(report)
    atomic_write_text(out / "table.md", text + "\n")
    from ..utils.report import finish_report

    finish_report(out)  # the reproducibility.json that write_resolved started
    return text


__all__ = ["gain_table", "is_suite_config", "load_suite_config", "run_suite",
           "select_recordings"]  # fmt: skip


def _has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True
