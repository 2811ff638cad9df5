"""Which frequency bands the default recipe's encoder keeps (issue 18.7), selection data only.

A hypothesis for why the default recipe (conv encoder + SimCLR) gains on the selection
tasks (eegmat rest vs arithmetic, eegmmidb eyes open vs closed: both alpha-power tasks)
and not on the evaluation tasks (lateralised mu/beta, narrow-band SSVEP at 13-21 Hz,
ERPs): pretraining moves the features towards the bands that dominate the unlabelled
windows and away from the others. Measured, without any label: on each subject-wise
fold of a selection task, the default recipe is pretrained on the training subjects'
windows (the suite's settings) and, with the random-weights encoder of the same seed,
embeds the held-out subjects' windows; a ridge regression (its penalty chosen by
cross-validation inside the training subjects) predicts each channel's log power in
each 4-Hz band (4-40 Hz, Welch) from the embedding. The within-subject R^2 on the
held-out subjects (target and prediction centred on each subject's mean, so a subject's
overall power offset does not count), averaged over channels, says how much of each
band's window-to-window variation the embedding keeps; pretrained minus random weights,
paired over folds, says what pretraining changed. (A smoke run with plain R^2 gave
values of -3 to -4 on eegmmidb eyes, dominated by the held-out subject's offset; the
measure was changed to the within-subject R^2 before the real run.)

Reading, fixed before the run (2026-12-07, thirteenth session): pretraining "drifts
towards the selection bands" if, on both tasks, its R^2 change is above zero in the
alpha band (8-12 Hz) and below zero in at least half of the bands from 12 to 40 Hz, each
by more than two standard errors over folds. Any other pattern is reported as it is.

Run from the repository root (selection group only; ``--quick``: a smoke run):

    OMP_NUM_THREADS=1 python pipelines/band_recovery.py --threads 1
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from eeg_ssl.evaluation import EmbeddingTransformer, LogBandPower, SSLPretrainer
from eeg_ssl.evaluation.benchmark_config import load_labelled
from eeg_ssl.evaluation.tasks import task_folds
from eeg_ssl.io.manifest import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
TASKS = {"eegmat": 4, "eegmmidb-eyes": 5}  # the suite's n_splits
BANDS = [(f, f + 4) for f in range(4, 40, 4)]
PRETRAIN = dict(epochs=10, batch_size=128, lr=1e-3, weight_decay=1e-4)  # the suite's


def band_recovery(F_train, P_train, g_train, F_test, P_test, g_test=None):
    """Within-subject R^2 on the test windows of a ridge regression to each log power.

    ``P_*``: (n, C, n_bands) log powers. Returns (n_bands,): the R^2 of each channel's
    log power in a band, averaged over channels, after centring target and prediction
    on each test subject's mean (``g_test``; ``None``: one group). The penalty is chosen
    by subject-wise cross-validation inside the training windows.
    """
    n_chans, n_bands = P_train.shape[1:]
    alphas = np.logspace(-2, 4, 7)
    folds = list(GroupKFold(min(3, len(set(g_train)))).split(F_train, groups=g_train))
    model = make_pipeline(StandardScaler(), RidgeCV(alphas=alphas, cv=folds))
    model.fit(F_train, P_train.reshape(len(P_train), -1))
    pred = model.predict(F_test).reshape(len(F_test), n_chans, n_bands)
    P_test = np.array(P_test, dtype=float)
    g_test = np.zeros(len(F_test)) if g_test is None else np.asarray(g_test)
    for group in np.unique(g_test):
        mine = g_test == group
        P_test[mine] -= P_test[mine].mean(axis=0)
        pred[mine] -= pred[mine].mean(axis=0)
    r2 = np.array([[r2_score(P_test[:, c, b], pred[:, c, b]) for b in range(n_bands)]
                   for c in range(n_chans)])  # fmt: skip
    return r2.mean(axis=0)


def task_rows(task, X, groups, sfreq, *, n_splits, seed=0, pretrain=None, encoder_params=None,
              verbose=False):  # fmt: skip
    """One row per fold and band: R^2 of the random and the pretrained encoder."""
    params = dict(sfreq=sfreq, **(encoder_params or {}))
    bands = [b for b in BANDS if b[1] <= sfreq / 2]
    power = LogBandPower(sfreq, bands=bands).fit_transform(X).reshape(len(X), X.shape[1], -1)
    y = np.zeros(len(X), dtype=int)  # labels are not used; folds by subject only
    rows = []
    for k, (train, test) in enumerate(task_folds(y, groups, n_splits=n_splits,
                                                 random_state=seed)):  # fmt: skip
        start = time.perf_counter()
        ssl = SSLPretrainer("conv", encoder_params=params, random_state=seed, verbose=verbose,
                            **dict(PRETRAIN, **(pretrain or {}))).fit(X[train])  # fmt: skip
        random = EmbeddingTransformer("conv", encoder_params=params, random_state=seed).fit(
            X[train]
        )
        scores = {}
        for name, model in (("random_weights", random), ("pretrained", ssl)):
            scores[name] = band_recovery(model.transform(X[train]), power[train],
                                         groups[train], model.transform(X[test]),
                                         power[test], groups[test])  # fmt: skip
        for b, (low, high) in enumerate(bands):
            rows.append(dict(task=task, fold=k, band=f"{low}-{high} Hz",
                             random_weights=scores["random_weights"][b],
                             pretrained=scores["pretrained"][b]))  # fmt: skip
        print(f"{task}: fold {k + 1}/{n_splits} in {time.perf_counter() - start:.0f} s",
              flush=True)  # fmt: skip
    return pd.DataFrame(rows)


def summarise(rows):
    """Mean over folds of each R^2 and of the paired change, with its standard error."""
    rows = rows.assign(change=rows["pretrained"] - rows["random_weights"])
    out = rows.groupby(["task", "band"], sort=False).agg(
        random_weights=("random_weights", "mean"), pretrained=("pretrained", "mean"),
        change=("change", "mean"), change_se=("change", "sem"), folds=("fold", "count"),
    )  # fmt: skip
    return out.reset_index()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prepared", default=str(ROOT / "runs" / "prepared" / "suite"),
                        help="folder of the suite's prepared task folders")  # fmt: skip
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--out", default=str(ROOT / "runs" / "benchmarks" / "band-recovery"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 epoch, a small encoder, 2 folds")  # fmt: skip
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    start, tables = time.perf_counter(), []
    for task in args.tasks:
        folder = Path(args.prepared) / task
        if not folder.is_dir():
            raise FileNotFoundError(
                f"Task folder {str(folder)!r} not found: run `eeg-ssl benchmark "
                f"pipelines/benchmarks/suite.yaml` once to prepare it, or pass --prepared."
            )
        X, _, groups, _, sfreq = load_labelled(folder)
        quick = dict(pretrain={"epochs": 1, "batch_size": 16},
                     encoder_params={"n_outputs": 8, "n_filters": 4, "n_blocks": 2})  # fmt: skip
        tables.append(task_rows(task, X, groups, sfreq, n_splits=2 if args.quick else TASKS[task],
                                **(quick if args.quick else {})))  # fmt: skip
    rows = pd.concat(tables, ignore_index=True)
    summary = summarise(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "folds.csv", rows.to_csv(index=False))
    atomic_write_text(out / "summary.csv", summary.to_csv(index=False))
    print(summary.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"Total wall time: {time.perf_counter() - start:.0f} s; written {out / 'summary.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
