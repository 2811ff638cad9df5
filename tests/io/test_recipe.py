"""The recipe's filter/resample equal MNE's own, and the other steps do what they say."""

import mne
import numpy as np
import pytest

from eeg_ssl.io import Recipe, apply_recipe, preprocess
from eeg_ssl.io.filtering import fir_filter
from eeg_ssl.simulation import simulate_raw

# Stated tolerance: the "fast" engine equals MNE to float64 rounding.
RTOL = 1e-9


# Stated tolerance of resample_method="polyphase" against MNE's FFT resampling at the exact
# ratio (npad=0 where n_times * 128 / 160 is an integer), as fractions of the peak |signal|:
POLY_INTERIOR = 2e-3  # beyond 1 s from either end (measured 6e-4 on eegmmidb)
POLY_EDGES = 2e-2  # first/last second, different edge padding (measured 1e-2)


def _mne_reference(raw, l_freq, h_freq, sfreq, method="fft"):
    raw = raw.copy().load_data().pick("eeg").filter(l_freq, h_freq, verbose="error")
    return raw.resample(sfreq, method=method, verbose="error").get_data(units="uV")


@pytest.mark.parametrize("method", ["fft", "polyphase"])
@pytest.mark.parametrize("engine", ["mne", "fast"])
def test_preprocess__matches_mne_filter_resample(shared_data, engine, method):
    raw = mne.io.read_raw(shared_data / "eegmmidb/S001/S001R04.edf", verbose="error")
    expected = _mne_reference(raw, 0.5, 40.0, 128.0, method)
    out = preprocess(raw.copy(), Recipe(engine=engine, picks=("eeg",), resample_method=method))
    assert out.data.shape == expected.shape
    np.testing.assert_allclose(
        out.data, expected, rtol=0, atol=RTOL * np.abs(expected).max() + 1e-4
    )
    ulp = np.abs(out.data - expected.astype(np.float32)) / np.spacing(
        np.abs(expected).astype(np.float32)
    )
    assert ulp.max() <= 2  # within 2 float32 ulp of MNE


@pytest.mark.parametrize("name", ["S001/S001R04.edf", "S002/S002R01.edf"])
def test_resample_method__polyphase_within_stated_tolerance_of_fft(shared_data, name):
    raw = mne.io.read_raw(shared_data / "eegmmidb" / name, verbose="error")
    poly = preprocess(raw.copy(), Recipe(engine="fast", picks=("eeg",),
                                         resample_method="polyphase")).data  # fmt: skip
    filtered = raw.copy().load_data().pick("eeg").filter(0.5, 40.0, verbose="error")
    assert filtered.n_times * 4 % 5 == 0  # 160 -> 128 Hz: an exact FFT grid with npad=0
    exact = filtered.resample(128.0, npad=0, verbose="error").get_data(units="uV")
    peak, diff = np.abs(exact).max(), np.abs(poly - exact)
    assert diff[:, 128:-128].max() <= POLY_INTERIOR * peak
    assert diff.max() <= POLY_EDGES * peak
    assert diff.max() > 0  # they are different methods
    assert Recipe(resample_method="polyphase").hash() != Recipe().hash()


def test_fir_filter__equals_mne_at_non_integer_sfreq(shared_data):
    raw = mne.io.read_raw(next((shared_data / "ieeg/ecog").glob("*.edf")), verbose="error")
    data = raw.get_data(stop=5000)
    expected = mne.filter.filter_data(data, raw.info["sfreq"], 1.0, 100.0, verbose="error")
    np.testing.assert_allclose(fir_filter(data, raw.info["sfreq"], 1.0, 100.0), expected,
                               rtol=0, atol=RTOL * np.abs(expected).max())  # fmt: skip


