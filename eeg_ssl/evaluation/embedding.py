"""A frozen encoder as a scikit-learn transformer, and batched embedding of windows.

The input conversion and checks shared by every estimator are in
:mod:`eeg_ssl.evaluation.inputs`.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from ..training.trainer import default_device
from ..utils.logs import progress_enabled
from .inputs import (  # noqa: F401 (as_windows, resolve_encoder: importable from here too)
    INPUT_PARAMS_DOC,
    WINDOWS_DOC,
    WindowsMixin,
    as_windows,
    check_positive_int,
    resolve_encoder,
)
from .recording import encoder_facts, torch_threads


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
