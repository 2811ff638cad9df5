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

from ..utils import logger

_RECIPE_VERSION = 1


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How raw recordings become windows.

    Every step is done by MNE (``Raw.pick``, ``Raw.filter``, ``Raw.resample``,
    ``Raw.get_data(units=...)``), in this order, so a prepared window equals what
    MNE gives for the same steps.

    Parameters
    ----------
    picks : tuple of str
        Channel types (``"eeg"``, ``"ecog"``, ``"seeg"``, ...) or channel names to
        keep, passed to :meth:`mne.io.Raw.pick`.
    l_freq, h_freq : float | None
        Band-pass edges in Hz for :meth:`mne.io.Raw.filter` (``None`` skips that edge;
        both ``None`` skips filtering).
    sfreq : float | None
        Target sampling rate in Hz for :meth:`mne.io.Raw.resample`; ``None`` keeps
        the recording's rate.
    units : str
        Units of the stored samples, passed to :meth:`mne.io.Raw.get_data`
        (``"uV"`` gives microvolts, which keeps float32 well conditioned).
    window_seconds : float
        Window length in seconds.
    stride_seconds : float | None
        Distance between window starts in seconds; ``None`` means no overlap.
    label_source : str | None
        ``"annotations"`` labels each window with the description of an annotation
        that covers it entirely (windows covered by none get the label ``""``);
        ``None`` leaves all windows unlabelled.
    label_map : dict | None
        Optional mapping from annotation description to label; descriptions not in
        the map are treated as unlabelled.
    """

    picks: tuple = ("eeg", "ecog", "seeg")
    l_freq: float | None = 0.5
    h_freq: float | None = 40.0
    sfreq: float | None = 128.0
    units: str = "uV"
    window_seconds: float = 2.0
    stride_seconds: float | None = None
    label_source: str | None = None
    label_map: Mapping | None = None

    def __post_init__(self):
        if isinstance(self.picks, str):
            object.__setattr__(self, "picks", (self.picks,))
        else:
            object.__setattr__(self, "picks", tuple(self.picks))
        if self.label_map is not None:
            object.__setattr__(self, "label_map", dict(self.label_map))
        for name in ("window_seconds",):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"Recipe {name!r} must be a positive number of seconds; got {value!r}.")
        if self.stride_seconds is not None and self.stride_seconds <= 0:
            raise ValueError(
                f"Recipe 'stride_seconds' must be positive or None; got {self.stride_seconds!r}."
            )
        if self.sfreq is not None and self.sfreq <= 0:
            raise ValueError(f"Recipe 'sfreq' must be positive or None; got {self.sfreq!r}.")
        if self.label_source not in (None, "annotations"):
            raise ValueError(
                f"Invalid value for 'label_source': allowed None, 'annotations'; "
                f"got {self.label_source!r}."
            )

    @classmethod
    def from_dict(cls, params):
        """Build a recipe from a plain dict, rejecting unknown keys."""
        params = dict(params or {})
        params.pop("recipe_version", None)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValueError(
                f"Unknown recipe key(s) {unknown}; allowed keys are {sorted(known)}."
            )
        return cls(**params)

    def to_dict(self):
        """The recipe as JSON-serialisable plain data."""
        out = dataclasses.asdict(self)
        out["picks"] = list(self.picks)
        out["recipe_version"] = _RECIPE_VERSION
        return out

    def to_json(self):
        return json.dumps(self.to_dict(), sort_keys=True)

    def hash(self):
        """A short stable hash of the recipe (used for resume and file names)."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]


def apply_recipe(raw, recipe, *, verbose=None):
    """Apply a recipe's channel picks, filter and resampling to a raw recording.

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
        The preprocessed recording (channel names, types, sfreq, annotations).
    """
    mne_verbose = "error" if verbose in (None, False) else verbose
    raw.load_data(verbose=mne_verbose)
    raw.pick(list(recipe.picks), verbose=mne_verbose)
    if recipe.l_freq is not None or recipe.h_freq is not None:
        raw.filter(recipe.l_freq, recipe.h_freq, verbose=mne_verbose)
    if recipe.sfreq is not None and abs(raw.info["sfreq"] - recipe.sfreq) > 1e-9:
        raw.resample(recipe.sfreq, verbose=mne_verbose)
    data = raw.get_data(units=recipe.units).astype("float32", copy=False)
    logger.debug("Applied recipe %s: %s", recipe.hash(), data.shape)
    return data, raw


__all__ = ["Recipe", "apply_recipe"]
