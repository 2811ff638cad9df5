"""scikit-learn estimators over frozen encoders, probes and metrics."""

from .embedding import EmbeddingTransformer, as_windows
from .probe import heldout_subject_scores, linear_probe, probe_checkpoint, summarise

__all__ = [
    "EmbeddingTransformer",
    "as_windows",
    "heldout_subject_scores",
    "linear_probe",
    "probe_checkpoint",
    "summarise",
]
