"""The seed Conv1d encoder, with braindecode's model signature."""

from __future__ import annotations

import warnings

from torch import nn

with warnings.catch_warnings():
    # braindecode 1.8 warns at import time about an MNE montage name it uses
    # internally; nothing a user of eeg-ssl can act on.
    warnings.filterwarnings("ignore", message="Montage name", category=FutureWarning)
    from braindecode.models.base import EEGModuleMixin

from .hub import PretrainedMixin


class ConvEncoder(PretrainedMixin, EEGModuleMixin, nn.Module):
    """Strided Conv1d blocks, global average pooling, and a linear embedding.

    Each block is ``Conv1d(stride) -> BatchNorm1d -> GELU``; the number of filters
    doubles every block up to ``max_filters``. Global average pooling makes the
    encoder accept any input length of at least ``stride ** n_blocks`` samples.

    Parameters
    ----------
    n_chans : int
        Number of input channels.
    n_outputs : int
        Embedding size.
    n_times : int
        Samples per input window.
    n_filters : int
        Filters of the first block.
    n_blocks : int
        Number of strided blocks.
    kernel_size : int
        Temporal kernel length in samples.
    stride : int
        Temporal stride of each block.
    max_filters : int
        Cap on the number of filters.
    dropout : float
        Dropout before the final linear layer.
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
        n_filters=32,
        n_blocks=4,
        kernel_size=7,
        stride=2,
        max_filters=256,
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
        self.n_filters = n_filters
        self.n_blocks = n_blocks
        self.kernel_size = kernel_size
        self.stride = stride
        self.max_filters = max_filters
        self.dropout = dropout
        blocks = []
        in_ch = self.n_chans
        for i in range(n_blocks):
            out_ch = min(n_filters * 2**i, max_filters)
            blocks += [
                nn.Conv1d(in_ch, out_ch, kernel_size, stride=stride, padding=kernel_size // 2),
                nn.BatchNorm1d(out_ch),
                nn.GELU(),
            ]
            in_ch = out_ch
        self.features = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.drop = nn.Dropout(dropout)
        self.final_layer = nn.Linear(in_ch, self.n_outputs)
        self.n_features = in_ch

    def forward(self, x):
        # (B, C, T) -> (B, F, T') -> (B, F)
        h = self.pool(self.features(x)).squeeze(-1)
        return self.final_layer(self.drop(h))
