"""A map-style torch Dataset over a prepared folder of HDF5 shards."""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np
import torch
from torch.utils.data import Dataset

from ..io.manifest import read_manifest


class ShardDataset(Dataset):
    """Windows of a prepared folder, read lazily from its HDF5 shards.

    HDF5 handles are opened on first access in each process (never at construction),
    so the dataset is safe to use with ``DataLoader(num_workers>0)``.

    Parameters
    ----------
    root : str | Path
        A folder written by :func:`eeg_ssl.io.prepare`.
    subjects : list of str | None
        Keep only windows of these subjects.
    labelled_only : bool
        Keep only windows with a non-empty label.
    classes : list of str | None
        Label names in index order; default: the sorted non-empty labels present.

    Attributes
    ----------
    manifest : pandas.DataFrame
        The selected rows of ``manifest.csv``.
    classes : list of str
    targets : ndarray of int, shape (n_windows,)
        Label index of each window, -1 for unlabelled.
    groups : ndarray of str, shape (n_windows,)
        Subject of each window.
    """

    def __init__(self, root, *, subjects=None, labelled_only=False, classes=None):
        self.root = Path(root)
        manifest = read_manifest(self.root)
        if subjects is not None:
            subjects = [str(s) for s in subjects]
            unknown = sorted(set(subjects) - set(manifest["subject"]))
            if unknown:
                raise ValueError(
                    f"Subjects {unknown} are not in {str(self.root)!r}; "
                    f"available: {sorted(set(manifest['subject']))}."
                )
            manifest = manifest[manifest["subject"].isin(subjects)]
        if labelled_only:
            manifest = manifest[manifest["label"] != ""]
        self.manifest = manifest.reset_index(drop=True)
        if classes is None:
            classes = sorted(set(self.manifest["label"]) - {""})
        self.classes = list(classes)
        lookup = {name: i for i, name in enumerate(self.classes)}
        self.targets = np.array([lookup.get(lab, -1) for lab in self.manifest["label"]], dtype=np.int64)
        self.groups = self.manifest["subject"].to_numpy()
        self._shards = self.manifest["shard"].to_numpy()
        self._rows = self.manifest["row"].to_numpy()
        self._handles = {}
        self._pid = None

    def __len__(self):
        return len(self.manifest)

    def _file(self, shard):
        # h5py handles must not cross a fork: reopen in every new process
        if self._pid != os.getpid():
            self._handles = {}
            self._pid = os.getpid()
        handle = self._handles.get(shard)
        if handle is None:
            handle = h5py.File(self.root / shard, "r")
            self._handles[shard] = handle
        return handle

    def __getitem__(self, index):
        window = self._file(self._shards[index])["windows"][self._rows[index]]
        return torch.from_numpy(window), int(self.targets[index])

    def load(self):
        """All selected windows in memory.

        Returns
        -------
        X : ndarray of float32, shape (n_windows, n_chans, n_times)
        y : ndarray of int, shape (n_windows,)
        """
        out = None
        for shard in dict.fromkeys(self._shards):
            mask = self._shards == shard
            rows = self._rows[mask]
            block = self._file(shard)["windows"][()][rows]  # one contiguous read per shard
            if out is None:
                out = np.empty((len(self),) + block.shape[1:], dtype=np.float32)
            out[mask] = block
        if out is None:
            raise ValueError(f"No windows selected in {str(self.root)!r}.")
        return out, self.targets.copy()

    @property
    def shape(self):
        """``(n_chans, n_times)`` of one window."""
        with h5py.File(self.root / self._shards[0], "r") as h5:
            return tuple(h5["windows"].shape[1:])

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_handles"] = {}
        state["_pid"] = None
        return state
