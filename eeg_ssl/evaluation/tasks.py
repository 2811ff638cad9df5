"""One benchmark task from arrays and explicit folds: :func:`run_task`.

The benchmark runner (``eeg-ssl benchmark CONFIG``) reads a prepared folder and makes
its own subject-wise folds; :func:`run_task` takes the windows, labels, groups and
(optionally) the folds as arrays, so any dataset, split or metric can be benchmarked
from Python, and the suite (:mod:`eeg_ssl.evaluation.suite`) runs every task through it.
"""

from __future__ import annotations

import tempfile
import time

import numpy as np
import pandas as pd

from ..utils import logger, use_log_level
from ..utils.validation import check_n_jobs
from .benchmark import BASELINES, _Fitted, _frozen_rows, benchmark_split
from .split_runner import _run_in_processes, _SplitStore
from .splits import subject_folds
from .sweeps import FRACTIONS

#: How a task is scored. ``"subject"``: balanced accuracy on each held-out subject, and
#: comparisons paired per subject. ``"pooled"``: balanced accuracy over all test windows
#: of a fold, and comparisons paired per fold: for tasks whose label is constant within a
#: subject, or whose groups are not subjects (segments), where per-subject balanced
#: accuracy is undefined.
METRICS = ("subject", "pooled")


def task_folds(y, groups, *, n_splits=4, metric="subject", random_state=0):
    """Folds by group: every group (subject, segment) is tested exactly once.

    Parameters
    ----------
    y, groups : ndarray, shape (n_windows,)
    n_splits : int
    metric : "subject" | "pooled"
        ``"subject"``: subjects assigned to folds at random
        (:func:`~eeg_ssl.evaluation.splits.subject_folds`); ``"pooled"``: groups assigned
        so that each fold holds every class in about its overall proportion
        (``StratifiedGroupKFold``; a group whose label is constant, such as a Bonn
        segment, is then never the only one of its class in a training set).

    Returns
    -------
    folds : list of (ndarray, ndarray)
        ``(train_indices, test_indices)`` of the windows, as scikit-learn's splitters
        give them.
    """
    groups = np.asarray(groups).astype(str)
    if metric == "pooled":
        from sklearn.model_selection import StratifiedGroupKFold

        cv = StratifiedGroupKFold(n_splits, shuffle=True, random_state=random_state)
        return [(np.asarray(tr), np.asarray(te)) for tr, te in cv.split(groups, y, groups)]
    folds = []
    for train_subjects, test_subjects in subject_folds(groups, n_splits,
                                                       random_state=random_state):  # fmt: skip
        folds.append((np.flatnonzero(np.isin(groups, train_subjects)),
                      np.flatnonzero(np.isin(groups, test_subjects))))  # fmt: skip
    return folds


def _check_folds(folds, groups, n_windows):
    checked = []
    for k, fold in enumerate(folds):
        try:
            train, test = (np.asarray(part, dtype=int) for part in fold)
        except (TypeError, ValueError) as err:
            raise ValueError(
                f"Fold {k} of 'folds' is not a (train_indices, test_indices) pair of window "
                f"indices ({err}); give folds as scikit-learn splitters yield them."
            ) from err
        if len(train) == 0 or len(test) == 0:
            raise ValueError(f"Fold {k} of 'folds' has an empty training or test set.")
        if max(train.max(), test.max()) >= n_windows or min(train.min(), test.min()) < 0:
            raise ValueError(f"Fold {k} of 'folds' indexes windows outside 0..{n_windows - 1}.")
        shared = sorted(set(groups[train]) & set(groups[test]))
        if shared:
            raise ValueError(
                f"Fold {k} of 'folds' has group(s) {shared[:5]} in both its training and its "
                f"test windows: held-out groups (subjects) must be unseen in training."
            )
        checked.append((train, test))
    return checked


