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
from .calibration import calibrate_norm_statistics
from .classifier import SSLClassifier
from .embedding import EmbeddingTransformer
from .features import LogBandPower, filter_bank_features, riemann_features, xdawn_features
from .invariance import RATES, resampling_invariance
from .pretrainer import SSLPretrainer
from .probe import tuned_feature_classifier
from .sweeps import FRACTIONS, label_fraction_indices, label_fraction_sweep, per_subject_scores
from .tables import (  # noqa: F401 - the benchmark's tables, importable from here as before
    markdown_table,
    paired_difference,
    plot_summary,
    summarise_scores,
    verdict,
)

#: Baselines measured in every run, by name.
BASELINES = ("random_weights", "band_power", "riemann", "supervised")
#: Baselines measured only when listed (``xdawn``: for event-related tasks).
OPTIONAL_BASELINES = ("xdawn", "filter_bank", "random_calibrated")


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
        Subset of :data:`BASELINES` and :data:`OPTIONAL_BASELINES`. ``"random_calibrated"``
        is the random-weights encoder with its batch-norm statistics estimated on the
        pretraining windows (:func:`~eeg_ssl.evaluation.calibrate_norm_statistics`).
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
    if "random_calibrated" in baselines:
        # the same random weights with batch-norm statistics of the pretraining windows
        # (no gradient): separates what pretraining learns in the weights from the
        # normalisation it also brings (eeg_ssl/evaluation/calibration.py)
        transformer = EmbeddingTransformer(encoder, encoder_params=encoder_params,
                                           random_state=random_state, device=device,
                                           verbose=verbose).fit(X_train)  # fmt: skip
        start = time.perf_counter()
        calibrate_norm_statistics(transformer.encoder_, transformer._transform_windows(fit_X),
                                  batch_size=transformer.batch_size,
                                  device=transformer.device_)  # fmt: skip
        spent = time.perf_counter() - start
        frame, timing = _frozen_rows("random_calibrated", "baseline", _Fitted(transformer),
                                     data, **sweep)  # fmt: skip
        frames.append(frame)
        timings.append(dict(timing, fit_seconds=timing["fit_seconds"] + spent,
                            seconds=timing["seconds"] + spent))  # fmt: skip
        encoders["random_calibrated"] = transformer
    for name, transformer in (("band_power", lambda: LogBandPower(sfreq)),
                              ("riemann", riemann_features),
                              ("filter_bank", lambda: filter_bank_features(sfreq))):  # fmt: skip
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
