"""Mixup contrastive learning (i-Mix); see :mod:`eeg_ssl.losses.mixup_loss`."""

from __future__ import annotations

import numpy as np
import torch

from ..losses.mixup_loss import MixupContrastiveLoss, mix_batch, mixing_targets
from ..modules import ProjectionHead
from ..transforms.transforms import Transform
from ..transforms.views import invariance_views
from .base import TwoViewMethod


class MixupPartners(Transform):
    """Draw mixing weights ``lam ~ Beta(alpha, alpha)`` and a partner for every window.

    The partner map is a random cyclic derangement (no window is its own partner).

    Parameters
    ----------
    alpha : float
        Beta distribution parameter (> 0); small values keep mixes close to one window.
    random_state : int | None
    """

    def __init__(self, alpha=1.0, random_state=None):
        super().__init__(1.0, random_state)
        if not alpha > 0:
            raise ValueError(f"'alpha' must be > 0; got {alpha!r}.")
        self.alpha = float(alpha)

    def forward(self, batch_size, device):
        order = torch.randperm(batch_size, generator=self.generator, device=self.generator.device)
        partner = torch.empty_like(order)
        partner[order] = order.roll(1)  # each window mixes with the next in a random cycle
        # torch has no seeded Beta sampler; draw it with numpy from a seed of our generator
        seed = int(
            torch.randint(2**62, (1,), generator=self.generator, device=self.generator.device)
        )
        lam = np.random.default_rng(seed).beta(self.alpha, self.alpha, size=batch_size)
        return torch.as_tensor(lam, dtype=torch.float32, device=device), partner.to(device)


class Mixup(TwoViewMethod):
    """Contrast mixed views against clean views with the mixing weights as targets.

    Two augmented, length-preserving views of each window are made
    (:func:`~eeg_ssl.transforms.views.invariance_views`); the first is
    mixed with a partner window, ``lam * x_i + (1 - lam) * x_j``. The mixed view's
    projection must match the clean views of ``i`` and ``j`` in the proportions
    ``lam`` and ``1 - lam`` (soft cross-entropy over the batch).

    Parameters
    ----------
    encoder : nn.Module
        Braindecode-signature encoder.
    alpha : float
        ``Beta(alpha, alpha)`` distribution of the mixing weights.
    projection_dim, hidden_dim : int
        Projection head sizes.
    temperature : float
        Softmax temperature (> 0).
    rate_range : tuple of float
        Resampling rates of the views (a time-axis random resized crop).
    noise_std : float
        Gaussian noise std relative to each window's std.
    scale_range : tuple of float
        Random amplitude scaling range.
    augment_probability : float
        Per-window probability of each view augmentation.
    random_state : int | None
        Seed of the views and of the mixing.
    """

    name = "mixup"

    def __init__(self, encoder, *, alpha=1.0, projection_dim=64, hidden_dim=256, temperature=0.2,
                 rate_range=(0.8, 1.25), noise_std=0.1, scale_range=(0.5, 2.0),
                 augment_probability=0.8, random_state=None):  # fmt: skip
        super().__init__(encoder)
        self.hparams = dict(alpha=float(alpha), projection_dim=int(projection_dim),
                            hidden_dim=int(hidden_dim), temperature=float(temperature),
                            rate_range=list(rate_range), noise_std=float(noise_std),
                            scale_range=list(scale_range),
                            augment_probability=float(augment_probability),
                            random_state=random_state)  # fmt: skip
        seeds = np.random.default_rng(random_state).integers(2**31, size=2)
        self.partners = MixupPartners(alpha, random_state=int(seeds[0]))
        p = augment_probability
        self.views = invariance_views(
            encoder.n_times, rate_range=rate_range, rate_probability=p, mask_probability=p,
            channel_drop_probability=p, noise_std=noise_std, noise_probability=p,
            scale_range=scale_range, scale_probability=p, random_state=int(seeds[1]),
        )  # fmt: skip
        self.projection_head = ProjectionHead(
            encoder.n_outputs, int(hidden_dim), int(projection_dim)
        )
        self.criterion = MixupContrastiveLoss(temperature)

    def forward(self, X):
        view_a, view_b = self.views(X)
        lam, partner = self.partners(X.shape[0], X.device)
        z_mixed = self.project(mix_batch(view_a, lam, partner))
        z_clean = self.project(view_b)
        return self.criterion(z_mixed, z_clean, mixing_targets(lam, partner))
