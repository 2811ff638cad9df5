"""Transformation prediction; see :mod:`eeg_ssl.losses.transformation_prediction_loss`."""

from __future__ import annotations

from ..losses.transformation_prediction_loss import TransformationPredictionLoss
from ..modules import ProjectionHead
from ..modules.pretext import RandomTransformation
from .base import SSLMethod

#: Default candidates: transformations whose detection needs the window's spectrum
#: (rhythm frequencies, 1/f slope, noise floor). Time masks and channel drops can be
#: spotted from trivial cues (flat stretches, zero channels), and time/sign flips are
#: ambiguous on near time-reversible, sign-symmetric EEG; on simulated EEG (subject-wise
#: split of training subjects) adding them made the probe worse than random weights.
DEFAULT_TRANSFORMATIONS = ("identity", "gaussian_noise", "speed_up", "slow_down")


class TransformationPrediction(SSLMethod):
    """Apply one random transformation per window; classify which one it was.

    Telling a resampled (sped-up or slowed-down) or noisy window from an intact one
    requires the encoder to represent the signal's rhythms and spectrum.

    Parameters
    ----------
    encoder : nn.Module
        Braindecode-signature encoder.
    transformations : list of str
        Candidates, keys of :data:`eeg_ssl.modules.pretext.TRANSFORMATIONS` (default:
        :data:`DEFAULT_TRANSFORMATIONS`, ``"identity"`` included).
    hidden_dim : int
        Hidden width of the classification head.
    head_layers : int
        Linear layers of the head (1 is a linear classifier).
    random_state : int | None
        Seed of the transformation draws.
    """

    name = "transformation_prediction"

    def __init__(self, encoder, *, transformations=None, hidden_dim=128, head_layers=2,
                 random_state=None):  # fmt: skip
        super().__init__(encoder)
        transformations = list(
            DEFAULT_TRANSFORMATIONS if transformations is None else transformations
        )
        self.transform = RandomTransformation(transformations, random_state=random_state)
        self.hparams = dict(transformations=transformations, hidden_dim=int(hidden_dim),
                            head_layers=int(head_layers), random_state=random_state)  # fmt: skip
        self.head = ProjectionHead(encoder.n_outputs, int(hidden_dim), len(transformations),
                                   n_layers=int(head_layers))  # fmt: skip
        self.criterion = TransformationPredictionLoss()

    def forward(self, X):
        X_transformed, labels = self.transform(X)
        return self.criterion(self.head(self.encoder(X_transformed)), labels)
