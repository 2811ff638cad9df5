"""scikit-learn estimators over encoders, probes, evaluation metrics and the benchmark."""

from .calibration import calibrate_norm_statistics
from .classifier import SSLClassifier
from .embedding import EmbeddingTransformer, as_windows, embed_windows
from .features import (
    BandPass,
    LogBandPower,
    filter_bank_features,
    riemann_features,
    xdawn_features,
)
from .invariance import resample_windows, resampling_invariance
from .maps import embedding_map, save_embedding_map
from .pretrainer import SSLPretrainer
from .probe import (
    feature_classifier,
    heldout_subject_scores,
    knn_probe,
    linear_probe,
    probe_checkpoint,
    summarise,
    tuned_feature_classifier,
)
from .splits import check_disjoint_subjects, subject_cross_val_score, subject_folds
from .sweeps import label_fraction_indices, label_fraction_sweep
from .tasks import run_task, task_folds

__all__ = [
    "BandPass",
    "EmbeddingTransformer",
    "LogBandPower",
    "SSLClassifier",
    "SSLPretrainer",
    "as_windows",
    "calibrate_norm_statistics",
    "check_disjoint_subjects",
    "embed_windows",
    "embedding_map",
    "feature_classifier",
    "filter_bank_features",
    "heldout_subject_scores",
    "knn_probe",
    "label_fraction_indices",
    "label_fraction_sweep",
    "linear_probe",
    "probe_checkpoint",
    "resample_windows",
    "resampling_invariance",
    "riemann_features",
    "run_task",
    "save_embedding_map",
    "subject_cross_val_score",
    "subject_folds",
    "summarise",
    "task_folds",
    "tuned_feature_classifier",
    "xdawn_features",
]
