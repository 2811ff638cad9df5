"""Subject alignment: re-centre each subject's windows so their mean covariance is identity.

Euclidean alignment, He & Wu (2019), "Transfer learning for brain-computer interfaces: a
Euclidean space data alignment approach", IEEE TBME 67(2): per group (subject, session
or recording), the arithmetic mean of the windows' spatial covariances
``R = mean_i X_i X_i^T / n_times`` is computed and every window of the group becomes
``R^{-1/2} X_i``. Riemannian alignment uses the affine-invariant Riemannian mean of the
windows' covariances instead (the re-centring of Zanini et al. 2018, "Transfer learning:
a Riemannian geometry framework with applications to brain-computer interfaces", IEEE
TBME 65(5), applied to the signals). Neither uses labels, so both are unsupervised and
can be applied to held-out subjects from their own unlabelled windows (transductively)
as well as to the pretraining corpus.

Written here because neither braindecode nor MNE has it for signals: pyRiemann's
``TLCenter`` re-centres covariance *matrices*, whereas an encoder needs aligned
*time series*. The Riemannian mean itself is pyRiemann's.
"""

from __future__ import annotations

import numpy as np

__all__ = ["alignment_matrix", "euclidean_alignment", "mean_covariance", "riemannian_alignment"]


def mean_covariance(X):
    """Arithmetic mean of the spatial covariances ``X_i X_i^T / n_times`` of windows.

    Parameters
    ----------
    X : ndarray, shape (n_windows, n_chans, n_times)

    Returns
    -------
    R : ndarray, shape (n_chans, n_chans), float64
    """
    X = np.asarray(X)
    R = np.zeros((X.shape[1], X.shape[1]))
    for start in range(0, len(X), 256):  # in blocks: no float64 copy of the whole array
        block = X[start : start + 256].astype(np.float64, copy=False)
        R += np.einsum("nct,ndt->cd", block, block)
    return R / (len(X) * X.shape[2])


def _inverse_sqrt(R, reg):
    """``(R + reg * tr(R)/n * I)^{-1/2}`` of a symmetric positive semi-definite matrix."""
    R = (R + R.T) / 2
    R = R + reg * np.trace(R) / len(R) * np.eye(len(R))
    eigvals, eigvecs = np.linalg.eigh(R)
    return (eigvecs / np.sqrt(eigvals)) @ eigvecs.T


def _window_covariances(X, reg):
    """Spatial covariance of each window, each with a ridge ``reg * tr / n_chans``."""
    C = np.empty((len(X), X.shape[1], X.shape[1]))
    for start in range(0, len(X), 256):
        block = X[start : start + 256].astype(np.float64, copy=False)
        C[start : start + 256] = np.einsum("nct,ndt->ncd", block, block) / X.shape[2]
    ridge = reg * np.trace(C, axis1=1, axis2=2) / X.shape[1]
    return C + ridge[:, None, None] * np.eye(X.shape[1])


def _riemannian_mean(X, reg):
    try:
        from pyriemann.geometry.mean import mean_riemann
    except ImportError:  # pyRiemann < 0.12
        try:
            from pyriemann.utils.mean import mean_riemann
        except ImportError as err:
            raise ImportError(
                "Riemannian alignment needs pyRiemann: pip install 'eeg-ssl[riemann]'."
            ) from err
    C = _window_covariances(X, max(reg, 1e-10))  # the mean needs every matrix definite
    # flat windows (all zeros) have no covariance to average; they stay zeros anyway
    keep = np.isfinite(C).all(axis=(1, 2)) & (np.trace(C, axis1=1, axis2=2) > 0)
    if not keep.any():
        return np.full(C.shape[1:], np.nan)  # reported by the caller
    return mean_riemann(C[keep])


