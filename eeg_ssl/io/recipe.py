"""The preprocessing recipe: plain data that fully determines a prepared shard.

A recipe is stored inside every shard and hashed; a rerun of ``prepare`` with the
same recipe skips recordings that are already done.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping

import mne

from ..utils import check_option
from ..utils.validation import check_number

# Preprocessing moved to .preprocessing; re-exported here so old imports keep working.
from .preprocessing import _VOLT_SCALE, Preprocessed, apply_recipe, preprocess

_RECIPE_VERSION = 2
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


def _check_strings(name, values):
    """Every entry of a tuple-valued recipe field must be a string (a name or a type)."""
    bad = [v for v in values or () if not isinstance(v, str)]
    if bad:
        raise ValueError(
            f"Invalid value for {name!r}: expected channel names or types (strings); got "
            f"{bad[0]!r} in {list(values)!r}."
        )


__all__ = ["Preprocessed", "Recipe", "apply_recipe", "preprocess"]
