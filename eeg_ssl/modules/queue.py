"""A FIFO queue of embeddings kept as a buffer (MoCo's dictionary of keys)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..utils import seeded


class KeyQueue(nn.Module):
    """Fixed-size FIFO of ``size`` unit vectors, independent of the batch size.

    The queue and its write pointer are registered buffers, so they are saved in
    ``state_dict`` (checkpoints) and moved by ``.to(device)``. It starts filled
    with random unit vectors (as in MoCo), which the first ``size`` keys replace.

    Parameters
    ----------
    size : int
        Number of keys kept (K).
    dim : int
        Key dimension (D).
    random_state : int | None
        Seed of the initial random keys.

    Attributes
    ----------
    queue : Tensor, shape (K, D)
        Row ``(ptr - 1 - i) % K`` is the ``i``-th most recent key.
    ptr : Tensor of int64, scalar
        Row the next key is written to.
    """

    def __init__(self, size, dim, random_state=None):
        super().__init__()
        if int(size) < 1:
            raise ValueError(f"'size' (queue size) must be >= 1; got {size!r}.")
        with seeded(random_state):
            init = F.normalize(torch.randn(int(size), int(dim)), dim=1)
        self.register_buffer("queue", init)
        self.register_buffer("ptr", torch.zeros((), dtype=torch.long))

    @property
    def size(self):
        return self.queue.shape[0]

    @torch.no_grad()
    def enqueue(self, keys):
        """Write ``keys`` (N, D) over the oldest entries, wrapping around the end.

        With ``N > K`` only the last ``K`` keys are kept.
        """
        if keys.ndim != 2 or keys.shape[1] != self.queue.shape[1]:
            raise ValueError(f"keys must be (N, {self.queue.shape[1]}); got {tuple(keys.shape)}.")
        n, size = keys.shape[0], self.size
        ptr = int(self.ptr)
        # Absolute write positions of the N keys; only the last K survive, and mod K
        # they are distinct, so one indexed copy handles the wrap-around.
        positions = (ptr + torch.arange(n, device=keys.device))[-size:] % size
        self.queue[positions] = keys[-size:].detach().to(self.queue.dtype)
        self.ptr.fill_((ptr + n) % size)

    def forward(self):
        """A detached copy of the queue, (K, D), safe to use before :meth:`enqueue`."""
        return self.queue.clone()
