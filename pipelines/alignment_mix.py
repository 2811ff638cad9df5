"""Does subject alignment's gain depend on a held-out subject's class mix?

``align: subject`` re-centres each held-out subject by the mean covariance of all its
unlabelled windows. On eegmat every subject has about 91 rest and 31 arithmetic
windows, so that mean is mostly rest in every subject. This study re-centres each
held-out subject by the windows of one mix or another instead, and applies that
matrix to all its windows; training subjects stay aligned by all their windows. Labels
pick the calibration windows here only to simulate other mixes: a user would have
whatever mix their recording has.

Calibration windows of each held-out subject:
- ``all``: every window (the benchmark's setting);
- ``balanced``: as many windows of each class (a random subset of the larger class);
- ``only-<class>``: the windows of one class (e.g. a new subject recorded at rest);
- ``none``: no alignment at all, of any subject.

Models: the benchmark's Riemannian (OAS covariances, tangent space) and log band power
baselines with a class-balanced logistic regression whose ``C`` is chosen by
subject-wise CV inside the training subjects, at 100 % labels. Prints held-out balanced
accuracy (per subject, averaged over repeats; mean over subjects) and each setting's
paired difference from ``all``.

    python pipelines/alignment_mix.py runs/benchmarks/eegmat/prepared --repeats 3

(the folder is the ``prepared/`` of any eegmat benchmark run, or ``eeg-ssl prepare``).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.metrics import balanced_accuracy_score

from eeg_ssl.evaluation.benchmark_runner import load_labelled
from eeg_ssl.evaluation.features import LogBandPower, riemann_features
from eeg_ssl.evaluation.probe import tuned_feature_classifier
from eeg_ssl.evaluation.splits import subject_folds
from eeg_ssl.transforms import alignment_matrix, euclidean_alignment, riemannian_alignment


def _align(X, groups, metric, calibration=None):
    """Align each subject by the windows of ``calibration`` (a mask), or by all its own."""
    out = np.empty_like(X)
    for subject in np.unique(groups):
        idx = groups == subject
        ref = idx if calibration is None else idx & calibration
        if not ref.any():
            raise ValueError(
                f"Subject {str(subject)!r} has no windows of this calibration mix (e.g. no "
                "window of one class); use a dataset in which every subject has every class."
            )
        out[idx] = alignment_matrix(X[ref], metric=metric).astype(X.dtype) @ X[idx]
    return out


def _calibration(setting, y, groups, classes, rng):
    if setting == "all":
        return np.ones(len(y), bool)
    if setting.startswith("only-"):
        return y == classes.index(setting[len("only-") :])
    mask = np.zeros(len(y), bool)  # balanced
    for subject in np.unique(groups):
        idx = [np.flatnonzero((groups == subject) & (y == k)) for k in range(len(classes))]
        n = min(len(i) for i in idx)
        for i in idx:
            mask[rng.choice(i, n, replace=False)] = True
    return mask


def _scores(features, X_tr, y_tr, g_tr, X_te, y_te, g_te):
    """Held-out subject -> balanced accuracy, ``C`` chosen inside the training subjects."""
    clf = tuned_feature_classifier(features.fit_transform(X_tr), y_tr, g_tr)
    pred = clf.predict(features.transform(X_te))
    return {s: balanced_accuracy_score(y_te[g_te == s], pred[g_te == s]) for s in np.unique(g_te)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", help="prepared folder with labelled windows and subject ids")
    parser.add_argument("--repeats", type=int, default=3, help="fold assignments (seeds 0..)")
    parser.add_argument("--n-splits", type=int, default=4)
    parser.add_argument(
        "--metrics", nargs="+", default=["euclid", "riemann"], choices=["euclid", "riemann"]
    )
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.n_splits < 2:
        parser.error(f"--repeats must be >= 1 and --n-splits >= 2; got {args.repeats} and "
                     f"{args.n_splits}.")  # fmt: skip

    X, y, groups, classes, sfreq = load_labelled(args.data)
    settings = ["all", "balanced", *(f"only-{c}" for c in classes)]
    models = {
        "Riemann": lambda: riemann_features(),
        "log band power": lambda: LogBandPower(sfreq=sfreq),
    }
    print(f"{len(X)} windows, {len(set(groups))} subjects, classes {classes}; windows per "
          f"class: {np.bincount(y).tolist()}")  # fmt: skip
    rows, start = [], time.perf_counter()
    # each subject aligned by all its own windows does not depend on the folds: once
    aligners = {"euclid": euclidean_alignment, "riemann": riemannian_alignment}
    aligned = {metric: aligners[metric](X, groups) for metric in args.metrics}
    for r in range(args.repeats):
        rng = np.random.default_rng(r)
        for train, test in subject_folds(groups, args.n_splits, random_state=r):
            tr, te = np.isin(groups, train), np.isin(groups, test)
            runs = [("none", "none", X[tr], X[te])]
            for metric in args.metrics:
                for setting in settings:
                    cal = _calibration(setting, y[te], groups[te], classes, rng)
                    X_te = (aligned[metric][te] if setting == "all"
                            else _align(X[te], groups[te], metric, cal))  # fmt: skip
                    runs.append((metric, setting, aligned[metric][tr], X_te))
            for metric, setting, X_tr, X_te in runs:
                for model, make in models.items():
                    scores = _scores(make(), X_tr, y[tr], groups[tr], X_te, y[te], groups[te])
                    rows += [dict(repeat=r, metric=metric, setting=setting, model=model,
                                  subject=s, score=v) for s, v in scores.items()]  # fmt: skip
        print(f"repeat {r + 1}/{args.repeats} done ({time.perf_counter() - start:.0f} s)")

    df = pd.DataFrame(rows)
    per_subject = df.groupby(["model", "metric", "setting", "subject"]).score.mean()
    print("\nHeld-out balanced accuracy at 100 % labels (mean over subjects; paired "
          "difference from 'all' ± its standard error, subjects above 'all'):\n")  # fmt: skip
    lines = ["| model | alignment | calibration windows | balanced accuracy | vs all |",
             "|---|---|---|---|---|"]  # fmt: skip
    for model in models:
        for metric in ["none", *args.metrics]:
            for setting in ["none"] if metric == "none" else settings:
                s = per_subject[model, metric, setting]
                ref_metric = args.metrics[0] if metric == "none" else metric
                d = s - per_subject[model, ref_metric, "all"]
                vs = (f"{d.mean():+.3f} ± {d.std(ddof=1) / np.sqrt(len(d)):.3f} "
                      f"({int((d > 0).sum())} of {len(d)})")  # fmt: skip
                if setting == "all":
                    vs = ""
                elif metric == "none":
                    vs += f" (vs {ref_metric}, all)"
                lines.append(f"| {model} | {metric} | {setting} | {s.mean():.3f} | {vs} |")
    print("\n".join(lines))
    print(f"\nTotal wall time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
