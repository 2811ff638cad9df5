"""Pair and triplet datasets for the temporal pretext tasks (relative positioning,
temporal shuffling), sampled within recordings.

braindecode's ``RelativePositioningSampler`` works on its own ``WindowsDataset``
metadata; these classes work on eeg-ssl datasets (HDF5 shards or in-memory windows).

The window-position interface
-----------------------------
A dataset can be paired when :func:`window_positions` can tell, for each window,
the recording it comes from and its start time in seconds:

- :class:`~eeg_ssl.data.ShardDataset`: its ``recordings`` (the shard of each window,
  one shard per recording) and ``start_seconds`` (from the manifest);
- any map-style dataset with two attributes of length ``len(dataset)``:
  ``recordings`` (recording id of each window, any hashable) and ``start_seconds``
  (float start time of each window within its recording), e.g. :class:`RecordingWindows`
  for windows held in memory;
- a :class:`torch.utils.data.Subset` of either.

Items of the base dataset are windows or ``(window, ...)`` tuples.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset, Subset

from ..losses.relative_positioning_loss import (
    relative_positioning_label,
    temporal_shuffling_label,
)
from ..utils import check_random_state


class RecordingWindows(Dataset):
    """Windows held in memory, with the recording and start time of each.

    Parameters
    ----------
    X : array-like, shape (n_windows, n_chans, n_times)
        The windows.
    recordings : array-like, shape (n_windows,)
        Recording id of each window (e.g. ``"sub-01_run-1"``).
    start_seconds : array-like of float, shape (n_windows,)
        Start of each window within its recording, in seconds.
    y : array-like of int, shape (n_windows,) | None
        Labels (``-1`` when absent).

    Notes
    -----
    Items are ``(window, label)`` like :class:`~eeg_ssl.data.ShardDataset`.
    """

    def __init__(self, X, recordings, start_seconds, y=None):
        X = torch.as_tensor(np.asarray(X, dtype=np.float32))
        if X.ndim != 3:
            raise ValueError(
                f"'X' must be (n_windows, n_chans, n_times); got shape {tuple(X.shape)}."
            )
        n = X.shape[0]
        recordings = np.asarray(recordings)
        start_seconds = np.asarray(start_seconds, dtype=float)
        y = np.full(n, -1, dtype=np.int64) if y is None else np.asarray(y, dtype=np.int64)
        for name, arr in (("recordings", recordings), ("start_seconds", start_seconds), ("y", y)):
            if arr.shape != (n,):
                raise ValueError(
                    f"{name!r} must have one entry per window, shape ({n},); got {arr.shape}."
                )
        self.X, self.recordings, self.start_seconds, self.targets = X, recordings, start_seconds, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        return self.X[index], int(self.targets[index])


def window_positions(dataset):
    """Recording id and start time (s) of every window of ``dataset``.

    Parameters
    ----------
    dataset : Dataset
        See the module docstring for what is accepted.

    Returns
    -------
    recordings : ndarray, shape (n_windows,)
    start_seconds : ndarray of float, shape (n_windows,)
    """
    if isinstance(dataset, Subset):
        recordings, starts = window_positions(dataset.dataset)
        indices = np.asarray(dataset.indices)
        return recordings[indices], starts[indices]
    recordings = getattr(dataset, "recordings", None)
    starts = getattr(dataset, "start_seconds", None)
    if recordings is None or starts is None:
        raise ValueError(
            f"Cannot sample windows within recordings from a {type(dataset).__name__}: it needs "
            f"'recordings' and 'start_seconds' attributes (one entry per window). Use a "
            f"ShardDataset, or wrap in-memory windows in eeg_ssl.data.RecordingWindows(X, "
            f"recordings, start_seconds)."
        )
    recordings, starts = np.asarray(recordings), np.asarray(starts, dtype=float)
    if recordings.shape != (len(dataset),) or starts.shape != (len(dataset),):
        raise ValueError(
            f"'recordings' and 'start_seconds' must have shape ({len(dataset)},); got "
            f"{recordings.shape} and {starts.shape}."
        )
    return recordings, starts


class _Timeline:
    """Windows sorted by (recording, start time), with each recording's bounds."""

    def __init__(self, dataset):
        recordings, starts = window_positions(dataset)
        _, codes = np.unique(recordings.astype(str), return_inverse=True)
        self.order = np.lexsort((starts, codes))  # sorted position -> dataset index
        self.times = starts[self.order]
        codes = codes[self.order]
        bounds = np.flatnonzero(np.diff(codes)) + 1
        first = np.concatenate([[0], bounds])
        last = np.concatenate([bounds, [len(codes)]])
        self.begin = first[np.searchsorted(first, np.arange(len(codes)), side="right") - 1]
        self.end = last[np.searchsorted(first, np.arange(len(codes)), side="right") - 1]

    def search(self, p, value, side):
        """Sorted position of ``value`` within the recording of sorted position ``p``."""
        lo, hi = self.begin[p], self.end[p]
        return lo + np.searchsorted(self.times[lo:hi], value, side=side)


