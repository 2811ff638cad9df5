"""A lightweight patch Transformer encoder with braindecode's signature."""

from __future__ import annotations

import warnings

import torch
from torch import nn

from ..modules.transformer import transformer_stack

with warnings.catch_warnings():
    # braindecode 1.8 warns at import time about an MNE montage name it uses internally
    warnings.filterwarnings("ignore", message="Montage name", category=FutureWarning)
    from braindecode.models.base import EEGModuleMixin

from .hub import PretrainedMixin


class PatchTransformer(PretrainedMixin, EEGModuleMixin, nn.Module):
    """Non-overlapping temporal patches, a Transformer encoder, mean pooling.

    A ``Conv1d`` with ``kernel_size = stride = patch_size`` turns each patch of
    ``patch_size`` samples x all channels into one token; learnable positional
    embeddings are added; pre-norm Transformer layers mix the tokens; the mean
    token goes through a linear layer. Trailing samples that do not fill a whole
    patch are ignored. The token interface (:meth:`tokens`, :meth:`encode_tokens`)
    lets the masked autoencoder run the same encoder on visible patches only.

    Parameters
    ----------
    n_chans : int
        Number of input channels.
    n_outputs : int
        Embedding size.
    n_times : int
        Samples per input window (``>= patch_size``).
    patch_size : int
        Samples per patch (and stride of the patch embedding).
    embed_dim : int
        Token width.
    depth : int
        Number of Transformer layers.
    n_heads : int
        Attention heads (must divide ``embed_dim``).
    mlp_ratio : float
        Width of the feed-forward layers relative to ``embed_dim``.
    dropout : float
        Dropout inside the Transformer layers.
    chs_info, input_window_seconds, sfreq
        As in :class:`braindecode.models.base.EEGModuleMixin`.

    Shapes
    ------
    input (B, n_chans, n_times) -> output (B, n_outputs)
    """

    def __init__(
        self,
        n_chans=None,
        n_outputs=128,
        n_times=None,
        patch_size=16,
        embed_dim=64,
        depth=2,
        n_heads=4,
        mlp_ratio=2.0,
        dropout=0.0,
        chs_info=None,
        input_window_seconds=None,
        sfreq=None,
    ):
        super().__init__(
            n_outputs=n_outputs,
            n_chans=n_chans,
            chs_info=chs_info,
            n_times=n_times,
            input_window_seconds=input_window_seconds,
            sfreq=sfreq,
        )
        if int(patch_size) < 1 or self.n_times < patch_size:
            raise ValueError(
                f"'patch_size' must be in [1, n_times={self.n_times}]; got {patch_size!r}. "
                f"Use a shorter patch or longer windows."
            )
        if embed_dim % n_heads:
            raise ValueError(
                f"'n_heads' must divide 'embed_dim'; got n_heads={n_heads}, embed_dim={embed_dim}."
            )
        self.patch_size = int(patch_size)
        self.embed_dim = embed_dim
        self.depth = depth
        self.n_heads = n_heads
        self.mlp_ratio = mlp_ratio
        self.dropout = dropout
        self.n_patches = self.n_times // self.patch_size
        self.patch_embed = nn.Conv1d(
            self.n_chans, embed_dim, self.patch_size, stride=self.patch_size
        )
        self.pos_embed = nn.Parameter(torch.zeros(1, self.n_patches, embed_dim))
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.blocks = transformer_stack(embed_dim, depth, n_heads, mlp_ratio, dropout)
        self.norm = nn.LayerNorm(embed_dim)
        self.final_layer = nn.Linear(embed_dim, self.n_outputs)

    def tokens(self, x):
        """Patch tokens with positional embeddings: (B, C, T) -> (B, T // patch_size, embed_dim).

        Windows shorter than ``n_times`` (e.g. random crops of a view recipe) use the
        first ``T // patch_size`` positional embeddings.
        """
        n_patches = x.shape[-1] // self.patch_size
        if not 1 <= n_patches <= self.n_patches:
            raise ValueError(
                f"PatchTransformer was built for windows of {self.patch_size} to {self.n_times} "
                f"samples (n_times); got input of shape {tuple(x.shape)}."
            )
        # (B, C, T) -> (B, D, N) -> (B, N, D)
        return self.patch_embed(x).transpose(1, 2) + self.pos_embed[:, :n_patches]

    def encode_tokens(self, tokens):
        """Transformer layers and final norm over any subset of tokens: (B, N', D) -> (B, N', D)."""
        return self.norm(self.blocks(tokens))

    def forward(self, x):
        # (B, C, T) -> (B, N, D) -> (B, D) -> (B, n_outputs)
        return self.final_layer(self.encode_tokens(self.tokens(x)).mean(dim=1))
