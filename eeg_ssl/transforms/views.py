"""View recipes: how a method turns one batch into several augmented views."""

from __future__ import annotations

from torch import nn

from ..utils import check_random_state
from .transforms import AmplitudeScale, Compose, GaussianNoise, TimeCrop


class MultiView(nn.Module):
    """Apply each transform of ``views`` to the same batch; returns a list of views."""

    def __init__(self, views):
        super().__init__()
        self.views = nn.ModuleList(views)

    def forward(self, X):
        return [view(X) for view in self.views]


def contrastive_views(
    n_times,
    *,
    n_views=2,
    crop_fraction=0.8,
    noise_std=0.1,
    noise_probability=0.8,
    scale_range=(0.5, 2.0),
    scale_probability=0.8,
    random_state=None,
):
    """The SimCLR view recipe for EEG: random time crop, Gaussian noise, scaling.

    Parameters
    ----------
    n_times : int
        Samples per input window.
    crop_fraction : float
        Crop length as a fraction of ``n_times`` (the output length is fixed).

    Returns
    -------
    MultiView
        Produces ``n_views`` tensors of shape (B, C, round(crop_fraction * n_times)).
    """
    rng = check_random_state(random_state)
    seeds = rng.integers(2**31, size=(n_views, 3))
    crop = max(1, int(round(crop_fraction * n_times)))
    views = [
        Compose([
            TimeCrop(crop, random_state=int(s[0])),
            GaussianNoise(noise_std, noise_probability, random_state=int(s[1])),
            AmplitudeScale(scale_range, scale_probability, random_state=int(s[2])),
        ])
        for s in seeds
    ]  # fmt: skip
    return MultiView(views)
