"""Classical EEG features for baselines: log band power, Riemannian tangent space, Xdawn."""

from __future__ import annotations

import numpy as np
from scipy.signal import welch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .inputs import WINDOWS_DOC, WindowsMixin, as_windows

#: Default EEG bands in Hz: delta, theta, alpha, beta, low gamma.
BANDS = ((1.0, 4.0), (4.0, 8.0), (8.0, 13.0), (13.0, 30.0), (30.0, 40.0))


class LogBandPower(WindowsMixin, TransformerMixin, BaseEstimator):
    """Log mean power of each channel in each frequency band (Welch periodogram).

    Parameters
    ----------
    sfreq : float
        Sampling rate of the windows in Hz.
    bands : sequence of (float, float) | None
        Band edges in Hz, ``[low, high)``. ``None``: :data:`BANDS` (delta to low gamma),
        cut at the Nyquist frequency.
    units : str
        Units in which ``mne.Epochs`` input is read.

    Attributes
    ----------
    n_chans_, n_times_, n_features_in_ : int
        Fitted window shape.
    bands_ : list of (float, float)
        The bands used.
    n_features_out_ : int
        ``n_chans_ * len(bands_)``.
    """

    def __init__(self, sfreq=128.0, *, bands=None, units="uV"):
        self.sfreq = sfreq
        self.bands = bands
        self.units = units

    def __sklearn_tags__(self):
        tags = self._window_tags(super().__sklearn_tags__())
        tags.target_tags.required = False
        return tags

    def fit(self, X, y=None):
        """Record the window shape and check the bands against ``sfreq``.

        Parameters
        ----------
        %(windows)s
        y : ignored
        """
        if not isinstance(self.sfreq, (int, float)) or self.sfreq <= 0:
            raise ValueError(f"'sfreq' must be a positive number of Hz; got {self.sfreq!r}.")
        nyquist = self.sfreq / 2
        if self.bands is None:
            self.bands_ = [(lo, min(hi, nyquist)) for lo, hi in BANDS if lo < nyquist]
        else:
            self.bands_ = [tuple(band) for band in self.bands]
        for low, high in self.bands_:
            if not 0 <= low < high <= nyquist:
                raise ValueError(
                    f"Band ({low}, {high}) Hz is invalid for 'sfreq'={self.sfreq} Hz: need "
                    f"0 <= low < high <= {nyquist} (Nyquist)."
                )
        X = as_windows(X, units=self.units, allow_2d=True)
        self._set_window_shape(X)
        self.n_features_out_ = self.n_chans_ * len(self.bands_)
        return self

    def transform(self, X):
        """Log band power.

        Parameters
        ----------
        %(windows)s

        Returns
        -------
        features : ndarray, shape (n_windows, n_chans * n_bands)
            ``log10`` of the mean power spectral density in each band (units²/Hz),
            channel-major.
        """
        check_is_fitted(self, "n_features_out_")
        X = as_windows(X, units=self.units, allow_2d=True)
        self._check_window_shape(X)
        nperseg = min(X.shape[2], int(round(self.sfreq)))
        freqs, psd = welch(X.astype(np.float64), fs=self.sfreq, nperseg=nperseg, axis=-1)
        out = []
        for low, high in self.bands_:
            mask = (freqs >= low) & (freqs < high)
            if not mask.any():  # a band narrower than the frequency resolution: nearest bin
                mask = np.abs(freqs - (low + high) / 2) == np.abs(freqs - (low + high) / 2).min()
            out.append(psd[..., mask].mean(axis=-1))
        power = np.stack(out, axis=-1)  # (n, C, n_bands)
        # (n, C, n_bands) -> (n, C * n_bands)
        return np.log10(power + np.finfo(np.float64).tiny).reshape(len(X), -1)


def riemann_features(*, estimator="oas", metric="riemann"):
    """Covariance matrices mapped to the Riemannian tangent space (pyRiemann).

    Parameters
    ----------
    estimator : str
        Covariance estimator of :class:`pyriemann.estimation.Covariances`.
    metric : str
        Metric of :class:`pyriemann.tangentspace.TangentSpace`.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        ``(n, C, T) -> (n, C * (C + 1) / 2)``.
    """
    try:
        from pyriemann.estimation import Covariances
        from pyriemann.tangentspace import TangentSpace
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "The Riemannian baseline needs pyRiemann: pip install 'eeg-ssl[riemann]'"
        ) from err
    from sklearn.pipeline import make_pipeline

    return make_pipeline(Covariances(estimator=estimator), TangentSpace(metric=metric))


def xdawn_features(*, nfilter=4, estimator="oas", metric="riemann"):
    """Xdawn covariances mapped to the Riemannian tangent space (pyRiemann), for ERPs.

    Supervised: :class:`pyriemann.estimation.XdawnCovariances` learns ``nfilter`` spatial
    filters per class from the class-averaged responses and stacks the filtered
    prototypes with each window (Barachant & Congedo 2014), so ``fit`` needs ``y``.

    Parameters
    ----------
    nfilter : int
        Xdawn filters per class (at most the number of channels).
    estimator, metric : str
        Covariance estimator and tangent-space metric.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        ``(n, C, T) -> (n, d * (d + 1) / 2)`` with ``d = 2 * n_classes * min(nfilter, C)``.
    """
    try:
        from pyriemann.estimation import XdawnCovariances
        from pyriemann.tangentspace import TangentSpace
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "The Xdawn baseline needs pyRiemann: pip install 'eeg-ssl[riemann]'"
        ) from err
    from sklearn.pipeline import make_pipeline

    return make_pipeline(XdawnCovariances(nfilter=nfilter, estimator=estimator),
                         TangentSpace(metric=metric))  # fmt: skip


for _method in (LogBandPower.fit, LogBandPower.transform):
    _method.__doc__ = _method.__doc__.replace("%(windows)s", WINDOWS_DOC)