def run_task(X, y, groups, *, sfreq, folds=None, n_splits=4, metric="subject", methods=None,
             encoder="conv", encoder_params=None, pretrain_params=None, supervised_params=None,
             baselines=BASELINES, fractions=FRACTIONS, seeds=(0, 1, 2), probes=("linear",),
             X_unlabelled=None, max_pretrain_windows=None, frozen=None, class_names=None,
             pretrain_on=("train",), random_state=0, store=None, name="task", n_jobs=1,
             threads=1, positions=None, positions_unlabelled=None, verbose=None):  # fmt: skip
    """Benchmark SSL methods and baselines on one task, given as arrays.

    Parameters
    ----------
    X : ndarray, shape (n_windows, n_chans, n_times)
    y : ndarray of int, shape (n_windows,)
    groups : ndarray, shape (n_windows,)
        Subject (or, without subjects, segment/recording) of each window; no group is
        ever in both the training and the test windows of a fold.
    sfreq : float
        Sampling rate in Hz.
    folds : list of (array, array) | None
        ``(train_indices, test_indices)`` per fold (e.g. from a scikit-learn splitter);
        ``None``: :func:`task_folds` with ``n_splits`` and ``metric``.
    metric : "subject" | "pooled"
        See :data:`METRICS`. With ``"pooled"`` the ``subject`` column of the scores holds
        the fold (``"fold0"``, ...), so that paired comparisons pair folds.
    methods, encoder, encoder_params, pretrain_params, supervised_params, baselines, \
fractions, seeds, probes, max_pretrain_windows
        As in :func:`~eeg_ssl.evaluation.benchmark.benchmark_split`.
    X_unlabelled : ndarray, shape (n_extra, n_chans, n_times) | None
        Extra unlabelled windows added to every fold's pretraining set.
    pretrain_on : sequence of "train" | "dataset"
        Which windows each fold's SSL encoders are pretrained on: ``"train"``, the fold's
        training windows (rows named by method, ``"simclr"``); ``"dataset"``, the task's
        every window, the held-out subjects' included, labels unused (transductive: rows
        ``"simclr[dataset]"``, compared with the same encoder's random weights). Both
        together pretrain twice per fold.
    frozen : dict | None
        ``{name: (kind, transformer)}``: encoders trained beforehand, outside the folds
        (e.g. pretrained on other datasets, :mod:`eeg_ssl.evaluation.cross_dataset`),
        probed like the others in every fold; ``kind`` is ``"ssl"`` or ``"baseline"``.
    random_state : int
        Seed of the folds (when made here), of pretraining and of the random weights.
    store : eeg_ssl.evaluation.benchmark_runner._SplitStore | None
        Where finished folds are kept, so an interrupted task resumes (the suite gives one).
    name : str
        Name of the task in the progress log.
    n_jobs : int
        Folds run at once, one process each (joblib's meaning: -1 one per CPU core);
        the scores do not depend on it.
    threads : int
        Threads for torch and BLAS in each fold's process (``n_jobs > 1``).
    positions : tuple of ndarray | None
        ``(recordings, start_seconds)`` of every window of ``X``, for methods that draw
        windows within recordings (``relative_positioning``, ``temporal_shuffling``,
        ``cpc``); each fold passes its pretraining windows' entries. Other methods
        train exactly as without them.
    positions_unlabelled : tuple of ndarray | None
        The same for ``X_unlabelled`` (required with ``positions`` when it is given).
    verbose : bool | str | None
        Level of the progress log (one line per fold, model and supervised fit).

    Returns
    -------
    scores : pandas.DataFrame
        One row per model, probe, fraction, seed and held-out subject (or fold), with
        ``split``.
    timings : pandas.DataFrame
        Seconds per model and fold.
    """
    if metric not in METRICS:
        raise ValueError(f"Invalid value for 'metric': allowed {list(METRICS)}; got {metric!r}.")
    X, y = np.asarray(X), np.asarray(y)
    groups = np.asarray(groups).astype(str)
    if X.ndim != 3 or not len(X) == len(y) == len(groups):
        raise ValueError(
            f"X must be (n_windows, n_chans, n_times) with one label and one group per window; "
            f"got X {X.shape}, y {y.shape}, groups {groups.shape}."
        )
    if folds is None:
        folds = task_folds(y, groups, n_splits=n_splits, metric=metric,
                           random_state=random_state)  # fmt: skip
    folds = _check_folds(list(folds), groups, len(X))
    if positions is not None:
        recordings, starts = (np.asarray(a) for a in positions)
        if not len(recordings) == len(starts) == len(X):
            raise ValueError(
                f"'positions' must hold one recording and one start time per window: "
                f"{len(X)} windows, got {len(recordings)} and {len(starts)}."
            )
        if X_unlabelled is not None and positions_unlabelled is None:
            raise ValueError(
                "'positions' is given but 'positions_unlabelled' is not: pass the "
                "(recordings, start_seconds) of the X_unlabelled windows too."
            )
    methods = {"simclr": {}} if methods is None else methods
    pretrain_on = list(pretrain_on)
    bad = sorted(set(pretrain_on) - {"train", "dataset"})
    if bad or not pretrain_on:
        raise ValueError(f"Invalid value for 'pretrain_on': a non-empty list of 'train' and "
                         f"'dataset'; got {pretrain_on!r}.")  # fmt: skip
    split = dict(sfreq=sfreq, encoder=encoder, encoder_params=encoder_params,
                 pretrain_params=pretrain_params, supervised_params=supervised_params,
                 fractions=fractions, seeds=seeds, probes=probes, rates=(),
                 max_pretrain_windows=max_pretrain_windows, class_names=class_names,
                 random_state=random_state, verbose=False)  # fmt: skip
    common = dict(methods=methods, baselines=baselines, X_unlabelled=X_unlabelled,
                  pretrain_on=pretrain_on, frozen=frozen, split=split)  # fmt: skip
    results, jobs = {}, []
    with use_log_level(verbose):
        for k, (train, test) in enumerate(folds):
            stored = store.load(k) if store is not None else None
            if stored is not None:
                logger.info("%s: fold %d/%d read back from %s", name, k + 1, len(folds),
                            store.path(k))  # fmt: skip
                results[k] = stored
                continue
            logger.info("%s: fold %d/%d: %d training windows (%d groups), %d test windows "
                        "(%d groups)", name, k + 1, len(folds), len(train),
                        len(set(groups[train])), len(test), len(set(groups[test])))  # fmt: skip
            # pooled: one score over every test window of the fold
            g_test = np.full(len(test), f"fold{k}") if metric == "pooled" else groups[test]
            jobs.append((k, train, test, g_test))

        def fold_jobs():  # each fold's windows copied when its turn comes, not all at once
            for k, train, test, g_test in jobs:
                data = (X[train], y[train], groups[train], X[test], y[test], g_test)
                where = {}
                if positions is not None:
                    where = dict(positions=(recordings[train], starts[train]),
                                 positions_test=(recordings[test], starts[test]),
                                 positions_unlabelled=positions_unlabelled)  # fmt: skip
                yield k, dict(common, data=data, **where)

        def finished(k, tables, seconds):
            results[k] = tables
            if store is not None and n_jobs == 1:
                store.save(k, *tables)
            logger.info("%s: fold %d/%d done in %.0f s", name, k + 1, len(folds), seconds)

        n_jobs = min(check_n_jobs(n_jobs), max(len(jobs), 1))
        if n_jobs == 1:
            for job in fold_jobs():
                start = time.perf_counter()
                finished(job[0], _run_fold(job)[1], time.perf_counter() - start)
        else:  # each worker stores its fold (a temporary store without one)
            with tempfile.TemporaryDirectory() as tmp:
                where = store if store is not None else _SplitStore(tmp, "run_task")
                _run_in_processes(fold_jobs(), n_jobs, where, threads, finished,
                                  runner=_run_fold)  # fmt: skip
    scores = [results[k][0] for k in sorted(results)]
    timings = [results[k][1] for k in sorted(results)]
    return pd.concat(scores, ignore_index=True), pd.concat(timings, ignore_index=True)


