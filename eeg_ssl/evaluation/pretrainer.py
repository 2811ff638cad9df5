"""Self-supervised pretraining as a scikit-learn transformer."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted
from torch.utils.data import TensorDataset

from ..data.samplers import RecordingWindows
from ..methods import METHODS, build_method
from ..training import pretrain
from ..training.trainer import default_device
from ..utils import check_option, seeded
from .embedding import EncoderTransformMixin
from .inputs import INPUT_PARAMS_DOC, WINDOWS_DOC, check_positive_int
from .recording import torch_threads


class SSLPretrainer(EncoderTransformMixin, TransformerMixin, BaseEstimator):
    """Pretrain an encoder on unlabelled windows at ``fit``; embed at ``transform``.

    ``fit`` ignores labels, so in a :class:`~sklearn.pipeline.Pipeline` the
    pretraining uses the training windows of each split only, and
    :class:`~sklearn.model_selection.GridSearchCV` can search the method's
    hyperparameters (``method_params``) and the optimisation settings.

    Parameters
    ----------
    encoder : str | torch.nn.Module | Path
        A key of :data:`eeg_ssl.models.ENCODERS` (built with random weights for the
        shape of the windows given to ``fit``), a module (copied), or a checkpoint
        path or :func:`~eeg_ssl.models.save_pretrained` folder whose encoder is
        further pretrained (its input is checked against the recording facts).
    encoder_params : dict | None
        Keyword arguments of a registry encoder (e.g. ``{"n_outputs": 64}``).
    method : str
        A key of :data:`eeg_ssl.methods.METHODS`.
    method_params : dict | None
        The method's keyword arguments (e.g. ``{"temperature": 0.2}``);
        ``random_state`` defaults to this estimator's.
    epochs, batch_size, lr, weight_decay
        Optimisation settings of :func:`eeg_ssl.training.pretrain` (AdamW).
    group_batches : bool
        Fill each batch with the windows of one or two groups (the ``groups`` given to
        ``fit``, e.g. subjects; else the ``recordings``) instead of shuffling freely,
        so that contrastive negatives share the anchor's subject (``batch_groups`` of
        :func:`eeg_ssl.training.pretrain`).
    device : str | None
        ``None`` uses CUDA when available.
    %(input_params)s
    random_state : int | None
        Seed of the encoder's initialisation, the method's augmentations and the
        shuffling order.
    verbose : bool | str | None
        Progress bars and log level.

    Attributes
    ----------
    method_ : eeg_ssl.methods.SSLMethod
        The pretrained method (encoder plus heads), in eval mode.
    encoder_ : torch.nn.Module
        The pretrained encoder (``method_.encoder``).
    history_ : list of dict
        One entry per epoch: ``epoch``, ``loss``, ``seconds``.
    n_chans_, n_times_, n_features_in_, n_features_out_ : int
        Fitted window shape (``n_features_in_ = n_chans_ * n_times_``) and embedding size.
    recording_facts_ : dict
        What the training data looked like (channels, ``sfreq``, ``units``, window,
        amplitude scale); saved with :meth:`save` and checked at ``transform``.
    """

    def __init__(self, encoder="conv", *, encoder_params=None, method="simclr",
                 method_params=None, epochs=10, batch_size=128, lr=1e-3, weight_decay=1e-4,
                 group_batches=False, device=None, units=None, resample=False, threads=None,
                 random_state=None, verbose=None):  # fmt: skip
        self.encoder = encoder
        self.encoder_params = encoder_params
        self.method = method
        self.method_params = method_params
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.group_batches = group_batches
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

    def fit(self, X, y=None, *, recordings=None, start_seconds=None, groups=None):
        """Pretrain on the windows (labels are ignored).

        Parameters
        ----------
        %(windows)s
        y : ignored
        recordings : array-like, shape (n_windows,) | None
            Recording of each window (any hashable id). With ``start_seconds``, it lets
            methods that sample windows within recordings (``relative_positioning``,
            ``temporal_shuffling``) train on arrays; other methods ignore both.
        start_seconds : array-like of float, shape (n_windows,) | None
            Start time of each window within its recording, in seconds.
        groups : array-like, shape (n_windows,) | None
            Group of each window (e.g. subject ids), used when ``group_batches``.

        Returns
        -------
        self : SSLPretrainer
        """
        check_option("method", self.method, sorted(METHODS))
        if (recordings is None) != (start_seconds is None):
            raise ValueError(
                "Pass both 'recordings' and 'start_seconds' to SSLPretrainer.fit (one entry "
                "per window), or neither."
            )
        check_positive_int(self.epochs, "epochs")
        check_positive_int(self.batch_size, "batch_size")
        if self.method_params is not None and not isinstance(self.method_params, dict):
            raise TypeError(f"'method_params' must be a dict or None; got {self.method_params!r}.")
        with torch_threads(self.threads):
            return self._fit(X, recordings, start_seconds, groups)

    def _fit(self, X, recordings, start_seconds, groups):
        X, encoder = self._fit_windows(X)
        if len(X) < 2:
            raise ValueError(
                f"SSLPretrainer needs at least 2 windows to pretrain; got {len(X)} sample "
                f"(n_samples = {len(X)})."
            )
        if X.shape[2] < 2:
            raise ValueError(
                f"SSLPretrainer needs windows of at least 2 samples to make augmented views; "
                f"got {X.shape[2]} (n_features = {X.shape[2]} for 2-D input)."
            )
        self._set_window_shape(X)
        params = dict(self.method_params or {})
        params.setdefault("random_state", self.random_state)
        with seeded(self.random_state):  # the method's heads
            method = build_method(self.method, encoder, **params)
        self.device_ = default_device(self.device)
        if recordings is None:
            dataset = TensorDataset(torch.from_numpy(np.array(X)))
        else:  # RecordingWindows checks the lengths against X and names the mismatch
            dataset = RecordingWindows(np.array(X), recordings, start_seconds)
        self.history_ = pretrain(
            method,
            dataset,
            batch_groups=self._batch_groups(len(X), recordings, groups),
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
            weight_decay=self.weight_decay,
            device=self.device_,
            random_state=self.random_state,
            verbose=self.verbose,
        )
        self.method_ = method.eval()
        self.encoder_ = method.encoder
        self._check_window_shape(X)
        self.n_features_out_ = int(self._embed(X[:1]).shape[1])
        return self

    def _batch_groups(self, n_windows, recordings, groups):
        if not self.group_batches:
            return None
        batch_groups = groups if groups is not None else recordings
        if batch_groups is None:
            raise ValueError(
                "group_batches=True needs the group of each window: pass groups= (e.g. "
                "subject ids) or recordings= to SSLPretrainer.fit, or set group_batches=False."
            )
        batch_groups = np.asarray(batch_groups)
        if batch_groups.shape != (n_windows,):
            raise ValueError(
                f"'groups' must have one entry per window: {n_windows} windows, got shape "
                f"{batch_groups.shape}."
            )
        return batch_groups

    def save(self, path, *, extra=None):
        """Save the pretrained method as an eeg-ssl checkpoint (loadable by the CLI).

        The checkpoint carries ``recording_facts_``.
        """
        from ..training.checkpoint import save_checkpoint

        check_is_fitted(self, "method_")
        save_checkpoint(path, self.method_, extra=dict(extra or {}, history=self.history_),
                        recording=self.recording_facts_)  # fmt: skip
        return path

    def save_pretrained(self, save_directory):
        """Save the pretrained encoder as a :func:`~eeg_ssl.models.save_pretrained` folder."""
        from ..models.hub import save_pretrained

        check_is_fitted(self, "encoder_")
        return save_pretrained(self.encoder_, save_directory, recording=self.recording_facts_)


for _method in (SSLPretrainer.fit,):
    _method.__doc__ = _method.__doc__.replace("%(windows)s", WINDOWS_DOC)
SSLPretrainer.__doc__ = SSLPretrainer.__doc__.replace("%(input_params)s", INPUT_PARAMS_DOC)
