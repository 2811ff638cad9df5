"""Any braindecode model as an eeg-ssl backbone: classifier removed, linear embedding added."""

from __future__ import annotations

import json
import warnings

import torch
from torch import nn

with warnings.catch_warnings():
    # braindecode 1.8 warns at import time about an MNE montage name it uses internally
    warnings.filterwarnings("ignore", message="Montage name", category=FutureWarning)
    import braindecode.models as bd_models
    from braindecode.models.base import EEGModuleMixin

from .hub import PretrainedMixin


def braindecode_model_class(model):
    """Resolve a braindecode model name (e.g. ``"ShallowFBCSPNet"``) to its class."""
    names = sorted(
        n
        for n in dir(bd_models)
        if isinstance(getattr(bd_models, n), type)
        and issubclass(getattr(bd_models, n), EEGModuleMixin)
        and getattr(bd_models, n) is not EEGModuleMixin
    )
    if isinstance(model, type) and model.__name__ in names:
        model = model.__name__
    if isinstance(model, str) and "." in model:  # a class given at init is stored dotted
        model = model.rsplit(".", 1)[1]
    if not isinstance(model, str):
        raise TypeError(
            f"'model' must be the name of a braindecode model (a str such as 'ShallowFBCSPNet'); "
            f"got {type(model).__name__}."
        )
    if model not in names:
        from ..utils import check_option

        check_option("model", model, names)
    return getattr(bd_models, model)


class BraindecodeAdapter(PretrainedMixin, EEGModuleMixin, nn.Module):
    """A braindecode model whose classification layer becomes a linear embedding.

    The braindecode model is built with the same signal parameters; its
    ``final_layer`` (every braindecode model has one) is replaced by identity; a dry
    forward pass on a zero window infers the size of the flattened features; a
    ``Linear(n_features, n_outputs)`` maps them to the embedding. The configuration
    is plain data (the model's name and its keyword arguments), so the adapter is
    rebuilt from a checkpoint like any registered encoder.

    Parameters
    ----------
    n_chans : int
        Number of input channels.
    n_outputs : int
        Embedding size.
    n_times : int
        Samples per input window.
    model : str
        Name of a model in :mod:`braindecode.models`, e.g. ``"ShallowFBCSPNet"``,
        ``"EEGNet"``, ``"Deep4Net"``, ``"EEGConformer"``.
    model_kwargs : dict | None
        The braindecode model's own hyperparameters; must be JSON-serialisable
        (they are stored in checkpoints).
    chs_info, input_window_seconds, sfreq
        As in :class:`braindecode.models.base.EEGModuleMixin`.

    Attributes
    ----------
    backbone : braindecode model
        The wrapped model with ``final_layer = nn.Identity()``.
    n_features : int
        Flattened feature size of the backbone.

    Shapes
    ------
    input (B, n_chans, n_times) -> output (B, n_outputs)
    """

    def __init__(
        self,
        n_chans=None,
        n_outputs=128,
        n_times=None,
        model="ShallowFBCSPNet",
        model_kwargs=None,
        chs_info=None,
        input_window_seconds=None,
        sfreq=None,
    ):
        super().__init__(
            n_outputs=n_outputs,
            n_chans=n_chans,
            chs_info=chs_info,
            n_times=n_times,
            input_window_seconds=input_window_seconds,
            sfreq=sfreq,
        )
        cls = braindecode_model_class(model)
        model_kwargs = dict(model_kwargs or {})
        try:
            json.dumps(model_kwargs)
        except TypeError as err:
            raise ValueError(
                f"'model_kwargs' must be JSON-serialisable plain data so the encoder can be "
                f"rebuilt from a checkpoint; got {model_kwargs!r} ({err}). Pass classes and "
                f"functions by their braindecode defaults instead."
            ) from err
        reserved = {"n_chans", "n_outputs", "n_times", "chs_info", "input_window_seconds", "sfreq"}
        clash = sorted(reserved & set(model_kwargs))
        if clash:
            raise ValueError(
                f"'model_kwargs' must not set the signal parameters {clash}; pass them to "
                f"BraindecodeAdapter itself."
            )
        self.model = cls.__name__
        self.model_kwargs = model_kwargs
        self.backbone = cls(
            n_chans=self.n_chans, n_outputs=self.n_outputs, n_times=self.n_times,
            sfreq=sfreq, chs_info=chs_info, **model_kwargs,
        )  # fmt: skip
        if not isinstance(getattr(self.backbone, "final_layer", None), nn.Module):
            raise ValueError(
                f"braindecode model {self.model!r} has no 'final_layer' module, so its "
                f"classifier cannot be removed; choose another model."
            )
        self.backbone.final_layer = nn.Identity()
        self.n_features = self._infer_n_features()
        self.final_layer = nn.Linear(self.n_features, self.n_outputs)

    @torch.no_grad()
    def _infer_n_features(self):
        """Flattened feature size from a dry forward pass on two zero windows."""
        was_training = self.backbone.training
        self.backbone.eval()  # batch norm must not update its statistics on zeros
        # match the backbone's device, should it have been moved before construction
        param = next(self.backbone.parameters(), None)
        device = param.device if param is not None else "cpu"
        out = self.backbone(torch.zeros(2, self.n_chans, self.n_times, device=device))
        self.backbone.train(was_training)
        return int(out.reshape(2, -1).shape[1])

    def forward(self, x):
        if x.shape[1:] != (self.n_chans, self.n_times):
            raise ValueError(
                f"BraindecodeAdapter({self.model}) was built for windows of shape "
                f"(n_chans={self.n_chans}, n_times={self.n_times}); got input of shape "
                f"{tuple(x.shape)}. Use a length-preserving view recipe (no time crop)."
            )
        # (B, C, T) -> backbone features (B, ...) -> (B, F) -> (B, n_outputs)
        return self.final_layer(self.backbone(x).flatten(start_dim=1))
