"""Several prepared folders behind one torch Dataset: one channel list, one rate, one length.

Pretraining across datasets mixes montages (64, 19, 8, 4, 1 channels) and rates. Each
folder stays as :func:`eeg_ssl.io.prepare` wrote it; :class:`CorpusDataset` maps every
window onto one channel list by standardised channel name (absent channels are zeros and
0 in a per-window channel mask), resamples it on load to one rate, and makes subject ids
unique across datasets (``"eegmat/Subject01"``).
"""

from __future__ import annotations

from collections import namedtuple
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import torch
from scipy.signal import resample
from torch.utils.data import Dataset

from ..io.harmonise import standardise_name
from ..io.manifest import read_record
from ..utils import check_option, logger
from .dataset import ShardDataset
from .samplers import BalancedIndex

#: One item of a :class:`CorpusDataset`: ``window`` (C, T) float32, ``target`` (int, -1
#: for unlabelled), ``ch_mask`` (C,) bool. ``torch.utils.data.default_collate`` keeps
#: the field names, so a batch is ``CorpusItem(windows, targets, ch_masks)`` and the
#: trainer's ``batch[0]`` is the windows.
CorpusItem = namedtuple("CorpusItem", ["window", "target", "ch_mask"])


def _shard_channels(path):
    """Channel names, types and positions (metres, NaN when unknown) and sfreq of a shard."""
    with h5py.File(path, "r") as h5:
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in h5["ch_names"][()]]
        types = [t.decode() if isinstance(t, bytes) else str(t) for t in h5["ch_types"][()]]
        pos = h5["ch_pos"][()] if "ch_pos" in h5 else np.full((len(names), 3), np.nan)
        sfreq = float(h5.attrs["sfreq"])
    return names, types, np.asarray(pos, dtype=float), sfreq


