"""Masked-patch reconstruction loss of the masked autoencoder.

He K., Chen X., Xie S., Li Y., Dollar P., Girshick R. (2022). Masked Autoencoders
Are Scalable Vision Learners. CVPR. arXiv:2111.06377.
"""

from __future__ import annotations

from torch import nn


def normalize_patches(patches, eps=1e-6):
    """Standardise each patch over its values (MAE's ``norm_pix_loss`` target).

    Parameters
    ----------
    patches : Tensor, shape (B, N, P)

    Returns
    -------
    Tensor, shape (B, N, P)
    """
    mean = patches.mean(dim=-1, keepdim=True)
    var = patches.var(dim=-1, keepdim=True)
    return (patches - mean) / (var + eps).sqrt()


def masked_mse_loss(prediction, target, mask):
    """Mean squared error over the masked patches only.

    Parameters
    ----------
    prediction, target : Tensor, shape (B, N, P)
        Reconstructed and true patches (``P`` values each).
    mask : Tensor, shape (B, N)
        1 for masked patches (scored), 0 for visible ones (ignored).

    Returns
    -------
    loss : Tensor, scalar
        ``sum_{b,n} mask * mean_p (prediction - target)^2 / sum mask``.
    """
    if prediction.shape != target.shape or mask.shape != prediction.shape[:2]:
        raise ValueError(
            f"prediction and target must be (B, N, P) and mask (B, N); got "
            f"{tuple(prediction.shape)}, {tuple(target.shape)} and {tuple(mask.shape)}."
        )
    per_patch = ((prediction - target) ** 2).mean(dim=-1)  # (B, N)
    return (per_patch * mask).sum() / mask.sum().clamp_min(1)


class MaskedMSELoss(nn.Module):
    """Module form of :func:`masked_mse_loss`.

    Parameters
    ----------
    normalize_targets : bool
        Score against :func:`normalize_patches` of the target (MAE's ``norm_pix_loss``).
    """

    def __init__(self, normalize_targets=True):
        super().__init__()
        self.normalize_targets = bool(normalize_targets)

    def forward(self, prediction, target, mask):
        if self.normalize_targets:
            target = normalize_patches(target)
        return masked_mse_loss(prediction, target, mask)
