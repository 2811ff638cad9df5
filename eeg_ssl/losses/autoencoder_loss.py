"""Reconstruction loss of the (convolutional) autoencoder.

Hinton G., Salakhutdinov R. (2006). Reducing the Dimensionality of Data with Neural
Networks. Science 313(5786). Applied to EEG e.g. by Wen & Zhang (2018), "Deep
Convolution Neural Network and Autoencoders-Based Unsupervised Feature Learning of
EEG Signals", IEEE Access 6.
"""

from __future__ import annotations

import torch.nn.functional as F


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
