"""The resampling-invariance test: do embeddings survive a change of sampling rate?"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.signal import resample

from ..utils import check_random_state

#: Default resampling rates (new rate / original rate).
RATES = (0.5, 0.75, 1.25, 1.5, 2.0)


def resample_windows(X, rate):
    """Resample windows by ``rate`` and bring them back to their length.

    Each window is resampled with :func:`scipy.signal.resample` (Fourier method,
    band-limited) to ``round(rate * n_times)`` samples, as if the same signal had
    been recorded at ``rate`` times the sampling rate, i.e. an oscillation of ``f`` Hz
    now looks like ``f / rate`` Hz to an encoder that assumes the original rate.
    Longer windows are cropped around their centre; shorter ones are extended by
    mirror reflection at both ends (no step at the edges).

    Parameters
    ----------
    X : ndarray, shape (n_windows, n_chans, n_times)
    rate : float
        Positive resampling factor.

    Returns
    -------
    X_resampled : ndarray of float32, shape (n_windows, n_chans, n_times)
    """
    if not rate > 0:
        raise ValueError(f"'rate' must be positive; got {rate!r}.")
    n_times = X.shape[-1]
    n_new = max(2, int(round(rate * n_times)))
    Y = resample(X.astype(np.float64), n_new, axis=-1)
    if n_new >= n_times:
        start = (n_new - n_times) // 2
        Y = Y[..., start : start + n_times]
    else:
        # mirror padding can at most double the signal per pass; repeat when needed
        while Y.shape[-1] < n_times:
            pad = min(n_times - Y.shape[-1], Y.shape[-1] - 1)
            left = pad // 2
            Y = np.pad(Y, [(0, 0)] * (Y.ndim - 1) + [(left, pad - left)], mode="reflect")
    return np.ascontiguousarray(Y, dtype=np.float32)


def cosine_similarity_rows(A, B):
    """Cosine similarity of matching rows of ``A`` and ``B``: shape (n,)."""
    norm = np.linalg.norm(A, axis=1) * np.linalg.norm(B, axis=1)
    return np.sum(A * B, axis=1) / np.maximum(norm, np.finfo(np.float64).tiny)


def resampling_invariance(transformer, X, *, rates=RATES, max_windows=512, random_state=0):
    """Cosine similarity between the embedding of a window and of its resampled versions.

    Embeddings are standardised per feature with the mean and sd of the original
    windows' embeddings before the cosine, so a large offset common to all windows
    does not make unrelated windows look similar.
    A reference row (``rate`` = ``"other window"``) gives the similarity of each window
    to a different random window, so that "high" can be judged against what the
    encoder gives to unrelated windows.

    Parameters
    ----------
    transformer : fitted transformer
        E.g. a fitted :class:`~eeg_ssl.evaluation.EmbeddingTransformer` or
        :class:`~eeg_ssl.evaluation.SSLPretrainer`.
    X : ndarray, shape (n_windows, n_chans, n_times)
    rates : sequence of float
    max_windows : int
        A random subset of at most this many windows is used.
    random_state : int | None
        Seed of the subset and of the reference pairs.

    Returns
    -------
    table : pandas.DataFrame
        Columns ``rate``, ``cosine_mean``, ``cosine_sd``, ``n_windows``.
    """
    rng = check_random_state(random_state)
    X = np.asarray(X, dtype=np.float32)
    if len(X) > max_windows:
        X = X[np.sort(rng.choice(len(X), max_windows, replace=False))]
    base = transformer.transform(X)
    # standardise with the original windows' statistics, so that an offset shared by all
    # embeddings does not count as similarity
    mean, sd = base.mean(axis=0), base.std(axis=0) + 1e-12
    base = (base - mean) / sd
    rows = []
    for rate in rates:
        other = (transformer.transform(resample_windows(X, rate)) - mean) / sd
        sim = cosine_similarity_rows(base, other)
        rows.append(dict(rate=str(rate), cosine_mean=float(sim.mean()),
                         cosine_sd=float(sim.std()), n_windows=len(X)))  # fmt: skip
    if len(X) > 1:
        # a random derangement-like shift: every window is paired with another one
        other = np.roll(np.arange(len(X)), int(rng.integers(1, len(X))))
        sim = cosine_similarity_rows(base, base[other])
        rows.append(dict(rate="other window", cosine_mean=float(sim.mean()),
                         cosine_sd=float(sim.std()), n_windows=len(X)))  # fmt: skip
    return pd.DataFrame(rows)
