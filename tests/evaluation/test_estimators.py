"""scikit-learn conformance and behaviour of EmbeddingTransformer, SSLPretrainer, SSLClassifier."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from eeg_ssl.evaluation import EmbeddingTransformer, SSLClassifier, SSLPretrainer
from eeg_ssl.models import build_encoder

TINY = {"n_outputs": 8, "n_filters": 4, "n_blocks": 2}
TINY_SIMCLR = {"projection_dim": 8, "hidden_dim": 16}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _expected_failures(estimator):
    if isinstance(estimator, SSLClassifier) and estimator.mode == "linear":
        return {
            "check_methods_subset_invariance": (
                "float32 convolutions give results that differ in the 7th digit with the "
                "batch size, and standardising the embeddings then amplifies that above "
                "the check's 1e-7 tolerance; predictions are unaffected"
            ),
        }
    return {}


@parametrize_with_checks(
    [
        EmbeddingTransformer("conv", encoder_params=TINY, random_state=0),
        SSLPretrainer(
            encoder_params=TINY, method_params=TINY_SIMCLR, epochs=1, batch_size=16, random_state=0
        ),
        SSLClassifier(encoder_params=TINY, random_state=0),
    ],  # fmt: skip
    expected_failed_checks=_expected_failures,
)
def test_estimators__sklearn_checks(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks(
    [SSLClassifier(encoder_params=TINY, mode="finetune", epochs=20, lr=0.01, random_state=0)]
)
def test_ssl_classifier_finetune__sklearn_checks(estimator, check):
    # ~20 epochs are needed for check_classifiers_train's accuracy bar on its blobs
    check(estimator)


def test_embedding_transformer__wrong_shape_says_both_shapes(sim_windows):
    X, _, _ = sim_windows
    est = EmbeddingTransformer("conv", encoder_params=TINY, random_state=0).fit(X)
    with pytest.raises(ValueError, match=r"\(n, 8, 256\).*got \(32, 7, 256\)"):
        est.transform(X[:, :7])
    with pytest.raises(ValueError, match=r"\(n, 8, 256\).*got \(32, 8, 200\)"):
        est.transform(X[:, :, :200])


def test_embedding_transformer__module_encoder_checks_fit_input(sim_windows):
    X, _, _ = sim_windows
    encoder = build_encoder("conv", n_chans=8, n_times=256, **TINY)
    est = EmbeddingTransformer(encoder).fit(X)
    assert est.transform(X).shape == (len(X), 8)
    assert est.encoder_ is not encoder  # copied, the original stays trainable
    assert all(p.requires_grad for p in encoder.parameters())
    with pytest.raises(ValueError, match=r"\(n, 8, 256\).*got \(32, 8, 128\)"):
        EmbeddingTransformer(encoder).fit(X[:, :, :128])


def test_embedding_transformer__bad_encoder_names_options():
    X = np.zeros((4, 2, 64), np.float32)
    with pytest.raises(ValueError, match="Did you mean 'conv'"):
        EmbeddingTransformer("convv").fit(X)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        EmbeddingTransformer(3).fit(X)
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        EmbeddingTransformer("runs/missing.pt").fit(X)


def test_embedding_transformer__accepts_epochs_and_2d(sim_windows):
    import mne

    X, _, _ = sim_windows
    info = mne.create_info(8, 128.0, "eeg")
    epochs = mne.EpochsArray(X.astype(np.float64) * 1e-6, info, verbose="error")
    est = EmbeddingTransformer("conv", encoder_params=TINY, random_state=0, units="uV")
    np.testing.assert_allclose(est.fit(epochs).transform(epochs), est.transform(X), rtol=1e-4,
                               atol=1e-5)  # fmt: skip
    single = est.fit(X[:, 0]).transform(X[:, 0])  # (n, T) read as (n, 1, T)
    assert est.n_chans_ == 1 and single.shape == (len(X), 8)


def test_embedding_transformer__same_seed_same_weights(sim_windows):
    X, _, _ = sim_windows
    a = EmbeddingTransformer("conv", encoder_params=TINY, random_state=3).fit_transform(X)
    b = EmbeddingTransformer("conv", encoder_params=TINY, random_state=3).fit_transform(X)
    c = EmbeddingTransformer("conv", encoder_params=TINY, random_state=4).fit_transform(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_ssl_pretrainer__trains_and_saves(sim_windows, tmp_path):
    from eeg_ssl.training import encoder_from_checkpoint

    X, _, _ = sim_windows
    est = SSLPretrainer(encoder_params=TINY, method_params=TINY_SIMCLR, epochs=2, batch_size=16,
                        random_state=0, verbose=False).fit(X)  # fmt: skip
    assert len(est.history_) == 2 and np.isfinite(est.history_[-1]["loss"])
    untrained = EmbeddingTransformer("conv", encoder_params=TINY, random_state=0).fit(X)
    assert not np.allclose(est.transform(X), untrained.transform(X))  # weights moved
    path = est.save(tmp_path / "ckpt.pt")
    from_ckpt = EmbeddingTransformer(path).fit(X)
    np.testing.assert_allclose(from_ckpt.transform(X), est.transform(X), rtol=1e-5, atol=1e-6)
    assert type(encoder_from_checkpoint(path)).__name__ == "ConvEncoder"


@pytest.mark.parametrize("method", ["relative_positioning", "temporal_shuffling"])
def test_ssl_pretrainer__window_positions_enable_temporal_methods(sim_windows, method):
    X, _, groups = sim_windows
    # 4 recordings (one per subject), windows 2 s apart within each
    starts = np.concatenate([2.0 * np.arange((groups == g).sum()) for g in np.unique(groups)])
    recordings = np.concatenate([groups[groups == g] for g in np.unique(groups)])
    X = np.concatenate([X[groups == g] for g in np.unique(groups)])
    params = {"tau_pos": 4.0, "tau_neg": 8.0}
    est = SSLPretrainer(encoder_params=TINY, method=method, method_params=params, epochs=2,
                        batch_size=8, random_state=0, verbose=False)  # fmt: skip
    with pytest.raises(ValueError, match="recordings.*start_seconds"):
        clone(est).fit(X)  # the method needs to know where each window comes from
    est.fit(X, recordings=recordings, start_seconds=starts)
    assert np.isfinite(est.history_[-1]["loss"])
    untrained = EmbeddingTransformer("conv", encoder_params=TINY, random_state=0).fit(X)
    assert not np.allclose(est.transform(X), untrained.transform(X))  # weights moved
    with pytest.raises(ValueError, match="both"):
        clone(est).fit(X, recordings=recordings)
    with pytest.raises(ValueError, match=r"one entry per window, shape \(32,\)"):
        clone(est).fit(X, recordings=recordings[:5], start_seconds=starts[:5])


@pytest.mark.parametrize("method", sorted(__import__("eeg_ssl.methods").methods.METHODS))
def test_ssl_pretrainer__fits_every_method_of_the_registry(sim_windows, method):
    X, _, groups = sim_windows
    order = np.argsort(groups, kind="stable")  # windows 2 s apart within each subject
    X, groups = X[order], groups[order]
    starts = np.concatenate([2.0 * np.arange((groups == g).sum()) for g in np.unique(groups)])
    encoder, encoder_params = "conv", TINY
    if method == "mae":
        encoder, encoder_params = "patch_transformer", {"n_outputs": 8, "patch_size": 32,
                                                        "embed_dim": 16, "depth": 1,
                                                        "n_heads": 2}  # fmt: skip
    # 16 s per recording: temporal contexts shorter than the methods' defaults
    params = (
        {"tau_pos": 4.0, "tau_neg": 8.0}
        if method in ("relative_positioning", "temporal_shuffling")
        else None
    )
    if method == "spectral_prediction":  # its bands need the sampling frequency
        with pytest.raises(ValueError, match=r"encoder_params=\{'sfreq'"):
            SSLPretrainer(encoder, encoder_params=encoder_params, method=method,
                          epochs=1, batch_size=8, verbose=False).fit(X)  # fmt: skip
        encoder_params = {**encoder_params, "sfreq": 128.0}
    est = SSLPretrainer(encoder, encoder_params=encoder_params, method=method,
                        method_params=params, epochs=1, batch_size=8, random_state=0,
                        verbose=False)  # fmt: skip
    est.fit(X, recordings=groups, start_seconds=starts)
    assert np.isfinite(est.history_[-1]["loss"])
    assert est.transform(X).shape == (len(X), est.n_features_out_)


def test_ssl_pretrainer__unknown_method_suggests():
    with pytest.raises(ValueError, match="Did you mean 'simclr'"):
        SSLPretrainer(method="simclrr").fit(np.zeros((4, 2, 64), np.float32))


def test_ssl_pretrainer__grid_search_over_method_params(sim_windows):
    X, y, groups = sim_windows
    pipe = Pipeline([
        ("ssl", SSLPretrainer(encoder_params=TINY, epochs=1, batch_size=16, random_state=0,
                              verbose=False)),
        ("clf", LogisticRegression(max_iter=500)),
    ])  # fmt: skip
    grid = {"ssl__method_params": [dict(TINY_SIMCLR, temperature=t) for t in (0.1, 0.5)]}
    search = GridSearchCV(pipe, grid, cv=GroupKFold(2), scoring="balanced_accuracy")
    search.fit(X, y, groups=groups)
    assert search.best_params_["ssl__method_params"]["temperature"] in (0.1, 0.5)
    assert len(search.cv_results_["mean_test_score"]) == 2
    fitted = search.best_estimator_.named_steps["ssl"]
    assert (
        fitted.method_.hparams["temperature"]
        == search.best_params_["ssl__method_params"]["temperature"]
    )


def test_pipeline__grid_search_and_cross_val_score_by_subject(sim_windows):
    X, y, groups = sim_windows
    pipe = Pipeline([
        ("emb", EmbeddingTransformer("conv", encoder_params=TINY, random_state=0)),
        ("clf", LogisticRegression(max_iter=1000)),
    ])  # fmt: skip
    search = GridSearchCV(pipe, {"clf__C": [0.01, 1.0], "emb__random_state": [0, 1]},
                          cv=GroupKFold(2), scoring="balanced_accuracy")  # fmt: skip
    scores = cross_val_score(search, X, y, groups=groups, cv=GroupKFold(4),
                             params={"groups": groups}, scoring="balanced_accuracy")  # fmt: skip
    assert scores.shape == (4,) and np.all((scores >= 0) & (scores <= 1))
    cloned = clone(pipe).set_params(emb__batch_size=7)
    assert cloned.get_params()["emb__batch_size"] == 7
    assert not hasattr(cloned.named_steps["emb"], "encoder_")


def test_ssl_classifier__finetune_learns_separable_task():
    # class 1 windows carry a strong 10 Hz oscillation on every channel; class 0 is noise
    rng = np.random.default_rng(0)
    t = np.arange(128) / 64.0
    y = np.repeat([0, 1], 40)
    X = rng.normal(size=(80, 2, 128)).astype(np.float32)
    X[y == 1] += 3 * np.sin(2 * np.pi * 10 * t).astype(np.float32)
    idx = rng.permutation(80)
    X, y = X[idx], y[idx]
    clf = SSLClassifier(encoder_params=TINY, mode="finetune", epochs=15, lr=0.01,
                        random_state=0).fit(X[:60], y[:60])  # fmt: skip
    assert clf.score(X[60:], y[60:]) >= 0.9
    assert len(clf.history_) == 15 and clf.history_[-1]["loss"] < clf.history_[0]["loss"]
    proba = clf.predict_proba(X[60:])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def test_ssl_classifier__uses_fitted_pretrainer(sim_windows):
    X, y, _ = sim_windows
    pre = SSLPretrainer(encoder_params=TINY, method_params=TINY_SIMCLR, epochs=1, batch_size=16,
                        random_state=0, verbose=False).fit(X)  # fmt: skip
    clf = SSLClassifier(pre, mode="linear").fit(X, np.array(["rest", "task"])[y])
    assert set(clf.predict(X)) <= {"rest", "task"}
    np.testing.assert_allclose(clf._embed(X), pre.transform(X), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="Invalid value for 'mode'"):
        SSLClassifier(pre, mode="fine-tune").fit(X, y)


def test_ssl_pretrainer__group_batches_by_subject(sim_windows, monkeypatch):
    import eeg_ssl.evaluation.pretrainer as pretrainer_module

    X, _, groups = sim_windows
    seen = {}
    real = pretrainer_module.pretrain

    def spy(*args, **kwargs):
        seen["batch_groups"] = kwargs["batch_groups"]
        return real(*args, **kwargs)

    monkeypatch.setattr(pretrainer_module, "pretrain", spy)
    est = SSLPretrainer(encoder_params=TINY, method_params=TINY_SIMCLR, epochs=1, batch_size=8,
                        group_batches=True, random_state=0, verbose=False)  # fmt: skip
    with pytest.raises(ValueError, match="group_batches=True needs the group of each window"):
        clone(est).fit(X)
    with pytest.raises(ValueError, match=r"one entry per window: 32 windows"):
        clone(est).fit(X, groups=groups[:5])
    est.fit(X, groups=groups)
    np.testing.assert_array_equal(seen["batch_groups"], groups)
    clone(est).set_params(group_batches=False).fit(X, groups=groups)
    assert seen["batch_groups"] is None  # plain shuffling unless asked


def test_pipeline__epochs_in_cross_val_score_by_subject(sim_windows):
    # scikit-learn indexes Epochs (which have no .shape) item by item into a list of
    # one-epoch Epochs; the estimators read that list as the Epochs it came from
    import mne
    from mne.decoding import cross_val_multiscore

    X, y, groups = sim_windows
    epochs = mne.EpochsArray(X.astype(np.float64) * 1e-6, mne.create_info(8, 128.0, "eeg"),
                             verbose="error")  # fmt: skip
    # the rate in encoder_params: arrays carry none, and the default conv encoder's filter
    # bank needs one (without it arrays would get the plain encoder, Epochs the filter bank)
    params = dict(TINY, sfreq=128.0)
    pipe = Pipeline([
        ("emb", EmbeddingTransformer("conv", encoder_params=params, random_state=0)),
        ("clf", LogisticRegression(max_iter=1000)),
    ])  # fmt: skip
    on_epochs = cross_val_score(pipe, epochs, y, groups=groups, cv=GroupKFold(4))
    on_arrays = cross_val_score(pipe, X, y, groups=groups, cv=GroupKFold(4))
    np.testing.assert_allclose(on_epochs, on_arrays)
    clf = SSLClassifier(encoder_params=params, random_state=0)
    mne_scores = cross_val_multiscore(clf, epochs, y, groups=groups, cv=GroupKFold(4))
    np.testing.assert_allclose(mne_scores, cross_val_score(clf, X, y, groups=groups,
                                                           cv=GroupKFold(4)))  # fmt: skip


def test_estimators__4d_array_error_says_its_shape(sim_windows):
    X, _, _ = sim_windows
    est = EmbeddingTransformer("conv", encoder_params=TINY, random_state=0)
    with pytest.raises(ValueError, match=r"4-D array of shape \(32, 1, 8, 256\).*X\[:, 0\], of "
                       r"shape \(32, 8, 256\)") as info:  # fmt: skip
        est.fit(X[:, np.newaxis])
    assert "single window" not in str(info.value)
    with pytest.raises(ValueError, match=r"single window \(n_chans, n_times\)"):
        from eeg_ssl.evaluation import as_windows

        as_windows(X[0])
