"""Heads placed on top of an encoder's embedding."""

from __future__ import annotations

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
