"""Barlow Twins: make the two views' cross-correlation matrix the identity.

Zbontar et al. (2021). Barlow Twins. ICML. arXiv:2103.03230.
"""

from __future__ import annotations

from ..losses import BarlowTwinsLoss
from ..modules import ProjectionHead
from ..utils import seeded
from .base import TwoViewMethod, invariance_recipe


class BarlowTwins(TwoViewMethod):
    """Barlow Twins on EEG windows: encoder + projector, redundancy reduction.

    Parameters
    ----------
    encoder : nn.Module
        Braindecode-signature encoder (needs ``n_outputs`` and ``n_times``).
    projection_dim : int
        Projector output size D (the cross-correlation matrix is D x D).
    hidden_dim : int
        Hidden width of the projector.
    n_layers : int
        Linear layers of the projector (3 in the paper).
    lambda_param : float
        Weight of the off-diagonal term (paper: 5e-3 at D = 8192; about 1 / D
        is a reasonable start for other D).
    rate_range, mask_fraction, channel_drop, noise_std, scale_range, augment_probability
        View recipe, see :func:`eeg_ssl.transforms.invariance_views`.
    random_state : int | None
        Seed of the views and head initialisation.
    """

    name = "barlow_twins"

    def __init__(
        self,
        encoder,
        *,
        projection_dim=256,
        hidden_dim=256,
        n_layers=3,
        lambda_param=5e-3,
        rate_range=(0.8, 1.25),
        mask_fraction=0.1,
        channel_drop=0.2,
        noise_std=0.1,
        scale_range=(0.5, 2.0),
        augment_probability=0.5,
        random_state=None,
    ):
        super().__init__(encoder)
        with seeded(random_state):
            self.projection_head = ProjectionHead(encoder.n_outputs, hidden_dim, projection_dim,
                                                  n_layers)  # fmt: skip
        self.criterion = BarlowTwinsLoss(lambda_param)
        recipe, self.views = invariance_recipe(encoder.n_times, rate_range, mask_fraction,
                                               channel_drop, noise_std, scale_range,
                                               augment_probability, random_state)  # fmt: skip
        self.hparams = dict(projection_dim=projection_dim, hidden_dim=hidden_dim,
                            n_layers=n_layers, lambda_param=lambda_param, **recipe,
                            random_state=random_state)  # fmt: skip
