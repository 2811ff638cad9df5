"""Preprocessing: apply a :class:`~eeg_ssl.io.recipe.Recipe` to a raw recording.

Split from :mod:`eeg_ssl.io.recipe` (which re-exports these names): the recipe is plain
data, this module is the code that runs it.
"""

from __future__ import annotations

import dataclasses
import logging

import mne
import numpy as np

from ..utils import check_option, logger
from .filtering import fir_filter, fused_filter_resample
from .harmonise import channel_type_mapping, standardise_names, to_target_channels

# Channel types that MNE's Raw.filter / Raw.resample treat as data: the only ones the
# "fast" engine handles itself (anything else falls back to MNE).
_FAST_TYPES = {"eeg", "ecog", "seeg", "dbs"}
_VOLT_SCALE = {"V": 1.0, "mV": 1e3, "uV": 1e6, "µV": 1e6, "nV": 1e9}


@dataclasses.dataclass
class Preprocessed:
    """A recording after the recipe, before windowing (see :func:`preprocess`).

    Attributes
    ----------
    data : ndarray of float32, shape (n_chans, n_times)
    sfreq : float
    ch_names, ch_types : list of str
    measured : ndarray of bool, shape (n_chans,)
        ``False`` for channels filled in (missing) or flat.
    ch_pos : ndarray of float, shape (n_chans, 3)
        Positions in metres (NaN when unknown); ``coord_frame`` names their frame.
    annotations : tuple of ndarray
        ``(onsets, durations, descriptions)``, onsets in seconds from the first sample.
    label_values : ndarray | None
        Per-sample labels of ``label_channel`` at ``label_sfreq`` (before resampling).
    """

    data: np.ndarray
    sfreq: float
    ch_names: list
    ch_types: list
    measured: np.ndarray
    ch_pos: np.ndarray
    coord_frame: str
    annotations: tuple
    label_values: np.ndarray | None = None
    label_sfreq: float | None = None
    flat_channels: list = dataclasses.field(default_factory=list)


