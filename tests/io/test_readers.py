"""Readers for formats MNE lacks, on the real files of ../shared/data."""

from __future__ import annotations

import mne
import numpy as np
import pandas as pd
import pytest

from eeg_ssl.io import Recipe, prepare
from eeg_ssl.io.readers import (
    events_path,
    read_bonn_segment,
    read_fif_with_events,
    read_muse_csv,
    read_with,
)
from eeg_ssl.io.sources import Recording


@pytest.fixture(scope="module")
def p300_csv(shared_data):
    return sorted((shared_data / "muse-visual-p300").glob("subject1/session1/*.csv"))[0]


def test_read_muse_csv__markers_become_annotations(p300_csv):
    raw = read_muse_csv(p300_csv)
    table = pd.read_csv(p300_csv)
    assert raw.ch_names == ["TP9", "AF7", "AF8", "TP10", "Right AUX"]
    assert raw.get_channel_types() == ["eeg"] * 4 + ["misc"]
    assert raw.info["sfreq"] == 256.0 and raw.n_times == len(table)
    # µV in the file, volts in MNE
    np.testing.assert_allclose(raw.get_data(picks="TP9")[0], table["TP9"] * 1e-6)
    markers = table["Marker"].to_numpy()
    at = np.flatnonzero(markers != 0)
    assert len(raw.annotations) == len(at) > 0
    assert set(raw.annotations.description) == {"1", "2"}
    np.testing.assert_allclose(raw.annotations.onset, at / 256.0, atol=1e-6)  # MNE: µs
    assert list(raw.annotations.description) == [str(int(m)) for m in markers[at]]


def test_read_muse_csv__wrong_rate_names_the_file(p300_csv):
    with pytest.raises(ValueError, match=r"give 256\.\d+ Hz, not the 'sfreq' of 128"):
        read_muse_csv(p300_csv, sfreq=128.0)


def test_read_muse_csv__not_a_muse_file(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("time,Fz\n0,1\n")
    with pytest.raises(ValueError, match="not a Muse CSV export"):
        read_muse_csv(path)


def test_read_bonn_segment__one_channel_at_173_hz(shared_data):
    path = shared_data / "bonn" / "E_S" / "S001.txt"
    raw = read_bonn_segment(path)
    values = np.loadtxt(path)
    assert raw.ch_names == ["EEG"] and raw.info["sfreq"] == 173.61
    assert raw.n_times == len(values) == 4097
    np.testing.assert_allclose(raw.get_data()[0], values * 1e-6)


def test_read_fif_with_events__events_become_annotations(shared_data):
    path = sorted((shared_data / "ssvep-exo" / "subject01").glob("*_raw.fif"))[0]
    raw = read_fif_with_events(path)
    events = mne.read_events(events_path(path), verbose="error")
    assert events_path(path).name.endswith("-eve.fif")
    assert len(raw.annotations) == len(events) == 32
    counts = pd.Series(raw.annotations.description).value_counts().to_dict()
    assert counts == {"1": 8, "2": 8, "3": 8, "4": 8}
    expected = (events[:, 0] - raw.first_samp) / raw.info["sfreq"]
    np.testing.assert_allclose(raw.annotations.onset - raw.first_time, expected, atol=1e-6)


def test_read_fif_with_events__missing_events_file(tmp_path, shared_data):
    path = sorted((shared_data / "ssvep-exo" / "subject01").glob("*_raw.fif"))[0]
    with pytest.raises(FileNotFoundError, match="events file"):
        read_fif_with_events(path, events=tmp_path / "absent-eve.fif")


def test_read_with__unknown_reader():
    with pytest.raises(ValueError, match="Invalid value for 'reader'.*'bonn'"):
        read_with("bon", "x.txt")


def test_prepare__named_reader_gives_event_windows(tmp_path, p300_csv):
    recording = Recording(path=str(p300_csv), subject="1", read_kwargs={"reader": "muse_csv"})
    recipe = Recipe(picks=("eeg",), sfreq=128.0, l_freq=1.0, h_freq=30.0,
                    label_source="events", tmin=0.0, tmax=0.8,
                    label_map={"1": "non_target", "2": "target"})  # fmt: skip
    manifest = prepare([recording], tmp_path / "prepared", recipe, verbose=False)
    markers = pd.read_csv(p300_csv)["Marker"].to_numpy()
    labels = manifest["label"].value_counts().to_dict()
    # every marker whose 0.8 s window fits in the recording gives a window
    assert labels["target"] == (markers == 2).sum()
    assert labels["non_target"] >= (markers == 1).sum() - 1
