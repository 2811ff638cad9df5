"""Public dataset configs (eeg_ssl/configs/datasets), BIDS folders and braindecode input."""

from pathlib import Path

import mne
import numpy as np
import pytest

from eeg_ssl.io import Recipe, bids_recordings, prepare, read_shard_info
from eeg_ssl.io.datasets import dataset_recordings, eegbci_recordings
from eeg_ssl.simulation import simulate_raw

CONFIGS = Path(__file__).resolve().parents[2] / "eeg_ssl" / "configs" / "datasets"


def test_dataset_configs__all_parse():
    from eeg_ssl.workflow import load_config

    for path in sorted(CONFIGS.glob("*.yaml")):
        config = load_config(path)
        Recipe.from_dict(config["prepare"]["recipe"])


def test_eegmmidb_config__offline_from_local_copy(shared_data, tmp_path):
    from eeg_ssl.workflow import load_config, run_prepare

    cfg = load_config(CONFIGS / "eegmmidb.yaml")["prepare"]
    cfg["dataset"] = dict(
        cfg["dataset"], path=str(shared_data / "eegmmidb"), subjects=[2], runs=[3]
    )
    cfg["n_jobs"] = 1
    manifest = run_prepare(cfg, tmp_path, verbose=False)
    assert set(manifest["subject"]) == {"S002"} and set(manifest["run"]) == {"03"}
    assert set(manifest["label"]) == {"rest", "left", "right"}


def test_eegbci__offline_without_path_asks_for_download():
    with pytest.raises(ValueError, match="download=True"):
        eegbci_recordings(subjects=[1], runs=[1])
    with pytest.raises(ValueError, match="Did you mean 'eegbci'"):
        dataset_recordings("eegbic")


def test_bids_recordings__entities_into_manifest(tmp_path):
    mne_bids = pytest.importorskip("mne_bids")
    root = tmp_path / "bids"
    for subject, run in (("01", "1"), ("02", "1"), ("02", "2")):
        raw = simulate_raw(int(subject), duration=10.0, sfreq=128.0, random_state=0)
        raw.set_meas_date(None)
        edf = tmp_path / f"sim_{subject}_{run}.edf"
        mne.export.export_raw(edf, raw, fmt="edf", overwrite=True, verbose="error")
        raw = mne.io.read_raw_edf(edf, verbose="error")
        bp = mne_bids.BIDSPath(subject=subject, session="a", task="rest", run=run,
                               datatype="eeg", root=root)  # fmt: skip
        mne_bids.write_raw_bids(raw, bp, allow_preload=False, overwrite=True, verbose=False)
    recordings = bids_recordings(root, datatypes=["eeg"])
    manifest = prepare(recordings, tmp_path / "out", Recipe(l_freq=None, h_freq=None, sfreq=None),
                       verbose=False)  # fmt: skip
    keys = set(zip(manifest["subject"], manifest["session"], manifest["task"], manifest["run"]))
    assert keys == {("01", "a", "rest", "1"), ("02", "a", "rest", "1"), ("02", "a", "rest", "2")}


def test_prepare__braindecode_concat_dataset_in(tmp_path):
    from braindecode.datasets import BaseConcatDataset, RawDataset

    raws = [simulate_raw(i, duration=10.0, sfreq=128.0, random_state=0) for i in (1, 2)]
    concat = BaseConcatDataset([
        RawDataset(raw, {"subject": str(i), "session": "x", "run": "0"}) for i, raw in enumerate(raws)
    ])  # fmt: skip
    manifest = prepare(
        concat, tmp_path, Recipe(l_freq=None, h_freq=None, sfreq=None), verbose=False
    )
    assert sorted(set(manifest["subject"])) == ["0", "1"] and len(manifest) == 10
    info = read_shard_info(tmp_path / manifest["shard"][0])
    np.testing.assert_allclose(info["ch_pos"][0], raws[0].info["chs"][0]["loc"][:3])
    rerun = prepare(concat, tmp_path, Recipe(l_freq=None, h_freq=None, sfreq=None), verbose=False)
    assert rerun.equals(manifest)


