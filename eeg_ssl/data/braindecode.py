"""Hand prepared shards to braindecode code."""

from __future__ import annotations

import mne
import numpy as np
import pandas as pd

from .dataset import ShardDataset


def to_braindecode(root, *, subjects=None, labelled_only=False, classes=None):
    """A braindecode ``BaseConcatDataset``: one ``WindowsDataset`` per shard.

    Windows are loaded into memory (as ``mne.EpochsArray`` in volts when the shards
    hold a voltage unit); the description has subject, session, task, run and shard,
    and each window's target is its class index (-1 unlabelled). For lazy reading with
    braindecode's ``EEGClassifier``/skorch, pass a :class:`ShardDataset` directly:
    it yields ``(X, y)`` like braindecode datasets.

    Returns
    -------
    concat : braindecode.datasets.BaseConcatDataset
    """
    from braindecode.datasets import BaseConcatDataset, WindowsDataset

    from ..io import read_shard_info

    ds = ShardDataset(root, subjects=subjects, labelled_only=labelled_only, classes=classes)
    X, y = ds.load()
    scale = {"V": 1.0, "mV": 1e-3, "uV": 1e-6, "µV": 1e-6}
    out = []
    shards = ds.recordings
    for shard in ds.shard_names:
        sel = np.flatnonzero(shards == shard)
        info = read_shard_info(ds.root / shard)
        factor = scale.get(info["recipe"].get("units"), 1.0)
        n_times = X.shape[-1]
        metadata = pd.DataFrame({
            "i_window_in_trial": ds._rows[sel],
            "i_start_in_trial": info["starts"][ds._rows[sel]],
            "i_stop_in_trial": info["starts"][ds._rows[sel]] + n_times,
            "target": y[sel],
        })  # fmt: skip
        mne_info = mne.create_info(info["ch_names"], info["sfreq"], info["ch_types"])
        epochs = mne.EpochsArray(X[sel].astype(np.float64) * factor, mne_info,
                                 metadata=metadata, verbose="error")  # fmt: skip
        desc = {key: info.get(key, "") for key in ("subject", "session", "task", "run")}
        desc["shard"] = shard
        out.append(WindowsDataset(epochs, description=desc))
    return BaseConcatDataset(out)
