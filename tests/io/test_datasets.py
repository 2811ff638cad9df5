"""Public dataset configs (pipelines/datasets), BIDS folders and braindecode input."""

from pathlib import Path

import mne
import numpy as np
import pytest

from eeg_ssl.io import Recipe, bids_recordings, prepare, read_shard_info
from eeg_ssl.io.datasets import dataset_recordings, eegbci_recordings
from eeg_ssl.simulation import simulate_raw

CONFIGS = Path(__file__).resolve().parents[2] / "pipelines" / "datasets"


def test_dataset_configs__all_parse():
    from pipelines.workflow import load_config

    for path in sorted(CONFIGS.glob("*.yaml")):
        config = load_config(path)
        Recipe.from_dict(config["prepare"]["recipe"])


def test_eegmmidb_config__offline_from_local_copy(shared_data, tmp_path):
    from pipelines.workflow import load_config, run_prepare

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
