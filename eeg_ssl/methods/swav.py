"""SwAV: predict one view's cluster code (Sinkhorn-Knopp) from the other view.

Caron et al. (2020). Unsupervised Learning of Visual Features by Contrasting
Cluster Assignments. NeurIPS. arXiv:2006.09882.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..losses import SwAVLoss
from ..modules import ProjectionHead, Prototypes
from ..utils import seeded
from .base import TwoViewMethod, invariance_recipe


class SwAV(TwoViewMethod):
    """SwAV on EEG windows.

    Each view's unit-norm projection is scored against ``n_prototypes`` learnable
    unit-norm prototypes; Sinkhorn-Knopp turns one view's scores into balanced soft
    codes, which the other view must predict (swapped prediction). All views keep
    the full window length, so any fixed-length encoder works.

    Parameters
    ----------
    encoder : nn.Module
        Braindecode-signature encoder (needs ``n_outputs`` and ``n_times``).
    projection_dim : int
        Projection size (prototype dimension).
    hidden_dim : int
        Hidden width of the projection head.
    n_prototypes : int
        Number of prototypes (clusters). Keep it at most around the batch size:
        the codes spread each batch evenly over the prototypes.
    n_views : int
        Number of full-length views (>= 2); each gives codes for all others.
    temperature : float
        Temperature of the predicting softmax.
    sinkhorn_iterations : int
    sinkhorn_epsilon : float
        Entropic regularisation of Sinkhorn-Knopp.
    freeze_prototypes_steps : int
        Optimiser steps during which the prototypes get no gradient (SwAV freezes
        them for the first epoch to avoid a poor start); 0 never freezes.
    rate_range, mask_fraction, channel_drop, noise_std, scale_range, augment_probability
        View recipe, see :func:`eeg_ssl.transforms.invariance_views`.
    random_state : int | None
        Seed of the views and head/prototype initialisation.
    """

    name = "swav"

    def __init__(
        self,
        encoder,
        *,
        projection_dim=64,
        hidden_dim=256,
        n_prototypes=32,
        n_views=2,
        temperature=0.1,
        sinkhorn_iterations=3,
        sinkhorn_epsilon=0.05,
        freeze_prototypes_steps=0,
        rate_range=(0.8, 1.25),
        mask_fraction=0.1,
        channel_drop=0.2,
        noise_std=0.1,
        scale_range=(0.5, 2.0),
        augment_probability=0.5,
        random_state=None,
    ):
        super().__init__(encoder)
        if int(n_views) < 2:
            raise ValueError(f"'n_views' must be >= 2 for SwAV; got {n_views!r}.")
        if int(freeze_prototypes_steps) < 0:
            raise ValueError(
                f"'freeze_prototypes_steps' must be >= 0; got {freeze_prototypes_steps!r}."
            )
        with seeded(random_state):
            self.projection_head = ProjectionHead(encoder.n_outputs, hidden_dim, projection_dim)
            self.prototypes = Prototypes(projection_dim, n_prototypes)
        self.criterion = SwAVLoss(temperature, sinkhorn_iterations, sinkhorn_epsilon)
        # Optimiser steps taken, to know when the prototypes unfreeze (saved for resume).
        self.register_buffer("step", torch.zeros((), dtype=torch.long))
        recipe, self.views = invariance_recipe(encoder.n_times, rate_range, mask_fraction,
                                               channel_drop, noise_std, scale_range,
                                               augment_probability, random_state,
                                               n_views=int(n_views))  # fmt: skip
        self.hparams = dict(projection_dim=projection_dim, hidden_dim=hidden_dim,
                            n_prototypes=n_prototypes, n_views=int(n_views),
                            temperature=temperature, sinkhorn_iterations=sinkhorn_iterations,
                            sinkhorn_epsilon=sinkhorn_epsilon,
                            freeze_prototypes_steps=int(freeze_prototypes_steps), **recipe,
                            random_state=random_state)  # fmt: skip

    def forward(self, X):
        self.prototypes.normalize()
        frozen = bool(self.step < self.hparams["freeze_prototypes_steps"])
        scores = []
        for view in self.views(X):
            # (B, C, T) -> (B, projection_dim), unit norm -> (B, n_prototypes)
            z = F.normalize(self.project(view), dim=1)
            scores.append(self.prototypes(z, frozen=frozen))
        return self.criterion(scores)

    def on_train_step_end(self, step, total_steps):
        """Count optimiser steps (for ``freeze_prototypes_steps``)."""
        self.step.fill_(int(step) + 1)
