"""EmbeddingTransformer in Pipelines, after clone, and on bad input."""

import mne
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from eeg_ssl import EmbeddingTransformer
from eeg_ssl.methods import SimCLR
from eeg_ssl.models import ConvEncoder
from eeg_ssl.training import save_checkpoint
from eeg_ssl.utils import seeded


@pytest.fixture
def encoder():
    with seeded(0):
        return ConvEncoder(n_chans=8, n_outputs=16, n_times=256, n_filters=8, sfreq=128.0)


def test_embedding_transformer__pipeline_and_clone(encoder, sim_windows):
    X, y, _ = sim_windows
    pipe = Pipeline([("emb", EmbeddingTransformer(encoder)), ("clf", LogisticRegression())])
    pipe.fit(X, y)
    proba = pipe.predict_proba(X)
    assert proba.shape == (len(X), 2)
    cloned = clone(pipe)
    assert cloned.named_steps["emb"].encoder is not encoder  # deep-copied parameter
    assert not hasattr(cloned.named_steps["emb"], "encoder_")
    np.testing.assert_allclose(cloned.fit(X, y).predict_proba(X), proba, rtol=1e-6)


def test_embedding_transformer__frozen_and_deterministic(encoder, sim_windows):
    X, _, _ = sim_windows
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    emb = EmbeddingTransformer(encoder, batch_size=5).fit(X)
    Z = emb.transform(X)
    assert Z.shape == (len(X), 16)
    np.testing.assert_allclose(Z, emb.transform(X))
    with torch.no_grad():
        ref = encoder.eval()(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(Z, ref, rtol=1e-5, atol=1e-5)
    for k, v in encoder.state_dict().items():
        torch.testing.assert_close(v, before[k])
    assert not any(p.requires_grad for p in emb.encoder_.parameters())


def test_embedding_transformer__from_checkpoint(tmp_path, encoder, sim_windows):
    X, _, _ = sim_windows
    path = save_checkpoint(tmp_path / "ckpt.pt", SimCLR(encoder, random_state=0))
    Z_ckpt = EmbeddingTransformer(str(path)).fit(X).transform(X)
    Z_mod = EmbeddingTransformer(encoder).fit(X).transform(X)
    np.testing.assert_allclose(Z_ckpt, Z_mod, rtol=1e-5, atol=1e-6)


def test_embedding_transformer__accepts_epochs(encoder, sim_windows):
    X, _, _ = sim_windows
    info = mne.create_info([f"E{i}" for i in range(8)], 128.0, "eeg")
    epochs = mne.EpochsArray(X * 1e-6, info, verbose="error")  # volts, as MNE stores them
    emb = EmbeddingTransformer(encoder).fit(X)
    np.testing.assert_allclose(emb.transform(epochs), emb.transform(X), rtol=1e-4, atol=1e-4)


def test_embedding_transformer__wrong_shape_says_both(encoder, sim_windows):
    X, _, _ = sim_windows
    emb = EmbeddingTransformer(encoder).fit(X)
    with pytest.raises(ValueError, match=r"\(n, 8, 256\).*got \(32, 4, 256\)"):
        emb.transform(X[:, :4])
    with pytest.raises(ValueError, match=r"\(n, 8, 256\).*got \(32, 8, 200\)"):
        emb.transform(X[:, :, :200])
    with pytest.raises(ValueError, match=r"\(n_windows, n_chans, n_times\).*\(32, 2048\)"):
        emb.transform(X.reshape(32, -1))


def test_embedding_transformer__bad_encoder():
    X = np.zeros((2, 8, 256), dtype=np.float32)
    with pytest.raises(ValueError, match="needs 'encoder'"):
        EmbeddingTransformer().fit(X)
    with pytest.raises(TypeError, match="torch.nn.Module or a checkpoint path"):
        EmbeddingTransformer(encoder=3).fit(X)
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        EmbeddingTransformer("missing.pt").fit(X)


def test_embedding_transformer__sfreq_for_registry_encoders(sim_windows):
    # braindecode models such as FBCNet need the sampling rate: plain arrays carry none,
    # so it comes from encoder_params, or from mne.Epochs themselves
    X, _, _ = sim_windows
    params = {"n_outputs": 8, "model": "FBCNet", "model_kwargs": {"n_filters_spat": 4}}
    with pytest.raises(ValueError, match="sfreq"):
        EmbeddingTransformer("braindecode", encoder_params=params).fit(X)
    emb = EmbeddingTransformer("braindecode", encoder_params=dict(params, sfreq=128.0),
                               random_state=0).fit(X)  # fmt: skip
    assert emb.encoder_.sfreq == 128.0
    info = mne.create_info([f"E{i}" for i in range(8)], 128.0, "eeg")
    epochs = mne.EpochsArray(X * 1e-6, info, verbose="error")
    emb_epochs = EmbeddingTransformer("braindecode", encoder_params=params,
                                      random_state=0).fit(epochs)  # fmt: skip
    assert emb_epochs.encoder_.sfreq == 128.0
    np.testing.assert_allclose(emb_epochs.transform(epochs), emb.transform(X), rtol=1e-4,
                               atol=1e-4)  # fmt: skip
