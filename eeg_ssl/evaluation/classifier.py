"""An encoder plus a classification head: linear probe or full fine-tuning."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelEncoder, StandardScaler
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm

from ..training.trainer import default_device
from ..utils import check_option, seeded, torch_generator
from ..utils.logs import progress_enabled
from .embedding import embed_windows
from .inputs import INPUT_PARAMS_DOC, WINDOWS_DOC, WindowsMixin, check_positive_int
from .recording import torch_threads


class SSLClassifier(WindowsMixin, ClassifierMixin, BaseEstimator):
    """Classify EEG windows with an encoder and a linear head.

    ``mode="linear"`` freezes the encoder and fits standardised embeddings with
    logistic regression (the linear probe). ``mode="finetune"`` trains the encoder
    and a linear head together with cross-entropy; with a registry ``encoder`` name
    this is the supervised-from-scratch baseline.

    Parameters
    ----------
    encoder : str | torch.nn.Module | Path | SSLPretrainer
        A key of :data:`eeg_ssl.models.ENCODERS` (random initial weights), a module
        (copied), a checkpoint path, a :func:`~eeg_ssl.models.save_pretrained` folder
        (or Hugging Face repo id), or a fitted :class:`SSLPretrainer`.
    encoder_params : dict | None
        Keyword arguments of a registry encoder.
    mode : "linear" | "finetune"
        Frozen encoder + logistic regression, or end-to-end training.
    C : float
        Inverse regularisation of the logistic regression (``mode="linear"``).
    epochs, batch_size, lr, weight_decay
        AdamW settings of fine-tuning (``mode="finetune"``); ``batch_size`` is also
        the inference batch size.
    class_weight : "balanced" | dict | None
        Class weights in the loss: inversely to class frequency, by class label, or none.
    device : str | None
        ``None`` uses CUDA when available.
    %(input_params)s
    random_state : int | None
        Seed of the random weights, the head and the shuffling order.
    verbose : bool | str | None
        Progress bars.

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
    encoder_ : torch.nn.Module
        The encoder (frozen, or fine-tuned), in eval mode.
    head_ : sklearn.pipeline.Pipeline | torch.nn.Linear
        Scaler + logistic regression (``"linear"``) or the trained linear layer.
    n_chans_, n_times_, n_features_in_ : int
        Fitted window shape (``n_features_in_ = n_chans_ * n_times_``).
    history_ : list of dict
        Fine-tuning loss per epoch (empty for ``"linear"``).
    recording_facts_ : dict
        What the training data looked like (channels, ``sfreq``, ``units``, window,
        amplitude scale); input is checked against them (see
        :class:`EmbeddingTransformer`).
    """

    def __init__(self, encoder="conv", *, encoder_params=None, mode="linear", C=1.0, epochs=20,
                 batch_size=64, lr=1e-3, weight_decay=1e-4, class_weight="balanced",
                 device=None, units=None, resample=False, threads=None, random_state=None,
                 verbose=None):  # fmt: skip
        self.encoder = encoder
        self.encoder_params = encoder_params
        self.mode = mode
        self.C = C
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.class_weight = class_weight
        self.device = device
        self.units = units
        self.resample = resample
        self.threads = threads
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = self._window_tags(super().__sklearn_tags__())
        tags.classifier_tags.multi_class = True
        tags.classifier_tags.poor_score = False
        return tags

    def fit(self, X, y):
        """Fit the head (and, when fine-tuning, the encoder) on labelled windows.

        Parameters
        ----------
        %(windows)s
        y : array-like, shape (n_windows,)
            Class labels.

        Returns
        -------
        self : SSLClassifier
        """
        check_option("mode", self.mode, ["linear", "finetune"])
        if not isinstance(self.class_weight, dict):
            check_option("class_weight", self.class_weight, ["balanced", None])
        check_positive_int(self.batch_size, "batch_size")
        if y is None:
            raise ValueError("SSLClassifier requires y to be passed, but the target y is None.")
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        with torch_threads(self.threads):
            return self._fit(X, y)

    def _fit(self, X, y):
        X, encoder = self._fit_windows(X)
        if len(y) != len(X):
            raise ValueError(
                f"X and y have inconsistent numbers of samples: {len(X)} windows, {len(y)} labels."
            )
        encoder_ = LabelEncoder().fit(y)
        self.classes_ = encoder_.classes_
        y_index = encoder_.transform(y)
        if len(self.classes_) < 2:
            raise ValueError(
                f"This classifier needs samples of at least 2 classes in the data; got only one "
                f"class: {self.classes_[0]!r}."
            )
        self._set_window_shape(X)
        self.device_ = default_device(self.device)
        self.history_ = []
        if self.mode == "linear":
            for param in encoder.parameters():
                param.requires_grad_(False)
            self.encoder_ = encoder.eval().to(self.device_)
            self._check_window_shape(X)
            features = self._embed(X)
            self.head_ = make_pipeline(
                StandardScaler(),
                LogisticRegression(C=self.C, max_iter=2000, class_weight=self._index_weights()),
            ).fit(features, y_index)
        else:
            check_positive_int(self.epochs, "epochs")
            self.encoder_ = encoder.to(self.device_)
            self._check_window_shape(X)
            with seeded(self.random_state):
                self.head_ = nn.Linear(self._n_outputs(encoder), len(self.classes_))
            self.history_ = self._finetune(X, y_index)
        return self

    def _index_weights(self):
        """``class_weight`` keyed by class index (the head is fit on indices)."""
        if isinstance(self.class_weight, dict):
            return {i: self.class_weight.get(c, 1.0) for i, c in enumerate(self.classes_)}
        return self.class_weight

    def _n_outputs(self, encoder):
        n_outputs = getattr(encoder, "n_outputs", None)
        if n_outputs is None:
            was_training = encoder.training
            n_outputs = embed_windows(encoder, np.zeros((1, self.n_chans_, self.n_times_),
                                      np.float32), device=self.device_).shape[1]  # fmt: skip
            encoder.train(was_training)
        return int(n_outputs)

    def _finetune(self, X, y_index):
        """Train encoder + head with (class-weighted) cross-entropy; returns the history."""
        device = self.device_
        model = nn.Sequential(self.encoder_, self.head_).to(device)
        weight = None
        if self.class_weight is not None:
            weight = compute_class_weight(self.class_weight, classes=self.classes_,
                                          y=self.classes_[y_index])  # fmt: skip
            weight = torch.tensor(weight, dtype=torch.float32, device=device)
        criterion = nn.CrossEntropyLoss(weight=weight)
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=self.lr, weight_decay=self.weight_decay
        )
        dataset = TensorDataset(torch.from_numpy(np.array(X)), torch.from_numpy(y_index))
        batch_size = min(self.batch_size, len(dataset))
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=True,
                            generator=torch_generator(self.random_state))  # fmt: skip
        history = []
        bar = tqdm(range(self.epochs), desc="finetune", unit="epoch",
                   disable=not progress_enabled(self.verbose))  # fmt: skip
        model.train()
        for epoch in bar:
            losses = []
            for xb, yb in loader:
                if len(xb) < 2:  # batch norm cannot train on a single window
                    continue
                loss = criterion(model(xb.to(device)), yb.to(device))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            if not losses:
                raise ValueError(
                    f"Fine-tuning needs at least 2 windows per batch; got {len(X)} windows."
                )
            history.append(dict(epoch=epoch, loss=float(np.mean(losses))))
            bar.set_postfix(loss=f"{history[-1]['loss']:.3f}")
        model.eval()
        return history

    def _embed(self, X):
        return embed_windows(self.encoder_, X, batch_size=self.batch_size, device=self.device_,
                             verbose=self.verbose)  # fmt: skip

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        %(windows)s

        Returns
        -------
        proba : ndarray, shape (n_windows, n_classes)
            Columns follow ``classes_``.
        """
        check_is_fitted(self, "head_")
        with torch_threads(self.threads):
            return self._predict_proba(self._transform_windows(X))

    def _predict_proba(self, X):
        if self.mode == "linear":
            return self.head_.predict_proba(self._embed(X))
        model = nn.Sequential(self.encoder_, self.head_)
        logits = embed_windows(
            model, X, batch_size=self.batch_size, device=self.device_, verbose=self.verbose
        )
        logits -= logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Most probable class of each window.

        Parameters
        ----------
        %(windows)s

        Returns
        -------
        y : ndarray, shape (n_windows,)
        """
        check_is_fitted(self, "head_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


for _method in (SSLClassifier.fit, SSLClassifier.predict_proba, SSLClassifier.predict):
    _method.__doc__ = _method.__doc__.replace("%(windows)s", WINDOWS_DOC)
SSLClassifier.__doc__ = SSLClassifier.__doc__.replace("%(input_params)s", INPUT_PARAMS_DOC)
