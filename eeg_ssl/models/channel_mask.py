"""How a per-window channel mask reaches a mask-aware encoder during SSL training.

SSL methods call ``encoder(view)`` with windows only (their ``forward`` takes a batch
of windows and returns a loss), and the trainer passes ``batch[0]`` to the method. So
the mask does not travel as an argument: the trainer enters
:func:`batch_channel_mask` around each forward pass, which publishes the batch's
``ch_mask`` (the third field of a :data:`eeg_ssl.data.CorpusItem` batch) in a context
variable; a mask-aware encoder (:class:`~eeg_ssl.models.ChannelTokenEncoder`) reads it
with :func:`current_channel_mask` when it is called without an explicit ``ch_mask``.
Views keep the channel order, and methods call the encoder on one view (B rows) or on
views concatenated along the batch (k * B rows), so the (B, C) mask is tiled k times.
Encoders that ignore masks are unaffected.
"""

from __future__ import annotations

import contextlib
import contextvars

import torch

_MASK = contextvars.ContextVar("eeg_ssl_channel_mask", default=None)


@contextlib.contextmanager
def use_channel_mask(ch_mask):
    """Publish ``ch_mask`` (B, C) bool for mask-aware encoders inside the block."""
    token = _MASK.set(None if ch_mask is None else torch.as_tensor(ch_mask).bool())
    try:
        yield
    finally:
        _MASK.reset(token)


def batch_channel_mask(batch, device=None):
    """Context for one training batch: its ``ch_mask`` field if it has one, else nothing.

    Parameters
    ----------
    batch : tuple | Tensor
        A collated batch; :data:`eeg_ssl.data.CorpusItem` batches carry ``ch_mask``.
    device : torch.device | None
        Where the encoder runs.
    """
    mask = getattr(batch, "ch_mask", None)
    if mask is None:
        return contextlib.nullcontext()
    return use_channel_mask(mask.to(device) if device is not None else mask)


def current_channel_mask(X):
    """The published mask fitted to the input ``X`` (N, C, T), or ``None``.

    ``None`` when no mask is published or it does not fit ``X`` (other channel count,
    or N not a multiple of the mask's batch size). A (B, C) mask is tiled to N = k * B
    rows (views concatenated along the batch dimension).
    """
    mask = _MASK.get()
    if mask is None or mask.ndim != 2 or mask.shape[1] != X.shape[1]:
        return None
    n, b = X.shape[0], mask.shape[0]
    if n == b:
        return mask.to(X.device)
    if b and n % b == 0:
        return mask.to(X.device).repeat(n // b, 1)  # (B, C) -> (k * B, C)
    return None


__all__ = ["batch_channel_mask", "current_channel_mask", "use_channel_mask"]
