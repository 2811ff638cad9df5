"""Checkpoints: method name, keyword arguments, encoder config and weights, versions.

Everything stored is plain data or tensors, so checkpoints load with
``torch.load(..., weights_only=True)`` and never execute pickled code.

Checkpoints also carry the *recording facts* of their training data (channel names
and types, sampling rate, units, window length, recipe hash, amplitude scale; see
:func:`recording_facts`), which the estimators check their input against.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from pathlib import Path

import mne
import numpy as np
import torch

from .._version import __version__
from ..utils import package_versions
from ..utils.files import safe_torch_load

CHECKPOINT_VERSION = 1
FACTS_VERSION = 1
#: Attribute under which a loaded encoder carries the recording facts of its training data.
FACTS_ATTR = "recording_facts"
#: Windows read to measure the amplitude scale of a prepared folder.
_SCALE_WINDOWS = 64
#: Samples on which the amplitude scale is measured.
_SCALE_VALUES = 100_000

logger = logging.getLogger("eeg_ssl")
_warned_without_facts = set()


def library_versions():
    return {
        "eeg_ssl": __version__,
        "torch": str(torch.__version__),
        "braindecode": package_versions(["braindecode"])["braindecode"] or "not installed",
        "mne": str(mne.__version__),
        "numpy": str(np.__version__),
    }


def data_manifest_hash(dataset):
    """SHA-256 of the windows a dataset serves, or None when it has no manifest.

    For :class:`eeg_ssl.data.ShardDataset` (and wrappers exposing ``.dataset``) this
    hashes the selected rows of ``manifest.csv`` (shard, row, subject, label, ...), so a
    resumed run can check it reads the same windows in the same index order.
    """
    seen = 0
    while dataset is not None and seen < 8:
        manifest = getattr(dataset, "manifest", None)
        if manifest is not None and hasattr(manifest, "to_csv"):
            return hashlib.sha256(manifest.to_csv(index=False).encode()).hexdigest()
        dataset, seen = getattr(dataset, "dataset", None), seen + 1
    return None


def median_abs_amplitude(X):
    """Median absolute amplitude of the non-zero samples of windows (a robust scale).

    Zero samples are left out so that zero-filled (missing) channels do not pull the
    statistic down. Large inputs are measured on a fixed pseudo-random subset of
    ``_SCALE_VALUES`` samples (a few ms instead of about a second for 256 windows of 64
    channels x 512 samples). Returns ``None`` when there is no non-zero finite sample.
    """
    flat = np.asarray(X).reshape(-1)
    if flat.size > _SCALE_VALUES:  # same subset every call: the statistic is deterministic
        flat = flat[np.random.default_rng(0).integers(0, flat.size, _SCALE_VALUES)]
    values = np.abs(flat.astype(np.float64))
    values = values[np.isfinite(values) & (values > 0)]
    return float(np.median(values)) if values.size else None


def make_facts(*, ch_names=None, ch_types=None, sfreq=None, units=None, n_times=None,
               recipe_hash=None, standardise=None, median_abs=None, n_chans=None):  # fmt: skip
    """The recording facts as one plain dict (every key present, ``None`` when unknown).

    Parameters
    ----------
    ch_names, ch_types : list of str | None
        Channel names and MNE channel types, in the order the encoder takes them.
    sfreq : float | None
        Sampling rate of the windows in Hz.
    units : str | None
        Units of the samples (``"uV"``, ...), as in the recipe.
    n_times : int | None
        Samples per window (``window_seconds = n_times / sfreq``).
    recipe_hash : str | None
        Hash of the preprocessing recipe (``prepare.json``).
    standardise : str | None
        The recipe's ``standardise`` (``"robust"``: samples are in robust SD units).
    median_abs : float | None
        Median absolute amplitude of the training windows (see
        :func:`median_abs_amplitude`), in ``units``.
    n_chans : int | None
        Number of channels (``len(ch_names)`` when names are known).
    """
    if ch_names is not None:
        ch_names = [str(c) for c in ch_names]
        n_chans = len(ch_names)
    window_seconds = float(n_times) / float(sfreq) if n_times and sfreq else None
    return {
        "facts_version": FACTS_VERSION,
        "ch_names": ch_names,
        "ch_types": None if ch_types is None else [str(t) for t in ch_types],
        "sfreq": None if sfreq is None else float(sfreq),
        "units": units,
        "standardise": standardise,
        "n_chans": None if n_chans is None else int(n_chans),
        "n_times": None if n_times is None else int(n_times),
        "window_seconds": window_seconds,
        "recipe_hash": recipe_hash,
        "median_abs": None if median_abs is None else float(median_abs),
    }


def recording_facts(source, *, units="uV"):
    """What an encoder's training data looked like, to check new input against it.

    Parameters
    ----------
    source : ShardDataset | CorpusDataset | str | Path | dict | mne.Epochs
        A :class:`eeg_ssl.data.ShardDataset` (or a wrapper exposing ``.dataset``), a
        dataset with its own ``recording_facts()`` (``CorpusDataset``), a prepared
        folder, the ``prepare.json`` record of one (recipe-level facts only: no channel
        names, no amplitude), or ``mne.Epochs`` (read in ``units``).
    units : str
        Units in which ``mne.Epochs`` are read; prepared data carry their own.

    Returns
    -------
    facts : dict
        ``ch_names``, ``ch_types``, ``sfreq``, ``units``, ``standardise``, ``n_chans``,
        ``n_times``, ``window_seconds``, ``recipe_hash``, ``median_abs`` (see
        :func:`make_facts`); plain data, stored in checkpoints and exported models.
    """
    import mne

    if isinstance(source, mne.BaseEpochs):
        data = source.get_data(units=units)  # (n, C, T)
        return make_facts(ch_names=source.ch_names, ch_types=source.get_channel_types(),
                          sfreq=source.info["sfreq"], units=units, n_times=data.shape[-1],
                          median_abs=median_abs_amplitude(data))  # fmt: skip
    if isinstance(source, dict):
        recipe = source.get("recipe", {})
        return make_facts(sfreq=recipe.get("sfreq"), units=recipe.get("units"),
                          recipe_hash=source.get("recipe_hash"),
                          standardise=recipe.get("standardise"))  # fmt: skip
    if isinstance(source, (str, Path)):
        from ..data import ShardDataset

        source = ShardDataset(source)
    seen = 0
    while not hasattr(source, "manifest") and getattr(source, "dataset", None) is not None:
        source, seen = source.dataset, seen + 1
        if seen > 8:
            break
    if callable(getattr(source, "recording_facts", None)):  # e.g. CorpusDataset
        return source.recording_facts()
    if not hasattr(source, "manifest") or not hasattr(source, "root"):
        raise TypeError(
            f"'source' must be a ShardDataset, a prepared folder, a prepare.json record or "
            f"mne.Epochs; got {type(source).__name__}."
        )
    return _dataset_facts(source)


def _dataset_facts(dataset):
    """Facts of a ShardDataset: channels from its shards, amplitude from a sample."""
    import h5py

    from ..io import read_record

    record = read_record(dataset.root)
    recipe = record.get("recipe", {})
    names = types = sfreq = None
    for shard in dataset.shard_names:  # ~1 ms per shard
        with h5py.File(dataset.root / shard, "r") as h5:
            shard_names = [_text(c) for c in h5["ch_names"][()]]
            shard_types = [_text(t) for t in h5["ch_types"][()]]
            shard_sfreq = float(h5.attrs["sfreq"]) if "sfreq" in h5.attrs else None
        if names is None:
            names, types, sfreq = shard_names, shard_types, shard_sfreq
        elif shard_names != names:
            logger.warning(
                "The recordings of %s have different channel names (%s... vs %s...); the "
                "checkpoint records no channel names, so Epochs are matched by count only. "
                "Set the recipe's 'channels' to give every recording the same channels.",
                dataset.root, names[:3], shard_names[:3],
            )  # fmt: skip
            names = types = None
            break
    n_windows = len(dataset)
    pick = np.unique(np.linspace(0, n_windows - 1, min(n_windows, _SCALE_WINDOWS)).astype(int))
    sample = [window.numpy() for window, _ in dataset.__getitems__(pick)] if n_windows else []
    return make_facts(ch_names=names, ch_types=types, sfreq=sfreq or recipe.get("sfreq"),
                      units=recipe.get("units"), n_times=dataset.shape[1],
                      recipe_hash=record.get("recipe_hash"),
                      standardise=recipe.get("standardise"), n_chans=dataset.shape[0],
                      median_abs=median_abs_amplitude(sample) if sample else None)  # fmt: skip


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def save_checkpoint(path, method, *, extra=None, recording=None):
    """Save a method (its encoder included) atomically.

    Parameters
    ----------
    path : str | Path
        Destination ``.pt`` file.
    method : SSLMethod
    extra : dict | None
        Plain-data additions (e.g. the data recipe, training history, optimiser state);
        the trainer adds ``"training"`` (optimiser, scheduler, scaler, RNG states, data
        position) and ``"data_manifest_hash"``. Everything must be tensors or plain
        Python data so that :func:`load_checkpoint` can use ``weights_only=True``.
    recording : dict | None
        The recording facts of the training data (:func:`recording_facts`), stored
        under ``"recording"``; by default those the encoder carries (its
        ``recording_facts`` attribute), if any. A ``"recording"`` in ``extra`` wins.
    """
    from ..models import encoder_name

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "checkpoint_version": CHECKPOINT_VERSION,
        "method": method.name,
        "method_kwargs": dict(method.hparams),
        "encoder": {"name": encoder_name(method.encoder), "config": method.encoder.get_config()},
        "encoder_state": method.encoder.state_dict(),
        "method_state": method.state_dict(),
        "versions": library_versions(),
    }
    recording = recording if recording is not None else getattr(method.encoder, FACTS_ATTR, None)
    if recording is not None:
        payload["recording"] = dict(recording)
    if extra:
        payload.update(extra)
    return _save_atomic(payload, path)


def _save_atomic(payload, path):
    """``torch.save`` to a temporary file, then rename; on failure nothing is left behind.

    A failed write (disk full, read-only folder, file-size limit) removes the temporary
    file and raises an :class:`OSError` naming ``path`` (torch reports a failed write of
    its zip container as a ``RuntimeError`` without the file name).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)
    except BaseException as err:
        tmp.unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise OSError(err.errno, err.strerror or str(err), str(path)) from err
        if isinstance(err, RuntimeError) and "write" in str(err).lower():  # torch's writer
            raise OSError(
                f"Could not write the checkpoint {str(path)!r} ({str(err).splitlines()[0]}): "
                f"check the free disk space and that the folder is writable, then re-run."
            ) from err
        raise
    return path


