"""Masked autoencoder on EEG patches (He et al. 2022); see :mod:`eeg_ssl.losses.mae_loss`."""

from __future__ import annotations

from ..losses.mae_loss import MaskedMSELoss
from ..modules.transformer import MAEDecoder, RandomMasking, patchify
from .base import SSLMethod


class MaskedAutoencoder(SSLMethod):
    """Mask most patches, encode the visible ones, reconstruct the masked ones.

    The encoder's ``Conv1d`` patch embedding (stride = patch size) cuts each window
    into tokens; a random subset of ``mask_ratio`` of them is removed per window
    (``ids_restore`` keeps the way back); the encoder's Transformer sees the visible
    tokens only; the decoder puts learnable mask tokens in the gaps, adds its own
    positional embeddings and predicts every patch; the MSE is scored on masked
    patches only. The encoder keeps the braindecode signature, so after pretraining
    it embeds full windows (no masking) for probing.

    Parameters
    ----------
    encoder : PatchTransformer
        The ``"patch_transformer"`` encoder (its token interface is needed).
    mask_ratio : float
        Fraction of patches masked per window, in [0, 1).
    decoder_dim : int
        Width of the decoder tokens.
    decoder_depth : int
        Decoder Transformer layers.
    decoder_heads : int
        Decoder attention heads (must divide ``decoder_dim``).
    normalize_targets : bool
        Standardise each target patch (MAE's ``norm_pix_loss``).
    random_state : int | None
        Seed of the masking.
    """

    name = "mae"
    compatible_encoders = ("patch_transformer",)

    def __init__(
        self,
        encoder,
        *,
        mask_ratio=0.5,
        decoder_dim=64,
        decoder_depth=1,
        decoder_heads=4,
        normalize_targets=True,
        random_state=None,
    ):
        super().__init__(encoder)
        if decoder_dim % decoder_heads:
            raise ValueError(
                f"'decoder_heads' must divide 'decoder_dim'; got {decoder_heads} and {decoder_dim}."
            )
        self.hparams = dict(
            mask_ratio=float(mask_ratio),
            decoder_dim=int(decoder_dim),
            decoder_depth=int(decoder_depth),
            decoder_heads=int(decoder_heads),
            normalize_targets=bool(normalize_targets),
            random_state=random_state,
        )
        self.masking = RandomMasking(mask_ratio, random_state=random_state)
        self.decoder = MAEDecoder(
            encoder.n_patches,
            encoder.embed_dim,
            encoder.n_chans * encoder.patch_size,
            decoder_dim=int(decoder_dim),
            depth=int(decoder_depth),
            n_heads=int(decoder_heads),
        )
        self.criterion = MaskedMSELoss(normalize_targets)

    def reconstruct(self, X):
        """Predicted patches and mask of a batch.

        Returns
        -------
        prediction : Tensor, shape (B, n_patches, C * patch_size)
        mask : Tensor, shape (B, n_patches)
            1 where the patch was masked.
        """
        tokens = self.encoder.tokens(X)  # (B, N, D)
        visible, mask, ids_restore = self.masking(tokens)  # (B, N_keep, D)
        latent = self.encoder.encode_tokens(visible)
        return self.decoder(latent, ids_restore), mask

    def forward(self, X):
        prediction, mask = self.reconstruct(X)
        target = patchify(X, self.encoder.patch_size)  # (B, C, T) -> (B, N, C*P)
        return self.criterion(prediction, target, mask)
