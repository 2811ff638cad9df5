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
from ..training.checkpoint import FACTS_ATTR, encoder_from_checkpoint
from ..training.trainer import default_device
from ..utils import check_option, seeded
from ..utils.logs import progress_enabled
from .recording import (
    check_scale,
    encoder_facts,
    input_facts,
    mne_input,
    peek_shape,
    read_mne_windows,
    resolve_units,
    torch_threads,
)

#: Shared numpydoc text for the input of every estimator of this package.
WINDOWS_DOC = """X : ndarray, shape (n_windows, n_chans, n_times) | mne.Epochs | mne.io.Raw
            EEG windows. ``mne.Epochs`` are read in ``units`` and matched to the
            training channels by name (reordered when the set is the same); ``Raw``
            is cut into consecutive windows of the training length. A 2-D array
            ``(n_windows, n_times)`` is read as single-channel windows
            ``(n_windows, 1, n_times)``."""


#: Shared numpydoc text for the input parameters of every estimator of this package.
INPUT_PARAMS_DOC = """units : str | None
        Units in which ``mne.Epochs`` input is read; ``None``: those of the training
        data (recorded in the checkpoint), else ``"uV"``.
    resample : bool
        Resample ``mne.Epochs`` / ``Raw`` whose sampling rate differs from the training
        data's (MNE's ``resample``); ``False`` makes a different rate an error.
    threads : int | None
        torch intra-op (and BLAS) threads within ``fit`` / ``transform`` / ``predict``,
        restored after; ``None`` leaves torch's setting (default: one per core). One
        thread is often faster on a loaded machine."""


