"""Probe pipelines over frozen encoders."""

from __future__ import annotations

import numpy as np

from eeg_ssl.evaluation import heldout_subject_scores, knn_probe, linear_probe, summarise
from eeg_ssl.models import build_encoder
from eeg_ssl.utils import seeded


def test_linear_and_knn_probe__score_each_held_out_subject(sim_windows):
    X, y, groups = sim_windows
    with seeded(0):
        encoder = build_encoder("conv", n_chans=8, n_times=256, n_outputs=8, n_filters=4,
                                n_blocks=2)  # fmt: skip
    train, test = groups < 3, groups == 3
    for probe in (linear_probe(encoder), knn_probe(encoder, n_neighbors=3)):
        scores = heldout_subject_scores(probe, X[train], y[train], X[test], y[test], groups[test])
        assert list(scores) == ["3"] and 0 <= scores["3"] <= 1
    mean, sd = summarise({"a": 0.5, "b": 0.7})
    assert np.isclose(mean, 0.6) and np.isclose(sd, np.std([0.5, 0.7], ddof=1))


def test_tuned_feature_classifier__knn_grid_fits_the_smallest_subject_fold():
    import warnings

    from eeg_ssl.evaluation import tuned_feature_classifier

    # subject folds of unequal size: 24 windows on average leave 16 for fitting, but the
    # fold that holds out subject "a" fits on 10, too few for k = 15
    rng = np.random.default_rng(0)
    groups = np.array(["a"] * 14 + ["b"] * 5 + ["c"] * 5)
    y = np.array([0, 1] * 12)
    features = rng.normal(size=(24, 3)) + y[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a failed inner fit warns "Scoring failed"
        clf = tuned_feature_classifier(features, y, groups, kind="knn", n_neighbors=(1, 5, 15))
    assert clf.named_steps["kneighborsclassifier"].n_neighbors in (1, 5)
