"""Reconstruction loss of the (convolutional) autoencoder.

Hinton G., Salakhutdinov R. (2006). Reducing the Dimensionality of Data with Neural
Networks. Science 313(5786). Applied to EEG e.g. by Wen & Zhang (2018), "Deep
Convolution Neural Network and Autoencoders-Based Unsupervised Feature Learning of
EEG Signals", IEEE Access 6.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn


def standardize_windows(X, eps=1e-6):
    """Z-score each channel of each window over time (the reconstruction target).

    Parameters
    ----------
    X : Tensor, shape (B, C, T)

    Returns
    -------
    Tensor, shape (B, C, T)
    """
    return (X - X.mean(dim=-1, keepdim=True)) / (X.std(dim=-1, keepdim=True) + eps)


def reconstruction_loss(reconstruction, target):
    """Mean squared error over every sample of every channel.

    Parameters
    ----------
    reconstruction, target : Tensor, shape (B, C, T)

    Returns
    -------
    loss : Tensor, scalar
    """
    if reconstruction.shape != target.shape:
        raise ValueError(
            f"reconstruction and target must have the same shape; got "
            f"{tuple(reconstruction.shape)} and {tuple(target.shape)}."
        )
    return F.mse_loss(reconstruction, target)


class ReconstructionLoss(nn.Module):
    """Module form of :func:`reconstruction_loss`.

    Parameters
    ----------
    standardize_targets : bool
        Score against :func:`standardize_windows` of the target (each channel z-scored
        over the window) instead of the target itself.
    """

    def __init__(self, standardize_targets=False):
        super().__init__()
        self.standardize_targets = bool(standardize_targets)

    def forward(self, reconstruction, target):
        if self.standardize_targets:
            target = standardize_windows(target)
        return reconstruction_loss(reconstruction, target)
