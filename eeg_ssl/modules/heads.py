"""Heads placed on top of an encoder's embedding."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ProjectionHead(nn.Module):
    """MLP projection head (SimCLR): ``Linear -> BatchNorm -> ReLU`` blocks, then Linear.

    Parameters
    ----------
    input_dim : int
        Embedding size of the encoder.
    hidden_dim : int
        Width of the hidden layers.
    output_dim : int
        Size of the projection the loss sees.
    n_layers : int
        Number of linear layers (>= 1).
    batch_norm : bool
        Use BatchNorm1d after hidden linear layers.

    Shapes
    ------
    input (B, input_dim) -> output (B, output_dim)
    """

    def __init__(self, input_dim, hidden_dim=256, output_dim=64, n_layers=2, batch_norm=True):
        super().__init__()
        if n_layers < 1:
            raise ValueError(f"'n_layers' must be >= 1; got {n_layers}.")
        layers, dim = [], input_dim
        for _ in range(n_layers - 1):
            layers += [nn.Linear(dim, hidden_dim, bias=not batch_norm)]
            if batch_norm:
                layers += [nn.BatchNorm1d(hidden_dim)]
            layers += [nn.ReLU(inplace=True)]
            dim = hidden_dim
        layers += [nn.Linear(dim, output_dim)]
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class PredictionHead(ProjectionHead):
    """BYOL's predictor: the same MLP as :class:`ProjectionHead`, placed on the
    online branch only, mapping projections to predictions of the target's.

    Shapes
    ------
    input (B, input_dim) -> output (B, output_dim)
    """


class Prototypes(nn.Module):
    """SwAV prototypes: a bias-free linear layer whose rows are kept unit-norm.

    Call :meth:`normalize` before each forward (SwAV normalises the prototypes
    after every optimiser step); the scores of unit-norm inputs are then cosine
    similarities.

    Parameters
    ----------
    input_dim : int
        Projection size (D).
    n_prototypes : int
        Number of prototypes (K).

    Shapes
    ------
    input (B, D) -> scores (B, K)
    """

    def __init__(self, input_dim, n_prototypes=32):
        super().__init__()
        if int(n_prototypes) < 2:
            raise ValueError(f"'n_prototypes' must be >= 2; got {n_prototypes!r}.")
        self.layer = nn.Linear(input_dim, int(n_prototypes), bias=False)
        self.normalize()

    @torch.no_grad()
    def normalize(self):
        """Project every prototype back onto the unit sphere, in place."""
        self.layer.weight.copy_(F.normalize(self.layer.weight, dim=1))

    def forward(self, z, frozen=False):
        """Scores of ``z`` (B, D) against the prototypes, (B, K).

        ``frozen=True`` stops gradients into the prototypes (SwAV freezes them for
        the first steps).
        """
        weight = self.layer.weight.detach() if frozen else self.layer.weight
        return F.linear(z, weight)
