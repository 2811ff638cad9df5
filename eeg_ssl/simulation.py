"""A small EEG simulator for the sample data and the tests.

Each recording has a spatially mixed 1/f background plus two rhythms whose strength
depends on the block's class:

- ``"rest"``: strong posterior alpha (8-12 Hz) and central mu (10-13 Hz);
- ``"task"``: alpha and mu suppressed (event-related desynchronisation) and frontal
  beta (16-24 Hz) enhanced.

Subjects differ in alpha peak frequency, overall amplitude and channel gains, so a
probe has to generalise across subjects. Blocks are stored as MNE annotations.
"""

from __future__ import annotations

from pathlib import Path

import mne
import numpy as np

from .utils import check_random_state

CH_NAMES = ["Fz", "C3", "Cz", "C4", "Pz", "O1", "Oz", "O2"]
# spatial weights of each rhythm over CH_NAMES
_ALPHA_W = np.array([0.1, 0.3, 0.3, 0.3, 0.8, 1.0, 1.0, 1.0])
_MU_W = np.array([0.1, 1.0, 0.4, 1.0, 0.2, 0.1, 0.1, 0.1])
_BETA_W = np.array([1.0, 0.6, 0.8, 0.6, 0.3, 0.1, 0.1, 0.1])
CLASSES = ("rest", "task")