def as_windows(X, *, units="uV", name="X", allow_2d=False):
    """Validate window input and return it as a float32 3-D array.

    Parameters
    ----------
    X : ndarray | torch.Tensor | mne.Epochs | list of mne.Epochs
        Windows of shape ``(n_windows, n_chans, n_times)``; ``mne.Epochs`` are read
        with ``get_data(units=units)``, a list of them (what scikit-learn's indexing
        makes of Epochs in cross-validation) as their concatenation.
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
    if mne_input(X) is not None:
        X = read_mne_windows(X, None, units=units, name=name)
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
        if X.ndim == 2:
            hint = " Reshape a single window (n_chans, n_times) with X[np.newaxis]."
        elif X.ndim == 4 and X.shape[1] == 1:
            hint = f" Drop the extra axis with X[:, 0], of shape {(X.shape[0],) + X.shape[2:]}."
        else:
            hint = ""
        raise ValueError(
            f"{name!r} must be an array of shape {expected} or mne.Epochs; got a "
            f"{X.ndim}-D array of shape {X.shape}.{hint}"
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
        random weights for ``n_chans`` x ``n_times`` windows), an eeg-ssl checkpoint,
        or a :func:`~eeg_ssl.models.save_pretrained` folder or Hugging Face repo id.
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
        from ..models.hub import is_repo_id, load_pretrained

        if Path(encoder).is_dir() or is_repo_id(encoder):  # a save_pretrained folder
            return load_pretrained(encoder)
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
    """Input bookkeeping shared by the estimators: recording facts, window shape, checks."""

    def _fit_windows(self, X):
        """Resolve the encoder and read the fit windows, checked against its recording facts.

        Sets ``recording_facts_`` (the encoder's, or those of ``X``) and returns
        ``(windows, encoder)``; the encoder carries the facts (``recording_facts``).
        """
        peek = peek_shape(X)  # MNE input: (n_chans, n_times | None for Raw, sfreq)
        if peek is None:
            windows = as_windows(X, allow_2d=True)
            n_chans, n_times, sfreq = windows.shape[1], windows.shape[2], None
        else:
            windows, (n_chans, n_times, sfreq) = None, peek
            if n_times is None and isinstance(self.encoder, str) and self.encoder in ENCODERS:
                raise ValueError(
                    f"{type(self).__name__} cannot size a new {self.encoder!r} encoder from "
                    f"mne.io.Raw (no window length); give windows as mne.Epochs."
                )
        encoder = resolve_encoder(self.encoder, encoder_params=self.encoder_params,
                                  n_chans=n_chans, n_times=n_times, sfreq=sfreq,
                                  random_state=self.random_state)  # fmt: skip
        facts = encoder_facts(encoder)
        units = self._units(facts)
        if windows is None:
            windows = as_windows(read_mne_windows(X, facts, units=units, resample=self.resample))
        check_scale(windows, facts)
        self.recording_facts_ = facts if facts is not None else input_facts(X, windows,
                                                                            units=units)  # fmt: skip
        setattr(encoder, FACTS_ATTR, self.recording_facts_)
        return windows, encoder

    def _transform_windows(self, X):
        """Read transform input, checked against ``recording_facts_`` and the fitted shape."""
        facts = getattr(self, "recording_facts_", None)
        if mne_input(X) is not None:
            X = read_mne_windows(X, facts, units=self._units(facts), resample=self.resample)
        X = as_windows(X, allow_2d=True)
        self._check_window_shape(X)
        check_scale(X, facts)
        return X

    def _units(self, facts):
        return resolve_units(self.units, facts, estimator=type(self).__name__)

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
        with torch_threads(self.threads):
            return self._embed(self._transform_windows(X))

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
        modified), the path of an eeg-ssl checkpoint whose encoder is used, a folder
        written by :meth:`save_pretrained` (or a Hugging Face repo id of one), or a
        key of :data:`eeg_ssl.models.ENCODERS` (an encoder with random weights, built
        for the shape of the windows given to ``fit``: the random-weights baseline).
    encoder_params : dict | None
        Keyword arguments of a registry encoder (e.g. ``{"n_outputs": 64}``).
    batch_size : int
        Windows per forward pass.
    device : str | None
        ``None`` uses CUDA when available.
    %(input_params)s
    random_state : int | None
        Seed of a registry encoder's random weights.
    verbose : bool | str | None
        Progress bar while embedding.

    Attributes
    ----------
    encoder_ : torch.nn.Module
        The frozen encoder, in eval mode.
    recording_facts_ : dict
        What the training data looked like (channels, ``sfreq``, ``units``, window,
        recipe hash, amplitude scale): the encoder's, from its checkpoint or saved
        folder, else those of the windows given to ``fit``. Input is checked against
        them.
    n_chans_, n_times_ : int
        Window shape the encoder takes.
    n_features_in_ : int
        ``n_chans_ * n_times_``.
    n_features_out_ : int
        Embedding size.
    """

    def __init__(self, encoder=None, *, encoder_params=None, batch_size=256, device=None,
                 units=None, resample=False, threads=None, random_state=None,
                 verbose=None):  # fmt: skip
        self.encoder = encoder
        self.encoder_params = encoder_params
        self.batch_size = batch_size
        self.device = device
        self.units = units
        self.resample = resample
        self.threads = threads
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
        with torch_threads(self.threads):
            X, encoder = self._fit_windows(X)
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

    def save_pretrained(self, save_directory):
        """Save the fitted encoder with its recording facts (safetensors + config.json).

        ``EmbeddingTransformer(save_directory)`` or :meth:`from_pretrained` load it.

        Parameters
        ----------
        save_directory : str | Path
            Folder to write (created; files replaced atomically).

        Returns
        -------
        save_directory : Path
        """
        from ..models.hub import save_pretrained

        check_is_fitted(self, "encoder_")
        return save_pretrained(self.encoder_, save_directory, recording=self.recording_facts_,
                               estimator={"batch_size": self.batch_size, "units": self.units})  # fmt: skip

    @classmethod
    def from_pretrained(cls, dir_or_repo_id, **params):
        """A fitted transformer from a :meth:`save_pretrained` folder or a Hub repo id.

        Parameters
        ----------
        dir_or_repo_id : str | Path
            Local folder, or a Hugging Face repo id (downloaded with
            ``huggingface_hub.snapshot_download``; needs ``pip install 'eeg-ssl[hub]'``).
        **params
            Other parameters of the transformer (``batch_size``, ``device``, ...).

        Returns
        -------
        transformer : EmbeddingTransformer
            Fitted (``transform`` works at once); ``clone`` of it reloads the folder.
        """
        from ..models.hub import load_pretrained, pretrained_config

        folder = pretrained_config(dir_or_repo_id)[1]
        saved = pretrained_config(folder)[0].get("estimator") or {}
        est = cls(str(folder), **{**saved, **params})
        encoder = load_pretrained(folder)
        facts = encoder_facts(encoder) or {}
        with torch_threads(est.threads):
            est.recording_facts_ = facts
            est.device_ = default_device(est.device)
            est.encoder_ = encoder.eval().to(est.device_)
            for param in encoder.parameters():
                param.requires_grad_(False)
            est.n_chans_, est.n_times_ = int(encoder.n_chans), int(encoder.n_times)
            est.n_features_in_ = est.n_chans_ * est.n_times_
            zeros = np.zeros((1, est.n_chans_, est.n_times_), np.float32)
            est.n_features_out_ = int(est._embed(zeros).shape[1])
        return est


for _method in (EmbeddingTransformer.fit, EncoderTransformMixin.transform):
    _method.__doc__ = _method.__doc__.replace("%(windows)s", WINDOWS_DOC)
EmbeddingTransformer.__doc__ = EmbeddingTransformer.__doc__.replace(
    "%(input_params)s", INPUT_PARAMS_DOC
)
