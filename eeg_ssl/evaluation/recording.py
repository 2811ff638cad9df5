"""Check estimator input against the recording facts of the encoder's training data.

The facts (:func:`eeg_ssl.training.checkpoint.recording_facts`) travel with every
checkpoint and exported model. ``mne.Epochs`` / ``mne.io.Raw`` are matched by channel
name (reordered when the set is the same) and sampling rate (resampled only when
asked); arrays carry no names, so they are checked by shape and amplitude scale.
"""

from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np

from ..training.checkpoint import FACTS_ATTR, make_facts, median_abs_amplitude

#: A median absolute amplitude this many times above or below the training data's warns.
SCALE_TOLERANCE = 100.0
_UNIT_FACTORS = {"V": 1.0, "mV": 1e-3, "uV": 1e-6, "µV": 1e-6, "nV": 1e-9}
#: MNE channel types measured in volts (read in the training ``units``).
_VOLTAGE_TYPES = {"eeg", "eog", "ecg", "emg", "seeg", "ecog", "dbs", "bio"}


def mne_input(X):
    """The MNE objects of ``X`` as a list, or ``None`` when ``X`` is not MNE data.

    scikit-learn's ``_safe_indexing`` (used by ``cross_val_score``, ``GridSearchCV``,
    MNE's ``cross_val_multiscore``) indexes ``mne.Epochs`` item by item, because
    Epochs have no ``shape``: a split arrives as a list of one-epoch ``Epochs``. Such
    a list is read as the Epochs it came from (``np.asarray`` would give (n, 1, C, T)).
    """
    import mne

    kinds = (mne.BaseEpochs, mne.io.BaseRaw)
    if isinstance(X, kinds):
        return [X]
    if isinstance(X, (list, tuple)) and X and all(isinstance(x, mne.BaseEpochs) for x in X):
        first = X[0].info
        for k, x in enumerate(X):
            if x.ch_names != first["ch_names"] or x.info["sfreq"] != first["sfreq"]:
                raise ValueError(
                    f"'X' is a list of mne.Epochs with different channels or sampling rates "
                    f"(item 0: {len(first['ch_names'])} channels at {first['sfreq']} Hz; item "
                    f"{k}: {len(x.ch_names)} channels at {x.info['sfreq']} Hz); concatenate "
                    f"compatible Epochs with mne.concatenate_epochs."
                )
        return list(X)
    return None


def peek_shape(X):
    """``(n_chans, n_times, sfreq)`` of MNE input without reading it; ``None`` for arrays.

    ``n_times`` is ``None`` for ``Raw`` (it is cut into windows later).
    """
    items = mne_input(X)
    if items is None:
        return None
    import mne

    info = items[0].info
    n_times = None if isinstance(items[0], mne.io.BaseRaw) else len(items[0].times)
    return len(info["ch_names"]), n_times, float(info["sfreq"])


def encoder_facts(encoder):
    """The recording facts an encoder carries (from a checkpoint or a saved folder)."""
    facts = getattr(encoder, FACTS_ATTR, None)
    return dict(facts) if isinstance(facts, dict) else None


def resolve_units(units, facts, *, estimator):
    """Units in which MNE input is read: the estimator's, else the training data's, else uV."""
    trained = (facts or {}).get("units")
    if units is None:
        return trained or "uV"
    if trained and units != trained and trained in _UNIT_FACTORS:
        raise ValueError(
            f"Invalid value for 'units' of {estimator}: the encoder was trained on windows in "
            f"{trained!r}; got units={units!r}. Set units={trained!r} or units=None."
        )
    return units


def input_facts(X, windows, *, units):
    """Facts of fit input: names and rate from MNE input, shape and scale from the windows."""
    items = mne_input(X)
    names = types = sfreq = None
    if items is not None:
        names, types = items[0].ch_names, items[0].get_channel_types()
        sfreq = items[0].info["sfreq"]
    return make_facts(ch_names=names, ch_types=types, sfreq=sfreq,
                      units=units if items is not None else None, n_times=windows.shape[2],
                      n_chans=windows.shape[1],
                      median_abs=median_abs_amplitude(windows))  # fmt: skip