def test_preprocess__reference_notch_and_units():
    raw = simulate_raw(1, duration=20.0, sfreq=200.0, random_state=0)
    ref = raw.copy().load_data().pick("eeg").set_eeg_reference("average", verbose="error")
    ref.notch_filter([50.0], verbose="error")
    out = preprocess(raw.copy(), Recipe(reference="average", notch=(50.0,), l_freq=None,
                                        h_freq=None, sfreq=None, units="mV"))  # fmt: skip
    np.testing.assert_allclose(out.data, ref.get_data(units="mV"), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(out.data.mean(axis=0), 0.0, atol=1e-6)


def test_preprocess__target_channels_zero_and_interpolate():
    raw = simulate_raw(1, duration=10.0, sfreq=128.0, random_state=0)
    target = tuple(raw.ch_names[:3]) + ("Oz",)
    raw.rename_channels(dict(zip(raw.ch_names, ["Fz", "Cz", "Pz", "C3", "C4", "P3", "P4", "O1"])))
    target = ("Fz", "Cz", "Pz", "O1", "Oz")
    zero = preprocess(raw.copy(), Recipe(channels=target, l_freq=None, h_freq=None, sfreq=None))
    assert zero.ch_names == list(target) and zero.measured.tolist() == [1, 1, 1, 1, 0]
    assert np.all(zero.data[4] == 0)
    interp = preprocess(raw.copy(), Recipe(channels=target, missing="interpolate", l_freq=None,
                                           h_freq=None, sfreq=None))  # fmt: skip
    assert np.abs(interp.data[4]).max() > 0 and interp.measured[4] == 0
    with pytest.raises(ValueError, match="lacks target channel"):
        preprocess(raw.copy(), Recipe(channels=target, missing="raise"))


def test_apply_recipe__returns_mne_object_with_new_sfreq():
    raw = simulate_raw(1, duration=10.0, sfreq=256.0, random_state=0)
    data, out = apply_recipe(raw, Recipe(sfreq=128.0, engine="fast"))
    assert out.info["sfreq"] == 128.0 and data.shape == (len(out.ch_names), out.n_times)


def test_recipe__rejects_bad_options():
    with pytest.raises(ValueError, match="engine"):
        Recipe(engine="fastest")
    with pytest.raises(ValueError, match="Did you mean 'polyphase'"):
        Recipe(resample_method="polyphas")
    with pytest.raises(ValueError, match="tmax"):
        Recipe(label_source="events")
    with pytest.raises(ValueError, match="Unknown recipe key"):
        Recipe.from_dict({"lfreq": 1})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(sfreq="abc"), "Invalid value for 'sfreq': expected a positive number; got 'abc'."),
        (dict(l_freq=40.0, h_freq=10.0), "'l_freq' (40 Hz) must be below 'h_freq' (10 Hz)"),
        (dict(sfreq=64.0, h_freq=40.0), "Nyquist frequency of the new rate"),
        (dict(window_seconds="2"), "Invalid value for 'window_seconds'"),
        (dict(picks=["eeg", 3]), "Invalid value for 'picks'"),
        (dict(label_map="rest"), "Invalid value for 'label_map'"),
    ],
)
def test_recipe__types_and_band_checked_in_one_place(kwargs, message):
    with pytest.raises(ValueError) as info:
        Recipe(**kwargs)
    assert message in str(info.value)


def test_recipe__valid_edges_and_none_are_accepted():
    Recipe(sfreq=64.0, l_freq=1.0, h_freq=31.9)
    Recipe(sfreq=None, l_freq=None, h_freq=None, clip=None, stride_seconds=None)
    Recipe(l_freq=0.5, h_freq=None, sfreq=128)  # high-pass only, int rate


def test_preprocess__band_edge_above_the_recordings_nyquist_names_it():
    """Without a recipe 'sfreq' the Nyquist frequency is the recording's."""
    raw = simulate_raw(1, duration=10.0, sfreq=128.0, random_state=0)
    with pytest.raises(ValueError, match=r"'rec\.edf' is sampled at 128 Hz.*64 Hz"):
        preprocess(raw, Recipe(sfreq=None, h_freq=70.0), source="rec.edf")
