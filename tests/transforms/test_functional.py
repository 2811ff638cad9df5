"""Pure batched augmentations: shapes, probability 0, seeding, resampling frequencies."""

import math

import pytest
import torch

from eeg_ssl.transforms import functional as F


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _batch(seed=0, shape=(6, 4, 128)):
    return torch.randn(*shape, generator=_gen(seed))


def _sine(cycles, n_times=512, batch=3, n_chans=2):
    t = torch.arange(n_times, dtype=torch.float64)
    x = torch.sin(2 * math.pi * cycles * t / n_times)
    return x.expand(batch, n_chans, n_times).clone()


def _peak_bin(X):
    """Index of the largest rFFT magnitude of each (window, channel), (B, C)."""
    return torch.fft.rfft(X - X.mean(-1, keepdim=True), dim=-1).abs().argmax(-1)


RANDOM_OPS = {
    "resample": lambda X, p, g: F.resample(X, (0.5, 2.0), p, g),
    "time_mask": lambda X, p, g: F.time_mask(X, 20, p, g),
    "channel_dropout": lambda X, p, g: F.channel_dropout(X, 0.5, p, g),
    "gaussian_noise": lambda X, p, g: F.gaussian_noise(X, 0.5, p, g),
    "amplitude_scale": lambda X, p, g: F.amplitude_scale(X, (0.5, 2.0), p, g),
}


@pytest.mark.parametrize("name", sorted(RANDOM_OPS))
def test_functional__shape_preserved_and_changes_data(name):
    X = _batch()
    out = RANDOM_OPS[name](X, 1.0, _gen(1))
    assert out.shape == X.shape and out.dtype == X.dtype
    assert not torch.allclose(out, X)


@pytest.mark.parametrize("name", sorted(RANDOM_OPS))
def test_functional__probability_zero_is_identity(name):
    X = _batch()
    torch.testing.assert_close(RANDOM_OPS[name](X, 0.0, _gen(1)), X, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", sorted(RANDOM_OPS))
def test_functional__same_seed_same_output(name):
    X = _batch()
    a, b = RANDOM_OPS[name](X, 0.7, _gen(5)), RANDOM_OPS[name](X, 0.7, _gen(5))
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    c = RANDOM_OPS[name](X, 0.7, _gen(6))
    assert not torch.equal(a, c)


@pytest.mark.parametrize("rate", [0.5, 0.8, 1.25, 2.0])
def test_resample__keeps_length_and_divides_frequency_by_rate(rate):
    cycles = 32  # per 512-sample window
    X = _sine(cycles)
    out = F.resample(X, (rate, rate), 1.0, _gen(0))
    assert out.shape == X.shape
    expected = cycles / rate
    assert (_peak_bin(out).double() - expected).abs().max() <= 1.0


def test_resample__rate_one_is_identity_and_output_length():
    X = _batch()
    torch.testing.assert_close(F.resample(X, (1.0, 1.0), 1.0, _gen(0)), X)
    out = F.resample(_sine(16), (2.0, 2.0), 1.0, _gen(0), output_length=256)
    assert out.shape == (3, 2, 256)
    assert _peak_bin(out).unique().tolist() == [4]  # 16 / 512 cycles per sample, halved, x 256


def test_resample__downsampled_windows_have_no_step_at_the_edge():
    X = _sine(4.3)  # not a whole number of cycles: wrapping or zero-padding would jump
    out = F.resample(X, (0.5, 0.5), 1.0, _gen(0))
    max_jump = out.diff(dim=-1).abs().max()
    assert max_jump <= 2 * X.diff(dim=-1).abs().max() / 0.5  # mirror extension is continuous


def test_resample__same_rate_for_all_channels_of_a_window():
    X = _sine(32, n_chans=4)
    out = F.resample(X, (0.5, 2.0), 1.0, _gen(3))
    torch.testing.assert_close(out, out[:, :1].expand_as(out))


def test_time_mask__zeros_one_stretch():
    X = torch.ones(4, 2, 200)
    out = F.time_mask(X, 50, 1.0, _gen(0))
    near_zero = (out < 0.01).sum(-1)  # per window and channel
    assert ((near_zero >= 45) & (near_zero <= 55)).all()
    torch.testing.assert_close(out[:, 0], out[:, 1])  # the same stretch on every channel


def test_channel_dropout__drops_about_p_drop_channels():
    X = torch.ones(64, 32, 10)
    out = F.channel_dropout(X, 0.25, 1.0, _gen(0))
    per_channel = out[..., 0]
    assert ((per_channel < 0.05) | (per_channel > 0.95)).float().mean() > 0.99
    assert 0.2 < (per_channel < 0.5).float().mean() < 0.3
    torch.testing.assert_close(out, out[..., :1].expand_as(out))  # whole channels


def test_functional__bad_arguments():
    X = _batch()
    with pytest.raises(ValueError, match="'rate_range'.*got \\(0.0, 2.0\\)"):
        F.resample(X, (0.0, 2.0), 1.0, _gen())
    with pytest.raises(ValueError, match="'mask_length' must be in \\[1, 127\\]"):
        F.time_mask(X, 128, 1.0, _gen())
    with pytest.raises(ValueError, match="'p_drop' must be in \\[0, 1\\]"):
        F.channel_dropout(X, 1.5, 1.0, _gen())
    with pytest.raises(ValueError, match="'output_length'"):
        F.time_crop(X, 200, _gen())
