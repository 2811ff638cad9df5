"""Augmentation classes, composition, RNG state, braindecode adapter, view recipes."""

import warnings

import numpy as np
import pytest
import torch

from eeg_ssl.transforms import (
    AmplitudeScale,
    BraindecodeTransform,
    ChannelDropout,
    Compose,
    GaussianNoise,
    MultiView,
    Resample,
    TimeCrop,
    TimeMask,
    contrastive_views,
    invariance_views,
    resampling_views,
)
from eeg_ssl.transforms.transforms import generator_states, set_generator_states

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=FutureWarning)
    from braindecode.augmentation import ChannelsDropout, FTSurrogate, SmoothTimeMask


def _batch(seed=0, shape=(8, 4, 128)):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


FACTORIES = {
    "resample": lambda p, s: Resample((0.5, 2.0), probability=p, random_state=s),
    "time_mask": lambda p, s: TimeMask(16, probability=p, random_state=s),
    "channel_dropout": lambda p, s: ChannelDropout(0.5, probability=p, random_state=s),
    "gaussian_noise": lambda p, s: GaussianNoise(0.3, probability=p, random_state=s),
    "amplitude_scale": lambda p, s: AmplitudeScale((0.5, 2.0), probability=p, random_state=s),
    "ft_surrogate": lambda p, s: BraindecodeTransform(FTSurrogate(p, random_state=s)),
    "smooth_time_mask": lambda p, s: BraindecodeTransform(SmoothTimeMask(p, 16, random_state=s)),
    "channels_dropout": lambda p, s: BraindecodeTransform(ChannelsDropout(p, 0.5, random_state=s)),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_transform__shape_kept_and_probability_zero_identity(name):
    X = _batch()
    out = FACTORIES[name](1.0, 0)(X)
    assert out.shape == X.shape and out.dtype == X.dtype
    assert not torch.allclose(out, X)
    torch.testing.assert_close(FACTORIES[name](0.0, 0)(X), X, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_transform__same_seed_same_output_and_stream_advances(name):
    X = _batch()
    a, b = FACTORIES[name](0.8, 3), FACTORIES[name](0.8, 3)
    first = a(X)
    torch.testing.assert_close(first, b(X), rtol=0, atol=0)
    assert not torch.equal(first, a(X))  # the next call draws new parameters


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_transform__rng_state_round_trip(name):
    X = _batch()
    transform = FACTORIES[name](0.8, 4)
    transform(X)
    state = transform.get_rng_state()
    expected = transform(X)
    transform(X)
    transform.set_rng_state(state)
    torch.testing.assert_close(transform(X), expected, rtol=0, atol=0)


def test_compose__mixes_ours_and_braindecode_and_resumes():
    view = Compose([
        Resample((0.8, 1.25), probability=0.5, random_state=0),
        BraindecodeTransform(FTSurrogate(0.5, random_state=1)),
        GaussianNoise(0.1, 0.8, random_state=2),
    ])  # fmt: skip
    X = _batch()
    states = generator_states(view)
    assert len(states) == 3
    first = view(X)
    set_generator_states(view, states)
    torch.testing.assert_close(view(X), first, rtol=0, atol=0)


def test_braindecode_transform__keeps_dtype_and_rejects_others():
    X = _batch().double()
    out = BraindecodeTransform(FTSurrogate(1.0, random_state=0))(X)
    assert out.dtype == torch.float64
    with pytest.raises(TypeError, match="braindecode.augmentation Transform"):
        BraindecodeTransform(GaussianNoise())


def test_braindecode_transform__without_seed_leaves_numpy_global_rng_alone():
    state = np.random.get_state()[1].copy()  # noqa: NPY002 (the global RNG is the subject)
    BraindecodeTransform(FTSurrogate(1.0))(_batch())
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002


@pytest.mark.parametrize(
    "recipe",
    [
        invariance_views,
        resampling_views,
        contrastive_views,
        lambda n, **kw: contrastive_views(n, phase_probability=0.5, **kw),
    ],
    ids=["invariance", "resampling", "contrastive", "contrastive_phase"],
)
def test_views__length_count_and_seeding(recipe):
    X = _batch(shape=(8, 4, 200))
    views = recipe(200, n_views=3, random_state=0)
    out = views(X)
    assert isinstance(views, MultiView) and len(out) == 3
    assert all(v.shape == X.shape for v in out)
    assert not torch.allclose(out[0], out[1])
    again = recipe(200, n_views=3, random_state=0)(X)
    for a, b in zip(out, again):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_contrastive_views__phase_surrogate_keeps_spectra_and_cross_spectra():
    # no crop, noise or scaling: a view is the surrogate alone
    X = _batch(shape=(6, 5, 128)).double()
    views = contrastive_views(
        128, crop_fraction=1.0, noise_std=0.0, scale_range=(1.0, 1.0), phase_probability=1.0,
        random_state=0,
    )  # fmt: skip
    f_x = torch.fft.rfft(X, dim=-1)
    for view in views(X.float()):
        f_v = torch.fft.rfft(view.double(), dim=-1)
        torch.testing.assert_close(f_v.abs(), f_x.abs(), rtol=1e-4, atol=1e-4)
        cross_x = f_x[:, :, None] * f_x[:, None].conj()  # (B, C, C, F) cross-spectra
        cross_v = f_v[:, :, None] * f_v[:, None].conj()
        torch.testing.assert_close(cross_v, cross_x, rtol=1e-3, atol=1e-3)
        assert (view.double() - X).abs().mean() > 0.5 * X.abs().mean()  # new waveform


def test_contrastive_views__without_surrogate_views_are_unchanged():
    # the surrogate's seeds are drawn after the others: default views stay as they were
    X = _batch(shape=(8, 4, 200))
    rng = np.random.default_rng(3)
    seeds = rng.integers(2**31, size=(2, 3))
    expected = [
        Compose([
            Resample((1.0, 1.25), 200, probability=1.0, random_state=int(s[0])),
            GaussianNoise(0.1, 0.8, random_state=int(s[1])),
            AmplitudeScale((0.5, 2.0), 0.8, random_state=int(s[2])),
        ])(X)
        for s in seeds
    ]  # fmt: skip
    for a, b in zip(contrastive_views(200, random_state=3)(X), expected):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_transforms__bad_arguments():
    with pytest.raises(ValueError, match="'probability' must be in \\[0, 1\\]"):
        Resample(probability=1.5)
    with pytest.raises(ValueError, match="'rate_range'"):
        Resample((2.0, 1.0))
    with pytest.raises(ValueError, match="'mask_length'"):
        TimeMask(0)
    with pytest.raises(ValueError, match="'p_drop'"):
        ChannelDropout(-0.1)
    with pytest.raises(ValueError, match="'n_views'"):
        invariance_views(100, n_views=0)
    with pytest.raises(ValueError, match="'phase_probability' must be in \\[0, 1\\]"):
        contrastive_views(100, phase_probability=1.5)
    with pytest.raises(ValueError, match="'phase_noise_magnitude'"):
        contrastive_views(100, phase_probability=0.5, phase_noise_magnitude=2.0)
    with pytest.raises(ValueError, match="'output_length'"):
        TimeCrop(200)(_batch())
