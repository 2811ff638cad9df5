"""The seed Conv1d encoder, with braindecode's model signature."""

from __future__ import annotations

import numbers
import warnings

from torch import nn

with warnings.catch_warnings():
    # braindecode 1.8 warns at import time about an MNE montage name it uses
    # internally; nothing a user of eeg-ssl can act on.
    warnings.filterwarnings("ignore", message="Montage name", category=FutureWarning)
    from braindecode.models.base import EEGModuleMixin
    from braindecode.modules import FilterBankLayer

from .hub import PretrainedMixin


class ConvEncoder(PretrainedMixin, EEGModuleMixin, nn.Module):
    """Strided Conv1d blocks, global average pooling, and a linear embedding.

    Each block is ``Conv1d(stride) -> BatchNorm1d -> GELU``; the number of filters
    doubles every block up to ``max_filters``. Global average pooling makes the
    encoder accept any input length of at least ``stride ** n_blocks`` samples.
    With ``filter_bank``, a fixed bank of band-pass filters comes first (FBCNet's
    multi-view input) and the blocks see every channel in every band.

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
    filter_bank : None | int | list of (float, float)
        Fixed band-pass front end (braindecode's
        :class:`~braindecode.modules.FilterBankLayer`: zero-phase FIR filters designed
        by :func:`mne.filter.create_filter`, never trained). ``None`` (default): no
        front end. An int ``n``: ``n`` equal bands from 4 to 40 Hz, as braindecode
        splits them; ``9`` gives FBCNet's default bands of 4 Hz (4-8, 8-12, ...,
        36-40 Hz). A list of ``(low, high)`` bands in Hz, each with
        ``0 <= low < high < sfreq / 2``. The first block then takes
        ``n_chans * n_bands`` channels, band-major (band ``b``, channel ``c`` is input
        channel ``b * n_chans + c``). Needs ``sfreq``. Plain Python numbers: the value
        is stored in checkpoints and ``config.json``.
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
        filter_bank=None,
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
        self.filter_bank = filter_bank
        self.filter_bank_layer = None
        self.band_filters = None
        in_ch = self.n_chans
        if filter_bank is not None:
            sfreq = _inferred_sfreq(self)
            self.band_filters = _band_filters(filter_bank, sfreq)
            # braindecode's layer designs the filters with MNE; its FIR coefficients are
            # parameters with requires_grad=False (skipped by eeg_ssl's optimiser groups).
            self.filter_bank_layer = FilterBankLayer(
                self.n_chans, sfreq, band_filters=list(self.band_filters), verbose=False
            )
            in_ch = self.n_chans * len(self.band_filters)
        blocks = []
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

    @property
    def n_bands(self):
        """Number of filter-bank bands (``0`` without a filter bank)."""
        return 0 if self.band_filters is None else len(self.band_filters)

    def forward(self, x):
        if self.filter_bank_layer is not None:
            # (B, C, T) -> (B, n_bands, C, T) -> (B, n_bands * C, T), band-major
            x = self.filter_bank_layer(x).flatten(1, 2)
        # (B, C', T) -> (B, F, T') -> (B, F)
        h = self.pool(self.features(x)).squeeze(-1)
        return self.final_layer(self.drop(h))


def _inferred_sfreq(encoder):
    """The encoder's sampling rate, or a clear error when ``filter_bank`` lacks it."""
    try:
        return float(encoder.sfreq)
    except ValueError:  # braindecode: neither sfreq nor input_window_seconds given
        raise ValueError(
            "ConvEncoder(filter_bank=...) needs the sampling rate to design its filters; "
            "got sfreq=None. Pass sfreq=<Hz> (e.g. build_encoder('conv', ..., sfreq=128.0)) "
            "or input_window_seconds with n_times, or set filter_bank=None."
        ) from None


def _band_filters(filter_bank, sfreq):
    """``filter_bank`` as a list of ``(low, high)`` bands in Hz, checked against ``sfreq``.

    MNE's own errors for a bad band name neither the band nor the parameter (and a band
    with ``low > high`` fails as a filter-length error), hence these checks.
    """
    allowed = (
        "allowed None, an int n >= 1 (n equal bands from 4 to 40 Hz; 9 gives the 4-Hz bands "
        "4-8, ..., 36-40 Hz) or a list of (low, high) bands in Hz"
    )
    if isinstance(filter_bank, numbers.Integral) and not isinstance(filter_bank, bool):
        if filter_bank < 1:
            raise ValueError(f"Invalid value for 'filter_bank': {allowed}; got {filter_bank!r}.")
        # braindecode's split of 4-40 Hz for an int, made explicit so that every band is
        # checked against the Nyquist frequency before MNE designs the filters.
        width = 36.0 / int(filter_bank)
        bands = [(4.0 + i * width, 4.0 + (i + 1) * width) for i in range(int(filter_bank))]
    elif isinstance(filter_bank, (list, tuple)) and len(filter_bank) > 0:
        bands = []
        for band in filter_bank:
            if (
                not isinstance(band, (list, tuple))
                or len(band) != 2
                or not all(isinstance(f, numbers.Real) and not isinstance(f, bool) for f in band)
            ):
                raise ValueError(
                    f"Invalid band {band!r} in 'filter_bank': each band must be a (low, high) "
                    f"pair of frequencies in Hz, e.g. [(8.0, 12.0), (12.0, 16.0)]."
                )
            bands.append((float(band[0]), float(band[1])))
    else:
        raise ValueError(f"Invalid value for 'filter_bank': {allowed}; got {filter_bank!r}.")
    nyquist = sfreq / 2.0
    for low, high in bands:
        if not 0.0 <= low < high:
            raise ValueError(
                f"Invalid band ({low:g}, {high:g}) Hz in 'filter_bank': each band is "
                f"(low, high) with 0 <= low < high; give its edges in increasing order."
            )
        if high >= nyquist:
            raise ValueError(
                f"Invalid band ({low:g}, {high:g}) Hz in 'filter_bank' at sfreq={sfreq:g} Hz: "
                f"its high edge must be below the Nyquist frequency ({nyquist:g} Hz). Lower "
                f"the band or use data sampled faster."
            )
    return bands