def preprocess(raw, recipe, *, source="", verbose=None):
    """Apply a recipe to a raw recording.

    Parameters
    ----------
    raw : mne.io.BaseRaw
        The recording; loaded into memory if needed and modified in place.
    recipe : Recipe
    source : str
        Name of the recording, used in error messages.

    Returns
    -------
    out : Preprocessed
    """
    mne_verbose = "error" if verbose in (None, False) else verbose
    source = source or str(raw.filenames[0] if raw.filenames and raw.filenames[0] else "<raw>")
    # Channel typing, renaming and picks need no samples. A recording that only the fast
    # engines touch is never preloaded: its samples are read once, by get_data below,
    # straight into the array that is filtered (preloading, then get_data, copies them).
    if recipe.channel_types:
        mapping = channel_type_mapping(raw.ch_names, recipe.channel_types)
        if mapping:
            raw.set_channel_types(mapping, on_unit_change="ignore", verbose=mne_verbose)
    if recipe.standardise_names:
        standardise_names(raw)

    label_values = label_sfreq = None
    if recipe.label_source == "channel":
        if recipe.label_channel not in raw.ch_names:
            raise ValueError(
                f"'label_channel' {recipe.label_channel!r} is not a channel of {source!r}; its "
                f"channels are {raw.ch_names}."
            )
        label_values = raw.get_data(picks=[recipe.label_channel])[0]
        label_sfreq = raw.info["sfreq"]
        raw.drop_channels([recipe.label_channel])
    drop = [name for name in recipe.drop if name in raw.ch_names]
    if drop:
        raw.drop_channels(drop)
    try:
        if not _picks_everything(raw, recipe.picks):  # Raw.pick costs ms even as a no-op
            raw.pick(list(recipe.picks), verbose=mne_verbose)
    except ValueError as err:
        kinds = set(mne.io.get_channel_type_constants(include_defaults=True)) | {"data", "all"}
        missing = [p for p in recipe.picks if p not in raw.ch_names and p not in kinds]
        if missing and len(missing) < len(recipe.picks):  # some names exist: name the others
            raise ValueError(
                f"The recipe's 'picks' {list(recipe.picks)} name channels that {source!r} "
                f"lacks: {missing}; its channels are {raw.ch_names}."
            ) from err
        raise ValueError(
            f"No channel of {source!r} matches the recipe's 'picks' {list(recipe.picks)} "
            f"({err}); its channel types are {sorted(set(raw.get_channel_types()))} "
            f"(set 'channel_types' to retype them)."
        ) from err
    if len(raw.ch_names) == 0:
        raise ValueError(
            f"No channel of {source!r} matches the recipe's 'picks' {list(recipe.picks)}."
        )

    ch_types = list(raw.get_channel_types())  # picks are final; MNE's steps keep types
    fast = recipe.engine in ("fast", "fused") and _fast_ok(raw, ch_types)
    if not fast or recipe.reference is not None or recipe.notch:
        _load(raw, source, mne_verbose)  # MNE's own filters work on the Raw's buffer
    data = _load(raw, source, mne_verbose, get=True)  # float64, volts
    # a channel's range is NaN or Inf exactly when one of its samples is: one pass over
    # the samples finds both non-finite and flat channels
    with np.errstate(invalid="ignore"):  # Inf - Inf
        span = np.ptp(data, axis=1)
    if not np.isfinite(span).all():
        finite = np.isfinite(data)
        bad = [raw.ch_names[i] for i in np.flatnonzero(~finite.all(axis=1))]
        raise ValueError(
            f"Recording {source!r} has NaN or Inf samples in channel(s) {bad[:10]} "
            f"({int((~finite).sum())} samples); interpolate or drop them before preparing "
            f"(e.g. add them to the recipe's 'drop')."
        )
    flat = span == 0
    flat_names = [raw.ch_names[i] for i in np.flatnonzero(flat)]
    if flat.all():
        raise ValueError(
            f"All {len(flat)} picked channels of {source!r} are flat (constant); "
            f"the recording holds no signal."
        )
    if flat.any() and recipe.flat == "raise":
        raise ValueError(
            f"Recording {source!r} has flat (constant) channel(s) {flat_names}; use "
            f"flat='mask' to keep them masked out, or add them to 'drop'."
        )
    if recipe.reference is not None or recipe.notch:
        del data  # changed below: read again
    if recipe.flat != "mask":
        flat[:] = False
        flat_names = []

    annotations = (
        np.asarray(raw.annotations.onset, dtype=float) - raw.first_time,
        np.asarray(raw.annotations.duration, dtype=float),
        [str(desc) for desc in raw.annotations.description],
    )
    if recipe.reference is not None:
        raw.info["bads"] = flat_names  # MNE leaves bad channels out of the average
        ref = "average" if recipe.reference == "average" else list(recipe.reference)
        absent = [] if ref == "average" else [ch for ch in ref if ch not in raw.ch_names]
        if absent:
            raise ValueError(
                f"The recipe's 'reference' channel(s) {absent} are not channels of {source!r} "
                f"after 'drop' and 'picks'; its channels are {raw.ch_names[:20]}. Use "
                f"reference='average' or name channels it has."
            )
        raw.set_eeg_reference(ref, verbose=mne_verbose)
        raw.info["bads"] = []
    if recipe.notch:
        raw.notch_filter(list(recipe.notch), verbose=mne_verbose)

    sfreq = raw.info["sfreq"]
    new_sfreq = sfreq if recipe.sfreq is None else float(recipe.sfreq)
    resample = abs(sfreq - new_sfreq) > 1e-9
    edge = max(recipe.l_freq or 0, recipe.h_freq or 0)
    if edge >= new_sfreq / 2:  # with a recipe 'sfreq' the Recipe checked this already
        raise ValueError(
            f"Recording {source!r} is sampled at {new_sfreq:g} Hz, so the recipe's band edge "
            f"{edge:g} Hz ('l_freq'/'h_freq') is not below its Nyquist frequency "
            f"{new_sfreq / 2:g} Hz; lower the edge or set 'sfreq' to a rate above {2 * edge:g}."
        )
    filtering = recipe.l_freq is not None or recipe.h_freq is not None
    if fast:
        if recipe.reference is not None or recipe.notch:
            data = raw.get_data()  # else: unchanged since the checks above
        scale = _VOLT_SCALE.get(recipe.units)
        if scale is None:
            check_option("units", recipe.units, list(_VOLT_SCALE))
        fused = None
        if recipe.engine == "fused" and filtering and resample and recipe.resample_method == "fft":
            fused = fused_filter_resample(data, sfreq, recipe.l_freq, recipe.h_freq, new_sfreq,
                                          gain=scale)  # fmt: skip
        if fused is not None:
            data = fused  # already in recipe.units
        else:
            if filtering:
                data = fir_filter(data, sfreq, recipe.l_freq, recipe.h_freq)
            if resample:
                data = mne.filter.resample(data, new_sfreq, sfreq, npad="auto",
                                           method=recipe.resample_method, verbose=mne_verbose)  # fmt: skip
            if scale != 1.0 and (filtering or resample):
                data *= scale  # in place: the filter/resampler returned a fresh array
            elif scale != 1.0:
                data = data * scale  # get_data may return a view of the Raw's buffer
    else:
        data = None  # MNE filters the Raw's own buffer
        if filtering:
            raw.filter(recipe.l_freq, recipe.h_freq, verbose=mne_verbose)
        if resample:
            raw.resample(new_sfreq, method=recipe.resample_method, verbose=mne_verbose)
        data = raw.get_data(units=recipe.units)
    sfreq = new_sfreq if resample else sfreq

    ch_names = list(raw.ch_names)
    ch_pos = _positions(raw)
    measured = ~flat
    if recipe.channels is not None:
        pos_lookup = dict(zip(ch_names, ch_pos))
        was_flat = dict(zip(ch_names, flat))
        data, ch_types, present = to_target_channels(
            data, ch_names, ch_types, recipe.channels, sfreq=sfreq,
            missing=recipe.missing, source=source,
        )  # fmt: skip
        ch_names = list(recipe.channels)
        measured = present & ~np.array([was_flat.get(ch, False) for ch in ch_names])
        nan3 = np.full(3, np.nan)
        ch_pos = np.array([pos_lookup.get(ch, nan3) for ch in ch_names]).reshape(-1, 3)
    if recipe.standardise == "robust":
        q25, median, q75 = np.percentile(data, [25, 50, 75], axis=1, keepdims=True)
        scale = (q75 - q25) / 1.349  # IQR of a normal distribution = 1.349 SD
        scale[scale == 0] = 1.0  # flat or zero-filled channels stay at 0
        data = (data - median) / scale
    if recipe.clip is not None:
        data = np.clip(data, -recipe.clip, recipe.clip)
    data = data.astype(np.float32, copy=False)
    montage = raw.get_montage()
    coord_frame = "unknown"
    if montage is not None:
        coord_frame = str(montage.get_positions().get("coord_frame", "unknown"))
    if logger.isEnabledFor(logging.DEBUG):  # the recipe's hash costs as much as a window
        logger.debug("Applied recipe %s to %s: %s", recipe.hash(), source, data.shape)
    return Preprocessed(
        data=data, sfreq=float(sfreq), ch_names=ch_names, ch_types=ch_types,
        measured=measured, ch_pos=ch_pos, coord_frame=coord_frame, annotations=annotations,
        label_values=label_values, label_sfreq=label_sfreq, flat_channels=flat_names,
    )  # fmt: skip


