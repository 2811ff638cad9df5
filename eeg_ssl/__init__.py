"""eeg-ssl: self-supervised pretraining for EEG/ECoG.

Read recordings with MNE, write HDF5 shards, pretrain braindecode-compatible
encoders with SSL methods, and use them as scikit-learn transformers.
"""

import importlib

from ._version import __version__
from .utils import set_log_level

# Exports imported on first access (PEP 562): `import eeg_ssl` and `eeg_ssl.io`
# (prepare) stay free of torch/braindecode (~0.9 GB of RSS).
_LAZY = {
    "EmbeddingTransformer": ".evaluation",
    "SSLClassifier": ".evaluation",
    "SSLPretrainer": ".evaluation",
    "Recipe": ".io",
    "prepare": ".io",
    "METHODS": ".methods",
    "build_method": ".methods",
    "ENCODERS": ".models",
    "build_encoder": ".models",
    "pretrain": ".training",
    "load_windows": ".data.arrays",
}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ENCODERS",
    "METHODS",
    "EmbeddingTransformer",
    "Recipe",
    "SSLClassifier",
    "SSLPretrainer",
    "__version__",
    "build_encoder",
    "build_method",
    "load_windows",
    "prepare",
    "pretrain",
    "set_log_level",
]
