"""The fused band-pass + resampling engine: stated tolerance against MNE, exact output grid."""

import mne
import numpy as np
import pytest

from eeg_ssl.io import Recipe, preprocess
from eeg_ssl.io.filtering import fir_filter, fused_filter_resample, mne_fir, reflect_limited_pad
from eeg_ssl.io.read import read_raw

# Stated tolerance of engine="fused" against MNE's Raw.filter then Raw.resample at the
# exact ratio (npad=0 where n_times * 128 / 160 is an integer), as fractions of the peak
# |signal| (docs/data.md):
FUSED_INTERIOR = 1e-4  # beyond 1 s from either end (measured 3e-6 to 5e-6 on eegmmidb)
FUSED_EDGES = 2e-2  # first/last second, where MNE pads the filtered signal (measured 1e-2)


@pytest.mark.parametrize("name", ["S001/S001R04.edf", "S002/S002R01.edf"])
def test_fused__within_stated_tolerance_of_mne_at_the_exact_ratio(shared_data, name):
    raw = mne.io.read_raw(shared_data / "eegmmidb" / name, verbose="error")
    assert Recipe().engine == "fused"  # the default recipe: what this test holds to MNE
    fused = preprocess(raw.copy(), Recipe(picks=("eeg",))).data
    filtered = raw.copy().load_data().pick("eeg").filter(0.5, 40.0, verbose="error")
    assert filtered.n_times * 4 % 5 == 0  # 160 -> 128 Hz: an exact FFT grid with npad=0
    exact = filtered.resample(128.0, npad=0, verbose="error").get_data(units="uV")
    assert fused.shape == exact.shape
    peak, diff = np.abs(exact).max(), np.abs(fused - exact)
    assert diff[:, 128:-128].max() <= FUSED_INTERIOR * peak
    assert diff.max() <= FUSED_EDGES * peak
    assert Recipe(engine="fused").hash() != Recipe(engine="fast").hash()


@pytest.mark.parametrize(("dataset", "name"), [("eegmmidb", "S003/S003R02.edf"),
                                              ("eegmat", "Subject01_1.edf")])  # fmt: skip
def test_default_recipe__within_stated_tolerance_of_mne_read_by_the_lean_reader(
    shared_data, dataset, name
):
    # what `eeg-ssl prepare` does by default (lean EDF reader, fused engine) against MNE's
    # reader, Raw.filter and Raw.resample at the exact ratio, on real EDF files
    path = shared_data / dataset / name
    sfreq = mne.io.read_raw(path, verbose="error").info["sfreq"]
    raw = read_raw(path)
    assert type(raw).__name__ == "RawEDFLean"
    new_sfreq = 128.0
    out = preprocess(raw, Recipe(picks=("eeg",)))  # 0.5-40 Hz, 128 Hz
    ref = mne.io.read_raw_edf(path, preload=True, verbose="error").pick("eeg")
    ref.filter(0.5, 40.0, verbose="error")
    assert (ref.n_times * new_sfreq / sfreq).is_integer()  # an exact grid with npad=0
    exact = ref.resample(new_sfreq, npad=0, verbose="error").get_data(units="uV")
    assert out.data.shape == exact.shape
    peak, diff = np.abs(exact).max(), np.abs(out.data - exact)
    edge = int(new_sfreq)
    assert diff[:, edge:-edge].max() <= FUSED_INTERIOR * peak
    assert diff.max() <= FUSED_EDGES * peak


@pytest.mark.parametrize(
    ("sfreq", "new_sfreq"), [(160.0, 128.0), (500.0, 128.0), (256.0, 128.0), (100.0, 128.0)]
)
def test_fused__samples_sit_exactly_on_the_new_grid(sfreq, new_sfreq):
    # a 7 Hz sine is in the pass band: the output is the same sine sampled at k / new_sfreq
    n_times = int(30 * sfreq) + 3  # not a multiple of the ratio's denominator
    t = np.arange(n_times) / sfreq
    x = np.stack([np.sin(2 * np.pi * 7.0 * t + 0.3), np.cos(2 * np.pi * 11.0 * t)])
    out = fused_filter_resample(x, sfreq, 1.0, 30.0, new_sfreq)
    assert out.shape == (2, round(n_times * new_sfreq / sfreq))
    tn = np.arange(out.shape[1]) / new_sfreq
    expected = np.stack([np.sin(2 * np.pi * 7.0 * tn + 0.3), np.cos(2 * np.pi * 11.0 * tn)])
    inner = slice(int(2 * new_sfreq), -int(2 * new_sfreq))  # away from the edge transients
    np.testing.assert_allclose(out[:, inner], expected[:, inner], atol=5e-3)


def test_fused__gain_scales_signal_and_offset_alike():
    # microvolts from volts: the gain is folded into the filter, the DC offset included
    x = 1e-5 * np.random.default_rng(2).standard_normal((3, 4000)) + 2e-3
    out = fused_filter_resample(x, 160.0, 0.5, 40.0, 128.0)
    scaled = fused_filter_resample(x, 160.0, 0.5, 40.0, 128.0, gain=1e6)
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(scaled, 1e6 * out.astype(np.float64), rtol=1e-5,
                               atol=1e-5 * np.abs(1e6 * out).max())  # fmt: skip


def test_fused__declines_what_it_cannot_do_exactly():
    x = np.random.default_rng(0).standard_normal((2, 20_000))
    assert fused_filter_resample(x, 999.41, 1.0, 40.0, 128.0) is None  # no small-ratio grid
    assert fused_filter_resample(x, 160.0, 0.5, None, 128.0) is None  # no low-pass
    assert fused_filter_resample(x, 160.0, 0.5, 60.0, 128.0) is None  # low-pass above 64 Hz
    assert fused_filter_resample(x[:, :100], 160.0, 0.5, 40.0, 128.0) is None  # too short


