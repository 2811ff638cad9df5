"""Autoencoder: reconstruct each window from its embedding.

Hinton & Salakhutdinov (2006); see :mod:`eeg_ssl.losses.autoencoder_loss`.
"""

from __future__ import annotations

from ..losses.autoencoder_loss import ReconstructionLoss
from ..modules.decoders import ConvDecoder
from ..utils import seeded
from .base import SSLMethod


class Autoencoder(SSLMethod):
    """Encoder -> embedding -> ``ConvTranspose1d`` decoder -> MSE to the input.

    The embedding is the bottleneck, so it must keep what is needed to redraw the
    window. By default the target is the window itself (Hinton & Salakhutdinov), so
    the embedding must keep each channel's amplitude; with ``standardize_targets``
    the decoder redraws each channel z-scored over the window (shape only, a loss
    scale independent of the data's units, but amplitude information is lost).

    Parameters
    ----------
    encoder : nn.Module
        Braindecode-signature encoder (needs ``n_chans``, ``n_times``, ``n_outputs``).
    decoder_filters : int
        Filters of the decoder's last upsampling block.
    decoder_blocks : int
        Number of ``ConvTranspose1d`` upsampling blocks (each doubles the length).
    standardize_targets : bool
        Reconstruct per-channel z-scored windows instead of raw ones (default
        False: z-scoring removes the band-power differences that EEG tasks often
        rest on).
    random_state : int | None
        Seed of the decoder's initial weights (the method draws nothing else).
    """

    name = "autoencoder"

    def __init__(
        self,
        encoder,
        *,
        decoder_filters=32,
        decoder_blocks=4,
        standardize_targets=False,
        random_state=None,
    ):
        super().__init__(encoder)
        if int(decoder_blocks) < 1:
            raise ValueError(f"'decoder_blocks' must be >= 1; got {decoder_blocks!r}.")
        self.hparams = dict(
            decoder_filters=int(decoder_filters),
            decoder_blocks=int(decoder_blocks),
            standardize_targets=bool(standardize_targets),
            random_state=random_state,
        )
        with seeded(random_state):
            self.decoder = ConvDecoder(encoder.n_outputs, encoder.n_chans, encoder.n_times,
                                       n_filters=int(decoder_filters),
                                       n_blocks=int(decoder_blocks))  # fmt: skip
        self.criterion = ReconstructionLoss(standardize_targets)

    def reconstruct(self, X):
        """Reconstruction of a batch: (B, C, T) -> (B, C, T)."""
        return self.decoder(self.encoder(X))

    def forward(self, X):
        return self.criterion(self.reconstruct(X), X)
