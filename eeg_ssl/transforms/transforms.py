"""Augmentation classes: thin wrappers over :mod:`eeg_ssl.transforms.functional`.

Each holds a ``probability`` and its own ``torch.Generator`` seeded by
``random_state`` (braindecode's ``Transform`` convention).
"""

from __future__ import annotations

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
