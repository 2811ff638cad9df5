"""A frozen encoder as a scikit-learn transformer, and the input checks all estimators share."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted
from torch import nn
from tqdm.auto import tqdm

from ..models import ENCODERS, build_encoder
from ..training.checkpoint import encoder_from_checkpoint
from ..training.trainer import default_device
from ..utils import check_option, seeded
from ..utils.logs import progress_enabled

#: Shared numpydoc text for the input of every estimator of this package.
WINDOWS_DOC = """X : ndarray, shape (n_windows, n_chans, n_times) | mne.Epochs
            EEG windows (``mne.Epochs`` are read in ``units``). A 2-D array
            ``(n_windows, n_times)`` is read as single-channel windows
            ``(n_windows, 1, n_times)``."""


def window_sfreq(X):
    """The sampling rate of ``mne.Epochs`` input; ``None`` for arrays (they carry none)."""
    import mne

    return float(X.info["sfreq"]) if isinstance(X, mne.BaseEpochs) else None


def as_windows(X, *, units="uV", name="X", allow_2d=False):
    """Validate window input and return it as a float32 3-D array.

    Parameters
    ----------
    X : ndarray | torch.Tensor | mne.Epochs
        Windows of shape ``(n_windows, n_chans, n_times)``; ``mne.Epochs`` are read
        with ``get_data(units=units)``.
    units : str
        Units in which ``mne.Epochs`` are read (those of the training data).
    name : str
        Name of the argument, used in error messages.
    allow_2d : bool
        Read a 2-D array ``(n_windows, n_times)`` as single-channel windows
        ``(n_windows, 1, n_times)`` (the scikit-learn estimators allow this, so that
        a plain feature matrix of time series works).

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
    # scikit-learn's checks give the standard messages for sparse, complex, object,
    # 1-D, empty and non-finite input
    X = check_array(X, allow_nd=True, dtype=np.float32, ensure_all_finite=True,
                    input_name=name, ensure_min_features=1)  # fmt: skip
    if X.ndim != 3 and not (allow_2d and X.ndim == 2):
        expected = "(n_windows, n_chans, n_times)"
        if allow_2d:
            expected += " or (n_windows, n_times)"
        raise ValueError(
            f"{name!r} must be an array of shape {expected} or mne.Epochs; got an array of "
            f"shape {X.shape}. Reshape a single window with X[np.newaxis]."
        )
    if X.ndim == 2:
        X = X[:, np.newaxis, :]  # (n, T) -> (n, 1, T)
    return X


def resolve_encoder(encoder, *, encoder_params=None, n_chans=None, n_times=None, sfreq=None,
                    random_state=None, name="encoder"):  # fmt: skip
    """A fresh encoder module from a module, a checkpoint path or a registry name.

    Parameters
    ----------
    encoder : nn.Module | str | Path | SSLPretrainer
        A module (deep-copied), a fitted estimator with ``encoder_`` (its encoder is
        deep-copied), a key of :data:`eeg_ssl.models.ENCODERS` (built with
        random weights for ``n_chans`` x ``n_times`` windows), or an eeg-ssl checkpoint.
    encoder_params : dict | None
        Keyword arguments of the registry encoder (e.g. ``n_outputs``, ``n_filters``,
        and ``sfreq``, which braindecode models such as ``FBCNet`` need). Only used
        with a registry name.
    n_chans, n_times, sfreq
        Signal shape of the windows (registry name only); an ``sfreq`` in
        ``encoder_params`` takes precedence (plain arrays carry no rate).
    random_state : int | None
        Seed of the random initialisation (registry name only).

    Returns
    -------
    encoder : nn.Module
    """
    if encoder is None:
        raise ValueError(
            f"This estimator needs {name!r}: a torch module, a checkpoint path, or one of "
            f"{sorted(ENCODERS)}; got None."
        )
    if isinstance(encoder, nn.Module):
        return copy.deepcopy(encoder)
    if isinstance(getattr(encoder, "encoder_", None), nn.Module):  # a fitted eeg-ssl estimator
        return copy.deepcopy(encoder.encoder_)
    if isinstance(encoder, str) and encoder in ENCODERS:
        if not isinstance(encoder_params, (dict, type(None))):
            raise TypeError(f"'encoder_params' must be a dict or None; got {encoder_params!r}.")
        params = dict(encoder_params or {})
        sfreq = params.pop("sfreq", None) or sfreq
        with seeded(random_state):
            return build_encoder(encoder, n_chans=n_chans, n_times=n_times, sfreq=sfreq, **params)
    if isinstance(encoder, (str, Path)):
        looks_like_path = Path(encoder).suffix or any(sep in str(encoder) for sep in "/\\")
        if not Path(encoder).exists() and not looks_like_path:
            check_option(name, encoder, sorted(ENCODERS))  # raises with a did-you-mean
        return encoder_from_checkpoint(encoder)  # a missing file raises FileNotFoundError
    raise TypeError(
        f"{name!r} must be a torch.nn.Module or a checkpoint path, or one of "
        f"{sorted(ENCODERS)}; got {type(encoder).__name__}."
    )


