"""The preprocessing recipe: plain data that fully determines a prepared shard.

A recipe is stored inside every shard and hashed; a rerun of ``prepare`` with the
same recipe skips recordings that are already done.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Mapping

import mne
import numpy as np

from ..utils import check_option, logger
from ..utils.validation import check_number
from .filtering import fir_filter, fused_filter_resample
from .harmonise import channel_type_mapping, standardise_names, to_target_channels

_RECIPE_VERSION = 2
# Channel types that MNE's Raw.filter / Raw.resample treat as data: the only ones the
# "fast" engine handles itself (anything else falls back to MNE).
_FAST_TYPES = {"eeg", "ecog", "seeg", "dbs"}
_VOLT_SCALE = {"V": 1.0, "mV": 1e3, "uV": 1e6, "µV": 1e6, "nV": 1e9}
LABEL_SOURCES = (None, "annotations", "events", "channel", "recording")


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How raw recordings become windows (plain data, hashed, stored in every shard).

    Steps run in this order: channel types -> standard names -> drop -> picks ->
    NaN/flat checks -> re-reference -> notch -> band-pass -> resample -> units ->
    target channels -> robust standardisation -> clipping -> windows. Filtering and
    resampling are MNE's (``engine="mne"`` calls ``Raw.filter`` / ``Raw.resample``;
    ``engine="fast"`` applies the same MNE-designed filter to all channels at once and
    equals MNE to float64 rounding, i.e. within 2 float32 ulp after the cast;
    ``engine="fused"`` band-passes and resamples in one FFT, within a stated tolerance
    of MNE, see :func:`eeg_ssl.io.filtering.fused_filter_resample`).

    Parameters
    ----------
    picks : tuple of str
        Channel types (``"eeg"``, ``"ecog"``, ``"seeg"``, ...) or names to keep
        (:meth:`mne.io.Raw.pick`).
    drop : tuple of str
        Channel names to remove before ``picks`` (absent names are ignored), e.g.
        ``("EEG A2-A1", "ECG ECG")``.
    channel_types : dict | None
        ``{name or glob pattern: type}`` set before picking, e.g. ``{"EKG*": "ecg",
        "*": "ecog"}`` for an EDF whose ECoG channels MNE reads as EEG. An exact name
        wins, then the longest matching pattern.
    standardise_names : bool
        Rename channels to their ``standard_1005`` spelling (``"Fc5."`` -> ``"FC5"``,
        ``"EEG Fp1"`` -> ``"Fp1"``); other names are kept.
    channels : tuple of str | None
        Target channel list: every recording is mapped onto it, in this order.
    missing : "zero" | "interpolate" | "raise"
        What to do with target channels a recording lacks (they are flagged 0 in the
        channel mask either way).
    flat : "mask" | "raise" | "ignore"
        Channels that are constant over the whole recording: flag them 0 in the mask
        (and leave them out of the average reference), raise, or keep them as they are.
    reference : None | "average" | tuple of str
        Re-reference with :meth:`mne.io.Raw.set_eeg_reference` (``None`` keeps the
        recorded reference).
    notch : tuple of float | None
        Line-noise frequencies in Hz for :meth:`mne.io.Raw.notch_filter`.
    l_freq, h_freq : float | None
        Band-pass edges in Hz (MNE's default FIR design); both ``None`` skips filtering.
    sfreq : float | None
        Target sampling rate in Hz; ``None`` keeps the rate.
    resample_method : "fft" | "polyphase"
        MNE's resampling method (``method=`` of :meth:`mne.io.Raw.resample`): ``"fft"``
        (MNE's default) or ``"polyphase"`` (:func:`scipy.signal.resample_poly` with
        MNE's Kaiser window; faster for rational ratios, and differs from ``"fft"`` by
        a few % of the signal near the anti-alias roll-off, see ``docs/data.md``).
    engine : "mne" | "fast" | "fused"
        Who applies the band-pass and resampling (see above). ``"fused"`` (default)
        is the fastest (measured in ``docs/benchmarks.md``): it needs a low-pass below the new Nyquist frequency, FFT resampling
        and a rational rate ratio, and otherwise uses ``"fast"``. Its output samples
        sit exactly at ``k / sfreq``; MNE's default ``npad="auto"`` stretches its
        output grid by up to a quarter sample, so ``"fused"`` is compared with MNE at
        the exact ratio (``docs/data.md``).
    units : str
        Units of the stored samples (``Raw.get_data(units=...)``), e.g. ``"uV"``.
    standardise : None | "robust"
        Per recording and channel, subtract the median and divide by the IQR / 1.349
        (a robust standard deviation); values are then in robust SD units.
    clip : float | None
        Clip samples to ``[-clip, clip]`` (in ``units``, or in robust SDs when
        ``standardise="robust"``), e.g. to tame outliers.
    window_seconds : float
        Window length in seconds (sliding windows; for ``label_source="events"``
        the length is ``tmax - tmin``).
    stride_seconds : float | None
        Distance between window starts in seconds; ``None`` means no overlap.
    label_source : None | "annotations" | "events" | "channel" | "recording"
        ``"annotations"``: sliding windows, labelled by an annotation covering the
        window entirely (else ``""``); ``"events"``: one window per (mapped)
        annotation, from ``onset + tmin`` to ``onset + tmax``; ``"channel"``: sliding
        windows labelled by the per-sample channel ``label_channel`` when it is
        constant over the window (else ``""``); ``"recording"``: every window gets
        the recording's label (file-name rule, array labels); ``None``: unlabelled.
    label_map : dict | None
        Maps raw labels (annotation descriptions, channel values as strings, file-name
        groups) to label names; raw labels not in the map become unlabelled.
    label_channel : str | None
        Channel holding per-sample labels for ``label_source="channel"``; it is never
        part of the windows.
    tmin, tmax : float
        Event-locked window in seconds relative to the annotation onset
        (``label_source="events"``), ``[tmin, tmax)``.
    """

    picks: tuple = ("eeg", "ecog", "seeg")
    drop: tuple = ()
    channel_types: Mapping | None = None
    standardise_names: bool = False
    channels: tuple | None = None
    missing: str = "zero"
    flat: str = "mask"
    reference: str | tuple | None = None
    notch: tuple | None = None
    l_freq: float | None = 0.5
    h_freq: float | None = 40.0
    sfreq: float | None = 128.0
    resample_method: str = "fft"
    engine: str = "fused"
    units: str = "uV"
    standardise: str | None = None
    clip: float | None = None
    window_seconds: float = 2.0
    stride_seconds: float | None = None
    label_source: str | None = None
    label_map: Mapping | None = None
    label_channel: str | None = None
    tmin: float = 0.0
    tmax: float | None = None

    def __post_init__(self):
        def as_tuple(value):
            if value is None:
                return None
            return (value,) if isinstance(value, (str, int, float)) else tuple(value)

        object.__setattr__(self, "picks", as_tuple(self.picks))
        object.__setattr__(self, "drop", as_tuple(self.drop) or ())
        object.__setattr__(self, "channels", as_tuple(self.channels))
        object.__setattr__(self, "notch", as_tuple(self.notch))
        if self.reference is not None and self.reference != "average":
            object.__setattr__(self, "reference", as_tuple(self.reference))
        for name in ("label_map", "channel_types"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Mapping):
                raise ValueError(
                    f"Invalid value for {name!r}: expected a mapping ({{from: to, ...}}) or "
                    f"None; got {value!r}."
                )
            if value is not None:
                object.__setattr__(self, name, {str(k): v for k, v in dict(value).items()})
        self._check_types()
        check_option("label_source", self.label_source, list(LABEL_SOURCES))
        check_option("missing", self.missing, ["zero", "interpolate", "raise"])
        check_option("flat", self.flat, ["mask", "raise", "ignore"])
        check_option("engine", self.engine, ["mne", "fast", "fused"])
        check_option("resample_method", self.resample_method, ["fft", "polyphase"])
        check_option("standardise", self.standardise, [None, "robust"])
        if self.label_source == "events" and (self.tmax is None or self.tmax <= self.tmin):
            raise ValueError(
                f"label_source='events' needs 'tmax' > 'tmin' (the window is "
                f"[onset + tmin, onset + tmax)); got tmin={self.tmin!r}, tmax={self.tmax!r}."
            )
        if self.label_source == "channel" and not self.label_channel:
            raise ValueError(
                "label_source='channel' needs 'label_channel': the name of the channel that "
                "holds one label per sample."
            )

    def _check_types(self):
        """Types and ranges of every field, and the band-pass against the new Nyquist."""
        for name in ("window_seconds", "stride_seconds", "sfreq", "clip", "l_freq", "h_freq"):
            check_number(name, getattr(self, name), minimum=0,
                         allow_none=name != "window_seconds")  # fmt: skip
        check_number("tmin", self.tmin, allow_none=False)
        check_number("tmax", self.tmax)
        for name in ("picks", "drop", "channels"):
            _check_strings(name, getattr(self, name))
        if not self.picks:
            raise ValueError(
                f"Invalid value for 'picks': expected channel types or names, e.g. "
                f"['eeg']; got {self.picks!r}."
            )
        if self.reference not in (None, "average"):
            _check_strings("reference", self.reference)
        for freq in self.notch or ():
            check_number("notch", freq, minimum=0, allow_none=False,
                         what="positive frequencies in Hz")  # fmt: skip
        for name in ("units", "label_channel"):
            value = getattr(self, name)
            if not (isinstance(value, str) or (value is None and name == "label_channel")):
                raise ValueError(f"Invalid value for {name!r}: expected a string; got {value!r}.")
        check_option("units", self.units, list(_VOLT_SCALE))
        if self.channel_types:
            kinds = sorted(mne.io.get_channel_type_constants(include_defaults=True))
            for pattern, kind in self.channel_types.items():
                check_option(f"channel_types[{pattern!r}]", kind, kinds)
        if not isinstance(self.standardise_names, bool):
            raise ValueError(
                f"Invalid value for 'standardise_names': expected true or false; got "
                f"{self.standardise_names!r}."
            )
        if self.l_freq is not None and self.h_freq is not None and self.l_freq >= self.h_freq:
            raise ValueError(
                f"Invalid band-pass: 'l_freq' ({self.l_freq:g} Hz) must be below 'h_freq' "
                f"({self.h_freq:g} Hz); swapped edges would make a band-stop. For a high-pass "
                f"only set h_freq=None, for a low-pass only l_freq=None."
            )
        if self.sfreq is not None:
            nyquist = self.sfreq / 2
            for name in ("h_freq", "l_freq"):
                edge = getattr(self, name)
                if edge is not None and edge >= nyquist:
                    raise ValueError(
                        f"Invalid value for {name!r}: {edge:g} Hz is not below the Nyquist "
                        f"frequency of the new rate ('sfreq' {self.sfreq:g} Hz -> {nyquist:g} "
                        f"Hz); lower {name!r} below {nyquist:g} or raise 'sfreq' above "
                        f"{2 * edge:g}."
                    )

    @classmethod
    def from_dict(cls, params):
        """Build a recipe from a plain dict, rejecting unknown keys."""
        if params is not None and not isinstance(params, Mapping):
            raise ValueError(
                f"Invalid value for 'recipe': expected a mapping of recipe keys (e.g. "
                f"{{'sfreq': 128}}); got {params!r}."
            )
        params = dict(params or {})
        params.pop("recipe_version", None)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValueError(f"Unknown recipe key(s) {unknown}; allowed keys are {sorted(known)}.")
        return cls(**params)

    def to_dict(self):
        """The recipe as JSON-serialisable plain data."""
        out = dataclasses.asdict(self)
        for key, value in out.items():
            if isinstance(value, tuple):
                out[key] = list(value)
        if out["resample_method"] == "fft":
            del out["resample_method"]  # the default: hashes of earlier recipes stay valid
        out["recipe_version"] = _RECIPE_VERSION
        return out

    def to_json(self):
        return json.dumps(self.to_dict(), sort_keys=True)

    def hash(self):
        """A short stable hash of the recipe (used for resume and file names)."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    @property
    def window_length(self):
        """Window length in seconds (``tmax - tmin`` for event-locked windows)."""
        if self.label_source == "events":
            return float(self.tmax - self.tmin)
        return float(self.window_seconds)


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


def _check_strings(name, values):
    """Every entry of a tuple-valued recipe field must be a string (a name or a type)."""
    bad = [v for v in values or () if not isinstance(v, str)]
    if bad:
        raise ValueError(
            f"Invalid value for {name!r}: expected channel names or types (strings); got "
            f"{bad[0]!r} in {list(values)!r}."
        )


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


__all__ = ["Preprocessed", "Recipe", "apply_recipe", "preprocess"]
