"""Bad input gives a clear error, or a recorded skip under on_error='warn'."""

import json

import mne
import numpy as np
import pytest

from eeg_ssl.io import Recipe, prepare, read_record
from eeg_ssl.simulation import simulate_raw

FAST = dict(l_freq=None, h_freq=None, sfreq=None)


def _edf(path, raw):
    mne.export.export_raw(path, raw, fmt="edf", overwrite=True, verbose="error")
    return path


def test_prepare__truncated_edf(shared_data, tmp_path):
    src = (shared_data / "eegmmidb/S001/S001R01.edf").read_bytes()
    bad = tmp_path / "trunc.edf"
    bad.write_bytes(src[: len(src) // 3])
    with pytest.raises(ValueError, match="trunc.edf"):
        prepare(bad, tmp_path / "out", verbose=False)


@pytest.mark.parametrize("engine", ["fused", "mne"])
def test_prepare__truncated_fif_samples_name_the_file(tmp_path, engine):
    # FIF's header reads fine; the missing samples surface only when they are read,
    # which the fast engines do without preloading
    raw = simulate_raw(sfreq=256.0, duration=30.0, random_state=0)
    raw.save(tmp_path / "whole_raw.fif", verbose="error")
    src = (tmp_path / "whole_raw.fif").read_bytes()
    (tmp_path / "cut_raw.fif").write_bytes(src[: len(src) // 2])
    recipe = Recipe(engine=engine, l_freq=1.0, h_freq=40.0, sfreq=128.0)
    with pytest.raises(ValueError, match=r"cut_raw\.fif.*truncated or corrupt"):
        prepare(tmp_path / "cut_raw.fif", tmp_path / "out", recipe, verbose=False)
    with pytest.warns(UserWarning, match="cut_raw.fif"):
        prepare(tmp_path / "cut_raw.fif", tmp_path / "out2", recipe, on_error="warn",
                verbose=False)  # fmt: skip
    assert read_record(tmp_path / "out2")["recordings"][0]["status"] == "skipped"


def test_prepare__corrupt_file_skipped_and_recorded(shared_data, tmp_path):
    bad = tmp_path / "junk.edf"
    bad.write_bytes(b"not an edf at all" * 10)
    good = shared_data / "eegmmidb/S001/S001R01.edf"
    with pytest.warns(UserWarning, match="junk.edf"):
        manifest = prepare([bad, good], tmp_path / "out", on_error="warn", verbose=False)
    record = read_record(tmp_path / "out")
    skipped = [r for r in record["recordings"] if r["status"] == "skipped"]
    assert len(skipped) == 1 and "junk.edf" in skipped[0]["source"] and skipped[0]["reason"]
    assert manifest["shard"].nunique() == 1
    json.dumps(record)


def test_prepare__unknown_extension(tmp_path):
    path = tmp_path / "rec.xyz"
    path.write_text("1 2 3")
    with pytest.raises(ValueError, match="unknown extension '.xyz'"):
        prepare(path, tmp_path / "out", verbose=False)


@pytest.mark.parametrize(("value", "where"), [(np.nan, slice(100, 110)), (np.inf, slice(5, 6)),
                                             (-np.inf, slice(0, 3)), (np.inf, slice(None))])  # fmt: skip
def test_prepare__nan_or_inf_samples(tmp_path, value, where):
    raw = simulate_raw(1, duration=10.0, sfreq=128.0, random_state=0)
    raw._data[2, where] = value  # test fixture: inject NaN/Inf into an in-memory recording
    path = tmp_path / "nan.fif"
    raw.save(path, verbose="error")
    with pytest.raises(ValueError, match=r"NaN or Inf samples in channel\(s\) \['[^']+'\]"):
        prepare(path, tmp_path / "out", Recipe(**FAST), verbose=False)


def test_prepare__flat_channel_masked_or_raised(tmp_path):
    raw = simulate_raw(1, duration=10.0, sfreq=128.0, random_state=0)
    raw._data[3] = 0.0  # test fixture: a disconnected electrode
    path = tmp_path / "flat_raw.fif"
    raw.save(path, verbose="error")
    manifest = prepare(path, tmp_path / "out", Recipe(**FAST), verbose=False)
    assert all(mask[3] == "0" and mask.count("0") == 1 for mask in manifest["ch_mask"])
    with pytest.raises(ValueError, match="flat"):
        prepare(path, tmp_path / "out2", Recipe(flat="raise", **FAST), verbose=False)


def test_prepare__shorter_than_window(tmp_path):
    raw = simulate_raw(1, duration=1.0, sfreq=128.0, random_state=0)
    path = _edf(tmp_path / "short.edf", raw)
    with pytest.raises(ValueError, match="shorter than one window"):
        prepare(path, tmp_path / "out", Recipe(**FAST), verbose=False)


def test_prepare__mixed_sampling_rates(tmp_path):
    a = _edf(tmp_path / "a.edf", simulate_raw(1, duration=10.0, sfreq=128.0, random_state=0))
    b = _edf(tmp_path / "b.edf", simulate_raw(2, duration=10.0, sfreq=256.0, random_state=0))
    with pytest.raises(ValueError, match="mixed sampling rates"):
        prepare([a, b], tmp_path / "out", Recipe(**FAST), verbose=False)
    with pytest.warns(UserWarning, match="mixed sampling rates"):
        manifest = prepare(
            [a, b], tmp_path / "out2", Recipe(**FAST), on_error="warn", verbose=False
        )
    assert manifest["shard"].nunique() == 1
    resampled = prepare([a, b], tmp_path / "out3", Recipe(l_freq=None, h_freq=None, sfreq=128.0),
                        verbose=False)  # fmt: skip
    assert resampled["shard"].nunique() == 2


def test_prepare__missing_channels(tmp_path):
    raw = simulate_raw(1, duration=10.0, sfreq=128.0, random_state=0)
    path = _edf(tmp_path / "few.edf", raw)
    recipe = Recipe(channels=(raw.ch_names[0], "Iz"), missing="raise", **FAST)
    with pytest.raises(ValueError, match="lacks target channel"):
        prepare(path, tmp_path / "out", recipe, verbose=False)
    manifest = prepare(path, tmp_path / "out2", Recipe(channels=(raw.ch_names[0], "Iz"), **FAST),
                       verbose=False)  # fmt: skip
    assert set(manifest["ch_mask"]) == {"10"}


def test_prepare__arff_without_sfreq(shared_data, tmp_path):
    with pytest.raises(ValueError, match="sampling rate"):
        prepare(shared_data / "eye_state/eeg_eye_state.arff", tmp_path, verbose=False)