def test_preprocess__fused_falls_back_to_fast_when_it_does_not_apply(shared_data):
    raw = mne.io.read_raw(shared_data / "eegmmidb/S001/S001R04.edf", verbose="error")
    for params in ({"resample_method": "polyphase"}, {"l_freq": 1.0, "h_freq": None}):
        fused = preprocess(raw.copy(), Recipe(engine="fused", picks=("eeg",), **params)).data
        fast = preprocess(raw.copy(), Recipe(engine="fast", picks=("eeg",), **params)).data
        np.testing.assert_array_equal(fused, fast)


def test_fused__large_dc_offsets_keep_float32_digits(shared_data):
    # DC-coupled amplifiers record offsets far above the signal; the float32 FFTs run
    # around the channel means, so the offset costs no precision (a plain float32 FFT of
    # this input is off by 1.7e-4 of the output's peak, above the stated tolerance)
    raw = mne.io.read_raw(shared_data / "eegmmidb/S001/S001R04.edf", verbose="error")
    raw = raw.load_data().pick("eeg")
    offsets = np.linspace(-0.3, 0.3, len(raw.ch_names))[:, None]  # 500 x the peak
    raw._data += offsets
    fused = fused_filter_resample(raw.get_data(), raw.info["sfreq"], 0.5, 40.0, 128.0)
    assert fused.dtype == np.float32
    exact = raw.filter(0.5, 40.0, verbose="error").resample(128.0, npad=0, verbose="error")
    exact = exact.get_data()
    peak, diff = np.abs(exact).max(), np.abs(fused - exact)
    assert diff[:, 128:-128].max() <= FUSED_INTERIOR * peak


def test_reflect_limited_pad__offset_and_dtype():
    x = np.arange(12.0).reshape(2, 6) ** 2 + 1e6
    offset = x.mean(axis=1, keepdims=True)
    padded = reflect_limited_pad(x, 3, 2, length=14, offset=offset, dtype=np.float32)
    assert padded.dtype == np.float32
    np.testing.assert_allclose(padded, reflect_limited_pad(x - offset, 3, 2, length=14))


def test_reflect_limited_pad__length_adds_trailing_zeros():
    x = np.arange(12.0).reshape(2, 6) ** 2
    padded = reflect_limited_pad(x, 3, 2)
    np.testing.assert_array_equal(padded[:, 3:9], x)
    np.testing.assert_array_equal(padded[:, :3], 2 * x[:, :1] - x[:, 3:0:-1])
    np.testing.assert_array_equal(padded[:, 9:], 2 * x[:, -1:] - x[:, -2:-4:-1])
    longer = reflect_limited_pad(x, 3, 2, length=20)
    np.testing.assert_array_equal(longer[:, :11], padded)
    assert not longer[:, 11:].any()
    # a pad longer than the signal reflects what there is, then zeros (as MNE)
    far = reflect_limited_pad(x, 8, 0)
    assert not far[:, :3].any()
    np.testing.assert_array_equal(far[:, 3:8], 2 * x[:, :1] - x[:, 5:0:-1])


@pytest.mark.parametrize(("n_left", "n_right", "extra"), [(0, 0, 5), (3, 2, 0), (8, 0, 4),
                                                         (0, 9, 3), (7, 7, 0), (2, 12, 6)])  # fmt: skip
def test_reflect_limited_pad__writes_every_sample_on_reused_memory(n_left, n_right, extra):
    # the result is allocated uninitialised: memory freed just before, full of NaN, must
    # not show through (the reference pads into zeros, sample by sample)
    x = np.random.default_rng(1).standard_normal((3, 6))
    total = n_left + 6 + n_right + extra
    ref = np.zeros((3, total))
    for i in range(n_left):
        if n_left - i <= 5:  # reflected (at most n_times - 1 samples); further out 0
            ref[:, i] = 2 * x[:, 0] - x[:, n_left - i]
    ref[:, n_left : n_left + 6] = x
    for i in range(n_right):
        if i + 1 <= 5:
            ref[:, n_left + 6 + i] = 2 * x[:, -1] - x[:, -2 - i]
    for _ in range(5):
        np.full((3, total), np.nan)  # freed at once; its block is the next one handed out
        padded = reflect_limited_pad(x, n_left, n_right, length=total)
        np.testing.assert_array_equal(padded, ref)


def test_mne_fir__is_mnes_design_and_read_only():
    h = mne_fir(160.0, 0.5, 40.0)
    expected = mne.filter.create_filter(np.zeros((1, 5000)), 160.0, 0.5, 40.0, verbose="error")
    np.testing.assert_array_equal(h, expected)
    with pytest.raises(ValueError):
        h[0] = 1.0


@pytest.mark.parametrize(("sfreq", "l_freq", "h_freq"), [(160.0, 0.5, 40.0), (999.41, 1.0, 100.0)])
@pytest.mark.parametrize("length", [0.3, 1.0, 3.0])  # in filter lengths
def test_fir_filter__equals_mne_also_shorter_than_the_filter(sfreq, l_freq, h_freq, length):
    # the FFTs pad half a filter length per side, MNE a whole one: same samples
    n_times = int(length * len(mne_fir(sfreq, l_freq, h_freq)))
    x = np.random.default_rng(0).standard_normal((3, n_times))
    expected = mne.filter.filter_data(x, sfreq, l_freq, h_freq, verbose="error")
    out = fir_filter(x, sfreq, l_freq, h_freq)
    assert np.abs(out - expected).max() <= 1e-9 * np.abs(expected).max()