def _base_seed(random_state):
    """One int from ``random_state``: with the epoch, it seeds each epoch's draw."""
    return int(check_random_state(random_state).integers(2**31))


def _check_taus(tau_pos, tau_neg):
    if not tau_pos > 0:
        raise ValueError(f"'tau_pos' must be > 0 seconds; got {tau_pos!r}.")
    if not tau_neg >= tau_pos:
        raise ValueError(
            f"'tau_neg' must be >= 'tau_pos' ({tau_pos}); got {tau_neg!r}. Windows closer than "
            f"tau_pos are positives, windows farther than tau_neg negatives."
        )


def _window(dataset, index):
    item = dataset[int(index)]
    window = item[0] if isinstance(item, (tuple, list)) else item
    return torch.as_tensor(window, dtype=torch.float32)


class RelativePositioningPairs(Dataset):
    """Pairs of windows from one recording, labelled by their distance in time.

    Half the pairs (on average) are positives (starts at most ``tau_pos`` apart),
    half negatives (at least ``tau_neg`` apart), as in Banville et al. (2021). The
    pairs are drawn anew every epoch (:meth:`set_epoch`) from ``random_state``.

    Parameters
    ----------
    dataset : Dataset
        Windows with recording ids and start times (see :func:`window_positions`).
    tau_pos, tau_neg : float
        Positive and negative contexts in seconds.
    n_pairs : int | None
        Number of pairs; default ``len(dataset)``.
    random_state : int | None

    Attributes
    ----------
    pairs : ndarray of int, shape (n_pairs, 2)
        Dataset indices of (anchor, other).
    targets : ndarray of int, shape (n_pairs,)
        1 for positive, 0 for negative pairs.

    Notes
    -----
    Item ``i`` is ``((x_anchor, x_other, target), target)``: the first element is
    everything :meth:`eeg_ssl.methods.RelativePositioning.forward` needs, since the
    trainer passes only the first element of a batch to the method.
    """

    def __init__(self, dataset, tau_pos, tau_neg, *, n_pairs=None, random_state=None):
        _check_taus(tau_pos, tau_neg)
        self.dataset, self.tau_pos, self.tau_neg = dataset, float(tau_pos), float(tau_neg)
        self.n_pairs = len(dataset) if n_pairs is None else int(n_pairs)
        self._line = _Timeline(dataset)
        self._seed = _base_seed(random_state)
        self.set_epoch(0)

    def set_epoch(self, epoch):
        """Draw the pairs of ``epoch``; the draw depends only on ``random_state`` and ``epoch``.

        :func:`eeg_ssl.training.pretrain` calls this at the start of every epoch, so
        each epoch sees fresh pairs (and a resumed run the same ones).
        """
        self.pairs, self.targets = self._draw(np.random.default_rng([self._seed, int(epoch)]))

    def _draw(self, rng):
        line, n_pairs, tau_pos, tau_neg = self._line, self.n_pairs, self.tau_pos, self.tau_neg
        n = len(line.times)
        p = np.arange(n)
        pos_lo = np.array([line.search(i, line.times[i] - tau_pos, "left") for i in p], dtype=int)
        pos_hi = np.array([line.search(i, line.times[i] + tau_pos, "right") for i in p], dtype=int)
        neg_left = np.array(
            [line.search(i, line.times[i] - tau_neg, "right") for i in p], dtype=int
        )
        neg_right = np.array(
            [line.search(i, line.times[i] + tau_neg, "left") for i in p], dtype=int
        )
        n_pos = pos_hi - pos_lo - 1  # every window but the anchor itself
        n_left = neg_left - line.begin
        n_neg = n_left + line.end - neg_right
        targets = rng.integers(0, 2, size=n_pairs)
        pairs = np.empty((n_pairs, 2), dtype=int)
        for label, count in ((1, n_pos), (0, n_neg)):
            rows = np.flatnonzero(targets == label)
            eligible = np.flatnonzero(count > 0)
            if len(rows) and not len(eligible):
                kind = "positive" if label else "negative"
                raise ValueError(
                    f"No {kind} pair exists for tau_pos={tau_pos}, tau_neg={tau_neg} s: "
                    f"recordings must hold windows within tau_pos and beyond tau_neg of each "
                    f"other. Check 'tau_pos'/'tau_neg' against the recording lengths."
                )
            anchor = rng.choice(eligible, size=len(rows))
            k = (rng.random(len(rows)) * count[anchor]).astype(int)
            if label:
                other = pos_lo[anchor] + k
                other += other >= anchor  # skip the anchor itself
            else:
                left = k < n_left[anchor]
                other = np.where(
                    left, line.begin[anchor] + k, neg_right[anchor] + k - n_left[anchor]
                )
            pairs[rows, 0], pairs[rows, 1] = line.order[anchor], line.order[other]
        return pairs, targets.astype(np.int64)

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, index):
        a, b = self.pairs[index]
        target = torch.tensor(float(self.targets[index]))
        return (_window(self.dataset, a), _window(self.dataset, b), target), target


