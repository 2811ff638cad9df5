"""MoCo: contrast each view against a momentum encoder's keys and a queue of old keys.

He et al. (2020), arXiv:1911.05722 (MoCo); Chen et al. (2020), arXiv:2003.04297
(v2: MLP head, stronger views); Chen, Xie, He (2021), arXiv:2104.02057 (v3:
symmetrised loss, BatchNorm in the heads).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..losses import MoCoLoss
from ..modules import KeyQueue, ProjectionHead
from ..utils import seeded
from .base import MomentumTwoViewMethod, invariance_recipe


class MoCo(MomentumTwoViewMethod):
    """MoCo (v2 queue, v3-style symmetric loss) on EEG windows.

    The online encoder and projection head produce queries; their exponential
    moving average (the key encoder, updated in :meth:`on_train_step_end`)
    produces keys. Each query must pick its own key out of the ``queue_size`` keys
    of earlier batches, kept in a FIFO buffer whose size does not depend on the
    batch size.

    Parameters
    ----------
    encoder : nn.Module
        Braindecode-signature encoder (needs ``n_outputs`` and ``n_times``).
    projection_dim : int
        Size of queries and keys.
    hidden_dim : int
        Hidden width of the projection head.
    queue_size : int
        Number of negative keys kept (K).
    temperature : float
        InfoNCE temperature.
    momentum : float
        EMA momentum of the key encoder (base value of the schedule).
    momentum_schedule : {"constant", "cosine"}
        ``"cosine"`` raises the momentum from ``momentum`` to 1 over training.
    symmetric : bool
        Also use view b as query against view a's keys (and enqueue both key sets).
    rate_range : tuple of float
        Resampling rates of the views (time-axis random resized crop).
    mask_fraction : float
        Smooth time-mask length, fraction of the window.
    channel_drop : float
        Probability of zeroing each channel in an augmented view.
    noise_std : float
        Gaussian jitter, relative to each window's std.
    scale_range : tuple of float
        Random amplitude scaling range.
    augment_probability : float
        Per-window probability of each augmentation.
    random_state : int | None
        Seed of the views, the head initialisation and the initial queue.
    """

    name = "moco"

    def __init__(
        self,
        encoder,
        *,
        projection_dim=128,
        hidden_dim=256,
        queue_size=1024,
        temperature=0.2,
        momentum=0.99,
        momentum_schedule="constant",
        symmetric=True,
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
        self.build_target(momentum)
        self.queue = KeyQueue(queue_size, projection_dim, random_state=random_state)
        self.criterion = MoCoLoss(temperature)
        recipe, self.views = invariance_recipe(encoder.n_times, rate_range, mask_fraction,
                                               channel_drop, noise_std, scale_range,
                                               augment_probability, random_state)  # fmt: skip
        self.hparams = dict(projection_dim=projection_dim, hidden_dim=hidden_dim,
                            queue_size=queue_size, temperature=temperature, momentum=momentum,
                            momentum_schedule=momentum_schedule, symmetric=bool(symmetric),
                            **recipe, random_state=random_state)  # fmt: skip

    def _keys(self, view):
        # (B, C, T) -> (B, projection_dim), unit norm, no gradient
        return F.normalize(self.target_project(view), dim=1)

    def forward(self, X):
        view_a, view_b = self.views(X)
        queue = self.queue()  # a copy: enqueueing below must not touch the autograd graph
        query_a = self.project(view_a)
        key_b = self._keys(view_b)
        loss = self.criterion(query_a, key_b, queue)
        new_keys = key_b
        if self.hparams["symmetric"]:
            query_b = self.project(view_b)
            key_a = self._keys(view_a)
            loss = 0.5 * (loss + self.criterion(query_b, key_a, queue))
            new_keys = torch.cat([key_b, key_a])  # (2B, D)
        if self.training:
            self.queue.enqueue(_gather_keys(new_keys))
        return loss


@torch.no_grad()
def _gather_keys(keys):
    """Keys of every rank under torch.distributed (same order on all ranks), else ``keys``.

    Enqueueing the same gathered keys keeps the ranks' queues identical, as in MoCo.
    """
    dist = torch.distributed
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return keys
    parts = [torch.empty_like(keys) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, keys.contiguous())
    return torch.cat(parts)  # (W * N, D)
