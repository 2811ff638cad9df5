"""Linear and kNN probes of frozen encoders, scored on held-out subjects."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GridSearchCV, GroupKFold, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .embedding import EmbeddingTransformer
from .recording import check_data_facts
from .splits import check_disjoint_subjects, subject_ids


def linear_probe(encoder, *, C=1.0, batch_size=256, device=None):
    """``EmbeddingTransformer -> StandardScaler -> LogisticRegression`` pipeline."""
    return make_pipeline(
        EmbeddingTransformer(encoder, batch_size=batch_size, device=device),
        StandardScaler(),
        LogisticRegression(C=C, max_iter=2000),
    )


def knn_probe(encoder, *, n_neighbors=5, batch_size=256, device=None):
    """``EmbeddingTransformer -> StandardScaler -> KNeighborsClassifier`` (cosine) pipeline."""
    return make_pipeline(
        EmbeddingTransformer(encoder, batch_size=batch_size, device=device),
        StandardScaler(),
        KNeighborsClassifier(n_neighbors=n_neighbors, metric="cosine"),
    )


#: Default grid of inverse regularisation strengths for the tuned linear probe.
C_GRID = (1e-3, 1e-2, 1e-1, 1.0, 10.0)


def feature_classifier(kind="linear", *, C=1.0, n_neighbors=5):
    """The probe on top of features: standardise, then logistic regression or kNN.

    Parameters
    ----------
    kind : "linear" | "knn"
    C : float
        Inverse regularisation of the logistic regression (class-balanced).
    n_neighbors : int
        Neighbours of the kNN (cosine distance); capped by the training size at fit.
    """
    if kind == "linear":
        clf = LogisticRegression(C=C, max_iter=2000, class_weight="balanced")
    elif kind == "knn":
        clf = KNeighborsClassifier(n_neighbors=n_neighbors, metric="cosine")
    else:
        raise ValueError(f"Invalid value for 'kind': allowed 'linear', 'knn'; got {kind!r}.")
    return make_pipeline(StandardScaler(), clf)


def tuned_feature_classifier(features, y, groups=None, *, kind="linear", Cs=C_GRID,
                             n_neighbors=(1, 5, 15), n_splits=3, random_state=0):  # fmt: skip
    """Fit a feature probe whose hyperparameter is chosen by CV on the given data only.

    The inner split is by subject (``GroupKFold``) when ``groups`` holds at least
    ``n_splits`` subjects and every inner fold has every class on both sides, else
    stratified by class; with fewer than 2 windows in a
    class there is nothing to cross-validate and the grid's middle value is used.
    Call it with training windows only, so held-out subjects never inform the choice.

    Parameters
    ----------
    features : ndarray, shape (n_windows, n_features)
    y : ndarray, shape (n_windows,)
    groups : ndarray, shape (n_windows,) | None
        Subject of each window.
    kind : "linear" | "knn"
    Cs, n_neighbors : sequence
        Grids of ``C`` (linear) and ``n_neighbors`` (knn).

    Returns
    -------
    estimator : sklearn.pipeline.Pipeline
        Refit on all given windows with the chosen value.
    """
    key = "C" if kind == "linear" else "n_neighbors"
    param = "logisticregression__C" if kind == "linear" else "kneighborsclassifier__n_neighbors"
    _, counts = np.unique(y, return_counts=True)
    cv = None
    if groups is not None and len(set(groups)) >= n_splits:
        folds = list(GroupKFold(n_splits).split(features, y, groups))
        # every class on both sides of every inner fold: a held-out side with one class
        # scores balanced accuracy on that class alone (and sklearn warns that "y_pred
        # contains classes not in y_true"), which would choose C on a degenerate score
        if all(len(np.unique(y[train])) == len(np.unique(y[test])) == len(counts)
               for train, test in folds):  # fmt: skip
            cv = folds
    if cv is None and counts.min() >= 2:
        cv = list(StratifiedKFold(min(n_splits, int(counts.min())), shuffle=True,
                                  random_state=random_state).split(features, y))  # fmt: skip
    # kNN: no more neighbours than the smallest inner training fold holds (subject folds
    # differ in size, so a k that fits on average can fail in one fold)
    n_fit = min(len(train) for train, _ in cv) if cv is not None else len(y)
    grid = list(Cs) if kind == "linear" else [k for k in n_neighbors if k <= n_fit] or [1]
    if cv is None or len(grid) == 1:
        return feature_classifier(kind, **{key: grid[len(grid) // 2]}).fit(features, y)
    search = GridSearchCV(feature_classifier(kind), {param: grid}, cv=cv,
                          scoring="balanced_accuracy", error_score=0.0)  # fmt: skip
    return search.fit(features, y).best_estimator_


def heldout_subject_scores(estimator, X_train, y_train, X_test, y_test, groups_test):
    """Fit on training subjects, score balanced accuracy on each held-out subject.

    Returns
    -------
    scores : dict
        Held-out subject -> balanced accuracy.
    """
    estimator.fit(X_train, y_train)
    pred = estimator.predict(X_test)
    scores = {}
    for subject in sorted(set(groups_test)):
        mask = groups_test == subject
        scores[str(subject)] = float(balanced_accuracy_score(y_test[mask], pred[mask]))
    return scores


def summarise(scores):
    """Mean and sample standard deviation of a dict of scores."""
    values = np.array(list(scores.values()), dtype=float)
    sd = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return float(values.mean()), sd


def probe_checkpoint(data_dir, checkpoint, *, test_subjects, train_subjects=None, C=1.0,
                     random_state=0, device=None):  # fmt: skip
    """Linear-probe a checkpoint's frozen encoder and the same encoder with random weights.

    The probe is fit on the labelled windows of the training subjects and scored
    (balanced accuracy) on each held-out subject separately. The folder is checked
    against the checkpoint's recording facts first
    (:func:`~eeg_ssl.evaluation.recording.check_data_facts`): other channels, rate or
    window length are an error, the same channels in another order are reordered, and
    another recipe with the same shape warns.

    Parameters
    ----------
    data_dir : str | Path
        A prepared folder with labelled windows and subject ids.
    checkpoint : str | Path
        An eeg-ssl checkpoint.
    test_subjects : list of str
        Held-out subjects.
    train_subjects : list of str | None
        Subjects the probe is fit on; default: all others.
    C : float
        Inverse regularisation of the logistic regression.
    random_state : int
        Seed of the random-weights encoder.

    Returns
    -------
    scores : pandas.DataFrame
        Columns ``encoder``, ``subject``, ``balanced_accuracy``.
    """
    import pandas as pd

    from ..data import ShardDataset
    from ..training.checkpoint import encoder_from_checkpoint, load_checkpoint, recording_facts
    from ..utils import seeded

    payload = load_checkpoint(checkpoint)
    test_subjects = subject_ids(test_subjects)
    if train_subjects is not None:
        train_subjects = subject_ids(train_subjects)
    full = ShardDataset(data_dir, labelled_only=True)
    if len(full.classes) < 2:
        raise ValueError(
            f"Probing needs at least 2 classes of labelled windows in {str(data_dir)!r}; "
            f"found {full.classes}. Prepare the data with 'label_source'."
        )
    # the folder must look like the training data, else the encoder embeds it silently
    order = check_data_facts(payload.get("recording"), recording_facts(full),
                             trained_name=str(checkpoint), data_name=str(data_dir))  # fmt: skip
    if train_subjects is None:
        train_subjects = sorted(set(full.groups) - set(test_subjects))
        if not train_subjects:
            raise ValueError(
                f"Invalid value for 'test_subjects': every subject of {str(data_dir)!r} "
                f"({sorted(set(full.groups))}) is held out, so none is left to fit the probe "
                f"on; leave at least one out (or give 'train_subjects')."
            )
    check_disjoint_subjects(train_subjects, test_subjects)
    train = ShardDataset(
        data_dir, subjects=train_subjects, labelled_only=True, classes=full.classes
    )
    test = ShardDataset(data_dir, subjects=test_subjects, labelled_only=True, classes=full.classes)
    X_train, y_train = train.load()
    X_test, y_test = test.load()
    if order is not None:  # the same channels in another order: the training order
        X_train, X_test = X_train[:, order], X_test[:, order]

    trained = encoder_from_checkpoint(payload)
    with seeded(random_state):  # the random-weights baseline's initialisation
        random_init = encoder_from_checkpoint(payload, weights=False)
    rows = []
    for name, encoder in ((payload["method"], trained), ("random weights", random_init)):
        scores = heldout_subject_scores(linear_probe(encoder, C=C, device=device),
                                        X_train, y_train, X_test, y_test, test.groups)  # fmt: skip
        rows += [dict(encoder=name, subject=s, balanced_accuracy=v) for s, v in scores.items()]
    return pd.DataFrame(rows)