def _pink_noise(rng, n_chans, n_times):
    """1/f noise, shape (n_chans, n_times), unit variance per channel."""
    spectrum = rng.standard_normal((n_chans, n_times // 2 + 1)) + 1j * rng.standard_normal(
        (n_chans, n_times // 2 + 1)
    )
    freqs = np.arange(n_times // 2 + 1, dtype=float)
    freqs[0] = 1.0
    noise = np.fft.irfft(spectrum / np.sqrt(freqs), n=n_times, axis=-1)
    return noise / noise.std(axis=-1, keepdims=True)


def _rhythm(rng, n_times, sfreq, f_lo, f_hi):
    """A narrow-band oscillation with slowly varying amplitude, unit variance."""
    white = rng.standard_normal(n_times)
    spec = np.fft.rfft(white)
    freqs = np.fft.rfftfreq(n_times, 1 / sfreq)
    spec[(freqs < f_lo) | (freqs > f_hi)] = 0
    sig = np.fft.irfft(spec, n=n_times)
    return sig / (sig.std() + 1e-12)


def simulate_raw(
    subject=0,
    *,
    duration=120.0,
    sfreq=128.0,
    block_seconds=4.0,
    effect=1.0,
    random_state=None,
):
    """Simulate one labelled EEG recording.

    Parameters
    ----------
    subject : int
        Subject index; seeds the subject's traits (alpha frequency, gains).
    duration : float
        Length in seconds.
    sfreq : float
        Sampling rate in Hz.
    block_seconds : float
        Length of each labelled block in seconds.
    effect : float
        Strength of the class difference (0 makes the classes identical).
    random_state : int | None
        Seed of the signal noise and block order.

    Returns
    -------
    raw : mne.io.RawArray
        Eight EEG channels (``CH_NAMES``) in volts, standard 10-20 montage, with one
        ``"rest"`` or ``"task"`` annotation per block.
    """
    traits = np.random.default_rng(10_000 + subject)
    rng = check_random_state(random_state)
    n_times = int(round(duration * sfreq))
    n_chans = len(CH_NAMES)
    alpha_f = traits.uniform(8.5, 11.5)
    gain = traits.uniform(0.7, 1.4) * traits.uniform(0.8, 1.2, size=n_chans)

    mixing = np.eye(n_chans) + 0.3 * traits.standard_normal((n_chans, n_chans))
    background = mixing @ _pink_noise(rng, n_chans, n_times)
    alpha = _rhythm(rng, n_times, sfreq, alpha_f - 1, alpha_f + 1)
    mu = _rhythm(rng, n_times, sfreq, 10.0, 13.0)
    beta = _rhythm(rng, n_times, sfreq, 16.0, 24.0)

    n_blocks = int(duration // block_seconds)
    labels = rng.permutation(np.arange(n_blocks) % 2)
    block = int(round(block_seconds * sfreq))
    # per-sample class envelope, smoothed over 0.25 s so blocks have no hard edges
    is_task = np.zeros(n_times)
    for i, lab in enumerate(labels):
        is_task[i * block : (i + 1) * block] = lab
    kernel = np.hanning(int(sfreq / 4) + 1)
    is_task = np.convolve(is_task, kernel / kernel.sum(), mode="same")

    alpha_amp = 1.6 * (1 - 0.6 * effect * is_task)
    mu_amp = 1.0 * (1 - 0.6 * effect * is_task)
    beta_amp = 0.4 * (1 + 1.2 * effect * is_task)
    signal = (
        background
        + _ALPHA_W[:, None] * alpha_amp * alpha
        + _MU_W[:, None] * mu_amp * mu
        + _BETA_W[:, None] * beta_amp * beta
    )
    signal *= gain[:, None] * 10e-6  # about 10 uV background, in volts

    info = mne.create_info(CH_NAMES, sfreq, ch_types="eeg")
    raw = mne.io.RawArray(signal, info, verbose="error")
    raw.set_montage("standard_1020", verbose="error")
    onsets = np.arange(n_blocks) * block_seconds
    raw.set_annotations(
        mne.Annotations(onsets, [block_seconds] * n_blocks, [CLASSES[lab] for lab in labels])
    )
    return raw


def simulate_windows(
    n_windows=64, n_chans=8, n_times=256, *, sfreq=128.0, n_subjects=4, effect=1.0,
    random_state=None,
):  # fmt: skip
    """Simulated labelled windows for tests, in microvolts.

    Returns
    -------
    X : ndarray of float32, shape (n_windows, n_chans, n_times)
    y : ndarray of int, shape (n_windows,)
        0 for ``"rest"``, 1 for ``"task"``.
    groups : ndarray of int, shape (n_windows,)
        Subject index of each window.
    """
    rng = check_random_state(random_state)
    per_subject = int(np.ceil(n_windows / n_subjects))
    window_seconds = n_times / sfreq
    xs, ys, gs = [], [], []
    for subject in range(n_subjects):
        duration = max(per_subject, 2) * window_seconds * 2
        raw = simulate_raw(subject, duration=duration, sfreq=sfreq, block_seconds=2 * window_seconds,
                           effect=effect, random_state=rng)  # fmt: skip
        data = raw.get_data(units="uV")
        for k, desc in enumerate(raw.annotations.description[:per_subject]):
            start = int(round(raw.annotations.onset[k] * sfreq + n_times / 2))
            xs.append(data[:n_chans, start : start + n_times])
            ys.append(CLASSES.index(desc))
            gs.append(subject)
    X = np.stack(xs)[:n_windows].astype(np.float32)
    if X.shape[1] < n_chans:  # more channels than CH_NAMES: tile them
        X = np.concatenate([X] * int(np.ceil(n_chans / X.shape[1])), axis=1)[:, :n_chans]
    return X, np.array(ys[:n_windows]), np.array(gs[:n_windows])


def make_sample_data(out_dir, *, n_subjects=6, duration=120.0, sfreq=128.0, random_state=0):
    """Write the project's ``sample_data/`` EDF files.

    One file per subject, ``sub-XX_task-sim_eeg.edf``, written with
    :func:`mne.export.export_raw` (EDF, 16-bit), which writes EDF through ``edfio``:
    a core dependency of eeg-ssl, also its lean EDF reader for ``prepare``.

    Returns
    -------
    paths : list of Path
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = check_random_state(random_state)
    paths = []
    for subject in range(n_subjects):
        raw = simulate_raw(subject, duration=duration, sfreq=sfreq, random_state=rng)
        path = out_dir / f"sub-{subject + 1:02d}_task-sim_eeg.edf"
        mne.export.export_raw(path, raw, fmt="edf", overwrite=True, verbose="error")
        paths.append(path)
    return paths
