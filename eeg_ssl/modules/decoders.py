"""Decoders that map an embedding back to a window."""

from __future__ import annotations

import math

from torch import nn


class ConvDecoder(nn.Module):
    """Linear expansion then ``ConvTranspose1d`` upsampling blocks back to (C, T).

    The embedding is mapped to ``n_filters * 2 ** (n_blocks - 1)`` channels at
    ``ceil(T / stride ** n_blocks)`` steps; each block doubles the length
    (``ConvTranspose1d(stride) -> BatchNorm1d -> GELU``) and halves the filters; a last
    ``Conv1d`` maps to ``n_chans``, and the output is cropped to ``n_times``.

    Parameters
    ----------
    input_dim : int
        Embedding size.
    n_chans, n_times : int
        Shape of the reconstructed window.
    n_filters : int
        Filters of the last upsampling block.
    n_blocks : int
        Upsampling blocks.
    stride : int
        Upsampling factor of each block.

    Shapes
    ------
    input (B, input_dim) -> output (B, n_chans, n_times)
    """

    def __init__(self, input_dim, n_chans, n_times, n_filters=32, n_blocks=4, stride=2):
        super().__init__()
        self.n_chans, self.n_times = n_chans, n_times
        self.start_len = max(1, math.ceil(n_times / stride**n_blocks))
        self.start_ch = n_filters * 2 ** (n_blocks - 1)
        self.expand = nn.Linear(input_dim, self.start_ch * self.start_len)
        blocks, ch = [], self.start_ch
        for _ in range(n_blocks):
            out = max(n_filters, ch // 2)
            blocks += [
                nn.ConvTranspose1d(
                    ch, out, kernel_size=2 * stride, stride=stride, padding=stride // 2
                ),  # fmt: skip
                nn.BatchNorm1d(out),
                nn.GELU(),
            ]
            ch = out
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Conv1d(ch, n_chans, kernel_size=7, padding=3)

    def forward(self, z):
        # (B, D) -> (B, F * L0) -> (B, F, L0)
        x = self.expand(z).reshape(z.shape[0], self.start_ch, self.start_len)
        x = self.out(self.blocks(x))  # (B, F, L0) -> (B, C, >= T)
        if x.shape[-1] < self.n_times:
            raise RuntimeError(
                f"ConvDecoder produced {x.shape[-1]} samples, fewer than n_times={self.n_times}."
            )
        return x[..., : self.n_times]
