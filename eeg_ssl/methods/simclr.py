"""SimCLR: contrast two augmented views of each window against the batch.

Chen et al. (2020), arXiv:2002.05709. EEG views follow Mohsenvand et al. (2020),
"Contrastive Representation Learning for Electroencephalogram Classification".
"""

from __future__ import annotations

from ..losses import NTXentLoss
from ..modules import ProjectionHead
from ..transforms import contrastive_views
from .base import TwoViewMethod


class SimCLR(TwoViewMethod):
    """SimCLR on EEG windows.

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
    crop_fraction : float
        Length of each view's random time crop, as a fraction of the window.
    noise_std : float
        Gaussian noise std relative to each window's std.
    scale_range : tuple of float
        Range of the random amplitude scaling.
    augment_probability : float
        Probability of applying noise and scaling to each view.
    phase_probability : float
        Probability of a Fourier-transform surrogate of each view (random phases
        shared by all channels: band power and spatial covariance are kept, the
        waveform is not); 0 (the default) leaves it out.
    phase_noise_magnitude : float
        Range of the surrogate's phase perturbation, as a fraction of 2 pi.
    random_state : int | None
        Seed of the view augmentations.
    """

    name = "simclr"

    def __init__(
        self,
        encoder,
        *,
        projection_dim=64,
        hidden_dim=256,
        temperature=0.1,
        crop_fraction=0.8,
        noise_std=0.1,
        scale_range=(0.5, 2.0),
        augment_probability=0.8,
        phase_probability=0.0,
        phase_noise_magnitude=1.0,
        random_state=None,
    ):
        super().__init__(encoder)
        self.hparams = dict(
            projection_dim=projection_dim,
            hidden_dim=hidden_dim,
            temperature=temperature,
            crop_fraction=crop_fraction,
            noise_std=noise_std,
            scale_range=list(scale_range),
            augment_probability=augment_probability,
            phase_probability=phase_probability,
            phase_noise_magnitude=phase_noise_magnitude,
            random_state=random_state,
        )
        self.projection_head = ProjectionHead(encoder.n_outputs, hidden_dim, projection_dim)
        self.criterion = NTXentLoss(temperature)
        self.views = contrastive_views(
            encoder.n_times,
            crop_fraction=crop_fraction,
            noise_std=noise_std,
            noise_probability=augment_probability,
            scale_range=scale_range,
            scale_probability=augment_probability,
            phase_probability=phase_probability,
            phase_noise_magnitude=phase_noise_magnitude,
            random_state=random_state,
        )
