"""The estimators check their input against the recording facts of the training data."""

from __future__ import annotations

import warnings

import mne
import numpy as np
import pytest
import torch
from sklearn.base import clone

from eeg_ssl.evaluation import EmbeddingTransformer, SSLClassifier, SSLPretrainer
from eeg_ssl.evaluation.recording import check_scale
from eeg_ssl.methods import SimCLR
from eeg_ssl.models import build_encoder
from eeg_ssl.training import save_checkpoint
from eeg_ssl.training.checkpoint import make_facts, median_abs_amplitude

NAMES = ["Fz", "Cz", "Pz", "Oz"]
TINY_SIMCLR = {"projection_dim": 8, "hidden_dim": 16}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def data(sim_windows):
    X, y, groups = sim_windows
    return X[:, :4].copy(), y, groups


@pytest.fixture
def checkpoint(tmp_path, data):
    X, _, _ = data
    torch.manual_seed(0)
    encoder = build_encoder("conv", n_chans=4, n_times=256, n_outputs=8, n_filters=4,
                            n_blocks=2, sfreq=128.0)  # fmt: skip
    facts = make_facts(ch_names=NAMES, ch_types=["eeg"] * 4, sfreq=128.0, units="uV",
                       n_times=256, recipe_hash="abc", median_abs=median_abs_amplitude(X))  # fmt: skip
    return save_checkpoint(tmp_path / "c.pt", SimCLR(encoder, random_state=0), recording=facts)


def _epochs(X, names=NAMES, sfreq=128.0):
    info = mne.create_info(list(names), sfreq, "eeg")
    return mne.EpochsArray(X.astype(np.float64) * 1e-6, info, verbose="error")  # uV -> V


ESTIMATORS = {
    "EmbeddingTransformer": lambda ckpt, **kw: EmbeddingTransformer(ckpt, **kw),
    "SSLClassifier": lambda ckpt, **kw: SSLClassifier(ckpt, **kw),
    "SSLPretrainer": lambda ckpt, **kw: SSLPretrainer(
        ckpt,
        method_params=TINY_SIMCLR,
        epochs=1,
        batch_size=16,
        random_state=0,
        verbose=False,
        **kw,
    ),  # fmt: skip
}


def _fit(name, est, X, y):
    return est.fit(X, y) if name == "SSLClassifier" else est.fit(X)


