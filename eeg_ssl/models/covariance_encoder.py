"""A filter-bank covariance encoder with a matrix-logarithm read-out (braindecode signature)."""

from __future__ import annotations

import math
import warnings

import torch
from torch import nn

with warnings.catch_warnings():
    # braindecode 1.8 warns at import time about an MNE montage name it uses internally
    warnings.filterwarnings("ignore", message="Montage name", category=FutureWarning)
    from braindecode.models.base import EEGModuleMixin
    from braindecode.modules import GeneralizedGaussianFilter

from .hub import PretrainedMixin


class _SPDLog(torch.autograd.Function):
    """Matrix logarithm through ``eigh`` with a gradient that stays finite.

    Autograd through ``torch.linalg.eigh`` divides by eigenvalue gaps and gives NaN as
    soon as two eigenvalues coincide (e.g. two channels zeroed by an augmentation), and
    torch has no matrix logarithm of its own; so the backward pass is written out with
    the Daleckii-Krein formula, using the derivative ``1 / lambda`` where eigenvalues
    coincide (as SPDNet's LogEig layer does).
    """

    @staticmethod
    def forward(ctx, cov, eps):
        eigvals, eigvecs = torch.linalg.eigh(cov)
        floor = eps * eigvals[..., -1:].clamp_min(torch.finfo(cov.dtype).tiny)
        clamped = torch.maximum(eigvals, floor)
        log_vals = torch.log(clamped)
        ctx.save_for_backward(eigvals, clamped, log_vals, eigvecs, floor)
        return (eigvecs * log_vals.unsqueeze(-2)) @ eigvecs.transpose(-1, -2)

    @staticmethod
    def backward(ctx, grad):
        eigvals, clamped, log_vals, eigvecs, floor = ctx.saved_tensors
        grad = (grad + grad.transpose(-1, -2)) / 2
        inner = eigvecs.transpose(-1, -2) @ grad @ eigvecs
        # divided differences (f(l_i) - f(l_j)) / (l_i - l_j), f'(l_i) where l_i ~ l_j
        gap = eigvals.unsqueeze(-1) - eigvals.unsqueeze(-2)
        slope = torch.where(eigvals > floor, 1.0 / clamped, torch.zeros_like(clamped))
        close = gap.abs() <= 1e-9 * clamped[..., -1:].unsqueeze(-1)
        safe_gap = torch.where(close, torch.ones_like(gap), gap)
        diff = (log_vals.unsqueeze(-1) - log_vals.unsqueeze(-2)) / safe_gap
        kernel = torch.where(close, slope.unsqueeze(-1).expand_as(gap), diff)
        return eigvecs @ (kernel * inner) @ eigvecs.transpose(-1, -2), None


def spd_log(cov, eps=1e-6):
    """Matrix logarithm of symmetric positive-definite matrices.

    Eigenvalues are floored at ``eps`` times the largest one, so rank-deficient inputs
    (flat or duplicated channels) give finite values; the gradient is finite even where
    eigenvalues coincide.

    Parameters
    ----------
    cov : torch.Tensor, shape (..., n, n)
        Symmetric positive (semi-)definite matrices.
    eps : float
        Relative eigenvalue floor.

    Returns
    -------
    torch.Tensor, shape (..., n, n)
    """
    return _SPDLog.apply(cov, eps)


def upper_triangle(mat):
    """Upper triangle (diagonal included) of symmetric matrices as vectors.

    Off-diagonal entries are scaled by sqrt(2) so the Euclidean norm of the vector equals
    the Frobenius norm of the matrix (the usual tangent-space vectorisation).

    Shapes
    ------
    input (..., n, n) -> output (..., n * (n + 1) / 2)
    """
    n = mat.shape[-1]
    rows, cols = torch.triu_indices(n, n, device=mat.device)
    weights = torch.where(rows == cols, 1.0, math.sqrt(2.0)).to(mat.dtype)
    return mat[..., rows, cols] * weights


