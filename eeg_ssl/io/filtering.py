"""Vectorised FIR band-pass and FFT resampling built on MNE's filter design.

MNE designs the filters (:func:`mne.filter.create_filter`) and defines the maths.
:func:`fir_filter` and :func:`fft_resample` only apply them to all channels at once and
equal MNE to float64 rounding (tests/io/test_recipe.py checks
``max |ours - MNE| <= 1e-9 * max |MNE|``); :func:`fused_filter_resample` does both steps
in one pair of FFTs and is held to a stated tolerance instead
(tests/io/test_filtering.py). Hand-written because ``Raw.filter`` and ``Raw.resample``
loop over channels in Python with one FFT per block, which dominates ``prepare``'s run
time.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import mne
import numpy as np
from scipy import fft as sp_fft


@functools.lru_cache(maxsize=32)
def mne_fir(sfreq, l_freq, h_freq):
    """MNE's default FIR band-pass (:func:`mne.filter.create_filter`), cached per rates.

    The design depends only on the rates and band edges, not on the data (MNE uses the
    data only to warn when the filter is longer than the signal), and takes a few
    milliseconds: a corpus shares one design. Returned read-only.
    """
    h = mne.filter.create_filter(None, float(sfreq), l_freq, h_freq, verbose="error")
    h = np.asarray(h, dtype=np.float64)
    h.flags.writeable = False
    return h


def reflect_limited_pad(x, n_left, n_right, *, length=None, offset=None, dtype=None):
    """Pad the last axis as MNE's ``pad="reflect_limited"``: odd reflection, then zeros.

    Parameters
    ----------
    x : ndarray, shape (n_chans, n_times)
    n_left, n_right : int
        Samples added before and after.
    length : int | None
        Total length of the result, ``>= n_left + n_times + n_right``: zeros are added
        at the end (an FFT's zero padding, without a second copy).
    offset : ndarray, shape (n_chans, 1) | None
        Subtracted from ``x`` before padding (computed in ``x``'s precision, then
        stored), i.e. the result pads ``x - offset``.
    dtype : numpy dtype | None
        Of the result; default ``x``'s floating type.

    Returns
    -------
    padded : ndarray, shape (n_chans, length or n_left + n_times + n_right)
    """
    n_times = x.shape[-1]
    total = n_left + n_times + n_right
    if dtype is None:
        dtype = np.result_type(x.dtype, np.float64) if x.dtype.kind != "f" else x.dtype
    # every sample is written once below (np.zeros would write the whole array twice)
    out = np.empty(x.shape[:-1] + (total if length is None else int(length),), dtype)
    # reflected sample: 2 * edge - x (- offset), computed in x's precision, then stored
    edge_left, edge_right = 2 * x[..., :1], 2 * x[..., -1:]
    if offset is not None:
        edge_left, edge_right = edge_left - offset, edge_right - offset
    k = min(n_left, n_times - 1)  # reflected samples; the rest (further out) is 0
    out[..., : n_left - k] = 0
    if k:
        np.subtract(edge_left, x[..., k:0:-1], out=out[..., n_left - k : n_left],
                    casting="unsafe")  # fmt: skip
    if offset is None:
        out[..., n_left : n_left + n_times] = x
    else:
        np.subtract(x, offset, out=out[..., n_left : n_left + n_times], casting="unsafe")
    k = min(n_right, n_times - 1)
    if k:
        np.subtract(edge_right, x[..., -2 : -k - 2 : -1],
                    out=out[..., n_left + n_times : n_left + n_times + k], casting="unsafe")  # fmt: skip
    out[..., n_left + n_times + k :] = 0  # zeros beyond the reflection, and the FFT's padding
    return out


def fir_filter(data, sfreq, l_freq, h_freq):
    """Zero-phase FIR filter with MNE's default design, all channels at once.

    Same result as ``mne.filter.filter_data(data, sfreq, l_freq, h_freq)`` (method
    ``"fir"``, ``phase="zero"``, ``fir_design="firwin"``, ``pad="reflect_limited"``).

    Parameters
    ----------
    data : ndarray of float64, shape (n_chans, n_times)
        Signal in any unit.
    sfreq : float
        Sampling rate in Hz.
    l_freq, h_freq : float | None
        Pass-band edges in Hz.

    Returns
    -------
    filtered : ndarray of float64, shape (n_chans, n_times)
    """
    data = np.asarray(data, dtype=np.float64)
    h = mne_fir(sfreq, l_freq, h_freq)
    n_h = len(h)
    if n_h == 1:
        return data * h
    n_times = data.shape[-1]
    # MNE pads min(n_h, n_times) - 1 samples per side (reflected, zeros beyond) and keeps
    # the full convolution's samples [shift, shift + n_times), shift = (n_h - 1) // 2 +
    # that pad. An output sample sees the input only within half a filter length, so
    # padding by that much (the same values) gives the same samples with shorter FFTs.
    n_left, n_right = n_h - 1 - (n_h - 1) // 2, (n_h - 1) // 2
    n_fft = sp_fft.next_fast_len(n_left + n_times + n_right, real=True)  # no wrap below
    # padded straight to the FFT length: one copy, not a pad and then rfft's zero-fill
    spectrum = sp_fft.rfft(reflect_limited_pad(data, n_left, n_right, length=n_fft), axis=-1)
    spectrum *= sp_fft.rfft(h, n_fft)
    return sp_fft.irfft(spectrum, n_fft, axis=-1)[:, n_h - 1 : n_h - 1 + n_times]


def fft_resample(data, sfreq, new_sfreq):
    """FFT resampling as ``mne.filter.resample`` with its defaults, all channels at once.

    Defaults reproduced: ``method="fft"``, ``npad="auto"``, ``window="boxcar"``,
    ``pad="reflect_limited"``.

    Parameters
    ----------
    data : ndarray, shape (n_chans, n_times)
    sfreq, new_sfreq : float
        Current and target sampling rates in Hz.

    Returns
    -------
    resampled : ndarray of float64, shape (n_chans, round(n_times * new_sfreq / sfreq))
    """
    data = np.asarray(data, dtype=np.float64)
    ratio = float(new_sfreq) / float(sfreq)
    n_times = data.shape[-1]
    final_len = max(int(round(ratio * n_times)), 1)
    min_add = min(n_times // 8, 100) * 2
    npad = 2 ** int(np.ceil(np.log2(n_times + min_add))) - n_times
    npad, extra = divmod(npad, 2)
    npads = (npad, npad + extra)
    orig_len = n_times + sum(npads)
    new_len = max(int(round(ratio * orig_len)), 1)
    remove_left = int(round(ratio * npads[0]))
    remove_right = new_len - final_len - remove_left
    spectrum = sp_fft.rfft(reflect_limited_pad(data, *npads), axis=-1)
    use_len = min(new_len, orig_len)
    if use_len % 2 == 0:
        spectrum[:, use_len // 2] *= 2 if new_len < orig_len else 0.5
    spectrum *= float(new_len) / float(orig_len)  # boxcar window gain
    out = sp_fft.irfft(spectrum, new_len, axis=-1)
    return out[:, remove_left : new_len - remove_right]


def _fused_length(need, up, down, max_tries=20000):
    """Smallest ``L = down * m >= need`` with ``L`` and ``up * m`` both fast FFT lengths."""
    m = -(-need // down)
    for k in range(m, m + max_tries):
        if (sp_fft.next_fast_len(down * k, real=True) == down * k
                and sp_fft.next_fast_len(up * k, real=True) == up * k):  # fmt: skip
            return down * k
    return down * m  # correct, only slower


def fused_filter_resample(data, sfreq, l_freq, h_freq, new_sfreq, *, gain=1.0,
                          max_denominator=1000):  # fmt: skip
    """Band-pass and resample in one FFT: MNE's FIR filter, then exact-ratio FFT resampling.

    The signal is padded as MNE's filter pads it (``reflect_limited``; of MNE's one
    filter length per side, only the half filter length that reaches the output),
    convolved with MNE's default FIR design (the same filter as :func:`fir_filter`) by
    one real FFT of a length ``L`` that is a multiple of the ratio's denominator, and
    the product's spectrum is cut (or zero-padded) to ``L * new_sfreq / sfreq`` bins
    and inverted: two FFTs for both steps, both of fast lengths, instead of MNE's four
    (filter, then resampling with ``npad="auto"``, whose inverse FFT length is often a
    product of large primes). The FFTs run in float32 around the channel means, which
    are added back exactly (times the filter's DC gain).

    It is not MNE's arithmetic, so it is held to a stated tolerance instead of
    rounding (``tests/io/test_filtering.py``): against ``Raw.filter`` then
    ``Raw.resample`` at the exact ratio, the difference is a small fraction of the
    signal's peak. Output samples are exactly at ``k / new_sfreq`` from the first
    input sample (MNE's ``npad="auto"`` rounds its padded length, which stretches
    its output grid by up to a quarter sample). Hand-written because neither MNE
    nor SciPy fuses filtering with FFT resampling.

    Parameters
    ----------
    data : ndarray, shape (n_chans, n_times)
    sfreq, new_sfreq : float
        Current and target sampling rates in Hz.
    l_freq, h_freq : float | None
        Pass-band edges in Hz; ``h_freq`` plus MNE's transition band must lie below
        the new Nyquist frequency (the product must be band-limited).
    gain : float
        Factor applied to the result (e.g. volts to microvolts), folded into the
        filter so that it costs no pass over the samples.
    max_denominator : int
        Largest denominator of ``new_sfreq / sfreq`` handled.

    Returns
    -------
    resampled : ndarray of float32, shape (n_chans, round(n_times * new_sfreq / sfreq)) | None
        ``None`` when the fused path does not apply (ratio not a fraction with a
        denominator up to ``max_denominator``, no low-pass below the new Nyquist
        frequency, or a recording shorter than the filter): use :func:`fir_filter`
        and MNE's resampling instead.
    """
    data = np.asarray(data, dtype=np.float64)
    sfreq, new_sfreq = float(sfreq), float(new_sfreq)
    n_times = data.shape[-1]
    ratio = Fraction(new_sfreq / sfreq).limit_denominator(max_denominator)
    up, down = ratio.numerator, ratio.denominator
    if abs(up / down - new_sfreq / sfreq) > 1e-12 * new_sfreq / sfreq or up == down:
        return None
    if h_freq is None:
        return None
    h = mne_fir(sfreq, l_freq, h_freq)
    # MNE's default "auto" transition band above h_freq
    h_trans = min(max(0.25 * h_freq, 2.0), sfreq / 2.0 - h_freq)
    n_h = len(h)
    if h_freq + h_trans > new_sfreq / 2.0 or n_h > n_times:
        return None
    # MNE pads a filter length per side, but an output sample only sees the input within
    # half a filter length of it: only those pad samples (the same values) are kept,
    # which shortens the FFTs by two filter lengths
    n_left, n_right = n_h - 1 - (n_h - 1) // 2, (n_h - 1) // 2
    # sample 0 of the input sits at index `shift` of the full convolution; `extra` leading
    # zeros make that index a multiple of `down`, so it falls on the output grid
    shift = n_h - 1
    extra = (-shift) % down
    shift += extra
    # circular convolution of this length wraps only onto indices below `shift`
    n_full = extra + n_left + n_times + n_right
    n_fft = _fused_length(n_full, up, down)
    new_len = n_fft // down * up
    first = shift // down * up
    final_len = max(int(round(n_times * new_sfreq / sfreq)), 1)

    # The FFTs run in float32, the precision shards store (1.8x faster than float64),
    # on the signal minus its channel means: a DC offset far above the signal (DC-coupled
    # amplifiers) would otherwise cost float32 digits. The operation is linear, and MNE
    # maps a constant (reflect-padded: still constant) to itself times the filter's DC
    # gain, so the means come back exactly as mean * sum(h).
    mean = data.mean(axis=-1, keepdims=True)
    kernel = np.zeros(n_fft, np.float32)
    kernel[extra : extra + n_h] = h  # the leading zeros, as a delay of the filter
    padded = reflect_limited_pad(data, n_left, n_right, length=n_fft, offset=mean,
                                 dtype=np.float32)  # fmt: skip
    spectrum = sp_fft.rfft(padded, axis=-1)
    # the inverse FFT's length change and the gain scale the filter's spectrum, not the
    # signal's (one pass over the samples fewer)
    spectrum *= sp_fft.rfft(kernel) * np.float32(new_len / n_fft * gain)
    n_bins = new_len // 2 + 1
    if new_len < n_fft:
        spectrum = spectrum[:, :n_bins]
    else:
        pad = np.zeros(spectrum.shape[:-1] + (n_bins - spectrum.shape[-1],), spectrum.dtype)
        spectrum = np.concatenate([spectrum, pad], axis=-1)
    out = sp_fft.irfft(spectrum, new_len, axis=-1)[:, first : first + final_len]
    out += (mean * (h.sum() * gain)).astype(np.float32)
    return out


__all__ = ["fft_resample", "fir_filter", "fused_filter_resample", "mne_fir", "reflect_limited_pad"]
