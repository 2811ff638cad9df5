"""Checkpoints: method name, keyword arguments, encoder config and weights, versions.

Everything stored is plain data or tensors, so checkpoints load with
``torch.load(..., weights_only=True)`` and never execute pickled code.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import mne
import numpy as np
import torch

from .._version import __version__
from ..utils import package_versions
from ..utils.files import safe_torch_load

CHECKPOINT_VERSION = 1


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


def save_checkpoint(path, method, *, extra=None):
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
    if extra:
        payload.update(extra)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


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
    return encoder


def method_from_checkpoint(checkpoint):
    """Rebuild the whole method (encoder, heads, loss state) of a checkpoint."""
    from ..methods import build_method

    payload = checkpoint if isinstance(checkpoint, dict) else load_checkpoint(checkpoint)
    encoder = encoder_from_checkpoint(payload, weights=False)
    method = build_method(payload["method"], encoder, **payload["method_kwargs"])
    method.load_state_dict(payload["method_state"])
    return method
