"""Recording facts in checkpoints: written from prepared data, loaded onto encoders."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch

from eeg_ssl.io import prepare_arrays
from eeg_ssl.methods import SimCLR
from eeg_ssl.models import build_encoder
from eeg_ssl.training import (
    add_recording_facts,
    encoder_from_checkpoint,
    load_checkpoint,
    recording_facts,
    save_checkpoint,
)
from eeg_ssl.training.checkpoint import FACTS_ATTR, median_abs_amplitude

NAMES = ["Fz", "Cz", "Pz", "Oz"]
RECIPE = {"l_freq": None, "h_freq": None, "sfreq": None, "window_seconds": 2.0}


@pytest.fixture
def prepared(tmp_path, sim_windows):
    X, _, groups = sim_windows
    prepare_arrays(X[:, :4], tmp_path / "prep", sfreq=128.0, ch_names=NAMES, recipe=RECIPE,
                   subjects=groups)  # fmt: skip
    return tmp_path / "prep"


def _method(n_chans=4):
    torch.manual_seed(0)
    encoder = build_encoder("conv", n_chans=n_chans, n_times=256, n_outputs=8, n_filters=4,
                            n_blocks=2, sfreq=128.0)  # fmt: skip
    return SimCLR(encoder, random_state=0)


def test_recording_facts__prepared_folder(prepared, sim_windows):
    X, _, _ = sim_windows
    facts = recording_facts(prepared)
    record = json.loads((prepared / "prepare.json").read_text())
    assert facts["ch_names"] == NAMES and facts["ch_types"] == ["eeg"] * 4
    assert facts["sfreq"] == 128.0 and facts["units"] == "uV"
    assert facts["n_times"] == 256 and facts["window_seconds"] == 2.0
    assert facts["recipe_hash"] == record["recipe_hash"]
    # the amplitude scale of the prepared windows is that of the simulated uV signal
    assert 0.5 < facts["median_abs"] / median_abs_amplitude(X[:, :4]) < 2
    json.dumps(facts)  # plain data


def test_recording_facts__record_and_bad_source(prepared):
    facts = recording_facts(json.loads((prepared / "prepare.json").read_text()))
    assert facts["units"] == "uV" and facts["ch_names"] is None and facts["recipe_hash"]
    with pytest.raises(TypeError, match="ShardDataset, a prepared folder"):
        recording_facts(3.0)

    class Wrapper:  # e.g. torch.utils.data.Subset over a dataset that knows its facts
        dataset = type("Corpus", (), {"recording_facts": lambda self: {"sfreq": 1.0}})()

    assert recording_facts(Wrapper()) == {"sfreq": 1.0}


def test_save_checkpoint__facts_travel_with_the_encoder(tmp_path, prepared):
    facts = recording_facts(prepared)
    path = save_checkpoint(tmp_path / "c.pt", _method(), recording=facts)
    assert load_checkpoint(path)["recording"] == facts
    encoder = encoder_from_checkpoint(path)
    assert getattr(encoder, FACTS_ATTR) == facts
    # a method whose encoder carries facts saves them without being told
    method = _method()
    setattr(method.encoder, FACTS_ATTR, facts)
    assert load_checkpoint(save_checkpoint(tmp_path / "d.pt", method))["recording"] == facts


def test_encoder_from_checkpoint__old_checkpoint_warns_once(tmp_path, prepared):
    path = save_checkpoint(tmp_path / "old.pt", _method())  # no facts, as before
    with pytest.warns(UserWarning, match="records no recording facts.*add_recording_facts"):
        encoder = encoder_from_checkpoint(path)
    assert getattr(encoder, FACTS_ATTR) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encoder_from_checkpoint(path)  # once per checkpoint
    add_recording_facts(path, prepared)
    assert encoder_from_checkpoint(path).recording_facts["ch_names"] == NAMES


def test_median_abs_amplitude__ignores_zero_filled_channels():
    X = np.zeros((2, 4, 100))
    X[:, 0] = 3.0
    assert median_abs_amplitude(X) == 3.0
    assert median_abs_amplitude(np.zeros((1, 2, 3))) is None
