"""File-level helpers of eeg_ssl.io.read."""

from __future__ import annotations

import functools
import hashlib
import importlib

import edfio
import mne
import numpy as np
import pytest

from eeg_ssl.io import Recipe
from eeg_ssl.io.prepare import prepare_recording
from eeg_ssl.io.read import RawEDFLean, file_sha256, read_edf_lean, read_raw

sources = importlib.import_module("eeg_ssl.io.sources")


@pytest.mark.parametrize("file_digest", [True, False])
@pytest.mark.parametrize("size", [0, 5, (1 << 20) + 3])
def test_file_sha256__equals_hashlib_on_the_bytes(tmp_path, monkeypatch, file_digest, size):
    if not file_digest:  # the Python < 3.11 path: read in blocks
        monkeypatch.delattr(hashlib, "file_digest", raising=False)
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
    assert file_sha256(path, chunk_size=7) == hashlib.sha256(data).hexdigest()


# The lean EDF reader against MNE's (the reference): same channels, samples, annotations.
_REAL_EDF = [("eegmmidb", "S001/S001R04.edf"), ("eegmmidb", "S002/S002R01.edf"),
             ("eegmat", "Subject00_1.edf"), ("eegmat", "Subject03_2.edf")]  # fmt: skip


def _assert_same_recording(lean, ref):
    assert isinstance(lean, RawEDFLean)
    assert lean.ch_names == ref.ch_names
    assert lean.get_channel_types() == ref.get_channel_types()
    assert lean.info["sfreq"] == ref.info["sfreq"]
    assert lean.info["meas_date"] == ref.info["meas_date"]
    assert [str(f) for f in lean.filenames] == [str(f) for f in ref.filenames]
    np.testing.assert_array_equal(lean.annotations.onset, ref.annotations.onset)
    np.testing.assert_array_equal(lean.annotations.duration, ref.annotations.duration)
    assert list(lean.annotations.description) == list(ref.annotations.description)
    data, expected = lean.get_data(), ref.get_data()
    assert data.shape == expected.shape
    # float64 samples in volts; float32 rounding of the peak is the tolerance
    np.testing.assert_allclose(data, expected, rtol=0, atol=np.abs(expected).max() * 2.0**-24)


@pytest.mark.parametrize(("dataset", "name"), _REAL_EDF)
def test_read_edf_lean__equals_mnes_reader_on_real_edf(shared_data, dataset, name):
    path = shared_data / dataset / name
    ref = mne.io.read_raw_edf(path, preload=True, verbose="error")
    _assert_same_recording(read_edf_lean(path), ref)
    _assert_same_recording(read_raw(path), ref)  # the default reader of .edf files
    assert not isinstance(read_raw(path, lean=False), RawEDFLean)


def test_read_edf_lean__equals_mnes_reader_on_sample_data(sample_dir):
    path = sorted(sample_dir.glob("*.edf"))[0]
    _assert_same_recording(read_edf_lean(path), mne.io.read_raw_edf(path, verbose="error"))


@pytest.mark.parametrize(("dataset", "name"), _REAL_EDF[::2])
def test_prepare_recording__lean_reader_gives_mnes_windows(shared_data, monkeypatch, dataset,
                                                           name):  # fmt: skip
    path = shared_data / dataset / name
    for engine in ("fused", "mne"):
        recipe = Recipe(picks=("eeg",), engine=engine, label_source="annotations")
        windows, meta = prepare_recording(path, recipe)
        with monkeypatch.context() as patch:
            patch.setattr(sources, "read_raw", functools.partial(read_raw, lean=False))
            ref_windows, ref_meta = prepare_recording(path, recipe)
        assert windows.shape == ref_windows.shape
        peak = np.abs(ref_windows).max()
        np.testing.assert_allclose(windows, ref_windows, rtol=0, atol=peak * 2.0**-23)
        for key in ("starts", "labels", "ch_names", "ch_types", "sfreq"):
            np.testing.assert_array_equal(meta[key], ref_meta[key])


def _write_edf(path, labels, sfreqs, unit="uV"):
    rng = np.random.default_rng(0)
    signals = [edfio.EdfSignal(50 * rng.standard_normal(int(10 * sf)), sampling_frequency=sf,
                               label=label, physical_dimension=unit)
               for label, sf in zip(labels, sfreqs)]  # fmt: skip
    edfio.Edf(signals).write(path)
    return path


@pytest.mark.parametrize(
    ("labels", "sfreqs", "unit"),
    [
        (["Fz", "Cz"], [128, 128], "uV"),  # plain: read
        (["Fz", "Status"], [128, 128], "uV"),  # MNE makes 'Status' a stim channel
        (["Fz", "Cz"], [128, 64], "uV"),  # two rates: MNE resamples the slower one
        (["Fz", "Cz"], [128, 128], "degC"),  # a unit MNE does not scale as a voltage
    ],
)
def test_read_edf_lean__reads_only_what_it_reproduces(tmp_path, labels, sfreqs, unit):
    path = _write_edf(tmp_path / "rec.edf", labels, sfreqs, unit)
    lean = read_edf_lean(path)
    plain = labels == ["Fz", "Cz"] and sfreqs == [128, 128] and unit == "uV"
    assert (lean is not None) == plain
    if plain:
        _assert_same_recording(lean, mne.io.read_raw_edf(path, verbose="error"))
    # whichever reader, read_raw gives MNE's channels and samples
    ref = mne.io.read_raw_edf(path, preload=True, verbose="error")
    raw = read_raw(path)
    assert raw.ch_names == ref.ch_names
    np.testing.assert_allclose(raw.get_data(), ref.get_data(), rtol=0, atol=1e-12)


def test_read_edf_lean__declines_a_truncated_file(tmp_path):
    path = _write_edf(tmp_path / "rec.edf", ["Fz", "Cz"], [128, 128])
    path.write_bytes(path.read_bytes()[:-100])
    assert read_edf_lean(path) is None  # MNE's reader names the truncation (test_bad_input)


def test_read_edf_lean__reads_any_span_and_channels_on_demand(shared_data):
    path = shared_data / "eegmmidb/S001/S001R04.edf"
    lean = read_edf_lean(path)
    ref = mne.io.read_raw_edf(path, preload=True, verbose="error")
    assert not lean.preload
    for picks, start, stop in (([3, 1], 37, 1000), ([0], 159, 161), (None, 19_990, None)):
        np.testing.assert_array_equal(lean.get_data(picks, start, stop),
                                      ref.get_data(picks, start, stop))  # fmt: skip
    # with an active projector (MNE passes the projection matrix to the reader)
    for raw in (lean, ref):
        raw.set_eeg_reference("average", projection=True, verbose="error")
        raw.apply_proj(verbose="error")
    assert not lean.preload
    np.testing.assert_allclose(lean.get_data(start=100, stop=900),
                               ref.get_data(start=100, stop=900), rtol=0, atol=1e-12)  # fmt: skip
    lean.load_data()
    np.testing.assert_allclose(lean.get_data(), ref.get_data(), rtol=0, atol=1e-12)