def add_recording_facts(path, source):
    """Write the recording facts of ``source`` into an existing checkpoint (atomically).

    For checkpoints written before eeg-ssl recorded them; ``source`` is anything
    :func:`recording_facts` takes, normally the prepared folder it was trained on.
    """
    payload = load_checkpoint(path)
    payload["recording"] = recording_facts(source)
    return _save_atomic(payload, Path(path))


def load_checkpoint(path, map_location="cpu"):
    """Load a checkpoint dict safely (``weights_only=True``)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Checkpoint {str(path)!r} does not exist; check the path.")
    payload = safe_torch_load(path, map_location)  # a damaged file: one clear ValueError
    if not isinstance(payload, dict) or "checkpoint_version" not in payload:
        raise ValueError(f"{str(path)!r} is not an eeg-ssl checkpoint (no 'checkpoint_version').")
    if payload["checkpoint_version"] > CHECKPOINT_VERSION:
        raise ValueError(
            f"Checkpoint {str(path)!r} has version {payload['checkpoint_version']}, newer than this "
            f"eeg-ssl understands ({CHECKPOINT_VERSION}); upgrade eeg-ssl."
        )
    return payload


def encoder_from_checkpoint(checkpoint, *, weights=True):
    """Rebuild the encoder of a checkpoint (path or loaded dict).

    Parameters
    ----------
    checkpoint : str | Path | dict
    weights : bool
        Load the trained weights; ``False`` gives the same architecture freshly
        initialised (the random-weights baseline).
    """
    from ..models import build_encoder

    payload = checkpoint if isinstance(checkpoint, dict) else load_checkpoint(checkpoint)
    config = dict(payload["encoder"]["config"])
    n_chans, n_times, n_outputs = (
        config.pop("n_chans"),
        config.pop("n_times"),
        config.pop("n_outputs"),
    )
    sfreq = config.pop("sfreq", None)
    config.pop("chs_info", None)
    encoder = build_encoder(payload["encoder"]["name"], n_chans=n_chans, n_times=n_times,
                            n_outputs=n_outputs, sfreq=sfreq, **config)  # fmt: skip
    if weights:
        encoder.load_state_dict(payload["encoder_state"])
    facts = payload.get("recording")
    if facts is None:
        where = str(checkpoint) if not isinstance(checkpoint, dict) else "this checkpoint"
        if where not in _warned_without_facts:
            _warned_without_facts.add(where)
            warnings.warn(
                f"Checkpoint {where!r} records no recording facts (channels, sampling rate, "
                f"units; written by an older eeg-ssl): input is checked by its shape only. "
                f"Add them with eeg_ssl.training.add_recording_facts(CHECKPOINT, "
                f"PREPARED_FOLDER) to enable the checks.",
                UserWarning,
                stacklevel=2,
            )
    setattr(encoder, FACTS_ATTR, None if facts is None else dict(facts))
    return encoder


def method_from_checkpoint(checkpoint):
    """Rebuild the whole method (encoder, heads, loss state) of a checkpoint."""
    from ..methods import build_method

    payload = checkpoint if isinstance(checkpoint, dict) else load_checkpoint(checkpoint)
    encoder = encoder_from_checkpoint(payload, weights=False)
    method = build_method(payload["method"], encoder, **payload["method_kwargs"])
    method.load_state_dict(payload["method_state"])
    return method
