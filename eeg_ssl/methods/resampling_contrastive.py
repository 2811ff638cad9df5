"""Resampling-invariant contrastive learning: NT-Xent between views resampled at
random rates (then brought back to the window length), jittered and scaled.

The loss is SimCLR's NT-Xent (Chen et al. 2020, arXiv:2002.05709); the views make
the representation invariant to the sampling rate / time scale of the signal, so
recordings at different rates or with slightly different rhythms map together.
"""

from __future__ import annotations

from ..losses import NTXentLoss
from ..modules import ProjectionHead
from ..transforms import resampling_views
from ..utils import seeded
from .base import TwoViewMethod


class ResamplingContrastive(TwoViewMethod):
    """Contrastive learning with resampling views.

    Parameters
    ----------
    encoder : nn.Module
        Braindecode-signature encoder (needs ``n_outputs`` and ``n_times``).
    projection_dim : int
        Output size of the projection head.
    hidden_dim : int
        Hidden width of the projection head.
    temperature : float
        NT-Xent temperature.
    rate_range : tuple of float
        Resampling rates (new sfreq / old sfreq), drawn log-uniformly.
    rate_probability : float
        Per-window probability of resampling.
    jitter_std : float
        Gaussian jitter std relative to each window's std.
    jitter_probability : float
    scale_range : tuple of float
        Random amplitude scaling range.
    scale_probability : float
    random_state : int | None
        Seed of the views and head initialisation.
    """

    name = "resampling_contrastive"

    def __init__(
        self,
        encoder,
        *,
        projection_dim=64,
        hidden_dim=256,
        temperature=0.1,
        rate_range=(0.5, 2.0),
        rate_probability=0.8,
        jitter_std=0.1,
        jitter_probability=0.8,
        scale_range=(0.5, 2.0),
        scale_probability=0.8,
        random_state=None,
    ):
        super().__init__(encoder)
        self.hparams = dict(
            projection_dim=projection_dim,
            hidden_dim=hidden_dim,
            temperature=temperature,
            rate_range=list(rate_range),
            rate_probability=rate_probability,
            jitter_std=jitter_std,
            jitter_probability=jitter_probability,
            scale_range=list(scale_range),
            scale_probability=scale_probability,
            random_state=random_state,
        )
        with seeded(random_state):
            self.projection_head = ProjectionHead(encoder.n_outputs, hidden_dim, projection_dim)
        self.criterion = NTXentLoss(temperature)
        self.views = resampling_views(
            encoder.n_times,
            rate_range=rate_range,
            rate_probability=rate_probability,
            jitter_std=jitter_std,
            jitter_probability=jitter_probability,
            scale_range=scale_range,
            scale_probability=scale_probability,
            random_state=random_state,
        )
