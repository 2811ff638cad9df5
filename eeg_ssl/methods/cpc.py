"""Contrastive Predictive Coding (van den Oord et al. 2018); see :mod:`eeg_ssl.losses.cpc_loss`."""

from __future__ import annotations

from torch import nn

from ..losses.cpc_loss import CPCLoss
from ..utils import seeded
from .base import SSLMethod


class CPC(SSLMethod):
    """Strided Conv1d latents, a GRU context, one linear predictor per future step.

    The ``"conv"`` encoder's strided blocks give a latent sequence; its final linear
    layer is applied at every step, ``z_t = W f_t`` (B, S, n_outputs), so the
    encoder's pooled embedding is exactly the mean of the latents CPC trains. A GRU
    summarises ``z_1..z_t`` into a context ``c_t``; ``predictor_k(c_t)`` must pick
    ``z_{t+k}`` among the latents of every window and step of the batch (InfoNCE).

    Parameters
    ----------
    encoder : ConvEncoder
        The ``"conv"`` encoder (its strided feature sequence is needed).
    context_dim : int
        GRU hidden size.
    n_prediction_steps : int
        Number of future steps ``K`` predicted (one linear predictor each); the
        latent sequence must be longer than ``K``.
    random_state : int | None
        Seed of the GRU's and predictors' initial weights (the method draws nothing
        else).
    """

    name = "cpc"
    compatible_encoders = ("conv",)

    def __init__(self, encoder, *, context_dim=128, n_prediction_steps=4, random_state=None):
        super().__init__(encoder)
        if int(n_prediction_steps) < 1:
            raise ValueError(f"'n_prediction_steps' must be >= 1; got {n_prediction_steps!r}.")
        self.hparams = dict(
            context_dim=int(context_dim),
            n_prediction_steps=int(n_prediction_steps),
            random_state=random_state,
        )
        dim = encoder.n_outputs
        with seeded(random_state):
            self.context = nn.GRU(dim, int(context_dim), batch_first=True)
            self.predictors = nn.ModuleList(
                nn.Linear(int(context_dim), dim) for _ in range(int(n_prediction_steps))
            )
        self.criterion = CPCLoss()

    def latents(self, X):
        """Latent sequence: (B, C, T) -> (B, S, n_outputs)."""
        features = self.encoder.features(X)  # (B, F, S)
        # (B, F, S) -> (B, S, F) -> (B, S, n_outputs)
        return self.encoder.final_layer(self.encoder.drop(features.transpose(1, 2)))

    def forward(self, X):
        z = self.latents(X)
        c, _ = self.context(z)  # (B, S, context_dim), causal over steps
        return self.criterion(z, [predictor(c) for predictor in self.predictors])
