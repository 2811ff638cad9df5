"""Batched augmentations as pure functions on tensors of shape (B, C, T).

Each takes an explicit ``torch.Generator`` so that results are reproducible.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch

with warnings.catch_warnings():
    # braindecode 1.8 warns at import time about an MNE montage name it uses internally.
    warnings.filterwarnings("ignore", message="Montage name", category=FutureWarning)
    from braindecode.augmentation.functional import channels_dropout, smooth_time_mask


def _apply_mask(probability, batch_size, generator, device):
    """Boolean (B,) mask: which samples get augmented."""
    draw = torch.rand(batch_size, generator=generator, device=generator.device)
    return (draw < probability).to(device)


def time_crop(X, output_length, generator):
    """Random crop of ``output_length`` samples, independently per sample.

    Parameters
    ----------
    X : Tensor, shape (B, C, T)
    output_length : int
        Samples kept, ``<= T``.
    generator : torch.Generator

    Returns
    -------
    Tensor, shape (B, C, output_length)
    """
    n_times = X.shape[-1]
    if not 0 < output_length <= n_times:
        raise ValueError(f"'output_length' must be in [1, {n_times}]; got {output_length}.")
    offsets = torch.randint(0, n_times - output_length + 1, (X.shape[0],), generator=generator,
                            device=generator.device).to(X.device)  # fmt: skip
    # (B, 1, L) indices gathered along time for every channel -> (B, C, L)
    index = offsets[:, None, None] + torch.arange(output_length, device=X.device)[None, None]
    return torch.gather(X, -1, index.expand(X.shape[0], X.shape[1], output_length))


def gaussian_noise(X, std, probability, generator):
    """Add white Gaussian noise of standard deviation ``std`` (in the data's units)
    relative to each sample's own standard deviation, with ``probability``."""
    mask = _apply_mask(probability, X.shape[0], generator, X.device)
    noise = torch.randn(X.shape, generator=generator, device=generator.device).to(X.device)
    scale = X.std(dim=(1, 2), keepdim=True)
    return X + mask[:, None, None] * std * scale * noise


def amplitude_scale(X, scale_range, probability, generator):
    """Multiply each sample by a factor drawn uniformly from ``scale_range``."""
    low, high = scale_range
    mask = _apply_mask(probability, X.shape[0], generator, X.device)
    factor = low + (high - low) * torch.rand(
        X.shape[0], generator=generator, device=generator.device
    )
    factor = torch.where(mask, factor.to(X.device), torch.ones_like(factor, device=X.device))
    return X * factor[:, None, None]


def _uniform(low, high, size, generator, device):
    """(size,) floats drawn uniformly in [low, high) from ``generator``, on ``device``."""
    draw = torch.rand(size, generator=generator, device=generator.device).to(device)
    return low + (high - low) * draw


def resample(X, rate_range, probability, generator, output_length=None):
    """Resample each window at a random rate, then bring it back to a fixed length.

    A window sampled at ``sfreq`` is re-sampled at ``rate * sfreq`` (linear
    interpolation), so an oscillation of ``f`` cycles per sample becomes ``f / rate``
    cycles per sample. Upsampled windows (``rate > 1``, longer) are cropped at a
    random offset; downsampled ones (``rate < 1``, shorter) are extended by mirror
    reflection at the edges, which keeps the oscillation's frequency and adds no
    step. Rates are drawn log-uniformly, so ``(0.5, 2.0)`` is symmetric around 1.
    No anti-aliasing filter is applied: with ``rate < 1``, content above
    ``rate * sfreq / 2`` folds back (band-limit the data first if that matters).

    Parameters
    ----------
    X : Tensor, shape (B, C, T)
    rate_range : tuple of float
        ``(low, high)`` resampling rates, ``0 < low <= high``.
    probability : float
        Probability of resampling each window; the others are returned unchanged
        (cropped to ``output_length`` from the start when it is shorter than ``T``).
    generator : torch.Generator
    output_length : int | None
        Samples of each output window; ``None`` keeps ``T``.

    Returns
    -------
    Tensor, shape (B, C, output_length)
    """
    low, high = float(rate_range[0]), float(rate_range[1])
    if not 0 < low <= high:
        raise ValueError(
            f"'rate_range' must be (low, high) with 0 < low <= high; got {rate_range!r}."
        )
    batch_size, n_chans, n_times = X.shape
    out_len = n_times if output_length is None else int(output_length)
    if out_len < 1:
        raise ValueError(f"'output_length' must be >= 1; got {output_length!r}.")
    mask = _apply_mask(probability, batch_size, generator, X.device)
    log_rate = _uniform(math.log(low), math.log(high), batch_size, generator, X.device)
    rate = torch.where(mask, log_rate.exp(), torch.ones_like(log_rate))
    # Span of the input covered by the output, in input samples; random offset when it fits.
    span = (out_len - 1) / rate
    room = (n_times - 1 - span).clamp(min=0)
    offset = _uniform(0.0, 1.0, batch_size, generator, X.device) * room
    offset = torch.where(mask, offset, torch.zeros_like(offset))
    # (B, 1) + (1, L) -> (B, L) fractional read positions in the input
    pos = (
        offset[:, None]
        + torch.arange(out_len, device=X.device, dtype=rate.dtype)[None] / rate[:, None]
    )
    if n_times > 1:
        # Mirror reflection into [0, T-1] (period 2(T-1)) for positions past the end.
        period = 2.0 * (n_times - 1)
        pos = torch.remainder(pos, period)
        pos = torch.where(pos > n_times - 1, period - pos, pos)
    else:
        pos = torch.zeros_like(pos)
    left = pos.floor().long().clamp(0, n_times - 1)
    right = (left + 1).clamp(max=n_times - 1)
    frac = (pos - left).to(X.dtype)[:, None, :]  # (B, 1, L)
    # (B, L) indices expanded over channels -> (B, C, L)
    x_left = torch.gather(X, -1, left[:, None, :].expand(batch_size, n_chans, out_len))
    x_right = torch.gather(X, -1, right[:, None, :].expand(batch_size, n_chans, out_len))
    return x_left + frac * (x_right - x_left)


def time_mask(X, mask_length, probability, generator):
    """Smoothly zero a random stretch of ``mask_length`` samples on all channels.

    Draws the start of each window's mask from ``generator`` and applies
    braindecode's :func:`braindecode.augmentation.functional.smooth_time_mask`.

    Parameters
    ----------
    X : Tensor, shape (B, C, T)
    mask_length : int
        Samples masked, ``0 < mask_length < T``.
    probability : float
    generator : torch.Generator

    Returns
    -------
    Tensor, shape (B, C, T)
    """
    n_times = X.shape[-1]
    if not 0 < mask_length < n_times:
        raise ValueError(
            f"'mask_length' must be in [1, {n_times - 1}] samples; got {mask_length!r}."
        )
    mask = _apply_mask(probability, X.shape[0], generator, X.device)
    start = _uniform(0.0, float(n_times - mask_length), X.shape[0], generator, X.device)
    masked, _ = smooth_time_mask(X, None, start, mask_length)
    return torch.where(mask[:, None, None], masked, X)


def channel_dropout(X, p_drop, probability, generator):
    """Set each channel to zero with probability ``p_drop`` (in augmented windows).

    Uses braindecode's :func:`braindecode.augmentation.functional.channels_dropout`
    with a NumPy generator seeded from ``generator`` (braindecode draws with NumPy).

    Parameters
    ----------
    X : Tensor, shape (B, C, T)
    p_drop : float
        Probability of dropping each channel, in [0, 1].
    probability : float
        Probability of augmenting each window.
    generator : torch.Generator

    Returns
    -------
    Tensor, shape (B, C, T)
    """
    if not 0.0 <= p_drop <= 1.0:
        raise ValueError(f"'p_drop' must be in [0, 1]; got {p_drop!r}.")
    mask = _apply_mask(probability, X.shape[0], generator, X.device)
    seed = int(torch.randint(2**62, (1,), generator=generator, device=generator.device))
    dropped, _ = channels_dropout(
        X, None, p_drop, random_state=np.random.RandomState(seed % 2**32)
    )
    return torch.where(mask[:, None, None], dropped, X)
