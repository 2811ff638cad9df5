"""View recipes: how a method turns one batch into several augmented views."""

from __future__ import annotations

from torch import nn

from ..utils import check_random_state
from .transforms import (
    AmplitudeScale,
    BraindecodeTransform,
    ChannelDropout,
    Compose,
    GaussianNoise,
    Resample,
    TimeMask,
)


class MultiView(nn.Module):
    """Apply each transform of ``views`` to the same batch; returns a list of views."""

    def __init__(self, views):
        super().__init__()
        self.views = nn.ModuleList(views)

    def forward(self, X):
        return [view(X) for view in self.views]


def contrastive_views(
    n_times,
    *,
    n_views=2,
    crop_fraction=0.8,
    noise_std=0.1,
    noise_probability=0.8,
    scale_range=(0.5, 2.0),
    scale_probability=0.8,
    phase_probability=0.0,
    phase_noise_magnitude=1.0,
    random_state=None,
):
    """The SimCLR view recipe for EEG: random resized time crop, Gaussian noise, scaling.

    Each view keeps a random stretch of ``crop_fraction`` to all of the window (at a
    random offset) and brings it back to ``n_times`` samples by linear interpolation:
    the time-axis analogue of SimCLR's ``RandomResizedCrop``. Views keep the window
    length, so fixed-length encoders (braindecode models, patch Transformers) accept
    them.

    Parameters
    ----------
    n_times : int
        Samples per input window (and per view).
    n_views : int
        Number of views.
    crop_fraction : float
        Shortest crop, as a fraction of ``n_times``, in (0, 1]; 1 disables cropping.
    noise_std : float
        Gaussian noise std relative to each window's std.
    noise_probability : float
    scale_range : tuple of float
        Random amplitude scaling range.
    scale_probability : float
    phase_probability : float
        Probability of a Fourier-transform surrogate of each window (braindecode's
        ``FTSurrogate`` with one random phase spectrum shared by all channels; applied
        after the crop). It keeps every channel's amplitude spectrum and the
        cross-spectra between channels, hence band power and spatial covariance, and
        randomises the waveform. 0 (the default) leaves it out.
    phase_noise_magnitude : float
        Phase perturbations are drawn from ``[0, phase_noise_magnitude * 2 pi]``; 1
        randomises the phases fully.
    random_state : int | None

    Returns
    -------
    MultiView
        Produces ``n_views`` tensors of shape (B, C, n_times).
    """
    if n_views < 1:
        raise ValueError(f"'n_views' must be >= 1; got {n_views!r}.")
    if not 0.0 < crop_fraction <= 1.0:
        raise ValueError(f"'crop_fraction' must be in (0, 1]; got {crop_fraction!r}.")
    if not 0.0 <= phase_probability <= 1.0:
        raise ValueError(f"'phase_probability' must be in [0, 1]; got {phase_probability!r}.")
    if not 0.0 <= phase_noise_magnitude <= 1.0:
        raise ValueError(
            f"'phase_noise_magnitude' must be in [0, 1]; got {phase_noise_magnitude!r}."
        )
    rng = check_random_state(random_state)
    seeds = rng.integers(2**31, size=(n_views, 3))
    # drawn after the others, so that views without the surrogate are unchanged
    phase_seeds = rng.integers(2**31, size=n_views)
    # a crop of n_times / rate samples resized to n_times: rates in [1, 1 / crop_fraction]
    rates = (1.0, 1.0 / crop_fraction)
    views = []
    for s, phase_seed in zip(seeds, phase_seeds):
        steps = [Resample(rates, n_times, probability=1.0, random_state=int(s[0]))]
        if phase_probability > 0:
            steps.append(_ft_surrogate(phase_probability, phase_noise_magnitude, int(phase_seed)))
        steps += [
            GaussianNoise(noise_std, noise_probability, random_state=int(s[1])),
            AmplitudeScale(scale_range, scale_probability, random_state=int(s[2])),
        ]
        views.append(Compose(steps))
    return MultiView(views)


def _ft_surrogate(probability, phase_noise_magnitude, random_state):
    # braindecode has the transform; the import stays here so that view recipes
    # without it do not import braindecode (and torchaudio) at all
    from braindecode.augmentation import FTSurrogate

    return BraindecodeTransform(
        FTSurrogate(
            probability,
            phase_noise_magnitude=float(phase_noise_magnitude),
            channel_indep=False,
            random_state=random_state,
        )
    )


