"""Augmentation classes: thin wrappers over :mod:`eeg_ssl.transforms.functional`.

Each holds a ``probability`` and its own ``torch.Generator`` seeded by
``random_state`` (braindecode's ``Transform`` convention).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..utils import torch_generator
from . import functional as F


class Transform(nn.Module):
    """Base class: a random batched augmentation with its own generator."""

    def __init__(self, probability=1.0, random_state=None):
        super().__init__()
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"'probability' must be in [0, 1]; got {probability!r}.")
        self.probability = probability
        self.random_state = random_state
        self.generator = torch_generator(random_state)

    def get_rng_state(self):
        return self.generator.get_state()

    def set_rng_state(self, state):
        self.generator.set_state(state)


class TimeCrop(Transform):
    """Random crop to ``output_length`` samples (always applied)."""

    def __init__(self, output_length, random_state=None):
        super().__init__(1.0, random_state)
        self.output_length = int(output_length)

    def forward(self, X):
        return F.time_crop(X, self.output_length, self.generator)


class GaussianNoise(Transform):
    """Additive Gaussian noise, ``std`` relative to each sample's standard deviation."""

    def __init__(self, std=0.1, probability=0.8, random_state=None):
        super().__init__(probability, random_state)
        self.std = std

    def forward(self, X):
        return F.gaussian_noise(X, self.std, self.probability, self.generator)


class AmplitudeScale(Transform):
    """Random global amplitude scaling by a factor in ``scale_range``."""

    def __init__(self, scale_range=(0.5, 2.0), probability=0.8, random_state=None):
        super().__init__(probability, random_state)
        self.scale_range = tuple(scale_range)

    def forward(self, X):
        return F.amplitude_scale(X, self.scale_range, self.probability, self.generator)


class Resample(Transform):
    """Resample at a random rate in ``rate_range`` and keep a fixed length.

    See :func:`eeg_ssl.transforms.functional.resample`.

    Parameters
    ----------
    rate_range : tuple of float
        ``(low, high)`` resampling rates (new sfreq / old sfreq), drawn log-uniformly.
    output_length : int | None
        Output samples; ``None`` keeps the input length.
    probability : float
    random_state : int | None
    """

    def __init__(self, rate_range=(0.5, 2.0), output_length=None, probability=0.8,
                 random_state=None):  # fmt: skip
        super().__init__(probability, random_state)
        low, high = (float(r) for r in rate_range)
        if not 0 < low <= high:
            raise ValueError(
                f"'rate_range' must be (low, high) with 0 < low <= high; got {rate_range!r}."
            )
        self.rate_range = (low, high)
        self.output_length = None if output_length is None else int(output_length)

    def forward(self, X):
        return F.resample(X, self.rate_range, self.probability, self.generator, self.output_length)


class TimeMask(Transform):
    """Smoothly zero a random stretch of ``mask_length`` samples (braindecode's op)."""

    def __init__(self, mask_length, probability=0.5, random_state=None):
        super().__init__(probability, random_state)
        if int(mask_length) < 1:
            raise ValueError(f"'mask_length' must be >= 1 sample; got {mask_length!r}.")
        self.mask_length = int(mask_length)

    def forward(self, X):
        return F.time_mask(X, self.mask_length, self.probability, self.generator)


class ChannelDropout(Transform):
    """Zero each channel with probability ``p_drop`` (braindecode's op, our generator)."""

    def __init__(self, p_drop=0.2, probability=0.5, random_state=None):
        super().__init__(probability, random_state)
        if not 0.0 <= p_drop <= 1.0:
            raise ValueError(f"'p_drop' must be in [0, 1]; got {p_drop!r}.")
        self.p_drop = p_drop

    def forward(self, X):
        return F.channel_dropout(X, self.p_drop, self.probability, self.generator)


class BraindecodeTransform(Transform):
    """Use a :mod:`braindecode.augmentation` transform inside eeg-ssl view recipes.

    braindecode's transforms already work on batches and decide per window with
    their own ``probability``; this adapter drops the label argument, keeps the
    input's dtype, and exposes braindecode's NumPy RNG state through
    :meth:`get_rng_state` / :meth:`set_rng_state` so training resumes exactly.

    Parameters
    ----------
    transform : braindecode.augmentation.Transform
        E.g. ``FTSurrogate(probability=0.5, random_state=0)``,
        ``SmoothTimeMask(0.5, mask_len_samples=50)``, ``ChannelsDropout(0.5)``.

    Examples
    --------
    >>> from braindecode.augmentation import FTSurrogate
    >>> view = Compose([BraindecodeTransform(FTSurrogate(0.5, random_state=0)),
    ...                 AmplitudeScale(random_state=1)])
    """

    def __init__(self, transform):
        from braindecode.augmentation.base import Transform as BDTransform

        if not isinstance(transform, BDTransform):
            raise TypeError(
                f"'transform' must be a braindecode.augmentation Transform instance; got "
                f"{type(transform).__name__}. Wrap eeg-ssl transforms directly in Compose."
            )
        super().__init__(float(transform.probability), random_state=0)
        if transform.rng is np.random.mtrand._rand:
            # Built without random_state, it would draw from (and resume into) NumPy's
            # global RNG; give it its own stream instead.
            transform.rng = np.random.RandomState(
                int(np.random.SeedSequence().generate_state(1)[0])
            )
        self.transform = transform

    def forward(self, X):
        return self.transform(X).to(X.dtype)

    def get_rng_state(self):
        # (name, keys uint32[624], pos, has_gauss, cached) -> one uint8 tensor
        _, keys, pos, has_gauss, cached = self.transform.rng.get_state()
        header = np.array([pos, has_gauss], dtype=np.int64).view(np.uint8)
        gauss = np.array([cached], dtype=np.float64).view(np.uint8)
        raw = np.concatenate([keys.astype(np.uint32).view(np.uint8), header, gauss])
        return torch.from_numpy(raw.copy())

    def set_rng_state(self, state):
        raw = np.asarray(torch.as_tensor(state, dtype=torch.uint8).cpu().numpy())
        keys = raw[: 624 * 4].view(np.uint32)
        pos, has_gauss = raw[624 * 4 : 624 * 4 + 16].view(np.int64)
        cached = raw[624 * 4 + 16 :].view(np.float64)[0]
        self.transform.rng.set_state(("MT19937", keys, int(pos), int(has_gauss), float(cached)))


class Compose(nn.Module):
    """Apply transforms in sequence."""

    def __init__(self, transforms):
        super().__init__()
        self.transforms = nn.ModuleList(transforms)

    def forward(self, X):
        for transform in self.transforms:
            X = transform(X)
        return X


def generator_states(module):
    """RNG states of every :class:`Transform` inside ``module``, in module order."""
    return [m.get_rng_state() for m in module.modules() if isinstance(m, Transform)]


def set_generator_states(module, states):
    transforms = [m for m in module.modules() if isinstance(m, Transform)]
    if len(transforms) != len(states):
        raise ValueError(f"Expected {len(transforms)} generator states; got {len(states)}.")
    for m, state in zip(transforms, states):
        m.set_rng_state(torch.as_tensor(state, dtype=torch.uint8))