class TemporalShufflingTriplets(Dataset):
    """Triplets ``(x_t, x_t', x_t'')`` from one recording, ordered or shuffled.

    ``t < t''`` with ``t'' - t <= tau_pos``. Ordered triplets (label 1) take ``t'``
    strictly between them; shuffled ones (label 0) take ``t'`` at least ``tau_neg``
    before ``t`` or after ``t''`` (Banville et al. 2021). Drawn anew every epoch
    (:meth:`set_epoch`) from ``random_state``.

    Parameters
    ----------
    dataset : Dataset
        Windows with recording ids and start times (see :func:`window_positions`).
    tau_pos, tau_neg : float
        Positive and negative contexts in seconds.
    n_triplets : int | None
        Number of triplets; default ``len(dataset)``.
    random_state : int | None

    Attributes
    ----------
    triplets : ndarray of int, shape (n_triplets, 3)
        Dataset indices of (first, middle, last) as presented to the model.
    targets : ndarray of int, shape (n_triplets,)

    Notes
    -----
    Item ``i`` is ``((x_first, x_middle, x_last, target), target)``.
    """

    max_tries = 100

    def __init__(self, dataset, tau_pos, tau_neg, *, n_triplets=None, random_state=None):
        _check_taus(tau_pos, tau_neg)
        self.dataset, self.tau_pos, self.tau_neg = dataset, float(tau_pos), float(tau_neg)
        self.n_triplets = len(dataset) if n_triplets is None else int(n_triplets)
        self._line = _Timeline(dataset)
        self._seed = _base_seed(random_state)
        self.set_epoch(0)

    def set_epoch(self, epoch):
        """Draw the triplets of ``epoch`` (see :meth:`RelativePositioningPairs.set_epoch`)."""
        self.triplets, self.targets = self._draw(np.random.default_rng([self._seed, int(epoch)]))

    def _draw(self, rng):
        line, n_triplets, tau_pos, tau_neg = (
            self._line,
            self.n_triplets,
            self.tau_pos,
            self.tau_neg,
        )
        n = len(line.times)
        hi = np.array(
            [line.search(i, line.times[i] + tau_pos, "right") for i in range(n)], dtype=int
        )
        after = hi - np.arange(n) - 1  # windows after each one within tau_pos
        targets = rng.integers(0, 2, size=n_triplets)
        triplets = np.empty((n_triplets, 3), dtype=int)
        for row, label in enumerate(targets):
            eligible = np.flatnonzero(after >= (2 if label else 1))
            found = None
            for _ in range(self.max_tries if len(eligible) else 0):
                a = int(rng.choice(eligible))
                if label:
                    b = int(rng.integers(a + 2, hi[a]))
                    m = int(rng.integers(a + 1, b))
                else:
                    b = int(rng.integers(a + 1, hi[a]))
                    left_end = line.search(a, line.times[a] - tau_neg, "right")
                    right_start = line.search(b, line.times[b] + tau_neg, "left")
                    n_left = left_end - line.begin[a]
                    n_neg = n_left + line.end[a] - right_start
                    if n_neg == 0:
                        continue
                    k = int(rng.integers(n_neg))
                    m = line.begin[a] + k if k < n_left else right_start + k - n_left
                found = (a, m, b)
                break
            if found is None:
                kind = "ordered" if label else "shuffled"
                raise ValueError(
                    f"Could not sample a {kind} triplet for tau_pos={tau_pos}, tau_neg={tau_neg} "
                    f"s: ordered triplets need 3 windows within tau_pos, shuffled ones a window "
                    f"tau_neg away. Check 'tau_pos'/'tau_neg' against the recording lengths."
                )
            triplets[row] = line.order[list(found)]
        return triplets, targets.astype(np.int64)

    def __len__(self):
        return len(self.triplets)

    def __getitem__(self, index):
        target = torch.tensor(float(self.targets[index]))
        first, middle, last = (_window(self.dataset, i) for i in self.triplets[index])
        return (first, middle, last, target), target


