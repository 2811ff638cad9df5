"""Channel harmonisation: standard names, channel types, and a common target montage.

One pretraining run can mix montages: every recording is mapped onto the same target
channel list; channels it lacks are zero-filled or interpolated (MNE) and flagged in a
per-window channel mask (1 = measured, 0 = filled).
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache

import mne
import numpy as np

from ..utils import check_option, logger

# prefixes/suffixes that vendors glue to 10-20 names ("EEG Fp1", "EEG FP1-REF", "Fc5.")
_PREFIX = re.compile(r"^(EEG|EOG|ECG|EMG)[\s_-]+", re.IGNORECASE)
_SUFFIX = re.compile(r"(-REF|-LE|-AR|-AVG)$", re.IGNORECASE)  # not -A1: "A2-A1" is bipolar


def default_montage():
    """MNE's 10-05 template: ``colin27_1005`` (MNE >= 1.13), else ``standard_1005``."""
    builtin = mne.channels.get_builtin_montages()
    return "colin27_1005" if "colin27_1005" in builtin else "standard_1005"


@lru_cache(maxsize=4)
def _montage_names(montage=None):
    montage = montage or default_montage()
    names = mne.channels.make_standard_montage(montage).ch_names
    return {name.lower(): name for name in names}


def standardise_name(name, montage=None):
    """The montage spelling of a channel name, or the name unchanged if not a montage name.

    ``"Fc5."`` -> ``"FC5"``, ``"EEG Fp1"`` -> ``"Fp1"``, ``"EEG FP1-REF"`` -> ``"Fp1"``,
    ``"FPZ"`` -> ``"Fpz"``. Names that are not in ``montage`` after stripping
    (``"EEG A2-A1"``, ``"ECG ECG"``, ECoG contacts ``"C12"`` are kept as they are.

    Parameters
    ----------
    name : str
    montage : str
        A montage name for :func:`mne.channels.make_standard_montage`; default
        :func:`default_montage`.

    Returns
    -------
    name : str
    """
    known = _montage_names(montage)
    stripped = _SUFFIX.sub("", _PREFIX.sub("", name.strip())).strip(" .")
    return known.get(stripped.lower(), name)


def standardise_names(raw, montage=None):
    """Rename ``raw``'s channels to their montage spelling in place (see :func:`standardise_name`).

    Renames that would collide with another channel's name are skipped.
    """
    mapping = {}
    taken = set(raw.ch_names)
    for name in raw.ch_names:
        new = standardise_name(name, montage)
        if new != name and new not in taken:
            mapping[name] = new
            taken.add(new)
    if mapping:
        raw.rename_channels(mapping, verbose="error")
    return raw


def channel_type_mapping(ch_names, channel_types):
    """Resolve ``{name or glob pattern: type}`` into ``{channel: type}``.

    An exact name wins; otherwise the longest matching pattern wins (so the mapping's
    order does not matter and its hash is stable).

    Parameters
    ----------
    ch_names : list of str
    channel_types : dict
        E.g. ``{"EKG*": "ecg", "DC*": "misc", "*": "ecog"}``.

    Returns
    -------
    mapping : dict
        For :meth:`mne.io.Raw.set_channel_types`.
    """
    patterns = sorted(channel_types, key=len, reverse=True)
    mapping = {}
    for name in ch_names:
        if name in channel_types:
            mapping[name] = channel_types[name]
            continue
        for pattern in patterns:
            if fnmatch.fnmatchcase(name, pattern):
                mapping[name] = channel_types[pattern]
                break
    return mapping


def to_target_channels(data, ch_names, ch_types, channels, *, sfreq, missing="zero",
                       montage=None, source=""):  # fmt: skip
    """Reorder channels to ``channels``, filling the ones a recording lacks.

    Parameters
    ----------
    data : ndarray, shape (n_chans, n_times)
        The recording's (preprocessed) signal.
    ch_names, ch_types : list of str, length n_chans
    channels : list of str
        Target channel names, in order.
    sfreq : float
        Sampling rate in Hz (for the MNE object used to interpolate).
    missing : "zero" | "interpolate" | "raise"
        Lacking channels are zeros, interpolated from the measured ones with
        :meth:`mne.io.Raw.interpolate_bads` (spherical splines on the positions of
        ``montage``), or an error.
    montage : str
        Standard montage giving positions for interpolation.
    source : str
        Name of the recording, for messages.

    Returns
    -------
    data : ndarray, shape (len(channels), n_times)
    ch_types : list of str, length len(channels)
    measured : ndarray of bool, shape (len(channels),)
        ``True`` where the channel was recorded.
    """
    check_option("missing", missing, ["zero", "interpolate", "raise"])
    channels = list(channels)
    index = {name: i for i, name in enumerate(ch_names)}
    absent = [ch for ch in channels if ch not in index]
    measured = np.array([ch in index for ch in channels], dtype=bool)
    if not measured.any():
        raise ValueError(
            f"Recording {source!r} has none of the target 'channels' {channels[:8]}...; "
            f"its channels are {list(ch_names)[:8]}... Set 'standardise_names' or fix 'channels'."
        )
    if absent and missing == "raise":
        raise ValueError(
            f"Recording {source!r} lacks target channel(s) {absent}. Use missing='zero' or "
            f"missing='interpolate' to fill them, or remove them from 'channels'."
        )
    fill_type = ch_types[index[next(ch for ch in channels if ch in index)]]
    out = np.zeros((len(channels), data.shape[1]), dtype=data.dtype)
    out_types = []
    for i, ch in enumerate(channels):
        if ch in index:
            out[i] = data[index[ch]]
            out_types.append(ch_types[index[ch]])
        else:
            out_types.append(fill_type)
    if absent and missing == "interpolate":
        out = _interpolate(out, channels, out_types, absent, sfreq, montage, source)
    if absent:
        logger.info(
            "%s: filled %d missing channel(s) (%s): %s", source, len(absent), missing, absent
        )
    return out, out_types, measured


def _interpolate(data, channels, ch_types, absent, sfreq, montage, source):
    """Spherical-spline interpolation of ``absent`` rows of ``data`` (MNE)."""
    montage = montage or default_montage()
    std = mne.channels.make_standard_montage(montage)
    known = set(std.ch_names)
    unknown = [ch for ch in channels if ch not in known]
    if unknown:
        raise ValueError(
            f"Cannot interpolate channels of {source!r}: montage {montage!r} has no position "
            f"for {unknown[:6]}. Use missing='zero', or set 'standardise_names'."
        )
    info = mne.create_info(list(channels), sfreq, list(ch_types))
    raw = mne.io.RawArray(data, info, verbose="error")
    raw.set_montage(std, verbose="error")
    raw.info["bads"] = list(absent)
    raw.interpolate_bads(reset_bads=True, verbose="error")
    return raw.get_data()


__all__ = [
    "channel_type_mapping",
    "standardise_name",
    "standardise_names",
    "to_target_channels",
]