@torch.no_grad()
def embed_windows(encoder, X, *, batch_size=256, device=None, verbose=None):
    """Embed windows in batches with an encoder in eval mode.

    Parameters
    ----------
    encoder : nn.Module
        Maps (B, C, T) to (B, n_outputs); put in eval mode, left on ``device``.
    X : ndarray of float32, shape (n_windows, n_chans, n_times)
    batch_size : int
    device : str | torch.device | None
        ``None`` uses CUDA when available.
    verbose : bool | str | None
        Progress bar.

    Returns
    -------
    features : ndarray of float64, shape (n_windows, n_outputs)
    """
    device = default_device(device)
    encoder.eval().to(device)
    out = []
    starts = range(0, len(X), batch_size)
    for start in tqdm(starts, desc="embed", unit="batch", leave=False,
                      disable=not progress_enabled(verbose) or len(starts) < 2):  # fmt: skip
        batch = torch.tensor(X[start : start + batch_size], dtype=torch.float32)  # copies
        out.append(encoder(batch.to(device)).float().cpu().numpy())
    return np.concatenate(out).astype(np.float64)


def check_positive_int(value, name):
    """Raise a clear error unless ``value`` is a positive int."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name!r} must be a positive int; got {value!r}.")
    return int(value)


class WindowsMixin:
    """Shape bookkeeping shared by the estimators: fitted window shape and its checks."""

    def _set_window_shape(self, X):
        self.n_chans_ = int(X.shape[1])
        self.n_times_ = int(X.shape[2])
        # one "feature" per sample value, so that 2-D input (n, T) has n_features_in_ == T
        self.n_features_in_ = self.n_chans_ * self.n_times_

    def _check_window_shape(self, X):
        if X.shape[1] != self.n_chans_ or X.shape[2] != self.n_times_:
            name = type(self).__name__
            hint = ""
            if X.shape[1] == 1 and self.n_chans_ != 1:
                hint = (
                    f" Give windows as (n_windows, n_chans, n_times); a 2-D array such as "
                    f"{(X.shape[0], X.shape[2])} is read as single-channel windows."
                )
            raise ValueError(
                f"This {name} expects windows of shape (n, {self.n_chans_}, {self.n_times_}) "
                f"(n_chans, n_times), as at fit; got {X.shape}. Prepare the data with the "
                f"same channels, sampling rate and window length.{hint} (X has "
                f"{X.shape[1] * X.shape[2]} features, but {name} is expecting "
                f"{self.n_features_in_} features as input.)"
            )

    def _window_tags(self, tags):
        tags.input_tags.two_d_array = True  # read as single-channel windows
        tags.input_tags.three_d_array = True
        tags.non_deterministic = False
        return tags


class EncoderTransformMixin(WindowsMixin):
    """``transform`` of the estimators that embed windows with a fitted ``encoder_``."""

    def _embed(self, X):
        return embed_windows(self.encoder_, X, batch_size=self.batch_size, device=self.device_,
                             verbose=self.verbose)  # fmt: skip

    def transform(self, X):
        """Embed windows with the fitted encoder.

        Parameters
        ----------
        %(windows)s

        Returns
        -------
        features : ndarray of float64, shape (n_windows, n_features_out_)
        """
        check_is_fitted(self, "encoder_")
        X = as_windows(X, units=self.units, allow_2d=True)
        self._check_window_shape(X)
        return self._embed(X)

    def get_feature_names_out(self, input_features=None):
        """``embedding0``, ``embedding1``, ... (one per output feature)."""
        check_is_fitted(self, "n_features_out_")
        return np.array([f"embedding{i}" for i in range(self.n_features_out_)], dtype=object)


class EmbeddingTransformer(EncoderTransformMixin, TransformerMixin, BaseEstimator):
    """Embed EEG windows with a frozen encoder.

    Parameters
    ----------
    encoder : torch.nn.Module | str | Path
        A braindecode-signature encoder (copied at ``fit``; the original is never
        modified), the path of an eeg-ssl checkpoint whose encoder is used, or a key
        of :data:`eeg_ssl.models.ENCODERS` (an encoder with random weights, built for
        the shape of the windows given to ``fit``: the random-weights baseline).
    encoder_params : dict | None
        Keyword arguments of a registry encoder (e.g. ``{"n_outputs": 64}``).
    batch_size : int
        Windows per forward pass.
    device : str | None
        ``None`` uses CUDA when available.
    units : str
        Units in which ``mne.Epochs`` input is read (the units of the training data).
    random_state : int | None
        Seed of a registry encoder's random weights.
    verbose : bool | str | None
        Progress bar while embedding.

    Attributes
    ----------
    encoder_ : torch.nn.Module
        The frozen encoder, in eval mode.
    n_chans_, n_times_ : int
        Window shape the encoder takes.
    n_features_in_ : int
        ``n_chans_ * n_times_``.
    n_features_out_ : int
        Embedding size.
    """

    def __init__(self, encoder=None, *, encoder_params=None, batch_size=256, device=None,
                 units="uV", random_state=None, verbose=None):  # fmt: skip
        self.encoder = encoder
        self.encoder_params = encoder_params
        self.batch_size = batch_size
        self.device = device
        self.units = units
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = self._window_tags(super().__sklearn_tags__())
        tags.requires_fit = True
        tags.target_tags.required = False
        return tags

    def fit(self, X, y=None):
        """Load and freeze the encoder, check that the windows fit it.

        Parameters
        ----------
        %(windows)s
        y : ignored

        Returns
        -------
        self : EmbeddingTransformer
        """
        check_positive_int(self.batch_size, "batch_size")
        sfreq = window_sfreq(X)  # None for arrays
        X = as_windows(X, units=self.units, allow_2d=True)
        encoder = resolve_encoder(self.encoder, encoder_params=self.encoder_params,
                                  n_chans=X.shape[1], n_times=X.shape[2], sfreq=sfreq,
                                  random_state=self.random_state)  # fmt: skip
        encoder.eval()
        for param in encoder.parameters():
            param.requires_grad_(False)
        self.device_ = default_device(self.device)
        self.encoder_ = encoder.to(self.device_)
        self._set_window_shape(X)
        expected = (getattr(encoder, "n_chans", None), getattr(encoder, "n_times", None))
        if expected[0] is not None and expected[1] is not None:
            self.n_chans_, self.n_times_ = int(expected[0]), int(expected[1])
            self.n_features_in_ = self.n_chans_ * self.n_times_
            self._check_window_shape(X)
        self.n_features_out_ = int(self._embed(X[:1]).shape[1])
        return self


for _method in (EmbeddingTransformer.fit, EncoderTransformMixin.transform):
    _method.__doc__ = _method.__doc__.replace("%(windows)s", WINDOWS_DOC)