def read_mne_windows(X, facts, *, units, resample=False, name="X"):
    """Windows of MNE input, matched to the facts by channel name and sampling rate.

    Parameters
    ----------
    X : mne.Epochs | mne.io.Raw | list of mne.Epochs
        ``Raw`` is cut into consecutive windows of the training window length.
    facts : dict | None
        Recording facts of the training data; ``None`` reads the data as they are.
    units : str
        Units in which the data are read.
    resample : bool
        Resample to the training rate when the rates differ (else an error).
    name : str
        Name of the argument in messages.

    Returns
    -------
    windows : ndarray of float64, shape (n_windows, n_chans, n_times)
        Channels in the training order.
    """
    import mne

    facts = facts or {}
    items = mne_input(X)
    info = items[0].info
    names = facts.get("ch_names")
    if names:
        present = set(info["ch_names"])
        missing = [c for c in names if c not in present]
        extra = [c for c in info["ch_names"] if c not in set(names)]
        if missing or extra:
            parts = [f"missing {missing}"] * bool(missing) + [f"extra {extra}"] * bool(extra)
            fix = (
                "rename them (inst.rename_channels), or add or interpolate the missing ones"
                if missing
                else f"drop the extra ones with inst.pick({names!r})"
            )
            raise ValueError(
                f"The channels of {name!r} do not match those the encoder was trained on: "
                f"{'; '.join(parts)}. Trained on {len(names)} channels: {names}; {fix}."
            )
    trained_sfreq = facts.get("sfreq")
    if trained_sfreq and not math.isclose(info["sfreq"], trained_sfreq, rel_tol=1e-6):
        if not resample:
            raise ValueError(
                f"The sampling rate of {name!r} is {info['sfreq']:g} Hz, but the encoder was "
                f"trained at {trained_sfreq:g} Hz. Resample the data (inst.resample("
                f"{trained_sfreq:g})) or pass resample=True to the estimator."
            )
        items = [x.copy().load_data().resample(trained_sfreq, verbose="error") for x in items]
    if isinstance(items[0], mne.io.BaseRaw):
        n_times = facts.get("n_times")
        if not n_times:
            raise ValueError(
                f"{name!r} is mne.io.Raw, but the window length of the training data is "
                f"unknown; give windows as mne.Epochs instead."
            )
        raw = items[0]
        if raw.n_times < n_times:  # else MNE's "No events produced"
            raise ValueError(
                f"{name!r} (mne.io.Raw) is {raw.times[-1] + 1 / raw.info['sfreq']:g} s long, "
                f"shorter than one training window ({n_times} samples = "
                f"{n_times / raw.info['sfreq']:g} s); give a longer recording."
            )
        items = [mne.make_fixed_length_epochs(raw, duration=n_times / raw.info["sfreq"],
                                              preload=True, verbose="error")]  # fmt: skip
    if facts.get("standardise"):
        warnings.warn(
            f"The encoder was trained on windows prepared with standardise="
            f"{facts['standardise']!r} (per recording and channel); {name!r} is read as it "
            f"is. Standardise it the same way, or prepare it with eeg-ssl's recipe.",
            UserWarning,
            stacklevel=4,
        )
    picks = list(names) if names else None
    bads = [c for c in info["bads"] if picks is None or c in picks]
    if bads:  # MNE leaves bad channels out of default picks; the encoder needs every channel
        warnings.warn(
            f"{name!r} has channels marked bad ({bads}); they are embedded as they are. "
            f"Interpolate them first (inst.interpolate_bads()) for a cleaner embedding.",
            UserWarning,
            stacklevel=4,
        )
    types = set(items[0].get_channel_types(picks=picks))
    # one unit for every voltage channel type (MNE refuses a single unit string when the
    # channels are of several types, e.g. an EEG channel typed EOG)
    by_type = {t: units for t in types if t in _VOLTAGE_TYPES} or units
    return np.concatenate([x.get_data(picks=picks, units=by_type) for x in items])


