"""Spectral prediction: regress a window's band features from a masked copy of it.

See :mod:`eeg_ssl.losses.spectral_prediction_loss`.
"""

from __future__ import annotations

from ..losses.spectral_prediction_loss import (
    TARGETS,
    SpectralPredictionLoss,
    band_features,
    check_bands,
)
from ..modules import ProjectionHead
from ..transforms.transforms import ChannelDropout, Compose, TimeMask
from ..utils import check_option, check_random_state, seeded
from .base import SSLMethod

#: Default bands, in Hz: delta, theta, alpha, beta (the classical EEG bands below the
#: gamma range, where scalp EEG is mostly muscle and line noise).
DEFAULT_BANDS = ((1.0, 4.0), (4.0, 8.0), (8.0, 13.0), (13.0, 30.0))


class SpectralPrediction(SSLMethod):
    """Mask channels and a stretch of time; predict the intact window's band features.

    The contrastive and redundancy-reduction methods learn invariance to their views;
    when a view rescales amplitude or stretches time, the encoder is taught to ignore
    band power, which is often what separates EEG states. This objective asks the
    embedding to *keep* it: a head on the embedding of a masked window regresses the
    band features of the intact window (per-band log-Euclidean spatial covariances by
    default, or per-channel log band powers), so the encoder must represent the
    window's spectrum and spatial structure, and infer masked channels and times from
    the rest.

    Parameters
    ----------
    encoder : nn.Module
        Braindecode-signature encoder (its ``sfreq`` and ``n_times`` set the FFT bins).
    bands : sequence of (float, float)
        Band edges in Hz (default :data:`DEFAULT_BANDS`); bands above the Nyquist
        frequency are refused.
    target : "covariance" | "power"
        ``"covariance"``: upper triangle of each band's matrix logarithm
        (``len(bands) * C * (C + 1) / 2`` targets); ``"power"``: each channel's log band
        power (``len(bands) * C``, for high channel counts).
    channel_mask_ratio : float
        Probability of zeroing each channel of the input (braindecode's channel
        dropout), in [0, 1).
    time_mask_ratio : float
        Fraction of the window zeroed on all channels at one random place (braindecode's
        smooth time mask), in [0, 1); 0 masks no time.
    hidden_dim : int
        Hidden width of the regression head.
    head_layers : int
        Linear layers of the head (1 is a linear regression).
    random_state : int | None
        Seed of the masks and of the head's initial weights.
    """

    name = "spectral_prediction"

    def __init__(
        self,
        encoder,
        *,
        bands=DEFAULT_BANDS,
        target="covariance",
        channel_mask_ratio=0.25,
        time_mask_ratio=0.25,
        hidden_dim=256,
        head_layers=2,
        random_state=None,
    ):
        super().__init__(encoder)
        check_option("target", target, TARGETS)
        try:
            sfreq = float(encoder.sfreq)
        except (AttributeError, TypeError, ValueError):
            raise ValueError(
                f"Method 'spectral_prediction' needs the encoder's sampling frequency to "
                f"place its bands; {type(encoder).__name__} has none. Build the encoder "
                f"with sfreq=... (SSLPretrainer on arrays: encoder_params={{'sfreq': ...}}, "
                f"or fit on mne.Epochs)."
            ) from None
        bands = check_bands(bands, sfreq, int(encoder.n_times))
        for key, value in (("channel_mask_ratio", channel_mask_ratio),
                           ("time_mask_ratio", time_mask_ratio)):  # fmt: skip
            if not 0.0 <= float(value) < 1.0:
                raise ValueError(f"'{key}' must be in [0, 1); got {value!r}.")
        self.hparams = dict(
            bands=[list(band) for band in bands],
            target=target,
            channel_mask_ratio=float(channel_mask_ratio),
            time_mask_ratio=float(time_mask_ratio),
            hidden_dim=int(hidden_dim),
            head_layers=int(head_layers),
            random_state=random_state,
        )
        n_chans = int(encoder.n_chans)
        per_band = n_chans * (n_chans + 1) // 2 if target == "covariance" else n_chans
        channel_seed, time_seed = check_random_state(random_state).integers(2**31, size=2)
        masks = []
        if channel_mask_ratio > 0:
            masks.append(ChannelDropout(float(channel_mask_ratio), probability=1.0,
                                        random_state=int(channel_seed)))  # fmt: skip
        mask_length = round(float(time_mask_ratio) * int(encoder.n_times))
        if mask_length > 0:
            masks.append(TimeMask(mask_length, probability=1.0, random_state=int(time_seed)))
        self.mask = Compose(masks)
        with seeded(random_state):
            self.head = ProjectionHead(encoder.n_outputs, int(hidden_dim),
                                       len(bands) * per_band, n_layers=int(head_layers))  # fmt: skip
        self.criterion = SpectralPredictionLoss()

    def targets(self, X):
        """Band features of intact windows: (B, C, T) -> (B, n_targets)."""
        return band_features(X, float(self.encoder.sfreq), self.hparams["bands"],
                             self.hparams["target"])  # fmt: skip

    def forward(self, X):
        prediction = self.head(self.encoder(self.mask(X)))
        return self.criterion(prediction, self.targets(X))
