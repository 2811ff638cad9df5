"""Estimator input: windows from arrays and MNE objects, encoders from modules, names or
checkpoints, and the checks every estimator of this package shares."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import numpy as np
import torch
from scipy import sparse
from sklearn.utils.validation import check_array
from torch import nn

from ..models import ENCODERS, build_encoder, default_encoder_params
from ..training.checkpoint import FACTS_ATTR, encoder_from_checkpoint
from ..utils import check_option, seeded
from .recording import (
    check_scale,
    encoder_facts,
    input_facts,
    mne_input,
    peek_shape,
    read_mne_windows,
    resolve_units,
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
    expected = "(n_windows, n_chans, n_times)" + " or (n_windows, n_times)" * allow_2d
    if not sparse.issparse(X):  # scikit-learn names the argument for sparse input
        X = _window_array(X, name=name, expected=expected, allow_2d=allow_2d)
    # scikit-learn's checks give the standard messages for sparse and non-finite input
    X = check_array(X, allow_nd=True, dtype=np.float32, ensure_all_finite=True,
                    input_name=name, ensure_min_features=1)  # fmt: skip
    if X.ndim == 2:
        X = X[:, np.newaxis, :]  # (n, T) -> (n, 1, T)
    return X


def _window_array(X, *, name, expected, allow_2d):
    """``X`` as an ndarray of real numbers with window dimensions, else a clear error.

    Checked here rather than left to scikit-learn's ``check_array``, whose messages for
    these cases do not name the argument or the expected shape ("Expected 2D array, got
    1D array instead", "could not convert string to float", "Complex data not supported").
    """
    what = f"{name!r} must be an array of numbers of shape {expected} or mne.Epochs"
    if isinstance(X, (str, Path)):
        raise ValueError(
            f"{what}; got the {type(X).__name__} {str(X)!r}. Read the file first, e.g. "
            f"mne.read_epochs({str(X)!r}) or eeg_ssl.data.load_windows."
        )
    try:
        arr = np.asarray(X)
    except (ValueError, TypeError) as err:  # ragged nested lists
        raise ValueError(f"{what}; got a {type(X).__name__} that is not a regular array "
                         f"({err}).") from None  # fmt: skip
    if arr.dtype.kind == "O":
        try:
            arr = arr.astype(np.float64)
        except (ValueError, TypeError) as err:  # same type as NumPy's, as scikit-learn checks
            kinds = sorted({type(v).__name__ for v in arr.ravel()[:100]})
            raise type(err)(f"{what}; got an array of objects ({', '.join(kinds)}) of shape "
                            f"{arr.shape}: {err}.") from None  # fmt: skip
    if arr.dtype.kind == "c":  # scikit-learn's checks expect its words
        raise ValueError(f"Complex data not supported: {what}; got complex values of shape "
                         f"{arr.shape}. Give real values (e.g. np.abs(X) or X.real).")  # fmt: skip
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{what}; got an array of dtype {arr.dtype} of shape {arr.shape}.")
    if arr.ndim == 0:  # None, a number, ...
        raise ValueError(f"{what}; got {type(X).__name__} {X!r:.60}.")
    if arr.ndim != 3 and not (allow_2d and arr.ndim == 2):
        if arr.ndim == 2:
            hint = " Reshape a single window (n_chans, n_times) with X[np.newaxis]."
        elif arr.ndim == 4 and arr.shape[1] == 1:
            hint = (
                f" Drop the extra axis with X[:, 0], of shape {(arr.shape[0],) + arr.shape[2:]}."
            )
        elif arr.ndim == 1:
            hint = " Reshape your data: one channel's samples are X[np.newaxis, np.newaxis]."
        else:
            hint = ""
        raise ValueError(f"{what}; got a {arr.ndim}-D array of shape {arr.shape}.{hint}")
    if 0 in arr.shape:  # in scikit-learn's words, which its checks expect
        axis = "sample(s)" if arr.shape[0] == 0 else "feature(s)"
        n = arr.shape[0] if arr.shape[0] == 0 else int(np.prod(arr.shape[1:]))
        raise ValueError(f"{name!r} is empty ({expected} with no windows, channels or "
                         f"samples): found array with {n} {axis} (shape={arr.shape}) while a "
                         f"minimum of 1 is required.")  # fmt: skip
    return arr


def check_positive_int(value, name):
    """Raise a clear error unless ``value`` is a positive int."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name!r} must be a positive int; got {value!r}.")
    return int(value)


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
    registry = isinstance(encoder, str) and encoder in ENCODERS
    if encoder_params and not registry:  # a built or saved encoder has its own parameters
        warnings.warn(
            f"'encoder_params' ({encoder_params!r}) apply to a registry encoder "
            f"({sorted(ENCODERS)}) only; {name!r} is a module, checkpoint or saved folder "
            f"with its own parameters, so they are ignored.",
            UserWarning,
            stacklevel=4,
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
        params = default_encoder_params(encoder, params, sfreq=sfreq)
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