def check_data_facts(trained, data, *, trained_name, data_name):
    """Check prepared data against the recording facts of an encoder's training data.

    Parameters
    ----------
    trained : dict | None
        Facts of the encoder's training data (from its checkpoint); ``None`` (an old
        checkpoint) checks nothing.
    data : dict
        Facts of the data to embed (:func:`~eeg_ssl.training.recording_facts` of a
        prepared folder).
    trained_name, data_name : str
        How the checkpoint and the data are named in messages (their paths).

    Returns
    -------
    order : list of int | None
        Channel indices that put the data's channels in the training order, when the
        set is the same but the order differs; ``None`` when nothing is to reorder.

    Raises
    ------
    ValueError
        Different channels, sampling rate, window length, units or standardisation:
        the encoder would embed the data without a word but mean something else.

    Warns
    -----
    UserWarning
        The same window shape from another preprocessing recipe (a different recipe
        hash): allowed (e.g. another band-pass), but named.
    """
    if not trained:
        return None
    order = None
    problems = []
    names, got = trained.get("ch_names"), data.get("ch_names")
    if names and got and names != got:
        if sorted(names) == sorted(got):
            order = [got.index(c) for c in names]
        else:
            missing = [c for c in names if c not in set(got)]
            extra = [c for c in got if c not in set(names)]
            problems.append(
                f"channels: {len(names)} trained {names}, {len(got)} prepared {got}"
                + (f" (missing {missing})" if missing else "")
                + (f" (extra {extra})" if extra else "")
            )
    elif trained.get("n_chans") and data.get("n_chans") and trained["n_chans"] != data["n_chans"]:
        problems.append(f"channels: {trained['n_chans']} trained, {data['n_chans']} prepared")
    for key, what, unit in (("sfreq", "sampling rate", " Hz"), ("n_times", "window", " samples")):
        a, b = trained.get(key), data.get(key)
        if a and b and not math.isclose(float(a), float(b), rel_tol=1e-6):
            problems.append(f"{what}: {a:g}{unit} trained, {b:g}{unit} prepared")
    a, b = trained.get("units"), data.get("units")
    if a and b and _UNIT_FACTORS.get(a, a) != _UNIT_FACTORS.get(b, b):
        problems.append(f"units: {a!r} trained, {b!r} prepared")
    a, b = trained.get("standardise"), data.get("standardise")
    if a != b and trained.get("recipe_hash") and data.get("recipe_hash"):  # both recipes known
        problems.append(f"standardise: {a!r} trained, {b!r} prepared")
    if problems:
        raise ValueError(
            f"The prepared data {data_name!r} do not match the training data of the checkpoint "
            f"{trained_name!r}: {'; '.join(problems)}. Prepare the data with the checkpoint's "
            f"recipe and channels (eeg-ssl prepare --config of the pretraining run), or use a "
            f"checkpoint trained on data like these."
        )
    a, b = trained.get("recipe_hash"), data.get("recipe_hash")
    if a and b and a != b:
        warnings.warn(
            f"The prepared data {data_name!r} were made with another preprocessing recipe "
            f"(hash {b}) than the training data of the checkpoint {trained_name!r} (hash {a}); "
            f"channels, rate and window match, so they are embedded, but scores may differ "
            f"from data prepared with the checkpoint's recipe.",
            UserWarning,
            stacklevel=3,
        )
    return order


def check_scale(X, facts, *, name="X"):
    """Warn when the amplitude of ``X`` is orders of magnitude off the training data's.

    The likely unit mistake (e.g. volts given to a model trained in microvolts, a
    factor 1e6) is named with the factor that fixes it.
    """
    trained = (facts or {}).get("median_abs")
    observed = median_abs_amplitude(X)
    if not trained or not observed:
        return
    ratio = observed / trained
    if 1 / SCALE_TOLERANCE <= ratio <= SCALE_TOLERANCE:
        return
    units = facts.get("units")
    exponent = 3 * round(math.log10(ratio) / 3)
    hint = ""
    if exponent and not facts.get("standardise"):
        hint = (
            f" A factor of {10.0**exponent:g} is a typical unit mistake (V, mV, uV): rescale "
            f"{name!r} to the units of the training data."
        )
    if exponent and units in _UNIT_FACTORS and not facts.get("standardise"):
        factor = _UNIT_FACTORS[units] / 10.0**exponent
        likely = {v: k for k, v in _UNIT_FACTORS.items() if k != "µV"}
        guess = min(likely, key=lambda f: abs(math.log10(f / factor)))
        if math.isclose(guess, factor, rel_tol=1e-6):
            hint = (
                f" It looks like data in {likely[guess]} given to a model trained in {units}: "
                f"multiply by {10.0**-exponent:g}, or pass mne.Epochs (read in the training "
                f"units)."
            )
    warnings.warn(
        f"The median absolute amplitude of {name!r} is {observed:.3g}, {ratio:.2g} times that "
        f"of the training data ({trained:.3g}{' ' + units if units else ''}).{hint}",
        UserWarning,
        stacklevel=3,
    )


@contextlib.contextmanager
def torch_threads(threads):
    """Run a block with ``threads`` torch intra-op and BLAS threads (``None``: unchanged).

    The previous torch setting is restored on exit.
    """
    if threads is None:
        yield
        return
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise ValueError(f"Invalid value for 'threads': allowed None or an int >= 1; got "
                         f"{threads!r}.")  # fmt: skip
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(int(threads))
    try:
        with threadpool_limits(int(threads)):
            yield
    finally:
        torch.set_num_threads(before)