class CorpusDataset(Dataset):
    """Windows of several prepared folders on one channel list, rate and length.

    Parameters
    ----------
    folders : list of str | Path, or dict
        Prepared folders (:func:`eeg_ssl.io.prepare`); a dict ``{name: folder}`` names
        them, else each is named by its folder name (names must be unique).
    sfreq : float | None
        Rate of the windows served, in Hz. Folders prepared at another rate are
        resampled on load. Default: the folders' rate when they share one, else the
        lowest (down-sampling loses nothing the lower-rate folders have).
    n_times : int | None
        Samples per window served. Longer windows are cropped to their first
        ``n_times`` samples; a folder whose windows are shorter is an error. Default:
        from ``window_seconds``, else the shortest window of the folders.
    window_seconds : float | None
        Window length in seconds (``n_times = round(window_seconds * sfreq)``).
    channels : "union" | list of str
        The channel list served: the union of the folders' standardised channel names
        (in order of first appearance), or the given names. Channels of a folder that
        are not in the list are dropped (logged); a folder sharing no channel with the
        list is an error.
    subjects : list of str | None
        Keep only these subjects, as corpus ids ``"<dataset>/<subject>"``.
    balance : "dataset" | None
        ``"dataset"``: an epoch gives each dataset a share of its ``len(self)`` items
        proportional to ``n_windows ** balance_power`` (:class:`BalancedIndex`; redrawn
        by :meth:`set_epoch`, which :func:`eeg_ssl.training.pretrain` calls); ``None``:
        every window once per epoch.
    balance_power : float
        ``0``: equal shares per dataset; ``1``: shares proportional to size.
    random_state : int | None
        Seed of the balanced draws; give an int under ``torchrun`` so that every rank
        draws the same epoch.

    Attributes
    ----------
    datasets : dict
        ``{name: ShardDataset}``.
    ch_names : list of str
        The channel list served.
    sfreq : float
    n_times : int
    classes : list of str
        ``"<dataset>/<label>"``.
    manifest : pandas.DataFrame
        The folders' manifests, one row per window, with ``dataset`` and corpus
        ``subject`` columns.

    Notes
    -----
    Items are :data:`CorpusItem` ``(window, target, ch_mask)``; the mask is the shard's
    own mask (1 measured, 0 filled in / flat) on the channels a folder has, 0 elsewhere.
    A mask-aware encoder (e.g. ``"tokens"``, :class:`eeg_ssl.models.ChannelTokenEncoder`)
    receives it during pretraining through :func:`eeg_ssl.models.channel_mask.batch_channel_mask`.

    Resampling on load (:func:`scipy.signal.resample`, FFT, the method of MNE's default
    ``Raw.resample``; exact for any rate ratio such as Bonn's 173.61 Hz) lets folders
    prepared at different rates be mixed without preparing them again. Down-sampling by
    FFT drops the frequencies above the new Nyquist frequency (an ideal low-pass), so
    nothing aliases. Measured on this project's 2-core machine (busy): 0.34 ms more per 4-s window
    of 8 channels at 256 Hz, 0.15 ms per 1-channel Bonn window at 173.61 Hz, against
    0.05 ms to load a window already at the corpus rate and tens of ms to train on it
    (``docs/data.md``); folders prepared at the corpus rate skip it.
    """

    def __init__(self, folders, *, sfreq=None, n_times=None, window_seconds=None,
                 channels="union", subjects=None, balance="dataset", balance_power=0.0,
                 random_state=None):  # fmt: skip
        check_option("balance", balance, ("dataset", None))
        if isinstance(folders, (str, Path)):
            folders = [folders]
        if isinstance(folders, dict):
            named = {str(k): Path(v) for k, v in folders.items()}
        else:
            folders = [Path(f) for f in folders]
            names = [f.resolve().name for f in folders]
            duplicated = sorted({n for n in names if names.count(n) > 1})
            if duplicated:
                raise ValueError(
                    f"Folders share the name(s) {duplicated}; pass a dict {{name: folder}} to "
                    f"'folders' to name them apart."
                )
            named = dict(zip(names, folders))
        if not named:
            raise ValueError("'folders' is empty; give at least one prepared folder.")
        wanted = self._split_subjects(subjects, named)
        if wanted:  # folders none of whose subjects is kept are left out
            named = {name: path for name, path in named.items() if wanted[name]}
            if not named:
                raise ValueError(f"'subjects' selects no subject; got {subjects!r}.")
        self.folders = {name: str(path) for name, path in named.items()}
        self.datasets = {name: ShardDataset(path, subjects=wanted.get(name))
                         for name, path in named.items()}  # fmt: skip
        # per folder: its rate and window length; per shard: channel names and positions
        self._shard_meta, self.folder_sfreq, self.folder_n_times = {}, {}, {}
        for name, ds in self.datasets.items():
            rates = set()
            for shard in ds.shard_names:
                meta = _shard_channels(ds.root / shard)
                self._shard_meta[name, shard] = meta
                rates.add(round(meta[3], 6))
            if len(rates) != 1:
                raise ValueError(f"Folder {str(ds.root)!r} mixes sampling rates {sorted(rates)}.")
            self.folder_sfreq[name] = rates.pop()
            self.folder_n_times[name] = int(ds.shape[1])
        self._resolve_signal(sfreq, n_times, window_seconds)
        self._resolve_channels(channels)
        self._build_index()
        self.balance, self.balance_power = balance, float(balance_power)
        self._balanced = None
        if balance == "dataset" and len(self.datasets) > 1:
            self._balanced = BalancedIndex(self.window_datasets, self.window_subjects,
                                           power=balance_power,
                                           random_state=random_state)  # fmt: skip

    # ------------------------------------------------------------------ set-up
    @staticmethod
    def _split_subjects(subjects, named):
        if subjects is None:
            return {}
        wanted = {name: [] for name in named}
        for sid in subjects:
            name, sep, subject = str(sid).partition("/")
            if not sep or name not in named:
                raise ValueError(
                    f"Invalid value for 'subjects': {sid!r} is not a corpus subject id "
                    f"'<dataset>/<subject>' with a dataset among {sorted(named)}."
                )
            wanted[name].append(subject)
        return wanted

    def _resolve_signal(self, sfreq, n_times, window_seconds):
        rates = sorted(set(self.folder_sfreq.values()))
        self.sfreq = float(sfreq) if sfreq is not None else float(rates[0])
        if self.sfreq <= 0:
            raise ValueError(f"'sfreq' must be > 0 Hz; got {sfreq!r}.")
        if len(rates) > 1 and sfreq is None:
            logger.info("Folders have rates %s Hz: windows are resampled to %g Hz on load",
                        rates, self.sfreq)  # fmt: skip
        lengths = {name: self._resampled_length(name) for name in self.datasets}
        if n_times is None and window_seconds is not None:
            n_times = int(round(float(window_seconds) * self.sfreq))
        self.n_times = int(n_times) if n_times is not None else min(lengths.values())
        short = {name: n for name, n in lengths.items() if n < self.n_times}
        if short:
            raise ValueError(
                f"Windows of {sorted(short)} have {sorted(short.values())} samples at "
                f"{self.sfreq:g} Hz, fewer than n_times={self.n_times}; use a shorter "
                f"'n_times'/'window_seconds' or prepare those folders with longer windows."
            )

    def _resampled_length(self, name):
        n, rate = self.folder_n_times[name], self.folder_sfreq[name]
        return n if rate == round(self.sfreq, 6) else int(round(n * self.sfreq / rate))

    def _resolve_channels(self, channels):
        union, positions, kinds = [], {}, {}
        for (_, _), (names, types, pos, _) in self._shard_meta.items():
            for name, kind, xyz in zip(names, types, pos):
                std = standardise_name(name)
                if std not in positions:
                    union.append(std)
                    positions[std], kinds[std] = xyz, kind
        if isinstance(channels, str):
            check_option("channels", channels, ("union",))
            self.ch_names = union
        else:
            self.ch_names = [str(c) for c in channels]
            if len(set(self.ch_names)) != len(self.ch_names) or not self.ch_names:
                raise ValueError(
                    f"'channels' must be a non-empty list of distinct names; got {channels!r}."
                )
        self.ch_positions = np.array([positions.get(c, np.full(3, np.nan)) for c in self.ch_names],
                                     dtype=float).reshape(-1, 3)  # fmt: skip
        self.ch_types = [kinds.get(c, "eeg") for c in self.ch_names]
        target = {c: i for i, c in enumerate(self.ch_names)}
        self._maps = {}  # (dataset, shard) -> target index of each shard channel (-1: dropped)
        for (name, shard), (names, *_) in self._shard_meta.items():
            std = [standardise_name(n) for n in names]
            if len(set(std)) != len(std):
                raise ValueError(
                    f"Shard {shard!r} of {self.folders[name]!r} has channels {names} that "
                    f"share a standard name; rename them before preparing."
                )
            mapping = np.array([target.get(s, -1) for s in std], dtype=np.int64)
            if (mapping < 0).all():
                raise ValueError(
                    f"Folder {self.folders[name]!r} has no channel in 'channels': its channels "
                    f"are {std[:12]}, the list is {self.ch_names[:12]}{'...' * (len(self.ch_names) > 12)}. "
                    f"Use channels='union', add its channels to the list, or leave the folder out."
                )
            dropped = [s for s, m in zip(std, mapping) if m < 0]
            if dropped:
                logger.info("%s/%s: channels %s are not in 'channels' and are dropped",
                            name, shard, dropped)  # fmt: skip
            self._maps[name, shard] = mapping

    def _build_index(self):
        # per window: codes and shared strings, not a table (the folders' manifests are
        # read only when `manifest` is asked for)
        datasets, subjects, masks = [], [], []
        for name, ds in self.datasets.items():
            datasets.append(np.full(len(ds), name, dtype=object))
            codes, uniques = pd.factorize(ds.groups)
            corpus_ids = np.array([f"{name}/{s}" for s in uniques], dtype=object)
            subjects.append(corpus_ids[codes])
            shard_mask = ds.ch_mask  # (n, C_folder)
            out = np.zeros((len(ds), len(self.ch_names)), dtype=bool)
            codes, shards = pd.factorize(ds.recordings)
            order = np.argsort(codes, kind="stable")  # windows grouped by shard
            bounds = np.searchsorted(codes[order], np.arange(len(shards) + 1))
            for i, shard in enumerate(shards):
                rows, mapping = order[bounds[i] : bounds[i + 1]], self._maps[name, shard]
                keep = mapping >= 0
                out[np.ix_(rows, mapping[keep])] = shard_mask[rows][:, keep]
            masks.append(out)
        self._manifest = None
        self.window_ch_mask = np.concatenate(masks)  # (n_windows, C)
        self.window_datasets = np.concatenate(datasets)
        self.window_subjects = np.concatenate(subjects)
        self._folder = np.concatenate([np.full(len(ds), i) for i, ds in
                                       enumerate(self.datasets.values())])  # fmt: skip
        self._local = np.concatenate([np.arange(len(ds)) for ds in self.datasets.values()])
        self.classes = [f"{name}/{c}" for name, ds in self.datasets.items() for c in ds.classes]
        lookup = {c: i for i, c in enumerate(self.classes)}
        self.window_targets = np.concatenate([
            np.array([lookup[f"{name}/{ds.classes[t]}"] if t >= 0 else -1 for t in ds.targets],
                     dtype=np.int64)
            for name, ds in self.datasets.items()
        ])  # fmt: skip

    @property
    def manifest(self):
        """The folders' manifests with ``dataset`` and corpus ``subject`` columns (read on first use)."""
        if self._manifest is None:
            frames = []
            for name, ds in self.datasets.items():
                frame = ds.manifest.copy()
                frame.insert(0, "dataset", name)
                frame["subject"] = name + "/" + frame["subject"].astype(str)
                frames.append(frame)
            self._manifest = pd.concat(frames, ignore_index=True)
        return self._manifest

    # ------------------------------------------------------------------ dataset
    def set_epoch(self, epoch):
        """Redraw the balanced windows of ``epoch`` (no-op without balancing)."""
        if self._balanced is not None:
            self._balanced.set_epoch(epoch)

    @property
    def indices(self):
        """Window index of each item, shape (len(self),)."""
        if self._balanced is None:
            return np.arange(len(self.window_datasets))
        return self._balanced.indices

    def __len__(self):
        return len(self.window_datasets) if self._balanced is None else len(self._balanced)

    @property
    def groups(self):
        """Corpus subject id of each item, e.g. ``"eegmat/Subject01"``."""
        if self._balanced is not None:
            return self._balanced.slot_groups  # fixed per slot: usable as batch_groups
        return self.window_subjects

    @property
    def targets(self):
        return self.window_targets[self.indices]

    @property
    def ch_mask(self):
        """ndarray of bool, shape (len(self), n_chans): 1 where the channel was measured."""
        return self.window_ch_mask[self.indices]

    @property
    def recordings(self):
        """Recording of each item (``"<dataset>/<shard>"``), for the pair samplers."""
        parts = []
        for name, ds in self.datasets.items():
            codes, uniques = pd.factorize(ds.recordings)
            parts.append(np.array([f"{name}/{s}" for s in uniques], dtype=object)[codes])
        return np.concatenate(parts)[self.indices]

    @property
    def start_seconds(self):
        return np.concatenate([ds.start_seconds for ds in self.datasets.values()])[self.indices]

    @property
    def shape(self):
        """``(n_chans, n_times)`` of one window."""
        return (len(self.ch_names), self.n_times)

    @property
    def chs_info(self):
        """braindecode/MNE-style channel descriptions: ``ch_name``, ``kind``, ``loc``."""
        out = []
        for name, kind, xyz in zip(self.ch_names, self.ch_types, self.ch_positions):
            loc = np.full(12, np.nan)
            loc[:3] = xyz
            out.append({"ch_name": name, "kind": kind, "loc": loc.tolist()})
        return out

    def encoder_positions(self):
        """Recorded position of each channel (metres) or ``None``, for ``ch_positions=``."""
        return [xyz.tolist() if np.isfinite(xyz).all() and xyz.any() else None
                for xyz in self.ch_positions]  # fmt: skip

    def window_groups(self, by="subject"):
        """One group per item: ``"subject"`` (corpus id), ``"recording"`` or ``"dataset"``."""
        check_option("by", by, ("subject", "recording", "dataset"))
        if by == "subject":
            return self.groups
        if by == "dataset":
            return self.window_datasets[self.indices]
        return self.recordings

    def summary(self):
        """Per dataset: subjects, windows, channels, rate and hours of windows.

        Returns
        -------
        pandas.DataFrame
            Columns ``dataset, n_subjects, n_windows, n_chans, sfreq, window_seconds,
            hours`` (windows x their length, as prepared; overlapping windows count twice).
        """
        rows = []
        for name, ds in self.datasets.items():
            seconds = self.folder_n_times[name] / self.folder_sfreq[name]
            rows.append(dict(dataset=name, n_subjects=len(pd.unique(ds.groups)),
                             n_windows=len(ds), n_chans=int(ds.shape[0]),
                             sfreq=self.folder_sfreq[name], window_seconds=seconds,
                             hours=len(ds) * seconds / 3600))  # fmt: skip
        return pd.DataFrame(rows)

    def _load(self, windows):
        """Windows by window index -> (n, C, n_times) float32, in the order given."""
        windows = np.asarray(windows, dtype=np.int64)
        out = np.zeros((len(windows), len(self.ch_names), self.n_times), dtype=np.float32)
        names = list(self.datasets)
        folders = self._folder[windows]
        for f in np.unique(folders):
            name, ds = names[f], self.datasets[names[f]]
            where = np.flatnonzero(folders == f)
            local = self._local[windows[where]]
            codes = ds._shard_codes[local]  # per batch: the batch's windows only
            for code in pd.unique(codes):
                sel = codes == code
                pos, shard = where[sel], ds._shard_names[code]
                block = ds._reader(shard).take(ds._rows[local[sel]])  # (n, C_f, T_f)
                if self.folder_sfreq[name] != round(self.sfreq, 6):
                    num = self._resampled_length(name)
                    block = resample(block, num, axis=-1).astype(np.float32, copy=False)
                mapping = self._maps[name, shard]
                keep = mapping >= 0
                # (n, C_f, T) -> rows of the corpus channel list, first n_times samples
                out[pos[:, None], mapping[keep][None, :]] = block[:, keep, : self.n_times]
        return out

    def __getitem__(self, index):
        return self.__getitems__([index])[0]

    def __getitems__(self, indices):
        """A batch of items, read with one scatter read per run of rows of each shard."""
        windows = self.indices[np.asarray(indices, dtype=np.int64)]
        X = torch.from_numpy(self._load(windows))
        mask = torch.from_numpy(self.window_ch_mask[windows])
        return [CorpusItem(X[k], int(self.window_targets[w]), mask[k])
                for k, w in enumerate(windows)]  # fmt: skip

    def load(self):
        """All items in memory: X (n, C, n_times) float32, y (n,), ch_mask (n, C) bool."""
        return self._load(self.indices), self.targets.copy(), self.ch_mask

    def recording_facts(self, n_sample=256):
        """What the served windows look like (:func:`eeg_ssl.training.checkpoint.make_facts`).

        Units and standardisation are those the folders share (``None`` when they
        differ); the amplitude is measured on up to ``n_sample`` windows.
        """
        from ..training.checkpoint import make_facts, median_abs_amplitude

        recipes = [read_record(path).get("recipe", {}) for path in self.folders.values()]

        def shared(key):
            values = {str(r.get(key)) for r in recipes}
            return recipes[0].get(key) if len(values) == 1 else None

        n = len(self.window_datasets)
        pick = np.unique(np.linspace(0, n - 1, min(n, n_sample)).astype(int))
        return make_facts(ch_names=self.ch_names, ch_types=self.ch_types, sfreq=self.sfreq,
                          units=shared("units"), n_times=self.n_times,
                          standardise=shared("standardise"),
                          median_abs=median_abs_amplitude(self._load(pick)))  # fmt: skip

    def record(self):
        """Plain-data description for checkpoints: folders, channels, rate, subjects, sizes."""
        return dict(
            folders=dict(self.folders),
            channels=list(self.ch_names),
            sfreq=self.sfreq,
            n_times=self.n_times,
            balance=self.balance,
            balance_power=self.balance_power,
            subjects=sorted(set(self.window_subjects)),
            recipes={name: read_record(path).get("recipe") for name, path in self.folders.items()},
            summary=self.summary().to_dict(orient="records"),
        )


__all__ = ["CorpusDataset", "CorpusItem"]
