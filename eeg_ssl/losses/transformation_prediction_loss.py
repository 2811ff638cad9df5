"""Transformation prediction: classify which augmentation was applied to a window.

Gidaris S., Singh P., Komodakis N. (2018). Unsupervised Representation Learning by
Predicting Image Rotations. ICLR. For biosignals: Saeed A., Ozcelebi T., Lukkien J.
(2019). Multi-task Self-Supervised Learning for Human Activity Detection. IMWUT 3(2);
Sarkar P., Etemad A. (2020). Self-supervised ECG Representation Learning for Emotion
Recognition. IEEE Trans. Affective Computing.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn


def transformation_prediction_loss(logits, transformation):
    """Cross-entropy between predicted and applied transformation.

    Parameters
    ----------
    logits : Tensor, shape (B, K)
        Scores of the ``K`` candidate transformations.
    transformation : Tensor of int, shape (B,)
        Index of the transformation applied to each window.

    Returns
    -------
    loss : Tensor, scalar
    """
    if logits.ndim != 2 or transformation.shape != logits.shape[:1]:
        raise ValueError(
            f"logits must be (B, K) and transformation (B,); got {tuple(logits.shape)} and "
            f"{tuple(transformation.shape)}."
        )
    return F.cross_entropy(logits, transformation)


class TransformationPredictionLoss(nn.Module):
    """Module form of :func:`transformation_prediction_loss`."""

    def forward(self, logits, transformation):
        return transformation_prediction_loss(logits, transformation)