def invariance_views(
    n_times,
    *,
    n_views=2,
    rate_range=(0.8, 1.25),
    rate_probability=0.5,
    mask_fraction=0.1,
    mask_probability=0.5,
    channel_drop=0.2,
    channel_drop_probability=0.3,
    noise_std=0.1,
    noise_probability=0.8,
    scale_range=(0.5, 2.0),
    scale_probability=0.8,
    probability=None,
    random_state=None,
):
    """Length-preserving views for MoCo, BYOL, SwAV, VICReg and Barlow Twins.

    Each view is ``Resample`` (random rate, random crop back to ``n_times``; a
    time-axis random resized crop) -> ``TimeMask`` -> ``ChannelDropout`` ->
    ``GaussianNoise`` -> ``AmplitudeScale``, each applied per window with its own
    probability. Every view keeps ``n_times`` samples, so fixed-length encoders
    (braindecode models, patch Transformers) accept them.

    Parameters
    ----------
    n_times : int
        Samples per input window (and per view).
    n_views : int
        Number of views.
    rate_range : tuple of float
        Resampling rates (log-uniform); ``(1, 1)`` disables resampling.
    rate_probability : float
    mask_fraction : float
        Length of the smooth time mask as a fraction of ``n_times``; 0 disables it.
    mask_probability : float
    channel_drop : float
        Probability of zeroing each channel in an augmented window.
    channel_drop_probability : float
    noise_std : float
        Gaussian noise std relative to each window's std ("jitter").
    noise_probability : float
    scale_range : tuple of float
    scale_probability : float
    probability : float | None
        If given, the probability of every augmentation (overrides the five
        ``*_probability`` arguments); the methods expose it as ``augment_probability``.
    random_state : int | None

    Returns
    -------
    MultiView
        Produces ``n_views`` tensors of shape (B, C, n_times).
    """
    if probability is not None:
        rate_probability = mask_probability = channel_drop_probability = probability
        noise_probability = scale_probability = probability
    if n_views < 1:
        raise ValueError(f"'n_views' must be >= 1; got {n_views!r}.")
    if not 0.0 <= mask_fraction < 1.0:
        raise ValueError(f"'mask_fraction' must be in [0, 1); got {mask_fraction!r}.")
    rng = check_random_state(random_state)
    seeds = rng.integers(2**31, size=(n_views, 5))
    mask_length = int(round(mask_fraction * n_times))
    views = []
    for s in seeds:
        steps = [Resample(rate_range, n_times, rate_probability, random_state=int(s[0]))]
        if mask_length > 0:
            steps.append(TimeMask(mask_length, mask_probability, random_state=int(s[1])))
        steps += [
            ChannelDropout(channel_drop, channel_drop_probability, random_state=int(s[2])),
            GaussianNoise(noise_std, noise_probability, random_state=int(s[3])),
            AmplitudeScale(scale_range, scale_probability, random_state=int(s[4])),
        ]
        views.append(Compose(steps))
    return MultiView(views)


def resampling_views(
    n_times,
    *,
    n_views=2,
    rate_range=(0.5, 2.0),
    rate_probability=0.8,
    jitter_std=0.1,
    jitter_probability=0.8,
    scale_range=(0.5, 2.0),
    scale_probability=0.8,
    random_state=None,
):
    """Views of resampling-invariant contrastive learning: resample, jitter, scale.

    Each view resamples the window at a random rate in ``rate_range`` (log-uniform)
    and brings it back to ``n_times`` samples, then adds Gaussian jitter and a
    random amplitude scaling, each with its own probability.

    Parameters
    ----------
    n_times : int
        Samples per input window (and per view).
    n_views : int
    rate_range : tuple of float
        Resampling rates, new sfreq / old sfreq.
    rate_probability, jitter_probability, scale_probability : float
        Per-window probability of each augmentation.
    jitter_std : float
        Noise std relative to each window's std.
    scale_range : tuple of float
    random_state : int | None

    Returns
    -------
    MultiView
        Produces ``n_views`` tensors of shape (B, C, n_times).
    """
    if n_views < 1:
        raise ValueError(f"'n_views' must be >= 1; got {n_views!r}.")
    rng = check_random_state(random_state)
    seeds = rng.integers(2**31, size=(n_views, 3))
    views = [
        Compose([
            Resample(rate_range, n_times, rate_probability, random_state=int(s[0])),
            GaussianNoise(jitter_std, jitter_probability, random_state=int(s[1])),
            AmplitudeScale(scale_range, scale_probability, random_state=int(s[2])),
        ])
        for s in seeds
    ]  # fmt: skip
    return MultiView(views)