def alignment_matrix(X, *, metric="euclid", reg=1e-6):
    """The whitening matrix ``R^{-1/2}`` that aligns windows like ``X``.

    The aligners compute it from each group's own windows and apply it to them. Compute
    it from some windows and apply it to others (``W @ X_new``) to align a subject by
    calibration windows of a known state, e.g. a rest block before the session: the
    windows' class mix sets the reference (see ``pipelines/alignment_mix.py``).

    Parameters
    ----------
    X : ndarray, shape (n_windows, n_chans, n_times)
        The windows whose mean covariance defines the alignment.
    metric : "euclid" | "riemann"
        Arithmetic mean of the windows' covariances, or their Riemannian mean (needs
        pyRiemann).
    reg : float
        Ridge, relative to the average eigenvalue, as in the aligners.

    Returns
    -------
    W : ndarray, shape (n_chans, n_chans), float64
    """
    X = np.asarray(X)
    if X.ndim != 3 or len(X) == 0:
        raise ValueError(
            f"'X' must have shape (n_windows, n_chans, n_times) with at least one window; "
            f"got shape {X.shape}."
        )
    if metric not in ("euclid", "riemann"):
        raise ValueError(f"'metric' must be 'euclid' or 'riemann'; got {metric!r}.")
    if not reg >= 0:
        raise ValueError(f"'reg' must be >= 0; got {reg!r}.")
    R = mean_covariance(X) if metric == "euclid" else _riemannian_mean(X, reg)
    if not np.isfinite(R).all() or np.trace(R) <= 0:
        raise ValueError(
            "The windows have no finite, non-zero signal to align by (their mean "
            "covariance is zero or not finite); drop them or fix the data."
        )
    return _inverse_sqrt(R, reg)


def euclidean_alignment(X, groups, *, reg=1e-6):
    """Whiten each group's windows by the inverse square root of its mean covariance.

    Parameters
    ----------
    X : ndarray, shape (n_windows, n_chans, n_times)
        Windows (any units: the output is unitless, each group's mean covariance is
        the identity).
    groups : array-like, shape (n_windows,)
        Group of each window (typically the subject). Each group is aligned with its
        own windows only, so aligning a subject never looks at another subject.
    reg : float
        Ridge added to each mean covariance, relative to its average eigenvalue, so
        that rank-deficient data (e.g. average-referenced, or with a flat channel)
        stays invertible.

    Returns
    -------
    X_aligned : ndarray, same shape and dtype as ``X`` (float32 for integer input)
    """
    return _align(X, groups, reg, "euclid")


def riemannian_alignment(X, groups, *, reg=1e-6):
    """Whiten each group's windows by the inverse square root of its Riemannian mean.

    As :func:`euclidean_alignment`, with the affine-invariant Riemannian mean of the
    windows' spatial covariances (pyRiemann's ``mean_riemann``) in place of their
    arithmetic mean: afterwards each group's Riemannian mean covariance is the
    identity. The Riemannian mean is less pulled by a few loud windows. Needs pyRiemann
    (``pip install 'eeg-ssl[riemann]'``). pyRiemann stops after 50 iterations and may
    warn that it did not converge to its 1e-8 tolerance; on eegmat's subjects the mean
    it returned then was within 1e-4 (relative) of the mean after 500 iterations.

    Parameters
    ----------
    X : ndarray, shape (n_windows, n_chans, n_times)
    groups : array-like, shape (n_windows,)
        Group of each window (typically the subject); each group by its own windows.
    reg : float
        Ridge added to each window's covariance (and to the mean), relative to its
        average eigenvalue, so that rank-deficient windows stay definite.

    Returns
    -------
    X_aligned : ndarray, same shape and dtype as ``X`` (float32 for integer input)
    """
    return _align(X, groups, reg, "riemann")


def _align(X, groups, reg, metric):
    X = np.asarray(X)
    if X.ndim != 3:
        raise ValueError(
            f"'X' must have shape (n_windows, n_chans, n_times); got shape {X.shape}."
        )
    groups = np.asarray(groups)
    if groups.shape != (len(X),):
        raise ValueError(
            f"'groups' must have one entry per window ({len(X)}); got shape {groups.shape}."
        )
    if not reg >= 0:
        raise ValueError(f"'reg' must be >= 0; got {reg!r}.")
    dtype = X.dtype if np.issubdtype(X.dtype, np.floating) else np.float32
    out = np.empty(X.shape, dtype=dtype)
    for group in np.unique(groups):
        idx = np.flatnonzero(groups == group)
        try:
            W = alignment_matrix(X[idx], metric=metric, reg=reg).astype(dtype)
        except ValueError as err:
            name = group.item() if isinstance(group, np.generic) else group  # not np.str_('S1')
            raise ValueError(f"Group {name!r}: {err}") from err
        out[idx] = np.matmul(W, X[idx].astype(dtype, copy=False))
    return out
