"""InfoNCE loss of Contrastive Predictive Coding.

van den Oord A., Li Y., Vinyals O. (2018). Representation Learning with Contrastive
Predictive Coding. arXiv:1807.03748. For EEG: Banville H. et al. (2021),
"Uncovering the structure of clinical EEG signals with self-supervised learning",
J. Neural Eng. 18(4).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def info_nce_loss(predictions, positives):
    """InfoNCE where every other row of ``positives`` is a negative.

    Parameters
    ----------
    predictions : Tensor, shape (M, D)
        Predicted latents.
    positives : Tensor, shape (M, D)
        Row ``m`` is the true latent for prediction ``m``; all other rows serve as
        its negatives.

    Returns
    -------
    loss : Tensor, scalar
        Mean over rows of ``-log softmax(predictions @ positives.T)[m, m]``.
    """
    logits = predictions @ positives.T  # (M, M) bilinear scores f_k = z^T W_k c
    return F.cross_entropy(logits, torch.arange(len(logits), device=logits.device))


def cpc_loss(latents, predictions):
    """CPC loss over future steps with the batch x time negatives.

    Parameters
    ----------
    latents : Tensor, shape (B, S, D)
        Encoder latents ``z_t`` of each window at each step.
    predictions : list of Tensor, each (B, S, D)
        ``predictions[k - 1][:, t]`` predicts ``latents[:, t + k]`` from the context
        at step ``t`` (``k = 1 .. K``).

    Returns
    -------
    loss : Tensor, scalar
        Mean over ``k`` of :func:`info_nce_loss` between the ``B * (S - k)``
        predictions and true latents of step ``k``: the negatives of a prediction are
        the latents of every window and every time step in the batch.
    """
    batch, n_steps, dim = latents.shape
    if len(predictions) >= n_steps:
        raise ValueError(
            f"CPC needs more latent steps ({n_steps}) than prediction steps "
            f"({len(predictions)}); use longer windows or fewer 'n_prediction_steps'."
        )
    losses = []
    for k, pred in enumerate(predictions, start=1):
        # (B, S - k, D) -> (B * (S - k), D)
        p = pred[:, : n_steps - k].reshape(-1, dim)
        z = latents[:, k:].reshape(-1, dim)
        losses.append(info_nce_loss(p, z))
    return torch.stack(losses).mean()


class CPCLoss(nn.Module):
    """Module form of :func:`cpc_loss`."""

    def forward(self, latents, predictions):
        return cpc_loss(latents, predictions)