def _largest_remainder(quotas, total):
    """Integers summing to ``total`` closest to the non-negative ``quotas`` (Hamilton)."""
    quotas = np.asarray(quotas, dtype=float) * total / max(float(np.sum(quotas)), 1e-12)
    counts = np.floor(quotas).astype(int)
    order = np.argsort(-(quotas - counts), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts


class BalancedIndex:
    """Which window fills each slot of an epoch, with every stratum given its share.

    An epoch has ``size`` slots. Stratum ``s`` (e.g. a dataset) gets a share of them
    proportional to ``n_s ** power`` (``power=0``: equal shares, so a large dataset does
    not dominate; ``1``: proportional to its windows, i.e. no balancing). Within a
    stratum the slots go to its groups (e.g. subjects) in proportion to their windows,
    and each slot keeps its group for good, so the group of every slot
    (:attr:`slot_groups`) can serve as the trainer's ``batch_groups``. Every epoch
    (:meth:`set_epoch`) draws anew which windows of a group fill its slots: without
    replacement as long as the group has windows left, then again from a fresh
    permutation (a small stratum is repeated, a large one sub-sampled). The draw depends
    only on ``random_state`` and the epoch, like :class:`RelativePositioningPairs`.

    Parameters
    ----------
    strata : array-like, shape (n_windows,)
        Stratum of each window (e.g. its dataset).
    groups : array-like, shape (n_windows,)
        Group of each window (e.g. its subject), nested in the strata.
    power : float
        Exponent of the stratum sizes in the shares, in ``[0, 1]``.
    size : int | None
        Slots per epoch; default ``n_windows``.
    random_state : int | None

    Attributes
    ----------
    indices : ndarray of int, shape (size,)
        Window index of each slot in the current epoch.
    slot_groups, slot_strata : ndarray, shape (size,)
    """

    def __init__(self, strata, groups, *, power=0.0, size=None, random_state=None):
        strata, groups = np.asarray(strata), np.asarray(groups)
        if strata.shape != groups.shape or strata.ndim != 1 or len(strata) == 0:
            raise ValueError(
                f"'strata' and 'groups' must be non-empty and of the same shape (n_windows,); "
                f"got {strata.shape} and {groups.shape}."
            )
        if not 0.0 <= float(power) <= 1.0:
            raise ValueError(f"'power' must be in [0, 1]; got {power!r}.")
        size = len(strata) if size is None else int(size)
        if size < 1:
            raise ValueError(f"'size' must be a positive integer; got {size!r}.")
        names, codes = np.unique(strata, return_inverse=True)
        counts = np.bincount(codes, minlength=len(names))
        per_stratum = _largest_remainder(counts.astype(float) ** float(power), size)
        self._members, slot_groups, slot_strata = [], [], []
        for s, name in enumerate(names):
            in_s = np.flatnonzero(codes == s)
            g_names, g_codes = np.unique(groups[in_s], return_inverse=True)
            per_group = _largest_remainder(np.bincount(g_codes), per_stratum[s])
            for g, g_name in enumerate(g_names):
                if per_group[g]:
                    self._members.append((in_s[g_codes == g], int(per_group[g])))
                    slot_groups += [g_name] * int(per_group[g])
                    slot_strata += [name] * int(per_group[g])
        self.slot_groups, self.slot_strata = np.asarray(slot_groups), np.asarray(slot_strata)
        self._seed = _base_seed(random_state)
        self.set_epoch(0)

    def set_epoch(self, epoch):
        """Draw the windows of ``epoch``'s slots (see the class description)."""
        rng = np.random.default_rng([self._seed, int(epoch)])
        draws = []
        for members, n_slots in self._members:
            rounds = -(-n_slots // len(members))  # ceil
            draws.append(
                np.concatenate([rng.permutation(members) for _ in range(rounds)])[:n_slots]
            )
        self.indices = np.concatenate(draws)
        return self.indices

    def __len__(self):
        return len(self.indices)


__all__ = [
    "BalancedIndex",
    "RecordingWindows",
    "RelativePositioningPairs",
    "TemporalShufflingTriplets",
    "relative_positioning_label",
    "temporal_shuffling_label",
    "window_positions",
]
