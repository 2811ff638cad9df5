"""Normalisation statistics of a frozen encoder, estimated on windows without learning.

A randomly initialised encoder evaluates its batch-norm layers with their initial
statistics (mean 0, variance 1: no normalisation at all), while a pretrained one uses
those of its pretraining windows. "Pretrained minus random weights" therefore mixes what
pretraining learns in the weights with the normalisation it brings as a side effect
(measured on eegmat's covariance encoder: the pretrained statistics alone, given to the
random encoder, reproduced the pretrained score in every fold; see
``docs/experiments/corpus-notebook.md``). The ``random_calibrated`` baseline of
:func:`~eeg_ssl.evaluation.benchmark.benchmark_split` is the random encoder after
:func:`calibrate_norm_statistics` on the same pretraining windows: the difference
between it and the pretrained encoder is what the weights learnt.

Hand-written because torch has no public helper for it (``torch.optim.swa_utils.
update_bn`` does this for a DataLoader of tensors, but puts the whole model, dropout
included, in training mode).
"""

from __future__ import annotations

import numpy as np
import torch

from ..training.trainer import default_device


@torch.no_grad()
def calibrate_norm_statistics(encoder, X, *, batch_size=256, device=None):
    """Re-estimate every batch-norm layer's running mean and variance on windows.

    The weights are not changed: each batch-norm layer is reset and run in training
    mode with a cumulative average (``momentum=None``) over all of ``X`` while the rest
    of the encoder stays in eval mode (no dropout); then everything is back in eval mode.

    Parameters
    ----------
    encoder : torch.nn.Module
        Maps (B, C, T) to (B, n_outputs).
    X : ndarray of float32, shape (n_windows, n_chans, n_times)
        Windows to estimate the statistics on (e.g. the pretraining windows).
    batch_size : int
    device : str | torch.device | None

    Returns
    -------
    n_layers : int
        Batch-norm layers calibrated (0: the encoder has none, and is unchanged).
    """
    norms = [m for m in encoder.modules()
             if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.track_running_stats]  # fmt: skip
    if not norms:
        return 0
    if len(X) < 2:
        raise ValueError(
            f"'X' holds {len(X)} window(s): batch-norm statistics need at least 2 windows."
        )
    device = default_device(device)
    encoder.eval().to(device)
    momenta = [m.momentum for m in norms]
    try:
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over every batch
            m.train()
        # no batch of one window: a batch norm over flat features cannot take it
        starts = list(range(0, len(X), batch_size))
        if len(X) - starts[-1] == 1 and len(starts) > 1:
            starts.pop()
        for start, stop in zip(starts, starts[1:] + [len(X)]):
            batch = np.asarray(X[start:stop], dtype=np.float32)
            encoder(torch.from_numpy(batch).to(device))
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        encoder.eval()
    return len(norms)


__all__ = ["calibrate_norm_statistics"]