def apply_recipe(raw, recipe, *, verbose=None):
    """Apply a recipe to a raw recording (see :class:`Recipe` for the steps).

    Parameters
    ----------
    raw : mne.io.BaseRaw
        The recording; loaded into memory if needed. Modified in place.
    recipe : Recipe
        The recipe.

    Returns
    -------
    data : ndarray of float32, shape (n_chans, n_times)
        The preprocessed signal in ``recipe.units``.
    raw : mne.io.BaseRaw
        The preprocessed recording as an MNE object (channel names, types, sfreq,
        annotations), holding ``data`` in volts when ``units`` is a voltage.
    """
    out = preprocess(raw, recipe, verbose=verbose)
    info = mne.create_info(out.ch_names, out.sfreq, out.ch_types)
    scale = _VOLT_SCALE.get(recipe.units, 1.0) if recipe.standardise is None else 1.0
    result = mne.io.RawArray(out.data.astype(np.float64) / scale, info, verbose="error")
    result.set_meas_date(raw.info["meas_date"])
    onsets, durations, descriptions = out.annotations
    result.set_annotations(
        mne.Annotations(onsets, durations, descriptions, orig_time=raw.info["meas_date"])
    )
    return out.data, result


def _picks_everything(raw, picks):
    """Whether ``raw.pick(picks)`` would keep every channel in its order.

    True when ``picks`` are the channel names in order, or are channel types only
    (no channel is named like one) and cover every channel's type.
    """
    if list(picks) == list(raw.ch_names):
        return True
    names, kinds = set(raw.ch_names), raw.get_channel_types()
    return not names & set(picks) and set(kinds) <= set(picks)


def _load(raw, source, mne_verbose, *, get=False):
    """``raw.load_data()`` or ``raw.get_data()``, naming the file if its samples are bad."""
    try:
        return raw.get_data() if get else raw.load_data(verbose=mne_verbose)
    except MemoryError:
        raise
    except Exception as err:  # the readers raise many types for truncated files
        raise ValueError(
            f"Could not read the samples of {source!r} ({type(err).__name__}: {err}). The "
            f"file may be truncated or corrupt; check that it opens in another viewer."
        ) from err


def _fast_ok(raw, ch_types):
    """Whether the fast engine reproduces MNE for this recording (``ch_types``: its types)."""
    skip = {"edge", "bad_acq_skip"}
    return (
        set(ch_types) <= _FAST_TYPES
        and len(raw.filenames) <= 1
        and not any(desc in skip for desc in raw.annotations.description)
    )


def _positions(raw):
    """Channel positions in metres, shape (n_chans, 3), NaN when unknown."""
    # (n_chans, 3); a position all zero or with a NaN is unknown
    pos = np.array([ch["loc"][:3] for ch in raw.info["chs"]], dtype=float).reshape(-1, 3)
    pos[~(np.isfinite(pos).all(axis=1) & (pos != 0).any(axis=1))] = np.nan
    return pos


__all__ = ["Preprocessed", "apply_recipe", "preprocess"]
