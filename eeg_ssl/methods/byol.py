"""BYOL: predict a slowly moving target network's projection of the other view.

Grill J.-B. et al. (2020). Bootstrap Your Own Latent. NeurIPS. arXiv:2006.07733.
"""

from __future__ import annotations

from ..losses import BYOLLoss
from ..modules import PredictionHead, ProjectionHead
from ..utils import seeded
from .base import MomentumTwoViewMethod, invariance_recipe


class BYOL(MomentumTwoViewMethod):
    """BYOL on EEG windows: online encoder + projector + predictor, EMA target.

    No negatives: the online branch regresses the target branch's projection of
    the other view (symmetric negative cosine). The target is an exponential moving
    average of the online encoder and projector whose momentum follows a cosine
    schedule from ``momentum`` to 1 (updated in :meth:`on_train_step_end`).

    Parameters
    ----------
    encoder : nn.Module
        Braindecode-signature encoder (needs ``n_outputs`` and ``n_times``).
    projection_dim : int
        Output size of projector and predictor.
    hidden_dim : int
        Hidden width of projector and predictor.
    momentum : float
        Base EMA momentum of the target (tau_base).
    momentum_schedule : {"cosine", "constant"}
    rate_range, mask_fraction, channel_drop, noise_std, scale_range, augment_probability
        View recipe, see :func:`eeg_ssl.transforms.invariance_views`.
    random_state : int | None
        Seed of the views and head initialisation.
    """

    name = "byol"

    def __init__(
        self,
        encoder,
        *,
        projection_dim=64,
        hidden_dim=256,
        momentum=0.99,
        momentum_schedule="cosine",
        rate_range=(0.8, 1.25),
        mask_fraction=0.1,
        channel_drop=0.2,
        noise_std=0.1,
        scale_range=(0.5, 2.0),
        augment_probability=0.5,
        random_state=None,
    ):
        super().__init__(encoder)
        self.check_momentum(momentum, momentum_schedule)
        with seeded(random_state):
            self.projection_head = ProjectionHead(encoder.n_outputs, hidden_dim, projection_dim)
            self.prediction_head = PredictionHead(projection_dim, hidden_dim, projection_dim)
        self.build_target(momentum)
        self.criterion = BYOLLoss()
        recipe, self.views = invariance_recipe(encoder.n_times, rate_range, mask_fraction,
                                               channel_drop, noise_std, scale_range,
                                               augment_probability, random_state)  # fmt: skip
        self.hparams = dict(projection_dim=projection_dim, hidden_dim=hidden_dim,
                            momentum=momentum, momentum_schedule=momentum_schedule, **recipe,
                            random_state=random_state)  # fmt: skip

    def forward(self, X):
        view_a, view_b = self.views(X)
        # (B, C, T) -> (B, projection_dim) -> (B, projection_dim)
        p_a = self.prediction_head(self.project(view_a))
        p_b = self.prediction_head(self.project(view_b))
        return self.criterion(p_a, p_b, self.target_project(view_a), self.target_project(view_b))