def oas_shrinkage(cov, n_samples):
    """Oracle Approximating Shrinkage coefficient of each covariance (Chen et al. 2010).

    The formula of :func:`sklearn.covariance.oas`, which the Riemannian baseline uses
    through pyRiemann's ``Covariances("oas")``, written for batches of torch tensors (and
    differentiable) because scikit-learn's works on one NumPy matrix at a time.

    Parameters
    ----------
    cov : torch.Tensor, shape (..., n, n)
        Empirical covariances (normalised by ``n_samples``).
    n_samples : int
        Samples each covariance was estimated from.

    Returns
    -------
    torch.Tensor, shape (...)
        Shrinkage in [0, 1] towards ``trace(cov) / n * I``.
    """
    n = cov.shape[-1]
    mu = cov.diagonal(dim1=-2, dim2=-1).mean(dim=-1)
    alpha = cov.pow(2).mean(dim=(-2, -1))
    num = alpha + mu**2
    den = (n_samples + 1) * (alpha - mu**2 / n)
    safe = torch.where(den > 0, den, torch.ones_like(den))
    return torch.where(den > 0, (num / safe).clamp(max=1.0), torch.ones_like(den))


class CovarianceEncoder(PretrainedMixin, EEGModuleMixin, nn.Module):
    """Learnable band-pass filters, spatial filters, covariances, matrix logarithm.

    Each window goes through a bank of learnable band-pass filters (braindecode's
    :class:`~braindecode.modules.GeneralizedGaussianFilter`, shared by all channels, the
    filter of EEGMiner), optionally alongside the unfiltered signal; a learnable spatial
    filter per band (initialised to the identity) mixes the channels; the shrunk
    covariance matrix of each band is mapped to its matrix logarithm (a log-Euclidean
    tangent vector, as in Riemannian EEG pipelines and SPDNet-style networks); the
    vectorised upper triangles are standardised and projected to the embedding.

    Covariance features are what the strongest classical EEG pipelines use (pyRiemann's
    covariances + tangent space); this encoder lets an SSL objective learn the frequency
    bands and spatial filters that feed them, and gives the frozen probe second-order
    features directly. braindecode has no model that exposes covariance features as an
    embedding (EEGMiner keeps absolute correlations and drops the band power), hence
    this module.

    Parameters
    ----------
    n_chans : int
        Number of input channels.
    n_outputs : int
        Embedding size.
    n_times : int
        Samples per input window (fixed: the filters are built in the frequency domain).
    f_mean : sequence of float
        Initial centre frequencies of the band-pass filters, in Hz.
    bandwidth : sequence of float
        Initial full widths at half maximum of the filters, in Hz (same length).
    broadband : bool
        Also use the unfiltered signal as one more band.
    n_spatial : int | None
        Spatial filters per band; ``None`` keeps ``n_chans`` (identity initialisation).
        Fewer filters start from random orthonormal rows.
    shrinkage : "oas" | float
        Shrinkage of each covariance towards its scaled identity: ``"oas"`` computes it
        per window and band with the Oracle Approximating Shrinkage formula (the
        estimator of the Riemannian baseline), a float in [0, 1) fixes it.
    chs_info, input_window_seconds, sfreq
        As in :class:`braindecode.models.base.EEGModuleMixin`; ``sfreq`` is required.

    Shapes
    ------
    input (B, n_chans, n_times) -> output (B, n_outputs)
    """

    def __init__(
        self,
        n_chans=None,
        n_outputs=128,
        n_times=None,
        f_mean=(6.0, 10.0, 21.0),
        bandwidth=(4.0, 4.0, 14.0),
        broadband=True,
        n_spatial=None,
        shrinkage="oas",
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
        f_mean = [float(f) for f in f_mean]
        bandwidth = [float(b) for b in bandwidth]
        if len(f_mean) != len(bandwidth):
            raise ValueError(
                f"'f_mean' and 'bandwidth' must have the same length (one entry per band); "
                f"got {len(f_mean)} and {len(bandwidth)}."
            )
        if not f_mean and not broadband:
            raise ValueError("CovarianceEncoder needs at least one band: give 'f_mean' or "
                             "set broadband=True.")  # fmt: skip
        nyquist = self.sfreq / 2
        if any(not 0 < f < nyquist for f in f_mean):
            raise ValueError(
                f"'f_mean' must lie strictly between 0 and the Nyquist frequency "
                f"({nyquist:g} Hz at sfreq={self.sfreq:g}); got {f_mean}."
            )
        if shrinkage != "oas" and not (isinstance(shrinkage, (int, float))
                                       and 0.0 <= shrinkage < 1.0):  # fmt: skip
            raise ValueError(f"'shrinkage' must be 'oas' or a number in [0, 1); got "
                             f"{shrinkage!r}.")  # fmt: skip
        n_spatial = self.n_chans if n_spatial is None else int(n_spatial)
        if not 1 <= n_spatial <= self.n_chans:
            raise ValueError(
                f"'n_spatial' must be between 1 and n_chans={self.n_chans}; got {n_spatial}."
            )
        self.f_mean = f_mean
        self.bandwidth = bandwidth
        self.broadband = bool(broadband)
        self.n_spatial = None if n_spatial == self.n_chans else n_spatial
        self.shrinkage = shrinkage if shrinkage == "oas" else float(shrinkage)
        self.n_bands = len(f_mean) + int(self.broadband)
        self.filter = None
        if f_mean:
            self.filter = GeneralizedGaussianFilter(
                in_channels=1, out_channels=len(f_mean), sequence_length=self.n_times,
                sample_rate=self.sfreq, f_mean=tuple(f_mean), bandwidth=tuple(bandwidth),
                shape=(2.0,) * len(f_mean), group_delay=(20.0,) * len(f_mean),
                clamp_f_mean=(0.5, nyquist - 0.5),
            )  # fmt: skip
            self.filter.filters = self.filter.filters.detach()  # see bands()
        if n_spatial == self.n_chans:
            weight = torch.eye(self.n_chans).repeat(self.n_bands, 1, 1)
        else:
            weight = torch.stack([nn.init.orthogonal_(torch.empty(n_spatial, self.n_chans))
                                  for _ in range(self.n_bands)])  # fmt: skip
        self.spatial = nn.Parameter(weight)  # (n_bands, n_spatial, n_chans)
        self.n_features = self.n_bands * n_spatial * (n_spatial + 1) // 2
        self.batch_layer = nn.BatchNorm1d(self.n_features, affine=False)
        self.final_layer = nn.Linear(self.n_features, self.n_outputs)

    def bands(self, x):
        """Band-passed copies of the input.

        Shapes
        ------
        input (B, n_chans, n_times) -> output (B, n_bands, n_chans, n_times)
        """
        parts = []
        if self.filter is not None:
            # (B, C, 1, T) -> (B, C, K, T) -> (B, K, C, T)
            parts.append(self.filter(x.unsqueeze(-2)).transpose(1, 2))
            # braindecode's filter stores the filters it just built (part of the autograd
            # graph) as a buffer; keep a detached copy so the encoder can be deep-copied
            # (MoCo and BYOL copy it for their momentum encoders)
            self.filter.filters = self.filter.filters.detach()
        if self.broadband:
            parts.append(x.unsqueeze(1))
        return torch.cat(parts, dim=1)

    def covariances(self, x):
        """Shrunk covariance matrices of the spatially filtered bands.

        Shapes
        ------
        input (B, n_chans, n_times) -> output (B, n_bands, n_spatial, n_spatial)
        """
        # (B, K, C, T) -> (B, K, S, T)
        z = torch.einsum("ksc,bkct->bkst", self.spatial, self.bands(x))
        z = z - z.mean(dim=-1, keepdim=True)
        cov = z @ z.transpose(-1, -2) / z.shape[-1]  # as scikit-learn's estimators
        n = cov.shape[-1]
        scale = cov.diagonal(dim1=-2, dim2=-1).mean(dim=-1)[..., None, None]
        eye = torch.eye(n, dtype=cov.dtype, device=cov.device)
        if self.shrinkage == "oas":
            shrink = oas_shrinkage(cov, z.shape[-1])[..., None, None]
        else:
            shrink = self.shrinkage
        return (1.0 - shrink) * cov + shrink * scale * eye

    def forward(self, x):
        if x.shape[1:] != (self.n_chans, self.n_times):
            raise ValueError(
                f"CovarianceEncoder was built for windows of shape (n_chans={self.n_chans}, "
                f"n_times={self.n_times}); got input of shape {tuple(x.shape)}. Use a "
                f"length-preserving view recipe (no time crop)."
            )
        # (B, C, T) -> (B, K, S, S) -> (B, K * S * (S + 1) / 2) -> (B, n_outputs)
        # float64 for the eigendecomposition: its gradient divides by eigenvalue gaps
        cov = self.covariances(x).double()
        feats = upper_triangle(spd_log(cov)).to(x.dtype).flatten(start_dim=1)
        return self.final_layer(self.batch_layer(feats))
