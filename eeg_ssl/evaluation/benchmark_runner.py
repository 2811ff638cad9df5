"""``eeg-ssl benchmark CONFIG``: SSL methods against baselines on held-out subjects.

The config (YAML) names a labelled prepared folder with subject ids (or a ``prepare``
section that makes one), the SSL methods and the baselines; the run writes, beside its
resolved ``config.yaml``: ``scores.csv`` (every held-out subject, fraction, seed),
``summary.csv``, ``timings.csv``, ``invariance.csv``, ``verdict.csv``, ``table.md``,
``benchmark.png`` and PCA maps of the held-out embeddings (``maps/``). Each finished split
is kept in ``splits/``, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from eeg_ssl import __version__
from eeg_ssl.data import ShardDataset
from eeg_ssl.evaluation.benchmark import (
    BASELINES,
    benchmark_split,
    markdown_table,
    plot_summary,
    summarise_scores,
    verdict,
)

# config and data loading, and the split store and worker processes, live in their own
# modules; re-exported here so old imports (and suite.py's) keep working
from eeg_ssl.evaluation.benchmark_config import (
    TOP_KEYS,  # noqa: F401 (public name, kept importable from here)
    _prepare,
    labels_from_sources,
    load_benchmark_config,
    load_labelled,
)
from eeg_ssl.evaluation.split_runner import _run_in_processes, _SplitStore
from eeg_ssl.evaluation.splits import check_disjoint_subjects, check_subject_folds, subject_folds
from eeg_ssl.io.manifest import atomic_write_text
from eeg_ssl.transforms import euclidean_alignment, riemannian_alignment
from eeg_ssl.utils import package_versions
from eeg_ssl.utils.report import finish_report
from eeg_ssl.utils.validation import check_n_jobs
from eeg_ssl.workflow import RECORDED_PACKAGES, write_resolved


def _code_digest():
    """Hash of eeg-ssl's source (the package and this runner).

    The version alone does not change while a development checkout is edited; the source
    does, so a split computed by other code is never mixed into a resumed run.
    """
    import eeg_ssl

    digest = hashlib.blake2b(digest_size=16)
    package = Path(eeg_ssl.__file__).resolve().parent
    for path in sorted(package.rglob("*.py")) + [Path(__file__).resolve()]:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _fingerprint(config, arrays):
    """Hash of what a split's results depend on: the resolved config, the windows, and
    eeg-ssl's source and the versions of the packages that compute them.

    Not ``out`` or ``n_jobs``, and not ``repeats``: split ``i`` is the same whatever the
    number of repeats, so a run can be extended from 1 to 3 repeats without redoing the
    first.
    """
    digest = hashlib.blake2b(digest_size=16)
    settings = {k: v for k, v in config.items() if k not in ("out", "repeats", "n_jobs")}
    settings["versions"] = dict(package_versions(RECORDED_PACKAGES), eeg_ssl=__version__,
                                source=_code_digest())  # fmt: skip
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    for array in arrays:
        if array is None:
            continue
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        if array.dtype == object:
            digest.update("\0".join(map(str, array.ravel())).encode())
        else:
            digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()


def _n_jobs(config, config_path):
    """Split processes from the config's ``n_jobs``, with joblib's meaning (-2: all but one)."""
    try:
        return check_n_jobs(config.get("n_jobs", 1))
    except ValueError as err:
        raise ValueError(f"{err} (in {str(config_path)!r})") from err


def _run_split(job):
    """One split of the benchmark (in this process or a worker): its index, its three
    tables and its duration."""
    i, (repeat, fold, windows, kwargs) = job
    start = time.perf_counter()
    tables = benchmark_split(*windows, **kwargs)
    tables = tuple(frame.assign(repeat=repeat, split=fold) for frame in tables)
    return i, tables, time.perf_counter() - start


def run_benchmark(config_path, out=None, *, quick=False, seed=None, repeats=None,
                  n_jobs=None, restart=False, verbose=True):  # fmt: skip
    """Run the benchmark of a config; write the tables and plots; return the markdown table.

    ``seed`` overrides the config's ``seed`` (which assigns subjects to folds and seeds
    pretraining, the random weights and the supervised baseline's initial weights);
    without ``out``, the results then go to the
    config's ``out`` + ``-seed{seed}``, so runs on other folds never overwrite each other.

    ``repeats`` (overrides the config's ``repeats``, default 1) repeats the subject-wise
    cross-validation with seeds ``seed``, ``seed + 1``, ...: other assignments of
    subjects to folds, other pretraining seeds. Every subject is then held out once per
    repeat, and its scores are averaged over repeats before the summary and the paired
    comparisons, which therefore depend less on one assignment of subjects to folds.

    ``n_jobs`` (overrides the config's ``n_jobs``, default 1; -1: one per CPU core) runs
    that many splits at once, each in its own process with ``threads`` torch threads.
    The results are the same as one at a time.

    Each finished split is stored in ``out/splits/``; run the same command again after
    an interruption and the finished splits are read back, not recomputed. They are
    only reused for the same config, windows, eeg-ssl source and package versions;
    ``restart=True`` discards them.
    """
    import torch

    start = time.perf_counter()
    config = load_benchmark_config(config_path, quick=quick)
    if repeats is not None:
        config["repeats"] = repeats
    if n_jobs is not None:
        config["n_jobs"] = n_jobs
    if seed is not None:
        config["seed"] = int(seed)
        if out is None:
            out = f"{config.get('out') or 'runs/benchmark'}-seed{int(seed)}"
    out = Path(out or config.get("out") or "runs/benchmark").resolve()
    out.mkdir(parents=True, exist_ok=True)
    seed = int(config.get("seed", 0))
    repeats = config.get("repeats", 1)
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(
            f"'repeats' in {str(config_path)!r} must be a whole number of at least 1 (how "
            f"many times the subject-wise cross-validation runs, with seeds {seed}, "
            f"{seed + 1}, ...); got {repeats!r}."
        )
    _n_jobs(config, config_path)  # a bad value fails now, not after the data are read
    # One intra-op thread: on a shared CPU, torch's extra threads mostly contend.
    threads = int(config.get("threads", 1))
    torch.set_num_threads(threads)
    align = config.get("align")
    if align not in (None, "none", "subject"):
        raise ValueError(
            f"'align' in {str(config_path)!r} must be 'subject' or 'none'; got {align!r}."
        )
    aligners = {"euclid": euclidean_alignment, "riemann": riemannian_alignment}
    align_metric = config.get("align_metric", "euclid")
    if align_metric not in aligners:
        raise ValueError(
            f"'align_metric' in {str(config_path)!r} must be 'euclid' (arithmetic mean "
            f"covariance) or 'riemann' (Riemannian mean); got {align_metric!r}."
        )
    align_subjects = aligners[align_metric]
    write_resolved(out, dict(config, out=str(out), quick=bool(quick)))

    data = config.get("data") or _prepare(config["prepare"], out / "prepared", verbose)
    X, y, groups, classes, sfreq, (recs, starts) = load_labelled(
        data, label_rules=config.get("label_rules"), subjects=config.get("subjects"),
        return_positions=True)  # fmt: skip
    if align == "subject":
        # Euclidean or Riemannian alignment, label-free, each subject by its own windows
        # only (so once, before the folds; held-out subjects too, transductively): every
        # method and baseline sees the aligned windows
        X = align_subjects(X, groups)
        mean = {"euclid": "arithmetic", "riemann": "Riemannian"}[align_metric]
        print(f"Aligned every subject's windows to an identity {mean} mean covariance "
              f"(align: subject, align_metric: {align_metric}).")  # fmt: skip
    test_data = config.get("test_data")
    if not test_data and config.get("test_prepare"):
        test_data = _prepare(config["test_prepare"], out / "prepared_test", verbose)
    # (repeat, fold, random state, windows, positions of the training windows) per split
    splits = []
    if test_data:
        X_t, y_t, g_t, _, _ = load_labelled(test_data, label_rules=config.get("label_rules"),
                                            classes=classes)  # fmt: skip
        check_disjoint_subjects(groups, g_t, names=("data", "test_data"), where=str(config_path))
        if align == "subject":
            X_t = align_subjects(X_t, g_t)
        for r in range(repeats):  # the same held-out set; other pretraining seeds
            splits.append((r, 0, seed + r, (X, y, groups, X_t, y_t, g_t), (recs, starts)))
    else:
        for r in range(repeats):
            folds = subject_folds(groups, config.get("n_splits", 4), random_state=seed + r)
            check_subject_folds(folds, where=f"repeat {r + 1} of {str(config_path)!r}")
            for k, (train_subjects, test_subjects) in enumerate(folds):
                tr, te = np.isin(groups, train_subjects), np.isin(groups, test_subjects)
                windows = (X[tr], y[tr], groups[tr], X[te], y[te], groups[te])
                splits.append((r, k, seed + r, windows, (recs[tr], starts[tr])))
    extra, extra_recs, extra_starts, extra_units = [], [], [], []
    for path in config.get("unlabelled", []):
        dataset = ShardDataset(path)
        extra.append(dataset.load()[0])
        # recording ids unique across corpora: the folder, then the shard
        recs = np.array([f"{path}/{shard}" for shard in dataset.manifest["shard"]])
        extra_recs.append(recs)
        extra_starts.append(dataset.manifest["start_seconds"].to_numpy(dtype=float))
        # alignment units: the subject where the manifest names one (prefixed by the
        # folder, so two corpora's "01" stay apart), else the recording
        subjects = dataset.manifest["subject"].fillna("").astype(str).to_numpy()
        extra_units.append(np.where(subjects != "", np.char.add(f"{path}/subject:", subjects),
                                    recs))  # fmt: skip
    X_unlabelled = np.concatenate(extra) if extra else None
    pos_unlabelled = (np.concatenate(extra_recs), np.concatenate(extra_starts)) if extra else None
    if align == "subject" and X_unlabelled is not None:
        units = np.concatenate(extra_units)
        X_unlabelled = align_subjects(X_unlabelled, units)
        print(f"Aligned the unlabelled windows of {len(set(units))} subjects or recordings "
              f"(by subject where a corpus's manifest names them, else by recording).")  # fmt: skip
    print(f"Data: {len(X)} labelled windows of shape {X.shape[1:]} (n_chans, n_times) at "
          f"{sfreq:g} Hz, {len(set(groups))} subjects, classes {classes}; {len(splits)} "
          f"subject-wise split(s){f' ({repeats} repeats)' if repeats > 1 else ''}.")  # fmt: skip

    # no 'methods' key: SimCLR; an empty list or mapping: the baselines only
    methods = config.get("methods", {"simclr": {}}) or {}
    if isinstance(methods, list):
        methods = {name: {} for name in methods}
    store = _SplitStore(out / "splits", _fingerprint(config, [X, y, groups, X_unlabelled]),
                        restart=restart)  # fmt: skip
    common = dict(
        sfreq=sfreq,
        methods=methods,
        encoder=config.get("encoder", "conv"),
        encoder_params=config.get("encoder_params"),
        pretrain_params=config.get("pretrain"),
        supervised_params=config.get("supervised"),
        baselines=config.get("baselines", list(BASELINES)),
        fractions=config.get("fractions", [0.01, 0.1, 1.0]),
        seeds=config.get("seeds", [0, 1, 2]),
        probes=config.get("probes", ["linear"]),
        X_unlabelled=X_unlabelled,
        positions_unlabelled=pos_unlabelled,
        rates=config.get("rates", [0.5, 0.75, 1.25, 1.5, 2.0]),
        max_pretrain_windows=config.get("max_pretrain_windows"),
        class_names=classes,
        verbose=False,
    )
    results, pending = {}, []
    for i in range(len(splits)):
        results[i] = store.load(i)
        if results[i] is not None:
            print(f"split {i + 1}/{len(splits)} read back from {store.path(i)}")
        else:
            pending.append(i)
    read_back = len(splits) - len(pending)

    def jobs():
        for i in pending:
            repeat, fold, random_state, windows, positions = splits[i]
            kwargs = dict(common, positions=positions, random_state=random_state,
                          map_dir=out / "maps" if i == 0 else None)  # fmt: skip
            yield i, (repeat, fold, windows, kwargs)

    def finished(i, tables, seconds):
        results[i] = tables
        # partial results in one table, so a long run can be inspected while it runs
        done = [results[k][0] for k in sorted(results) if results[k] is not None]
        atomic_write_text(out / "scores_partial.csv",
                          pd.concat(done, ignore_index=True).to_csv(index=False))  # fmt: skip
        print(f"split {i + 1}/{len(splits)} done in {seconds:.0f} s")

    n_jobs = min(_n_jobs(config, config_path), len(pending)) or 1
    if n_jobs == 1:
        for job in jobs():
            i, tables, seconds = _run_split(job)
            store.save(i, *tables)
            finished(i, tables, seconds)
    else:
        print(f"Running {len(pending)} splits in {n_jobs} processes ({threads} torch thread(s) "
              f"each).")  # fmt: skip
        _run_in_processes(jobs(), n_jobs, store, threads, finished)
    scores, timings, invariance = ([results[i][k] for i in range(len(splits))] for k in range(3))
    scores = pd.concat(scores, ignore_index=True)
    timings = pd.concat(timings, ignore_index=True)
    invariance = pd.concat(invariance, ignore_index=True)
    summary = summarise_scores(scores, timings)
    table = markdown_table(summary)
    checks = verdict(summary, scores)
    if len(invariance):
        inv_table = (invariance.groupby(["model", "rate"], sort=False)["cosine_mean"].mean()
                     .unstack("rate"))  # fmt: skip
        inv_text = (inv_table.to_markdown(floatfmt=".3f") if _has_tabulate()
                    else inv_table.to_string())  # fmt: skip
    else:
        inv_text = "(no encoder in this run)"
    elapsed = time.perf_counter() - start
    resumed = (
        f" (this invocation; {read_back} of {len(splits)} splits read back)" if read_back else ""
    )

    for name, frame in (("scores", scores), ("timings", timings), ("summary", summary),
                        ("invariance", invariance), ("verdict", checks)):  # fmt: skip
        atomic_write_text(out / f"{name}.csv", frame.to_csv(index=False))
    smoke = (
        ["Smoke run (--quick): it checks that every step runs; numbers from a smoke run "
         "mean nothing.", ""] if quick else []
    )  # fmt: skip
    report = smoke + [
        f"Balanced accuracy on held-out subjects (mean ± sd over {scores['subject'].nunique()} "
        f"subjects; seeds and repeats averaged per subject). Wall time: sum over splits, "
        f"seconds.",
        "",
        table,
        "",
        "Resampling invariance (mean cosine similarity of a held-out window's embedding and "
        "its resampled version; 'other window' = a different window):",
        "",
        inv_text,
        "",
        "Done-when check (linear probe; at 100% labels >= best classical baseline, at 10% "
        "labels > supervised from scratch). The same comparisons subject by subject: "
        "*_diff = mean difference, *_se = its standard error, *_wins of *_n subjects:",
        "",
        checks.to_string(index=False) if len(checks) else "(no SSL method in this run)",
        "",
        f"Total wall time: {elapsed:.0f} s{resumed}",
    ]
    atomic_write_text(out / "table.md", "\n".join(report) + "\n")
    # printed: the tables a user reads; the paired comparisons stay in table.md, verdict.csv
    cut = next(i for i, line in enumerate(report) if line.startswith("Done-when check"))
    shown = report[:cut] + [report[-1], f"Results: {out} (table.md, scores.csv, benchmark.png)"]
    try:
        plot_summary(summary, out / "benchmark.png", chance=1 / len(classes),
                     title=f"{Path(config_path).stem}: held-out subjects")  # fmt: skip
    except ImportError as err:
        print(f"No plot: {err}")
    finish_report(out, data={"data": data, "test_data": test_data} if test_data else data)
    return "\n".join(shown)


def _has_tabulate():
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


__all__ = ["labels_from_sources", "load_benchmark_config", "load_labelled", "run_benchmark"]
