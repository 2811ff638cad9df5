"""eeg-ssl: self-supervised pretraining for EEG/ECoG.

Read recordings with MNE, write HDF5 shards, pretrain braindecode-compatible
encoders with SSL methods, and use them as scikit-learn transformers.
"""

from ._version import __version__
from .evaluation import EmbeddingTransformer
from .io import Recipe, prepare
from .methods import METHODS, build_method
from .models import ENCODERS, build_encoder
from .training import pretrain
from .utils import set_log_level

__all__ = [
    "ENCODERS",
    "METHODS",
    "EmbeddingTransformer",
    "Recipe",
    "__version__",
    "build_encoder",
    "build_method",
    "prepare",
    "pretrain",
    "set_log_level",
]
