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
