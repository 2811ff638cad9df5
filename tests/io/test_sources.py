"""Every set in ../shared/data through the public API."""

import mne
import numpy as np
import pytest

from eeg_ssl.io import Recipe, prepare, prepare_arrays, read_shard, read_shard_info
from eeg_ssl.io.harmonise import standardise_name


def test_prepare__eegmmidb_events_and_standard_names(shared_data, tmp_path):
    recipe = Recipe(picks=("eeg",), standardise_names=True, label_source="events",
                    label_map={"T0": "rest", "T1": "left", "T2": "right"}, tmin=0.0, tmax=4.0,
                    engine="fast")  # fmt: skip
    manifest = prepare(shared_data / "eegmmidb/S001/S001R03.edf", tmp_path, recipe,
                       path_rules={"subject": r"(S\d+)R", "run": r"R(\d+)"}, verbose=False)  # fmt: skip
    raw = mne.io.read_raw(shared_data / "eegmmidb/S001/S001R03.edf", verbose="error")
    expected = [d for d in raw.annotations.description if d in ("T0", "T1", "T2")]
    assert len(manifest) == len(expected) == 30
    assert set(manifest["label"]) == {"rest", "left", "right"}
    assert (manifest["subject"] == "S001").all() and (manifest["run"] == "03").all()
    windows, info = read_shard(tmp_path / manifest["shard"][0])
    assert windows.shape == (30, 64, 512)  # 4 s at 128 Hz
    mne.datasets.eegbci.standardize(raw)
    assert info["ch_names"] == raw.ch_names  # same spelling as MNE's eegbci.standardize


def test_prepare__eegmat_filename_labels_and_subjects(shared_data, tmp_path):
    files = [shared_data / f"eegmat/Subject0{i}_{k}.edf" for i in (0, 1) for k in (1, 2)]
    recipe = Recipe(picks=("eeg",), drop=("EEG A2-A1",), channel_types={"ECG*": "ecg"},
                    standardise_names=True,
                    label_source="recording", label_map={"1": "rest", "2": "arithmetic"},
                    window_seconds=4.0, engine="fast")  # fmt: skip
    manifest = prepare(
        files,
        tmp_path,
        recipe,
        verbose=False,
        path_rules={"subject": r"Subject(\d+)_", "label": r"_(\d)\.edf$"},
    )
    assert set(manifest["subject"]) == {"00", "01"}
    by_file = manifest.groupby("shard")["label"].unique()
    assert sorted(lab for labs in by_file for lab in labs) == [
        "arithmetic",
        "arithmetic",
        "rest",
        "rest",
    ]
    info = read_shard_info(tmp_path / manifest["shard"][0])
    assert info["ch_names"][:3] == ["Fp1", "Fp2", "F3"] and "ECG ECG" not in info["ch_names"]
    assert standardise_name("EEG A2-A1") == "EEG A2-A1"


def test_prepare_arrays__bonn_text_segments(shared_data, tmp_path):
    sets = {"A_Z": "healthy_open", "E_S": "ictal"}
    X, y = [], []
    for folder, label in sets.items():
        for path in sorted((shared_data / "bonn" / folder).glob("*.txt"))[:3]:
            X.append(np.loadtxt(path)[np.newaxis])
            y.append(label)
    X = np.stack(X)  # (6, 1, 4097)
    manifest = prepare_arrays(X, tmp_path, sfreq=173.61, ch_names=["EEG"], labels=y,
                              recipe=Recipe(l_freq=0.5, h_freq=40.0, sfreq=128.0))  # fmt: skip
    assert set(manifest["label"]) == set(sets.values())
    assert manifest["subject"].nunique() == 6  # no subject ids: one group per segment
    windows, _ = read_shard(tmp_path / manifest["shard"][0])
    assert windows.shape[1:] == (1, 256) and len(windows) == 6 * 11


def test_prepare__eye_state_arff_channel_labels_and_clipping(shared_data, tmp_path):
    recipe = Recipe(picks=("eeg",), label_source="channel", label_channel="eyeDetection",
                    label_map={"0": "open", "1": "closed"}, l_freq=1.0, h_freq=40.0, sfreq=None,
                    standardise="robust", clip=20.0, window_seconds=1.0)  # fmt: skip
    manifest = prepare(shared_data / "eye_state/eeg_eye_state.arff", tmp_path, recipe,
                       read_kwargs={"sfreq": 128.0}, verbose=False)  # fmt: skip
    windows, info = read_shard(tmp_path / manifest["shard"][0])
    assert windows.shape[1:] == (14, 128) and "eyeDetection" not in info["ch_names"]
    assert {"open", "closed"} <= set(manifest["label"])
    # the raw file holds outliers of ~1e5 robust SDs; clipping bounds them
    assert np.abs(windows).max() <= 20.0 and np.isfinite(windows).all()


@pytest.mark.parametrize(
    "kind,ch_type,sfreq", [("ecog", "ecog", 999.4121), ("seeg", "seeg", 1000.0)]
)
def test_prepare__ieeg_types_sfreq_and_electrodes(shared_data, tmp_path, kind, ch_type, sfreq):
    path = next((shared_data / "ieeg" / kind).glob("*_ieeg.edf"))
    recipe = Recipe(picks=(ch_type,), channel_types={"EKG*": "ecg", "DC*": "misc", "*": ch_type},
                    l_freq=1.0, h_freq=200.0, sfreq=None, window_seconds=1.0)  # fmt: skip
    manifest = prepare(path, tmp_path, recipe, verbose=False)
    _, info = read_shard(tmp_path / manifest["shard"][0])
    assert set(info["ch_types"]) == {ch_type}
    assert info["sfreq"] == pytest.approx(sfreq, abs=1e-3)
    assert info["n_times"] == int(round(info["sfreq"]))
    assert np.isfinite(info["ch_pos"]).all(axis=1).mean() > 0.5  # from *_electrodes.tsv


def test_attach_electrodes__sidecars_found_also_after_the_folder_changes(tmp_path):
    import json
    import os
    import time

    from eeg_ssl.io.sources import attach_electrodes
    from eeg_ssl.simulation import simulate_raw

    raw = simulate_raw(0, duration=2.0, random_state=0)
    recording = tmp_path / "sub-01_task-rest_eeg.edf"  # only its name and folder are used
    assert attach_electrodes(raw.copy(), recording) == 0
    names = raw.ch_names[:3]
    rows = "".join(f"{name}\t{10 * i}\t{20 * i}\t30\n" for i, name in enumerate(names, 1))
    (tmp_path / "sub-01_task-rest_electrodes.tsv").write_text("name\tx\ty\tz\n" + rows)
    (tmp_path / "sub-01_task-rest_coordsystem.json").write_text(
        json.dumps({"EEGCoordinateUnits": "mm"})
    )
    # written just now: found at once, in metres
    fresh = raw.copy()
    assert attach_electrodes(fresh, recording) == 3
    pos = fresh.get_montage().get_positions()["ch_pos"]
    np.testing.assert_allclose(pos[names[1]], [0.02, 0.04, 0.03])
    # a folder unchanged for a while is scanned once (cached) ...
    old = time.time() - 100
    os.utime(tmp_path, (old, old))
    assert attach_electrodes(raw.copy(), recording) == 3
    assert attach_electrodes(raw.copy(), recording) == 3
    # ... and scanned again once it changes
    (tmp_path / "sub-01_task-rest_electrodes.tsv").unlink()
    assert attach_electrodes(raw.copy(), recording) == 0
    os.utime(tmp_path, (old + 1, old + 1))
    assert attach_electrodes(raw.copy(), recording) == 0
