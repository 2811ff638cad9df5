"""A map-style torch Dataset over a prepared folder of HDF5 shards."""

from __future__ import annotations

import math
import os
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from ..io.integrity import check_shards
from ..io.manifest import read_manifest, read_record
from ..io.manifest_columns import read_manifest_columns
from ..io.shards import windows_offset
from ..utils import release_freed_memory


class WindowReader:
    """Reads rows of a shard's ``/windows`` without going through HDF5 when it can.

    For the default shard layout (contiguous, uncompressed float32 ``/windows`` at a
    known byte offset), runs of consecutive rows are read with :func:`os.preadv`
    straight into the caller's arrays (a scatter read: one copy from the page cache,
    no intermediate buffer, fork-safe since it moves no file position), and arbitrary
    rows (:meth:`take`) are gathered with NumPy from a :class:`numpy.memmap` of the
    file (one C-level gather; in this VM ``preadv`` is faster for runs, the gather for
    scattered rows). The offset comes from ``prepare.json`` when given (``layout``),
    so no HDF5 file is opened at all; otherwise from h5py. Chunked or compressed shards
    are read with h5py. Hand-written because h5py copies through its own buffers and
    reads a fancy selection row by row. Shards are replaced atomically (a new file),
    never rewritten in place, so an open descriptor or mapping stays valid.

    Parameters
    ----------
    path : str | Path
        A shard file.
    layout : tuple | None
        ``(byte_offset, (n_windows, n_chans, n_times))`` of ``/windows`` as recorded by
        :func:`eeg_ssl.io.prepare`; checked against the file size.
    """

    def __init__(self, path, *, layout=None):
        self.path = str(path)
        self.h5 = self.dset = self._array = self.fd = None
        self.mapped = False
        if layout is not None:
            offset, shape = int(layout[0]), tuple(int(n) for n in layout[1])
            if os.path.getsize(self.path) >= offset + 4 * math.prod(shape):
                self.shape = shape
                self._map(offset, shape)
                return
            # not the file prepare described: read it through HDF5 below
        self.h5 = h5py.File(self.path, "r")
        self.dset = self.h5["windows"]
        self.shape = tuple(self.dset.shape)
        offset = windows_offset(self.dset)
        if offset is not None:
            self._map(offset, self.shape)
            self.h5.close()
            self.h5 = self.dset = None

    def _map(self, offset, shape):
        """Use the raw layout: a descriptor now (cheap), the memory map on first ``take``."""
        self.offset, self.row_bytes, self.mapped = offset, 4 * math.prod(shape[1:]), True
        if hasattr(os, "preadv"):
            self.fd = os.open(self.path, os.O_RDONLY)

    @property
    def array(self):
        if self._array is None and self.mapped:
            if self.shape[0] == 0:
                self._array = np.empty(self.shape, dtype=np.float32)
            else:
                self._array = np.memmap(self.path, dtype=np.float32, mode="r",
                                        offset=self.offset, shape=self.shape)  # fmt: skip
        return self._array

    def read_into(self, first_row, dests):
        """Read rows ``first_row, first_row + 1, ...`` into ``dests`` (one (C, T) array each)."""
        if self.fd is None:
            source = self.array if self.mapped else self.dset
            for dest, row in zip(dests, source[first_row : first_row + len(dests)]):
                np.copyto(dest, row)
            return
        want = self.row_bytes * len(dests)
        got = os.preadv(self.fd, dests, self.offset + first_row * self.row_bytes)
        if got != want:  # preadv may return short on some file systems: finish row by row
            for k, dest in enumerate(dests):
                view = memoryview(dest).cast("B")
                done = 0
                pos = self.offset + (first_row + k) * self.row_bytes
                while done < self.row_bytes:
                    n = os.preadv(self.fd, [view[done:]], pos + done)
                    if n <= 0:
                        raise OSError(f"Short read in {self.path!r}: the shard is truncated.")
                    done += n

    def take(self, rows):
        """Rows in any order, shape (len(rows), C, T)."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.mapped:
            return np.ascontiguousarray(self.array[rows])  # one gather copy
        out = np.empty((len(rows),) + tuple(self.shape[1:]), dtype=np.float32)
        if len(rows) == 0:
            return out
        order = np.argsort(rows, kind="stable")
        sorted_rows = rows[order]
        # runs of consecutive rows -> one read each
        breaks = np.flatnonzero(np.diff(sorted_rows) != 1) + 1
        for run in np.split(np.arange(len(rows)), breaks):
            self.read_into(int(sorted_rows[run[0]]), [out[i] for i in order[run]])
        return out

    def close(self):
        self._array = None
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.h5 is not None:
            self.h5.close()
            self.h5 = self.dset = None


class ShardDataset(Dataset):
    """Windows of a prepared folder, read lazily from its HDF5 shards.

    HDF5 handles are opened on first access in each process (never at construction),
    so the dataset is safe to use with ``DataLoader(num_workers>0)``. The folder is
    checked against ``prepare.json`` when the dataset is made: the manifest's checksum
    and row count, every shard's size, and the checksum of shards whose modification
    time changed (:mod:`eeg_ssl.io.integrity`); a folder edited after preparation is
    refused with the file named. ``eeg-ssl verify FOLDER`` checks every byte.

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
        # the columns the loaders need, compactly (codes + distinct values): the whole
        # table is read only when `manifest` is asked for
        table, n_rows, self._checksum = read_manifest_columns(
            self.root, ["shard", "row", "subject", "label", "ch_mask"]
        )
        subject, label = table["subject"], table["label"]
        keep = None
        if subjects is not None:
            subjects = [str(s) for s in subjects]
            available = sorted(str(s) for s in subject.categories[np.unique(subject.codes)])
            unknown = sorted(set(subjects) - set(available))
            if unknown:
                raise ValueError(
                    f"Subjects {unknown} are not in {str(self.root)!r}; available: {available}."
                )
            keep = np.isin(subject.codes, subject.categories.get_indexer(subjects))
        if labelled_only:
            labelled = label.codes != label.categories.get_indexer([""])[0]
            keep = labelled if keep is None else keep & labelled
        if keep is not None and keep.all():
            keep = None
        self._keep = keep  # rows of the table kept (None: all)
        self._n_rows = n_rows
        self._manifest = None

        def kept(array):
            return array if keep is None else array[keep]

        label_codes = kept(label.codes)
        if classes is None:
            present = label.categories[np.unique(label_codes)]
            classes = sorted(set(str(name) for name in present) - {""})
        self.classes = list(classes)
        lookup = {name: i for i, name in enumerate(self.classes)}
        target_of = np.array([lookup.get(str(name), -1) for name in label.categories] + [-1],
                             dtype=np.int64)  # fmt: skip
        self.targets = target_of[label_codes]
        # per window: a small integer code for its subject and its shard, a row, a target
        # (about 20 bytes; object arrays of names would be 8 bytes each)
        self._subject_names = [str(name) for name in subject.categories]
        self._subject_codes = kept(subject.codes)
        self._groups = None
        self._shard_names = [str(name) for name in table["shard"].categories]
        self._shard_codes = kept(table["shard"].codes)
        rows = kept(table["row"])
        small = len(rows) == 0 or rows.max() < np.iinfo(np.int32).max
        self._rows = rows.astype(np.int32) if small else rows
        mask = table.get("ch_mask")
        self._ch_masks = None  # (distinct masks, code of each window)
        if mask is not None:
            self._ch_masks = ([str(m) for m in mask.categories], kept(mask.codes))
        self._handles = {}
        self._arrays = {}
        self._pid = None
        self._shape = None
        self._sfreq = None
        self._offsets = {}  # shard -> (byte offset of /windows, n_windows) from prepare.json
        try:
            recordings = read_record(self.root).get("recordings", [])
        except FileNotFoundError:  # a folder without prepare.json: nothing to check against
            recordings = []
        # every shard's size (and checksum, when its time changed) as prepare recorded it
        check_shards(self.root, recordings)
        for rec in recordings:
            if rec.get("status") != "done":
                continue
            if rec.get("windows_offset") is not None:
                self._offsets[rec["shard"]] = (int(rec["windows_offset"]), int(rec["n_windows"]))
            if rec.get("window_shape") and min(rec["window_shape"]) > 0:
                self._shape = tuple(int(n) for n in rec["window_shape"])
        release_freed_memory()  # the parser's buffers (see bench_index.py)

    def __len__(self):
        return len(self._rows)

    @property
    def manifest(self):
        """The selected rows of ``manifest.csv`` (read from disk on first use, then kept)."""
        if self._manifest is None:
            frame, checksum = read_manifest(self.root, return_checksum=True)
            self._check_unchanged(checksum, len(frame))
            if self._keep is not None:
                frame = frame[self._keep]
            self._manifest = frame.reset_index(drop=True)
        return self._manifest

    def _check_unchanged(self, checksum, n_rows):
        """Refuse a manifest read later that is not the one this dataset was made from."""
        if checksum != self._checksum or n_rows != self._n_rows:
            raise ValueError(
                f"{str(self.root / 'manifest.csv')!r} changed since this dataset was "
                f"made (the folder was prepared again?); make the dataset again."
            )

    @property
    def groups(self):
        """ndarray of str, shape (n_windows,): the subject of each window (made on first use)."""
        if self._groups is None:
            self._groups = _names(self._subject_names, self._subject_codes)
        return self._groups

    @property
    def recordings(self):
        """ndarray of str, shape (n_windows,): the shard (recording) of each window."""
        return _names(self._shard_names, self._shard_codes)

    def _shard_of(self, index):
        return self._shard_names[self._shard_codes[index]]

    @property
    def start_seconds(self):
        """ndarray of float, shape (n_windows,): each window's start in its recording."""
        table, n_rows, checksum = read_manifest_columns(self.root, ["start_seconds"])
        self._check_unchanged(checksum, n_rows)
        starts = table["start_seconds"]
        return starts if self._keep is None else starts[self._keep]

    @property
    def shard_names(self):
        """Shards (file names in the folder) of the selected windows, in order of first use."""
        return [self._shard_names[code] for code in pd.unique(self._shard_codes)]

    def window_groups(self, by="subject"):
        """One group per window, e.g. for :func:`eeg_ssl.training.pretrain`'s ``batch_groups``.

        Parameters
        ----------
        by : {"subject", "recording"}
            The manifest's subject, or the recording (its shard).

        Returns
        -------
        groups : ndarray, shape (n_windows,)
        """
        from ..utils import check_option

        check_option("by", by, ("subject", "recording"))
        return self.groups if by == "subject" else self.recordings

    def _file(self, shard):
        # h5py handles must not cross a fork: reopen in every new process
        if self._pid != os.getpid():
            self._handles = {}
            self._arrays = {}
            self._pid = os.getpid()
        handle = self._handles.get(shard)
        if handle is None:
            handle = h5py.File(self.root / shard, "r")
            self._handles[shard] = handle
        return handle

    def _reader(self, shard):
        """The :class:`WindowReader` of a shard (one per shard and process)."""
        if self._pid != os.getpid():
            self._handles, self._arrays, self._pid = {}, {}, os.getpid()
        reader = self._arrays.get(shard)
        if reader is None:
            layout = None
            if shard in self._offsets:
                offset, n_windows = self._offsets[shard]
                layout = (offset, (n_windows,) + self.shape)
            reader = WindowReader(self.root / shard, layout=layout)
            self._arrays[shard] = reader
        return reader

    def __getitem__(self, index):
        window = self._reader(self._shard_of(index)).take([self._rows[index]])[0]
        return torch.from_numpy(window), int(self.targets[index])

    def __getitems__(self, indices):
        """A batch of windows, read with one scatter read per run of consecutive rows.

        ``torch.utils.data.DataLoader`` calls this with a whole batch of indices, which
        is much faster than one read per window.
        """
        indices = np.asarray(indices, dtype=np.int64)
        out = [None] * len(indices)
        codes = self._shard_codes[indices]
        for code in pd.unique(codes):
            where = np.flatnonzero(codes == code)
            rows = self._rows[indices[where]]
            block = self._reader(self._shard_names[code]).take(rows)  # (len(rows), C, T)
            for k, pos in enumerate(where):
                out[pos] = (torch.from_numpy(block[k]), int(self.targets[indices[pos]]))
        return out

    @property
    def ch_mask(self):
        """ndarray of bool, shape (n_windows, n_chans): 1 where the channel was measured."""
        if self._ch_masks is None:  # a manifest from before the column existed
            return np.ones((len(self), self.shape[0]), dtype=bool)
        masks, codes = self._ch_masks
        if not masks:  # no window selected
            return np.ones((0, self.shape[0]), dtype=bool)
        distinct = np.array([[c == "1" for c in mask] for mask in masks], dtype=bool)
        return distinct.reshape(len(masks), -1)[codes]

    def load(self):
        """All selected windows in memory.

        Returns
        -------
        X : ndarray of float32, shape (n_windows, n_chans, n_times)
        y : ndarray of int, shape (n_windows,)
        """
        out = None
        for code in pd.unique(self._shard_codes):
            mask = self._shard_codes == code
            rows = self._rows[mask]
            block = self._reader(self._shard_names[code]).take(rows)  # one read per run
            if out is None:
                out = np.empty((len(self),) + block.shape[1:], dtype=np.float32)
            out[mask] = block
        if out is None:
            raise ValueError(f"No windows selected in {str(self.root)!r}.")
        return out, self.targets.copy()

    @property
    def sfreq(self):
        """Sampling rate of the windows in Hz (from the first shard)."""
        if self._sfreq is None:
            with h5py.File(self.root / self._shard_of(0), "r") as h5:
                self._sfreq = float(h5.attrs["sfreq"])
        return self._sfreq

    @property
    def shape(self):
        """``(n_chans, n_times)`` of one window."""
        if self._shape is None:
            with h5py.File(self.root / self._shard_of(0), "r") as h5:
                self._shape = tuple(h5["windows"].shape[1:])
        return self._shape

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_handles"] = {}
        state["_arrays"] = {}
        state["_pid"] = None
        return state


def _names(names, codes):
    """One name per window from the distinct ``names`` and each window's code."""
    return np.asarray(names, dtype=object)[codes]
