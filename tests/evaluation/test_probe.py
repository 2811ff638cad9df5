"""Probe pipelines over frozen encoders."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

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


def test_tuned_feature_classifier__inner_folds_hold_every_class_on_both_sides(monkeypatch):
    from sklearn.model_selection import GridSearchCV

    from eeg_ssl.evaluation import probe, tuned_feature_classifier

    # a rare class (as at 1 % of a P300 task's labels): subject "c" has none of it, so
    # the subject fold that holds "c" out would score balanced accuracy on one class
    rng = np.random.default_rng(0)
    groups = np.array(["a"] * 8 + ["b"] * 8 + ["c"] * 8)
    y = np.array([0] * 6 + [1] * 2 + [0] * 6 + [1] * 2 + [0] * 8)
    features = rng.normal(size=(24, 3)) + y[:, None]
    used = []
    monkeypatch.setattr(
        probe, "GridSearchCV", lambda *a, cv, **k: used.append(cv) or GridSearchCV(*a, cv=cv, **k)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "y_pred contains classes not in y_true"
        tuned_feature_classifier(features, y, groups)
    (cv,) = used
    assert all(set(y[test]) == {0, 1} for _, test in cv)  # stratified, not by subject
    groups = np.array(["a"] * 8 + ["b"] * 8 + ["c"] * 8)
    balanced = np.array([0, 1] * 12)  # every subject has both classes: by subject
    tuned_feature_classifier(features, balanced, groups)
    assert all(len(set(groups[test])) == 1 for _, test in used[1])


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


NAMES = ["Fz", "C3", "Cz", "C4", "Pz", "O1", "Oz", "O2"]
RECIPE = {"l_freq": None, "h_freq": None, "sfreq": None, "window_seconds": 2.0}


def _folder(path, X, y, groups, names=NAMES, recipe=RECIPE):
    from eeg_ssl.io import prepare_arrays

    prepare_arrays(X, path, sfreq=128.0, ch_names=names, labels=y, subjects=groups,
                   recipe=recipe)  # fmt: skip
    return path


@pytest.fixture
def trained_on(tmp_path, sim_windows):
    """A prepared folder and a checkpoint (untrained weights) that records its facts."""
    from eeg_ssl.methods import SimCLR
    from eeg_ssl.training import recording_facts, save_checkpoint

    X, y, groups = sim_windows
    folder = _folder(tmp_path / "a", X, y, groups)
    with seeded(0):
        encoder = build_encoder("conv", n_chans=8, n_times=256, n_outputs=8, n_filters=4,
                                n_blocks=2, sfreq=128.0)  # fmt: skip
    checkpoint = save_checkpoint(tmp_path / "c.pt", SimCLR(encoder, random_state=0),
                                 recording=recording_facts(folder))  # fmt: skip
    return folder, checkpoint


def test_probe_checkpoint__channels_in_another_order_are_reordered(tmp_path, sim_windows,
                                                                   trained_on):  # fmt: skip
    from eeg_ssl.evaluation import probe_checkpoint

    X, y, groups = sim_windows
    folder, checkpoint = trained_on
    order = [7, 0, 6, 1, 5, 2, 4, 3]
    shuffled = _folder(tmp_path / "b", X[:, order], y, groups, names=[NAMES[i] for i in order])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same recipe: no warning
        expected = probe_checkpoint(folder, checkpoint, test_subjects=["3"])
        got = probe_checkpoint(shuffled, checkpoint, test_subjects=["3"])
    pd.testing.assert_frame_equal(got, expected)


def test_probe_checkpoint__other_montage_is_an_error_naming_both(tmp_path, sim_windows,
                                                                 trained_on):  # fmt: skip
    from eeg_ssl.evaluation import probe_checkpoint

    X, y, groups = sim_windows
    _, checkpoint = trained_on
    other = _folder(tmp_path / "b", X[:, :4], y, groups, names=NAMES[:4])
    with pytest.raises(ValueError, match=r"'.*b' do not match .* '.*c.pt': channels: 8 .*"
                                         r"missing \['Pz', 'O1', 'Oz', 'O2'\]"):  # fmt: skip
        probe_checkpoint(other, checkpoint, test_subjects=["3"])
    renamed = _folder(tmp_path / "r", X, y, groups, names=[n.lower() for n in NAMES])
    with pytest.raises(ValueError, match="missing"):
        probe_checkpoint(renamed, checkpoint, test_subjects=["3"])


def test_probe_checkpoint__other_recipe_same_shape_warns_with_both_hashes(
    tmp_path, sim_windows, trained_on
):
    import json

    from eeg_ssl.evaluation import probe_checkpoint

    X, y, groups = sim_windows
    folder, checkpoint = trained_on
    other = _folder(tmp_path / "b", X, y, groups, recipe={**RECIPE, "h_freq": 40.0})
    hashes = [json.loads((f / "prepare.json").read_text())["recipe_hash"] for f in (folder, other)]
    assert hashes[0] != hashes[1]
    with pytest.warns(UserWarning, match=f"hash {hashes[1]}.*c.pt' \\(hash {hashes[0]}\\)"):
        scores = probe_checkpoint(other, checkpoint, test_subjects=["3"])
    assert set(scores["subject"]) == {"3"}
