"""A frozen encoder as a scikit-learn transformer."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ..training.checkpoint import encoder_from_checkpoint
from ..training.trainer import default_device


def as_windows(X, *, units="uV", name="X"):
    """Validate 3-D window input; ``mne.Epochs`` are read in ``units``.

    Returns
    -------
    X : ndarray of float32, shape (n_windows, n_chans, n_times)
    """
    try:
        import mne

        if isinstance(X, mne.BaseEpochs):
            X = X.get_data(units=units)
    except ImportError:  # pragma: no cover - mne is a core dependency
        pass
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    X = np.asarray(X)
    if X.ndim != 3:
        raise ValueError(
            f"{name!r} must have shape (n_windows, n_chans, n_times) or be mne.Epochs; "
            f"got an array of shape {X.shape}."
        )
    if X.shape[0] == 0:
        raise ValueError(f"{name!r} has 0 windows; shape {X.shape}.")
    if not np.issubdtype(X.dtype, np.number):
        raise ValueError(f"{name!r} must be numeric; got dtype {X.dtype}.")
    X = X.astype(np.float32, copy=False)
    if not np.isfinite(X).all():
        raise ValueError(f"{name!r} contains NaN or infinity; clean the windows first.")
    return X


class EmbeddingTransformer(TransformerMixin, BaseEstimator):
    """Embed EEG windows with a frozen encoder.

    Parameters
    ----------
    encoder : torch.nn.Module | str | Path
        A braindecode-signature encoder, or the path of an eeg-ssl checkpoint whose
        encoder is used. It is copied at ``fit``; the original is never modified.
    batch_size : int
        Windows per forward pass.
    device : str | None
        ``None`` uses CUDA when available.
    units : str
        Units in which ``mne.Epochs`` input is read (the units of the training data).

    Attributes
    ----------
    encoder_ : torch.nn.Module
        The frozen encoder, in eval mode.
    n_chans_, n_times_ : int
        Input shape the encoder expects.
    n_features_out_ : int
        Embedding size.
    """

    def __init__(self, encoder=None, *, batch_size=256, device=None, units="uV"):
        self.encoder = encoder
        self.batch_size = batch_size
        self.device = device
        self.units = units

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.requires_fit = True
        tags.target_tags.required = False
        return tags

    def _load_encoder(self):
        if self.encoder is None:
            raise ValueError(
                "EmbeddingTransformer needs 'encoder': a torch module or a checkpoint path; got None."
            )
        if isinstance(self.encoder, (str, Path)):
            return encoder_from_checkpoint(self.encoder)
        if isinstance(self.encoder, nn.Module):
            return copy.deepcopy(self.encoder)
        raise TypeError(
            f"'encoder' must be a torch.nn.Module or a checkpoint path; got "
            f"{type(self.encoder).__name__}."
        )

    def fit(self, X, y=None):
        """Load and freeze the encoder, check that ``X`` fits it.

        Parameters
        ----------
        X : ndarray, shape (n_windows, n_chans, n_times) | mne.Epochs
        y : ignored
        """
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"'batch_size' must be a positive int; got {self.batch_size!r}.")
        X = as_windows(X, units=self.units)
        encoder = self._load_encoder()
        encoder.eval()
        for param in encoder.parameters():
            param.requires_grad_(False)
        self.device_ = default_device(self.device)
        self.encoder_ = encoder.to(self.device_)
        self.n_chans_ = int(getattr(encoder, "n_chans", X.shape[1]))
        self.n_times_ = int(getattr(encoder, "n_times", X.shape[2]))
        self._check_shape(X)
        self.n_features_out_ = int(self._embed(X[:1]).shape[1])
        return self

    def _check_shape(self, X):
        if X.shape[1] != self.n_chans_ or X.shape[2] != self.n_times_:
            raise ValueError(
                f"The encoder expects windows of shape (n, {self.n_chans_}, {self.n_times_}) "
                f"(n_chans, n_times); got {X.shape}. Prepare the data with the same channels "
                f"and window length as the pretraining data."
            )

    @torch.no_grad()
    def _embed(self, X):
        out = []
        for start in range(0, len(X), self.batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(X[start : start + self.batch_size]))
            out.append(self.encoder_(batch.to(self.device_)).float().cpu().numpy())
        return np.concatenate(out).astype(np.float64)

    def transform(self, X):
        """Embed windows.

        Parameters
        ----------
        X : ndarray, shape (n_windows, n_chans, n_times) | mne.Epochs

        Returns
        -------
        features : ndarray, shape (n_windows, n_features_out_)
        """
        check_is_fitted(self, "encoder_")
        X = as_windows(X, units=self.units)
        self._check_shape(X)
        return self._embed(X)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "n_features_out_")
        return np.array([f"embedding{i}" for i in range(self.n_features_out_)], dtype=object)
