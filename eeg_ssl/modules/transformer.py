"""Transformer pieces shared by the patch Transformer and the masked autoencoder."""

from __future__ import annotations

import torch
from torch import nn

from ..transforms.transforms import Transform


def transformer_stack(dim, depth, n_heads, mlp_ratio=2.0, dropout=0.0):
    """Pre-norm Transformer layers (torch's own ``TransformerEncoderLayer``).

    Returns
    -------
    nn.TransformerEncoder
        Maps (B, N, dim) -> (B, N, dim).
    """
    layer = nn.TransformerEncoderLayer(
        dim,
        n_heads,
        dim_feedforward=int(dim * mlp_ratio),
        dropout=dropout,
        activation="gelu",
        batch_first=True,
        norm_first=True,
    )
    # nested tensors are a fast path for padded inputs only and warn with norm_first
    return nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)


def patchify(X, patch_size):
    """Cut windows into non-overlapping patches (the masked autoencoder's targets).

    Parameters
    ----------
    X : Tensor, shape (B, C, T)
    patch_size : int
        Samples per patch; trailing ``T % patch_size`` samples are dropped.

    Returns
    -------
    Tensor, shape (B, T // patch_size, C * patch_size)
        Patch ``n`` holds samples ``[n * patch_size, (n + 1) * patch_size)`` of every
        channel, channel-major.
    """
    batch, n_chans, n_times = X.shape
    n_patches = n_times // patch_size
    X = X[..., : n_patches * patch_size]
    # (B, C, N*P) -> (B, C, N, P) -> (B, N, C, P) -> (B, N, C*P)
    return (
        X.reshape(batch, n_chans, n_patches, patch_size)
        .permute(0, 2, 1, 3)
        .reshape(batch, n_patches, n_chans * patch_size)
    )


def random_masking(tokens, mask_ratio, generator):
    """Keep a random subset of tokens per sample (He et al. 2022, MAE).

    Parameters
    ----------
    tokens : Tensor, shape (B, N, D)
    mask_ratio : float
        Fraction of tokens to mask, in [0, 1); at least one token is kept.
    generator : torch.Generator

    Returns
    -------
    visible : Tensor, shape (B, N_keep, D)
        The kept tokens, in shuffled order.
    mask : Tensor, shape (B, N)
        1 where a token is masked, 0 where it is kept, in the original order.
    ids_restore : Tensor of int, shape (B, N)
        Indices that undo the shuffle: ``gather(cat(visible, masked), ids_restore)``
        restores the original order.
    """
    batch, n_tokens, dim = tokens.shape
    n_keep = max(1, int(round(n_tokens * (1 - mask_ratio))))
    noise = torch.rand(batch, n_tokens, generator=generator, device=generator.device)
    ids_shuffle = torch.argsort(noise.to(tokens.device), dim=1)  # lowest noise is kept
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    ids_keep = ids_shuffle[:, :n_keep]
    # (B, N_keep) -> (B, N_keep, D)
    visible = torch.gather(tokens, 1, ids_keep[..., None].expand(-1, -1, dim))
    mask = torch.ones(batch, n_tokens, device=tokens.device)
    mask[:, :n_keep] = 0
    mask = torch.gather(mask, 1, ids_restore)
    return visible, mask, ids_restore


class RandomMasking(Transform):
    """Class form of :func:`random_masking` with its own generator.

    Parameters
    ----------
    mask_ratio : float
        Fraction of tokens masked, in [0, 1).
    random_state : int | None
    """

    def __init__(self, mask_ratio=0.75, random_state=None):
        super().__init__(1.0, random_state)
        if not 0.0 <= mask_ratio < 1.0:
            raise ValueError(f"'mask_ratio' must be in [0, 1); got {mask_ratio!r}.")
        self.mask_ratio = mask_ratio

    def forward(self, tokens):
        return random_masking(tokens, self.mask_ratio, self.generator)


class MAEDecoder(nn.Module):
    """The masked autoencoder's decoder: mask tokens, positions, Transformer, linear.

    Parameters
    ----------
    n_patches : int
        Patches per window.
    input_dim : int
        Width of the encoder's tokens.
    output_dim : int
        Values per reconstructed patch (``n_chans * patch_size``).
    decoder_dim : int
        Width of the decoder's tokens.
    depth : int
        Decoder Transformer layers.
    n_heads : int
        Decoder attention heads.

    Shapes
    ------
    latent (B, N_keep, input_dim), ids_restore (B, N) -> output (B, N, output_dim)
    """

    def __init__(self, n_patches, input_dim, output_dim, decoder_dim=64, depth=1, n_heads=4):
        super().__init__()
        self.embed = nn.Linear(input_dim, decoder_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, n_patches, decoder_dim))
        nn.init.trunc_normal_(self.mask_token, std=0.02)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.blocks = transformer_stack(decoder_dim, depth, n_heads)
        self.norm = nn.LayerNorm(decoder_dim)
        self.head = nn.Linear(decoder_dim, output_dim)

    def forward(self, latent, ids_restore):
        x = self.embed(latent)
        batch, n_keep, dim = x.shape
        n_tokens = ids_restore.shape[1]
        # (B, N_keep, d) + (B, N - N_keep, d) mask tokens -> (B, N, d) in shuffled order
        x = torch.cat([x, self.mask_token.expand(batch, n_tokens - n_keep, dim)], dim=1)
        x = torch.gather(x, 1, ids_restore[..., None].expand(-1, -1, dim))  # original order
        x = self.norm(self.blocks(x + self.pos_embed))
        return self.head(x)
