"""The benchmark: SSL encoders against classical and supervised baselines on held-out subjects.

For each split, every SSL method pretrains on the windows of the training subjects
(labels unused; optionally plus extra unlabelled windows), its frozen encoder is
probed on label fractions of the training windows, and every probe is scored on the
held-out subjects. Baselines are measured on the same splits, fractions and seeds.
Hyperparameters of the probes are chosen by cross-validation inside the training
subjects (:func:`~eeg_ssl.evaluation.probe.tuned_feature_classifier`).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..utils import logger
from .classifier import SSLClassifier
from .embedding import EmbeddingTransformer
from .features import LogBandPower, riemann_features, xdawn_features
from .invariance import RATES, resampling_invariance
from .pretrainer import SSLPretrainer
from .probe import tuned_feature_classifier
from .sweeps import FRACTIONS, label_fraction_indices, label_fraction_sweep, per_subject_scores

#: Baselines measured in every run, by name.
BASELINES = ("random_weights", "band_power", "riemann", "supervised")
#: Baselines measured only when listed (``xdawn``: for event-related tasks).
OPTIONAL_BASELINES = ("xdawn",)

_BASELINE_LABELS = {
    "random_weights": "random-weights encoder",
    "band_power": "log band power",
    "riemann": "Riemann tangent space",
    "supervised": "supervised from scratch",
    "xdawn": "Xdawn covariances + tangent space",
}


def _frozen_rows(name, kind, transformer, data, *, fractions, seeds, probes, fit_X=None):
    """Fit a feature transformer, embed train/test, sweep label fractions for each probe."""
    X_train, y_train, g_train, X_test, y_test, g_test = data
    start = time.perf_counter()
    transformer.fit(X_train if fit_X is None else fit_X)
    F_train, F_test = transformer.transform(X_train), transformer.transform(X_test)
    fit_seconds = time.perf_counter() - start
    frames = []
    logger.info("  %s: features fitted in %.1f s; probing %s", name, fit_seconds, list(probes))
    for probe in probes:
        scores = label_fraction_sweep(F_train, y_train, g_train, F_test, y_test, g_test,
                                      fractions=fractions, seeds=seeds, kind=probe)  # fmt: skip
        frames.append(scores.assign(model=name, kind=kind, probe=probe))
    seconds = time.perf_counter() - start
    return pd.concat(frames, ignore_index=True), dict(model=name, fit_seconds=fit_seconds,
                                                      seconds=seconds)  # fmt: skip


class _Fitted:
    """A fitted transformer whose ``fit`` is a no-op (it was fit beforehand)."""

    def __init__(self, transformer):
        self.transformer = transformer

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return self.transformer.transform(X)


def inner_subject_score(features, y, groups, *, n_splits=3):
    """Mean balanced accuracy of the tuned linear probe in subject-wise CV on training data.

    Used to choose SSL hyperparameters inside the training subjects of a split.
    """
    from sklearn.model_selection import GroupKFold

    scores = []
    for train, test in GroupKFold(n_splits).split(features, y, groups):
        if len(np.unique(y[train])) < 2:
            continue
        clf = tuned_feature_classifier(features[train], y[train], groups[train])
        scores.append(np.mean(list(per_subject_scores(y[test], clf.predict(features[test]),
                                                      groups[test]).values())))  # fmt: skip
    return float(np.mean(scores)) if scores else float("nan")


#: Offset between the supervised baseline's initialisations of successive random states.
_INIT_STRIDE = 10_000


def _supervised_rows(data, *, encoder, encoder_params, params, fractions, seeds, device,
                     random_state, verbose):  # fmt: skip
    """Train the encoder from scratch on each label fraction; score held-out subjects.

    The label subset is drawn with the fraction's seed (the same subset as every other
    model's); the initialisation is seeded by it and ``random_state``, so a repeat of the
    benchmark with another random state trains from other initial weights, as its SSL
    methods pretrain from them (random state 0 keeps the fraction's seed).
    """
    X_train, y_train, _, X_test, y_test, g_test = data
    params = dict(params)
    epochs = int(params.pop("epochs", 20))
    min_steps = int(params.pop("min_steps", 200))
    batch_size = int(params.get("batch_size", 64))
    start, rows = time.perf_counter(), []
    for fraction in fractions:
        for seed in seeds if fraction < 1 else seeds[:1]:
            idx = label_fraction_indices(y_train, fraction, random_state=seed)
            # small label sets get more epochs, so every fit takes at least min_steps steps
            steps = max(1, math.ceil(len(idx) / batch_size))
            clf = SSLClassifier(encoder, encoder_params=encoder_params, mode="finetune",
                                epochs=max(epochs, math.ceil(min_steps / steps)), device=device,
                                random_state=seed + _INIT_STRIDE * random_state,
                                verbose=verbose, **params)  # fmt: skip
            clf.fit(X_train[idx], y_train[idx])
            pred = clf.predict(X_test)
            for subject, score in per_subject_scores(y_test, pred, g_test).items():
                rows.append(dict(fraction=fraction, seed=seed, n_train=len(idx), subject=subject,
                                 balanced_accuracy=score))  # fmt: skip
            logger.info("  supervised: %g %% labels, seed %d (%d windows) trained in %.1f s",
                        fraction * 100, seed, len(idx), time.perf_counter() - start)  # fmt: skip
    seconds = time.perf_counter() - start
    frame = pd.DataFrame(rows).assign(model="supervised", kind="baseline", probe="finetune")
    return frame, dict(model="supervised", fit_seconds=seconds, seconds=seconds)


def _xdawn_rows(data, *, fractions, seeds):
    """Xdawn covariances + tangent space + tuned linear probe, fit on each label subset.

    Xdawn's spatial filters are learnt from labels, so unlike the unsupervised feature
    baselines the whole pipeline is refit on each fraction's labelled subset (the same
    subset as every other model's): it never sees more labels than the probe.
    """
    X_train, y_train, g_train, X_test, y_test, g_test = data
    start, rows = time.perf_counter(), []
    for fraction in fractions:
        for seed in seeds if fraction < 1 else seeds[:1]:
            idx = label_fraction_indices(y_train, fraction, random_state=seed)
            features = xdawn_features()
            F_train = features.fit_transform(X_train[idx], y_train[idx])
            clf = tuned_feature_classifier(F_train, y_train[idx], g_train[idx],
                                           random_state=seed)  # fmt: skip
            pred = clf.predict(features.transform(X_test))
            for subject, score in per_subject_scores(y_test, pred, g_test).items():
                rows.append(dict(fraction=fraction, seed=seed, n_train=len(idx), subject=subject,
                                 balanced_accuracy=score))  # fmt: skip
    seconds = time.perf_counter() - start
    logger.info("  xdawn: every label fraction in %.1f s", seconds)
    frame = pd.DataFrame(rows).assign(model="xdawn", kind="baseline", probe="linear")
    return frame, dict(model="xdawn", fit_seconds=seconds, seconds=seconds)


def benchmark_split(X_train, y_train, g_train, X_test, y_test, g_test, *, sfreq, methods,
                    encoder="conv", encoder_params=None, pretrain_params=None,
                    supervised_params=None, baselines=BASELINES, fractions=FRACTIONS,
                    seeds=(0, 1, 2), probes=("linear",), X_unlabelled=None, positions=None,
                    positions_unlabelled=None, rates=RATES, max_pretrain_windows=None,
                    map_dir=None, class_names=None, random_state=0, device=None,
                    verbose=None):  # fmt: skip
    """Benchmark SSL methods and baselines on one train/test split of subjects.

    Parameters
    ----------
    X_train, X_test : ndarray, shape (n_windows, n_chans, n_times)
        Labelled windows of the training and held-out subjects.
    y_train, y_test : ndarray, shape (n_windows,)
        Class indices.
    g_train, g_test : ndarray, shape (n_windows,)
        Subject of each window.
    sfreq : float
        Sampling rate in Hz (for the band-power baseline, and given to a registry
        encoder unless ``encoder_params`` sets it: braindecode models such as
        ``FBCNet`` or ``EEGMiner`` need it).
    methods : dict
        Method name -> dict of :class:`SSLPretrainer` parameters for that method
        (``method_params``, ``epochs``, ...), overriding ``pretrain_params``. An optional
        ``grid`` entry (list of dicts of such parameters) makes the benchmark pretrain
        each candidate and keep the one with the best subject-wise CV score of the
        linear probe inside the training subjects (:func:`inner_subject_score`). An
        ``encoder_params`` entry in either updates the run's ``encoder_params`` for that
        method or candidate (the baselines keep the run's).
    encoder, encoder_params
        The encoder every SSL method and the random-weights and supervised baselines use.
    pretrain_params : dict | None
        :class:`SSLPretrainer` parameters common to all methods.
    supervised_params : dict | None
        :class:`SSLClassifier` fine-tuning parameters of the supervised baseline
        (``epochs``, ``lr``, ``batch_size``, ``weight_decay``) plus ``min_steps``: fits on
        few labels get more epochs so that each takes at least that many steps.
    baselines : sequence of str
        Subset of :data:`BASELINES` and :data:`OPTIONAL_BASELINES`.
    fractions, seeds
        Label fractions of the training windows and the seeds of their subsets.
    probes : sequence of "linear" | "knn"
        Probes fit on frozen features.
    X_unlabelled : ndarray, shape (n_extra, n_chans, n_times) | None
        Extra unlabelled windows added to the pretraining set.
    positions, positions_unlabelled : tuple of ndarray | None
        ``(recordings, start_seconds)`` of the windows of ``X_train`` and of
        ``X_unlabelled`` (one entry per window), passed to :meth:`SSLPretrainer.fit` so
        that methods sampling windows within recordings (relative positioning,
        temporal shuffling) can run. Required by those methods.
    max_pretrain_windows : int | None
        Pretrain on a random subset of at most this many windows (a cap on the cost of
        pretraining on large or 64-channel sets); ``None``: all of them.
    rates : sequence of float
        Resampling rates of the invariance test (on the held-out windows); empty: no
        invariance test.
    map_dir : str | Path | None
        Where to save PCA maps of the held-out embeddings (PNG); ``None`` skips them.
    class_names : sequence of str | None
        Names of the class indices, for the maps' legends.
    random_state : int
        Seed of pretraining, of the random weights and (with each label fraction's seed)
        of the supervised baseline's initial weights.

    Returns
    -------
    scores : pandas.DataFrame
        One row per model, probe, fraction, seed and held-out subject.
    timings : pandas.DataFrame
        ``model``, ``fit_seconds`` (pretraining, all grid candidates, or feature
        fitting), ``seconds`` (total), and for SSL methods ``selected`` (grid choice)
        and ``inner_score``.
    invariance : pandas.DataFrame
        Resampling invariance of every encoder (``model``, ``rate``, ``cosine_mean``, ...).
    """
    allowed = list(BASELINES) + list(OPTIONAL_BASELINES)
    unknown = sorted(set(baselines) - set(allowed))
    if unknown:
        raise ValueError(f"Unknown baseline(s) {unknown}; allowed: {allowed}.")
    data = (X_train, y_train, g_train, X_test, y_test, g_test)
    if isinstance(encoder, str):
        encoder_params = {"sfreq": sfreq, **(encoder_params or {})}
    sweep = dict(fractions=fractions, seeds=seeds, probes=probes)
    frames, timings, invariance, encoders = [], [], [], {}
    fit_X = X_train if X_unlabelled is None else np.concatenate([X_train, X_unlabelled])
    fit_positions = {}
    if positions is not None:
        recordings, starts = (np.asarray(a) for a in positions)
        if X_unlabelled is not None:
            if positions_unlabelled is None:
                raise ValueError(
                    "'positions' is given but 'positions_unlabelled' is not: pass the "
                    "(recordings, start_seconds) of the X_unlabelled windows too."
                )
            recordings = np.concatenate([recordings.astype(str),
                                         np.asarray(positions_unlabelled[0]).astype(str)])  # fmt: skip
            starts = np.concatenate([starts, np.asarray(positions_unlabelled[1])])
        fit_positions = dict(recordings=recordings, start_seconds=starts)
    # subjects of the pretraining windows, for methods with group_batches=True; an extra
    # corpus's windows are grouped by recording (their subjects are not known here)
    fit_groups = np.asarray(g_train).astype(str)
    if X_unlabelled is not None:
        extra = (np.full(len(X_unlabelled), "unlabelled") if positions_unlabelled is None
                 else np.asarray(positions_unlabelled[0]).astype(str))  # fmt: skip
        fit_groups = np.concatenate([fit_groups, np.char.add("extra:", extra)])
    if max_pretrain_windows is not None and len(fit_X) > max_pretrain_windows:
        # a random subset of the pretraining windows (the probes still see every window)
        keep = np.sort(np.random.default_rng(random_state).choice(
            len(fit_X), size=int(max_pretrain_windows), replace=False))  # fmt: skip
        fit_X, fit_groups = fit_X[keep], fit_groups[keep]
        fit_positions = {key: value[keep] for key, value in fit_positions.items()}
    for name, params in methods.items():
        params = dict(pretrain_params or {}, **(params or {}))
        grid = params.pop("grid", None) or [{}]
        start = time.perf_counter()
        candidates = []
        for overrides in grid:
            logger.info("Pretraining %s %s on %d windows", name, overrides or "", len(fit_X))
            settings = dict(params, **overrides)
            # a method or a grid candidate may override some encoder hyperparameters
            # (e.g. the embedding size); the rest come from the run's encoder_params
            settings["encoder_params"] = dict(encoder_params or {},
                                              **params.get("encoder_params") or {},
                                              **overrides.get("encoder_params") or {})  # fmt: skip
            pretrainer = SSLPretrainer(encoder, method=name, random_state=random_state,
                                       device=device, verbose=verbose, **settings)  # fmt: skip
            pretrainer.fit(fit_X, groups=fit_groups, **fit_positions)
            inner = inner_subject_score(pretrainer.transform(X_train), y_train, g_train) if len(
                grid) > 1 else float("nan")  # fmt: skip
            candidates.append((inner, overrides, pretrainer))
        # hyperparameters chosen by subject-wise CV inside the training subjects only
        inner, overrides, pretrainer = max(candidates, key=lambda c: np.nan_to_num(c[0], nan=-1))
        tuning = time.perf_counter() - start
        logger.info("  %s: pretrained in %.1f s", name, tuning)
        frame, timing = _frozen_rows(name, "ssl", _Fitted(pretrainer), data, **sweep)
        frames.append(frame)
        timings.append(dict(timing, fit_seconds=timing["fit_seconds"] + tuning,
                            seconds=timing["seconds"] + tuning, selected=str(overrides),
                            inner_score=inner))  # fmt: skip
        encoders[name] = pretrainer
    if "random_weights" in baselines:
        transformer = EmbeddingTransformer(encoder, encoder_params=encoder_params,
                                           random_state=random_state, device=device,
                                           verbose=verbose)  # fmt: skip
        frame, timing = _frozen_rows("random_weights", "baseline", transformer, data, **sweep)
        frames.append(frame)
        timings.append(timing)
        encoders["random_weights"] = transformer
    for name, transformer in (("band_power", lambda: LogBandPower(sfreq)),
                              ("riemann", riemann_features)):  # fmt: skip
        if name in baselines:
            frame, timing = _frozen_rows(name, "baseline", transformer(), data,
                                         **dict(sweep, probes=("linear",)))  # fmt: skip
            frames.append(frame)
            timings.append(timing)
    if "xdawn" in baselines:
        frame, timing = _xdawn_rows(data, fractions=fractions, seeds=seeds)
        frames.append(frame)
        timings.append(timing)
    if "supervised" in baselines:
        frame, timing = _supervised_rows(data, encoder=encoder, encoder_params=encoder_params,
                                         params=supervised_params or {}, fractions=fractions,
                                         seeds=seeds, device=device, random_state=random_state,
                                         verbose=verbose)  # fmt: skip
        frames.append(frame)
        timings.append(timing)
    for name, transformer in encoders.items():
        if len(rates):
            table = resampling_invariance(transformer, X_test, rates=rates,
                                          random_state=random_state)  # fmt: skip
            invariance.append(table.assign(model=name))
        if map_dir is not None:
            labels = y_test if class_names is None else np.asarray(class_names)[y_test]
            _save_map(Path(map_dir) / f"{name}.png", transformer, X_test, labels, g_test, name)
    return (pd.concat(frames, ignore_index=True), pd.DataFrame(timings),
            pd.concat(invariance, ignore_index=True) if invariance else pd.DataFrame())  # fmt: skip


def _save_map(path, transformer, X, y, groups, name):
    try:
        from .maps import save_embedding_map

        save_embedding_map(path, transformer.transform(X), y, groups=groups,
                           title=f"{name}: held-out embeddings")  # fmt: skip
    except ImportError as err:  # matplotlib is optional
        logger.warning("Skipping the embedding map %s: %s", path, err)


def _subject_means(scores):
    """Balanced accuracy per model, probe, label fraction and held-out subject.

    A subject's scores are averaged over seeds, and over repeats of the cross-validation
    (in which it is held out once each).
    """
    keys = ["model", "kind", "probe", "fraction", "subject"]
    per_subject = scores.groupby(keys, sort=False).agg(
        balanced_accuracy=("balanced_accuracy", "mean"), n_train=("n_train", "mean")
    )
    return per_subject.reset_index()


def summarise_scores(scores, timings=None, *, class_names=None):
    """Mean ± sd of balanced accuracy per model, probe and label fraction.

    Scores are first averaged within each held-out subject (over seeds, and over repeats
    of the cross-validation), then summarised over held-out subjects: ``sd`` is the
    spread between subjects.

    Parameters
    ----------
    scores : pandas.DataFrame
        From :func:`benchmark_split` (several splits, or repeats, may be concatenated).
    timings : pandas.DataFrame | None
        Summed per model into ``seconds``.

    Returns
    -------
    summary : pandas.DataFrame
        Columns ``model``, ``kind``, ``probe``, ``fraction``, ``mean``, ``sd``,
        ``n_subjects``, ``n_train`` (mean per split) and ``seconds``.
    """
    keys = ["model", "kind", "probe", "fraction"]
    summary = (
        _subject_means(scores)
        .groupby(keys, sort=False)
        .agg(
            mean=("balanced_accuracy", "mean"),
            sd=("balanced_accuracy", "std"),
            n_subjects=("balanced_accuracy", "size"),
            n_train=("n_train", "mean"),
        )
        .reset_index()
    )
    summary["sd"] = summary["sd"].fillna(0.0)
    if timings is not None and len(timings):
        seconds = timings.groupby("model")["seconds"].sum()
        summary["seconds"] = summary["model"].map(seconds)
    return summary


def paired_difference(scores, model, reference, *, fraction, probe="linear",
                      reference_probe="linear"):  # fmt: skip
    """A model against a reference, subject by subject, on the same held-out subjects.

    The benchmark's means hide how consistent a difference is: with 24 subjects whose
    scores spread by 0.1-0.2, a gap of 0.01 between two means is noise. This pairs the
    two models' scores per held-out subject (seeds and repeats averaged within each
    subject), so the spread between subjects cancels.

    Parameters
    ----------
    scores : pandas.DataFrame
        From :func:`benchmark_split` (several splits, or repeats, may be concatenated).
    model, reference : str
        Model names, e.g. ``"simclr"`` and ``"riemann"``.
    fraction : float
        Label fraction at which both are compared.
    probe, reference_probe : str
        Probe of each (``"finetune"`` for the supervised baseline).

    Returns
    -------
    result : dict
        ``diff`` (mean of model minus reference over subjects), ``se`` (its standard
        error: sd of the differences / sqrt(n)), ``wins``, ``losses`` (subjects on which
        the model scores higher, lower) and ``n`` (subjects scored by both). NaN and
        zeros when the two share no subject.
    """
    per_subject = _subject_means(scores)

    def pick(name, probe_name):
        rows = per_subject[(per_subject["model"] == name) & (per_subject["probe"] == probe_name)
                           & np.isclose(per_subject["fraction"], fraction)]  # fmt: skip
        return rows.set_index("subject")["balanced_accuracy"]

    both = pd.concat([pick(model, probe), pick(reference, reference_probe)], axis=1,
                     keys=["model", "reference"], join="inner")  # fmt: skip
    delta = (both["model"] - both["reference"]).to_numpy()
    n = len(delta)
    if n == 0:
        return dict(diff=float("nan"), se=float("nan"), wins=0, losses=0, n=0)
    se = float(delta.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan")
    return dict(diff=float(delta.mean()), se=se, wins=int((delta > 0).sum()),
                losses=int((delta < 0).sum()), n=n)  # fmt: skip


def markdown_table(summary):
    """Markdown table: one row per model and probe, one column per label fraction."""
    fractions = sorted(summary["fraction"].unique())
    header = ["model", "kind", "probe"] + [f"{_percent(f)} labels" for f in fractions]
    header.append("wall time (s)")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for (model, kind, probe), group in summary.groupby(["model", "kind", "probe"], sort=False):
        cells = [_BASELINE_LABELS.get(model, model), kind, probe]
        by_fraction = group.set_index("fraction")
        for f in fractions:
            if f in by_fraction.index:
                row = by_fraction.loc[f]
                cells.append(f"{row['mean']:.3f} ± {row['sd']:.3f}")
            else:
                cells.append("")
        seconds = group["seconds"].iloc[0] if "seconds" in group else float("nan")
        cells.append(f"{seconds:.0f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _percent(fraction):
    return f"{fraction * 100:g}%"


def verdict(summary, scores=None, *, probe="linear", high=1.0, low=0.1):
    """Which SSL methods meet the done-when criterion of the benchmark.

    An SSL method's frozen-encoder ``probe`` must be at least as good as the best
    classical baseline (band power, Riemann, Xdawn) at ``high`` labels and better than the
    supervised-from-scratch baseline at ``low`` labels (means over held-out subjects).

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`summarise_scores`.
    scores : pandas.DataFrame | None
        The scores behind ``summary``. When given, each comparison is also made subject
        by subject (:func:`paired_difference`), so a reader can tell a tie from a win.

    Returns
    -------
    result : pandas.DataFrame
        One row per SSL method: its scores, the references, and ``passes``. With
        ``scores``, also per comparison (``high``: against the best classical baseline,
        ``low``: against supervised training) the mean paired difference ``*_diff``, its
        standard error ``*_se`` and the subjects won ``*_wins`` out of ``*_n``.
    """

    def score(model, fraction, probe_name):
        row = summary[(summary["model"] == model) & (summary["probe"] == probe_name)
                      & np.isclose(summary["fraction"], fraction)]  # fmt: skip
        return float(row["mean"].iloc[0]) if len(row) else float("nan")

    classical = [m for m in ("band_power", "riemann", "xdawn") if m in set(summary["model"])]
    best = max(classical, key=lambda m: score(m, high, "linear"), default=None)
    best_classical = score(best, high, "linear") if best else float("nan")
    supervised = score("supervised", low, "finetune")
    rows = []
    for model in summary.loc[summary["kind"] == "ssl", "model"].unique():
        at_high, at_low = score(model, high, probe), score(model, low, probe)
        row = dict(method=model, high=at_high, best_classical=best,
                   best_classical_high=best_classical, low=at_low, supervised_low=supervised,
                   passes=bool(at_high >= best_classical and at_low > supervised))  # fmt: skip
        if scores is not None:
            comparisons = (("high", best, high, "linear"), ("low", "supervised", low, "finetune"))
            for label, reference, fraction, reference_probe in comparisons:
                paired = paired_difference(scores, model, reference, fraction=fraction,
                                           probe=probe, reference_probe=reference_probe)  # fmt: skip
                for key in ("diff", "se", "wins", "n"):
                    row[f"{label}_{key}"] = paired[key]
        rows.append(row)
    return pd.DataFrame(rows)


def plot_summary(summary, path, *, chance=None, title=None):
    """Balanced accuracy against label fraction, one line per model and probe (PNG).

    ``chance`` (e.g. ``1 / n_classes``) draws the chance level of balanced accuracy.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (model, kind, probe), group in summary.groupby(["model", "kind", "probe"], sort=False):
        group = group.sort_values("fraction")
        style = "-" if kind == "ssl" else "--"
        ax.errorbar(group["fraction"] * 100, group["mean"], yerr=group["sd"], fmt=style + "o",
                    capsize=3, markersize=4,
                    label=f"{_BASELINE_LABELS.get(model, model)} ({probe})")  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlabel("training labels used (%)")
    ax.set_ylabel("balanced accuracy, held-out subjects")
    if chance is not None:
        ax.axhline(chance, color="grey", lw=0.8, ls=":")
    ax.legend(fontsize=7, loc="best")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return path