def _export(raw, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    mne.export.export_raw(path, raw, fmt="edf", verbose="error")


def test_sleep_edf_config__offline_from_a_local_copy(tmp_path):
    # a simulated local copy in Sleep-EDF's layout: SC4ssN?-PSG.edf + SC4ssN?-Hypnogram.edf
    from eeg_ssl.workflow import load_config, run_prepare

    rng = np.random.default_rng(0)
    names = ["EEG Fpz-Cz", "EEG Pz-Oz", "EOG horizontal"]
    psg = mne.io.RawArray(rng.standard_normal((3, 300 * 100)) * 2e-5,
                          mne.create_info(names, 100.0, ["eeg", "eeg", "eog"]), verbose="error")  # fmt: skip
    _export(psg, tmp_path / "sleep" / "SC4011E0-PSG.edf")
    stages = ["Sleep stage W", "Sleep stage 1", "Sleep stage 2", "Sleep stage 3",
              "Sleep stage R"] * 2  # fmt: skip
    hyp = mne.io.RawArray(np.zeros((1, 300)), mne.create_info(["Marker"], 1.0, "misc"),
                          verbose="error")  # fmt: skip
    hyp.set_annotations(mne.Annotations(np.arange(10) * 30.0, [30.0] * 10, stages))
    _export(hyp, tmp_path / "sleep" / "SC4011EH-Hypnogram.edf")

    cfg = load_config(CONFIGS / "sleep_edf.yaml")["prepare"]
    cfg["dataset"] = dict(cfg["dataset"], path=str(tmp_path / "sleep"))
    cfg["n_jobs"] = 1
    manifest = run_prepare(cfg, tmp_path / "out", verbose=False)
    assert list(manifest["label"]) == ["W", "N1", "N2", "N3", "REM"] * 2  # 30 s epochs
    assert set(manifest["subject"]) == {"01"} and set(manifest["session"]) == {"1"}
    info = read_shard_info(tmp_path / "out" / manifest["shard"][0])
    assert info["ch_names"] == ["EEG Fpz-Cz", "EEG Pz-Oz"] and info["sfreq"] == 100.0


def test_tuh_config__offline_from_a_local_copy(tmp_path):
    # a simulated local copy in TUH's layout and channel naming ("EEG FP1-REF", old T3/T5)
    from eeg_ssl.workflow import load_config, run_prepare

    rng = np.random.default_rng(1)
    names = [f"EEG {ch}-REF" for ch in ("FP1 FP2 F3 F4 C3 C4 P3 P4 O1 O2 F7 F8 T3 T4 T5 T6 "
                                         "A1 A2 FZ CZ PZ").split()]  # fmt: skip
    for subject, session in (("aaaaaaab", "s001"), ("aaaaaaac", "s002")):
        raw = mne.io.RawArray(rng.standard_normal((len(names), 60 * 250)) * 2e-5,
                              mne.create_info(names, 250.0, "eeg"), verbose="error")  # fmt: skip
        _export(raw, tmp_path / "edf" / "01_tcp_ar" / subject / f"{subject}_{session}_t000.edf")

    cfg = load_config(CONFIGS / "tuh.yaml")["prepare"]
    cfg["dataset"] = dict(cfg["dataset"], path=str(tmp_path / "edf"))
    cfg["n_jobs"] = 1
    manifest = run_prepare(cfg, tmp_path / "out", verbose=False)
    assert set(manifest["subject"]) == {"aaaaaaab", "aaaaaaac"}
    assert set(manifest["session"]) == {"s001", "s002"} and set(manifest["run"]) == {"t000"}
    info = read_shard_info(tmp_path / "out" / manifest["shard"][0])
    assert len(info["ch_names"]) == 19 and info["sfreq"] == 128.0
    assert info["ch_mask"].all()  # every target channel measured: none interpolated


def test_moabb_config__offline_with_moabbs_fake_dataset(tmp_path):
    # MOABB's FakeDataset is generated locally: the config's whole path (braindecode's
    # MOABBDataset -> recordings -> annotation labels) runs without a download
    pytest.importorskip("moabb")
    from eeg_ssl.workflow import load_config, run_prepare

    cfg = load_config(CONFIGS / "moabb.yaml")["prepare"]
    fake = {"n_sessions": 1, "n_runs": 2, "duration": 40, "n_events": 8, "seed": 0,
            "channels": ["C3", "Cz", "C4", "Pz"], "annotations": True}  # fmt: skip
    cfg["dataset"] = dict(cfg["dataset"], dataset_name="FakeDataset", subject_ids=[1, 2],
                          dataset_kwargs=fake)  # fmt: skip
    cfg["n_jobs"] = 1
    manifest = run_prepare(cfg, tmp_path, verbose=False)
    assert set(manifest["subject"]) == {"1", "2"}
    assert manifest.groupby("subject")["run"].nunique().eq(2).all()
    info = read_shard_info(tmp_path / manifest["shard"][0])
    assert info["ch_names"] == ["C3", "Cz", "C4", "Pz"] and info["sfreq"] == 128.0
    # each window carries the trial annotation covering it, or none
    from braindecode.datasets import MOABBDataset

    source = MOABBDataset("FakeDataset", subject_ids=[1], dataset_kwargs=fake)
    annot = source.datasets[0].raw.annotations
    rows = manifest[(manifest["subject"] == "1") & (manifest["run"] == "0")]
    expected = [next((d for o, du, d in zip(annot.onset, annot.duration, annot.description)
                      if o <= start and start + 2.0 <= o + du), "")
                for start in rows["start_seconds"]]  # fmt: skip
    assert list(rows["label"]) == expected
    assert len(set(expected) - {""}) >= 2 and "" in expected  # labelled and unlabelled