def _run_fold(job):
    """One fold of :func:`run_task` (in this process or a worker): ``(k, tables)``."""
    k, job = job
    data, split, methods = job["data"], job["split"], job["methods"]
    pretrain_on, fractions = job["pretrain_on"], split["fractions"]
    positions, extra_positions = job.get("positions"), job.get("positions_unlabelled")
    scores, timings, invariance = benchmark_split(
        *data, methods=methods if "train" in pretrain_on else {}, baselines=job["baselines"],
        X_unlabelled=job["X_unlabelled"], positions=positions,
        positions_unlabelled=extra_positions, **split,
    )  # fmt: skip
    if "dataset" in pretrain_on and methods:
        # transductive: the held-out subjects' windows join the pretraining set (labels
        # unused); the baselines ran above and are not repeated
        X_test, extra = data[3], job["X_unlabelled"]
        more = X_test if extra is None else np.concatenate([X_test, extra])
        more_positions = None
        if positions is not None:
            parts = [job["positions_test"]] + ([extra_positions] if extra is not None else [])
            more_positions = tuple(np.concatenate([np.asarray(p[i]) for p in parts])
                                   for i in range(2))  # fmt: skip
        ssl, ssl_timings, _ = benchmark_split(*data, methods=methods, baselines=[],
                                              X_unlabelled=more, positions=positions,
                                              positions_unlabelled=more_positions,
                                              **split)  # fmt: skip
        for frame in (ssl, ssl_timings):
            frame["model"] = frame["model"].astype(str) + "[dataset]"
        scores = pd.concat([scores, ssl], ignore_index=True)
        timings = pd.concat([timings, ssl_timings], ignore_index=True)
    for model, (kind, transformer) in (job["frozen"] or {}).items():
        frame, timing = _frozen_rows(model, kind, _Fitted(transformer), data,
                                     fractions=fractions, seeds=split["seeds"],
                                     probes=split["probes"])  # fmt: skip
        scores = pd.concat([scores, frame], ignore_index=True)
        timings = pd.concat([timings, pd.DataFrame([timing])], ignore_index=True)
    return k, (scores.assign(split=k), timings.assign(split=k), invariance)


def corpus_available():
    """Whether :class:`eeg_ssl.data.CorpusDataset` (pretraining across datasets) exists."""
    try:
        from eeg_ssl.data import CorpusDataset  # noqa: F401
    except ImportError:
        return False
    return True


__all__ = ["METRICS", "corpus_available", "run_task", "task_folds"]
