"""VICReg: invariance between views, variance kept up, covariance pushed down.

Bardes, Ponce, LeCun (2022). VICReg. ICLR. arXiv:2105.04906.
"""

from __future__ import annotations

from ..losses import VICRegLoss
from ..modules import ProjectionHead
from ..utils import seeded
from .base import TwoViewMethod, invariance_recipe


class VICReg(TwoViewMethod):
    """VICReg on EEG windows: encoder + expander, no negatives, no momentum network.

    Parameters
    ----------
    encoder : nn.Module
        Braindecode-signature encoder (needs ``n_outputs`` and ``n_times``).
    expander_dim : int
        Output size of the expander (the paper uses a wide expander, e.g. 8192
        on images; a few hundred suits small EEG encoders).
    hidden_dim : int
        Hidden width of the expander.
    n_layers : int
        Linear layers of the expander (3 in the paper).
    invariance_weight, variance_weight, covariance_weight : float
        The paper's lambda, mu and nu (25, 25, 1).
    rate_range, mask_fraction, channel_drop, noise_std, scale_range, augment_probability
        View recipe, see :func:`eeg_ssl.transforms.invariance_views`.
    random_state : int | None
        Seed of the views and head initialisation.
    """

    name = "vicreg"

    def __init__(
        self,
        encoder,
        *,
        expander_dim=256,
        hidden_dim=256,
        n_layers=3,
        invariance_weight=25.0,
        variance_weight=25.0,
        covariance_weight=1.0,
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
            self.expander = ProjectionHead(encoder.n_outputs, hidden_dim, expander_dim, n_layers)
        self.criterion = VICRegLoss(invariance_weight, variance_weight, covariance_weight)
        recipe, self.views = invariance_recipe(encoder.n_times, rate_range, mask_fraction,
                                               channel_drop, noise_std, scale_range,
                                               augment_probability, random_state)  # fmt: skip
        self.hparams = dict(expander_dim=expander_dim, hidden_dim=hidden_dim, n_layers=n_layers,
                            invariance_weight=invariance_weight, variance_weight=variance_weight,
                            covariance_weight=covariance_weight, **recipe,
                            random_state=random_state)  # fmt: skip

    def project(self, view):
        """Expander output of a batch of views: (B, C, T) -> (B, n_outputs) -> (B, expander_dim)."""
        return self.expander(self.encoder(view))
