"""Channel names, types and a common target montage across datasets."""

import mne
import numpy as np
import pytest

from eeg_ssl.io import Recipe, prepare, read_shard
from eeg_ssl.io.harmonise import channel_type_mapping, standardise_name


@pytest.mark.parametrize(
    "raw_name,expected",
    [("Fc5.", "FC5"), ("Fpz.", "Fpz"), ("EEG Fp1", "Fp1"), ("EEG FP1-REF", "Fp1"),
     ("T10.", "T10"), ("EEG A2-A1", "EEG A2-A1"), ("ECG ECG", "ECG ECG"), ("C12", "C12")],
)  # fmt: skip
def test_standardise_name__vendor_spellings(raw_name, expected):
    assert standardise_name(raw_name) == expected


def test_standardise_name__agrees_with_mne_eegbci(shared_data):
    raw = mne.io.read_raw(shared_data / "eegmmidb/S001/S001R01.edf", verbose="error")
    ours = [standardise_name(name) for name in raw.ch_names]
    mne.datasets.eegbci.standardize(raw)
    assert ours == raw.ch_names


def test_channel_type_mapping__exact_then_longest_pattern():
    mapping = channel_type_mapping(
        ["C1", "EKG1", "DC01", "X"], {"*": "ecog", "EKG*": "ecg", "X": "misc"}
    )
    assert mapping == {"C1": "ecog", "EKG1": "ecg", "DC01": "ecog", "X": "misc"}


def test_prepare__two_montages_onto_one_target(shared_data, tmp_path):
    target = ("Fp1", "Fz", "Cz", "Pz", "O1", "FC5", "T7", "T3")
    recipe = Recipe(picks=("eeg",), channel_types={"ECG*": "ecg"}, standardise_names=True,
                    channels=target, missing="zero", engine="fast", window_seconds=4.0)  # fmt: skip
    files = [shared_data / "eegmat/Subject00_2.edf", shared_data / "eegmmidb/S001/S001R01.edf"]
    manifest = prepare(files, tmp_path, recipe, verbose=False)
    masks = manifest.groupby("shard")["ch_mask"].unique()
    assert {m[0] for m in masks} == {"11111001", "11111110"}  # eegmat: no FC5/T7; eegmmidb: no T3
    for shard, mask in masks.items():
        windows, info = read_shard(tmp_path / shard)
        assert info["ch_names"] == list(target) and windows.shape[1:] == (8, 512)
        missing = [i for i, c in enumerate(mask[0]) if c == "0"]
        assert np.all(windows[:, missing] == 0)
