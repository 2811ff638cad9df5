"""Batched augmentations as pure functions on tensors of shape (B, C, T).

Each takes an explicit ``torch.Generator`` so that results are reproducible.
"""

from __future__ import annotations

import torch


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
    factor = low + (high - low) * torch.rand(X.shape[0], generator=generator, device=generator.device)
    factor = torch.where(mask, factor.to(X.device), torch.ones_like(factor, device=X.device))
    return X * factor[:, None, None]