def _out(name, est, X):
    return est.predict_proba(X) if name == "SSLClassifier" else est.transform(X)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_estimators__epochs_matched_by_channel_name(name, checkpoint, data):
    X, y, _ = data
    est = _fit(name, ESTIMATORS[name](checkpoint), _epochs(X), y)
    assert est.recording_facts_["ch_names"] == NAMES
    reordered = _epochs(X[:, ::-1], names=NAMES[::-1])
    np.testing.assert_allclose(_out(name, est, reordered), _out(name, est, _epochs(X)),
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    with pytest.raises(ValueError, match=r"missing \['Oz'\].*Trained on 4 channels"):
        _out(name, est, _epochs(X[:, :3], names=NAMES[:3]))
    with pytest.raises(ValueError, match=r"missing \['Oz'\]; extra \['O1'\]"):
        _out(name, est, _epochs(X, names=["Fz", "Cz", "Pz", "O1"]))
    extra = _epochs(np.concatenate([X, X[:, :1]], axis=1), names=NAMES + ["EOG"])
    with pytest.raises(ValueError, match=r"extra \['EOG'\].*inst.pick"):
        _fit(name, ESTIMATORS[name](checkpoint), extra, y)  # checked at fit too


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_estimators__other_sfreq_is_an_error_unless_resample(name, checkpoint, data):
    X, y, _ = data
    fast = _epochs(X).resample(256.0, verbose="error")
    with pytest.raises(ValueError, match=r"is 256 Hz, but the encoder was trained at 128 Hz"):
        _fit(name, ESTIMATORS[name](checkpoint), fast, y)
    est = _fit(name, ESTIMATORS[name](checkpoint, resample=True), fast, y)
    assert est.n_times_ == 256
    est_ref = _fit(name, ESTIMATORS[name](checkpoint), _epochs(X), y)
    if name == "EmbeddingTransformer":  # resampling 128 -> 256 -> 128 Hz is nearly lossless
        np.testing.assert_allclose(est.transform(fast), est_ref.transform(X), atol=0.05)


def test_embedding_transformer__unit_mistakes_warn(checkpoint, data):
    X, _, _ = data
    est = EmbeddingTransformer(checkpoint).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.transform(X * 3)  # within the tolerance: no warning
        est.transform(_epochs(X))  # Epochs are read in the training units
    with pytest.warns(UserWarning, match=r"data in V given to a model trained in uV: multiply by "
                      r"1e\+06"):  # fmt: skip
        est.transform(X * 1e-6)
    with pytest.warns(UserWarning, match=r"data in mV given.*multiply by 1000"):
        est.transform(X * 1e-3)
    with pytest.warns(UserWarning, match="data in V given"):
        EmbeddingTransformer(checkpoint).fit(X * 1e-6)  # at fit too
    with pytest.raises(ValueError, match=r"trained on windows in 'uV'; got units='mV'"):
        EmbeddingTransformer(checkpoint, units="mV").fit(_epochs(X))


def test_check_scale__standardised_data_warn_without_a_unit_guess():
    facts = make_facts(units="uV", standardise="robust", median_abs=0.7)
    with pytest.warns(UserWarning) as record:
        check_scale(np.full((2, 2, 10), 200.0), facts)
    assert "times that of the training data" in str(record[0].message)
    assert "looks like" not in str(record[0].message)


def test_embedding_transformer__epochs_into_standardised_model_warn(tmp_path, data):
    X, _, _ = data
    torch.manual_seed(0)
    encoder = build_encoder("conv", n_chans=4, n_times=256, n_outputs=8, n_filters=4,
                            n_blocks=2, sfreq=128.0)  # fmt: skip
    facts = make_facts(ch_names=NAMES, sfreq=128.0, units="uV", n_times=256,
                       standardise="robust", median_abs=0.67)  # fmt: skip
    path = save_checkpoint(tmp_path / "s.pt", SimCLR(encoder, random_state=0), recording=facts)
    with pytest.warns(UserWarning, match="standardise='robust'"):
        EmbeddingTransformer(path).fit(_epochs(X))


def test_embedding_transformer__raw_cut_into_training_windows(checkpoint, data):
    X, _, _ = data
    est = EmbeddingTransformer(checkpoint).fit(X)
    raw = mne.io.RawArray(np.concatenate(list(X), axis=1) * 1e-6,
                          mne.create_info(NAMES, 128.0, "eeg"), verbose="error")  # fmt: skip
    np.testing.assert_allclose(est.transform(raw), est.transform(X), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="cannot size a new 'conv' encoder from mne.io.Raw"):
        EmbeddingTransformer("conv").fit(raw)


def test_embedding_transformer__facts_from_epochs_at_fit(data):
    # a registry encoder records the facts of the Epochs it was fitted on
    X, _, _ = data
    est = EmbeddingTransformer("conv", encoder_params={"n_outputs": 8}, random_state=0)
    est.fit(_epochs(X))
    assert est.recording_facts_["ch_names"] == NAMES and est.recording_facts_["sfreq"] == 128.0
    with pytest.raises(ValueError, match="missing"):
        est.transform(_epochs(X, names=["A", "B", "C", "D"]))
    # arrays carry no names: shape and scale only
    assert est.transform(X).shape == (len(X), 8)
    # fitted on arrays: Epochs are matched by count only
    est_arr = clone(est).fit(X)
    assert est_arr.recording_facts_["ch_names"] is None
    assert est_arr.transform(_epochs(X, names=["A", "B", "C", "D"])).shape == (len(X), 8)


class _ThreadSpy(torch.nn.Module):
    n_chans, n_times, n_outputs = 4, 256, 8

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4 * 256, 8)
        self.seen = []

    def forward(self, x):
        self.seen.append(torch.get_num_threads())
        return self.lin(x.flatten(1))


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_estimators__threads_set_within_fit_and_restored(name, data):
    X, y, _ = data
    est = ESTIMATORS[name](_ThreadSpy(), threads=2)
    torch.set_num_threads(1)
    _fit(name, est, X, y)
    _out(name, est, X)
    assert set(est.encoder_.seen) == {2}
    assert torch.get_num_threads() == 1
    with pytest.raises(ValueError, match="Invalid value for 'threads'"):
        _fit(name, clone(est).set_params(threads=0), X, y)


def test_check_data_facts__what_differs_is_named():
    from eeg_ssl.evaluation.recording import check_data_facts

    names = ["Fz", "Cz", "Pz"]
    trained = make_facts(ch_names=names, sfreq=128.0, units="uV", n_times=256, recipe_hash="a")
    same = dict(trained, units="µV")  # the same unit spelled with the micro sign
    assert check_data_facts(trained, same, trained_name="c.pt", data_name="d") is None
    assert check_data_facts(None, same, trained_name="c.pt", data_name="d") is None  # old
    order = check_data_facts(trained, dict(trained, ch_names=names[::-1]), trained_name="c.pt",
                             data_name="d")  # fmt: skip
    assert order == [2, 1, 0]
    counts_only = make_facts(n_chans=3, n_times=256)
    with pytest.raises(ValueError, match=r"'d'.*'c.pt': channels: 3 trained, 4 prepared"):
        check_data_facts(counts_only, make_facts(n_chans=4, n_times=256), trained_name="c.pt",
                         data_name="d")  # fmt: skip
    with pytest.raises(ValueError, match="standardise: None trained, 'robust' prepared"):
        check_data_facts(trained, dict(trained, standardise="robust", recipe_hash="b"),
                         trained_name="c.pt", data_name="d")  # fmt: skip
    with pytest.warns(UserWarning, match="hash b.*'c.pt' \\(hash a\\)"):
        check_data_facts(trained, dict(trained, recipe_hash="b"), trained_name="c.pt",
                         data_name="d")  # fmt: skip


def test_embedding_transformer__epochs_of_several_voltage_types_read_in_the_units(
    checkpoint, data
):
    X, _, _ = data
    est = EmbeddingTransformer(checkpoint).fit(X)
    epochs = _epochs(X)
    epochs.set_channel_types({"Oz": "eog"}, verbose="error")  # a channel typed EOG
    # MNE refuses one unit string for several channel types; every voltage type is read
    # in the training units, so the embedding is that of the plain EEG Epochs
    np.testing.assert_allclose(est.transform(epochs), est.transform(_epochs(X)), rtol=1e-6)
