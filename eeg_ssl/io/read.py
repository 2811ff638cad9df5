"""Reading recordings with MNE, with errors that name the file and the fix."""

from __future__ import annotations

import datetime
import hashlib
import logging
import warnings
from pathlib import Path

import mne
import numpy as np

logger = logging.getLogger("eeg_ssl")

# Extensions that mne.io.read_raw dispatches on (MNE's own table, as of mne 1.13).
# Used only to give a better message before MNE fails; MNE stays the reader.
SUPPORTED_EXTENSIONS = (
    ".edf", ".bdf", ".gdf", ".fif", ".fif.gz", ".vhdr", ".set", ".cnt", ".mff",
    ".nxe", ".lay", ".eeg", ".sqd", ".con", ".ds", ".data", ".bin", ".nedf", ".snirf",
    ".xdf", ".mef", ".edf+", ".rec", ".nwb", ".txt", ".ant", ".cdt", ".e", ".ns5",
)  # fmt: skip
# Formats eeg-ssl reads itself (MNE has no reader for them).
EXTRA_EXTENSIONS = (".arff",)


def read_raw(path, *, preload=False, lean=True, verbose=None, **kwargs):
    """Read any recording that :func:`mne.io.read_raw` supports, or an ARFF table.

    Parameters
    ----------
    path : str | Path
        The recording file (EDF, BDF, FIF, BrainVision ``.vhdr``, EEGLAB ``.set``, ...,
        or ``.arff`` read by :func:`eeg_ssl.io.read_arff`).
    preload : bool
        Load the data into memory (errors of truncated files then surface here).
    lean : bool
        Read a plain continuous EDF file with :func:`read_edf_lean` (the same channels,
        samples and annotations as MNE's reader, several times faster; tested against
        it); any other file, or ``lean=False``, is read by MNE.
    **kwargs
        Passed to the reader (``sfreq`` and ``units`` are required/used for ARFF).

    Returns
    -------
    raw : mne.io.BaseRaw
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Recording {str(path)!r} does not exist; check the path.")
    if path.is_dir() and path.suffix.lower() not in (".ds", ".mff"):
        raise IsADirectoryError(
            f"{str(path)!r} is a folder, not a recording; pass the recording files inside it "
            f"(e.g. a glob such as '{path}/*.edf')."
        )
    suffixes = "".join(path.suffixes[-2:]).lower()
    if path.suffix.lower() == ".arff":
        from .sources import read_arff

        if "sfreq" not in kwargs:
            raise ValueError(
                f"ARFF files do not store a sampling rate: pass it for {str(path)!r}, e.g. "
                f"read_kwargs={{'sfreq': 128.0}} (in a config: 'read_kwargs: {{sfreq: 128}}')."
            )
        return read_arff(path, **kwargs)
    if path.suffix.lower() not in SUPPORTED_EXTENSIONS and suffixes not in SUPPORTED_EXTENSIONS:
        raise ValueError(
            f"Cannot read {str(path)!r}: unknown extension {path.suffix!r}. Supported "
            f"extensions are those of mne.io.read_raw: {', '.join(SUPPORTED_EXTENSIONS)}, "
            f"and {', '.join(EXTRA_EXTENSIONS)}. "
            f"For arrays already in memory, use eeg_ssl.io.prepare_arrays."
        )
    if lean and not kwargs and path.suffix.lower() == ".edf":
        raw = read_edf_lean(path)
        if raw is not None:
            return raw
    mne_verbose = "warning" if verbose in (None, False) else verbose
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with mne.utils.use_log_level("error"):
                raw = mne.io.read_raw(path, preload=preload, verbose=mne_verbose, **kwargs)
    except Exception as err:  # MNE raises many types for corrupt files
        raise ValueError(
            f"Could not read {str(path)!r} with mne.io.read_raw ({type(err).__name__}: {err}). "
            f"The file may be truncated or corrupt; check that it opens in another viewer."
        ) from err
    for warning in caught:
        if "does not match the file size" in str(warning.message):
            raise ValueError(
                f"{str(path)!r} is truncated: its header announces more data than the file "
                f"holds ({warning.message}). Re-download or re-export it."
            )
    return raw


# The units MNE's EDF reader scales (any other physical dimension: declined below)
_EDF_UNITS = {"uV": 1e-6, "\u00b5V": 1e-6, "\u03bcV": 1e-6, "mV": 1e-3, "V": 1.0}


class RawEDFLean(mne.io.BaseRaw):
    """A continuous EDF recording found by :func:`read_edf_lean`; samples read on demand.

    Not preloaded, like MNE's readers: ``get_data`` reads the data records it needs and
    calibrates them straight into the array it returns (one pass, no copy of a preloaded
    buffer); ``load_data`` preloads.
    """

    def __init__(self, info, path, layout):
        n_times = layout["n_records"] * layout["spr"]
        super().__init__(info, preload=False, filenames=[path], last_samps=[n_times - 1],
                         raw_extras=[layout], orig_format="int", verbose="error")  # fmt: skip

    def _read_segment_file(self, data, idx, fi, start, stop, cals, mult):
        """Samples ``start:stop`` of channels ``idx`` into ``data`` (MNE's reader protocol)."""
        layout = self._raw_extras[fi]
        spr, record_len = layout["spr"], layout["record_len"]
        first, last = start // spr, -(-stop // spr)  # the data records holding the samples
        records = np.fromfile(self.filenames[fi], dtype="<i2", count=(last - first) * record_len,
                              offset=layout["header_bytes"] + 2 * first * record_len)  # fmt: skip
        records = records.reshape(last - first, record_len)
        chans = np.arange(len(layout["cols"]))[idx]
        lo, n = start - first * spr, stop - start
        out = data if mult is None else np.empty((len(chans), n))
        for row, ch in enumerate(chans):
            col = layout["cols"][ch]
            # (n_records, spr) block of the channel -> its samples start:stop
            digital = records[:, col : col + spr].reshape(-1)[lo : lo + n]
            # MNE's calibration, in float64: (digital * gain + offset) * unit scale
            np.multiply(digital, layout["gain"][ch], out=out[row])
            out[row] += layout["offset"][ch]
            if layout["scale"][ch] != 1.0:
                out[row] *= layout["scale"][ch]
        if mult is not None:  # projector / compensation, calibrations included
            data[:] = mult @ out
        elif not np.all(cals == 1.0):
            data *= cals


def read_edf_lean(path):
    """Read a continuous EDF file as MNE would, with edfio's header and one pass of samples.

    Hand-written because :func:`mne.io.read_raw_edf` spends 10-20 ms per file checking
    its header and building its info before reading any sample (a third of ``prepare``
    on the 140-recording benchmark), while the data of a plain EDF file are one int16
    array of data records: edfio (a maintained EDF library, a core dependency) parses
    the header and the EDF+ annotations, and the samples of all channels are calibrated
    in one vectorised pass (edfio calibrates one signal at a time).

    The result has MNE's channel names, types (all EEG), sampling rate, measurement
    date, annotations and samples in volts (``tests/io/test_read.py`` checks them, and
    the prepared windows, against MNE's reader). Files that MNE treats in ways this
    reader does not reproduce return ``None`` (the caller then uses MNE): EDF+D
    (discontinuous), BDF, channels at different rates, stim channels (``status``,
    ``trigger``), duplicate or non-ASCII labels, other physical units, a size that
    does not match the header.

    Parameters
    ----------
    path : str | Path

    Returns
    -------
    raw : RawEDFLean | None
        Not preloaded; its samples are read by ``get_data`` / ``load_data``.
    """
    import edfio

    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # edfio warns on truncated files: MNE says more
            edf = edfio.read_edf(path, lazy_load_data=True)
            n_records, duration = edf.num_data_records, edf.data_record_duration
            header_bytes = edf.bytes_in_header_record
            # each header field is decoded once: (label, unit, samples per record,
            # physical min, max, digital min, max, is an annotation signal), all signals
            heads = [(s.label, s.physical_dimension, s.samples_per_data_record, s.physical_min,
                      s.physical_max, s.digital_min, s.digital_max, s._is_annotation_signal)  # noqa: SLF001
                     for s in edf._signals]  # noqa: SLF001  # fmt: skip
            sizes = [head[2] for head in heads]
            record_len = sum(sizes)
            # the samples of each data record: every signal's samples in turn
            cols = np.cumsum([0] + sizes[:-1])[[not head[7] for head in heads]]
            heads = [head for head in heads if not head[7]]
            labels = [head[0] for head in heads]
            units = [head[1] for head in heads]
            spr = {head[2] for head in heads}
            if (
                edf.reserved.startswith("EDF+D") or len(spr) != 1 or n_records <= 0
                or duration <= 0 or len(set(labels)) != len(labels) or not labels
                or any(lab.lower() in ("status", "trigger", "") for lab in labels)
                or any(unit not in _EDF_UNITS for unit in units)
                or path.stat().st_size != header_bytes + 2 * n_records * record_len
            ):  # fmt: skip
                return None
            spr = spr.pop()
            # (n_chans, 4): physical min, max, digital min, max
            ranges = np.array([head[3:7] for head in heads], dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                gain = (ranges[:, 1] - ranges[:, 0]) / (ranges[:, 3] - ranges[:, 2])
            if not np.isfinite(gain).all():
                return None
            offset = ranges[:, 0] - gain * ranges[:, 2]
            meas_date = _edf_meas_date(path)
            if meas_date is None:
                return None
            annotations = edf.annotations
    except Exception as err:  # noqa: BLE001  any header edfio cannot parse: MNE's turn
        logger.debug("Lean EDF reader declined %s (%s); MNE reads it.", path, err)
        return None
    layout = dict(header_bytes=header_bytes, record_len=record_len, spr=spr,
                  n_records=n_records, cols=[int(c) for c in cols], gain=gain, offset=offset,
                  scale=np.array([_EDF_UNITS[unit] for unit in units]))  # fmt: skip
    info = mne.create_info(labels, spr / duration, "eeg")
    info.set_meas_date(meas_date)
    raw = RawEDFLean(info, path, layout)
    if annotations:
        raw.set_annotations(mne.Annotations(
            [a.onset for a in annotations], [a.duration or 0.0 for a in annotations],
            [a.text for a in annotations], orig_time=raw.info["meas_date"],
        ))  # fmt: skip
    return raw


def _edf_meas_date(path):
    """The start of an EDF recording by MNE's rule (:func:`mne.io.read_raw_edf`), UTC.

    The EDF+ recording field's date when it has one (4-digit year), else the header's
    ``dd.mm.yy`` (years before 85 are 20xx), with the header's ``hh.mm.ss``; ``None``
    when neither parses (MNE then warns). Hand-written because edfio raises for an
    anonymised EDF+ date ('X') where MNE falls back to the header's date.
    """
    with open(path, "rb") as fid:
        head = fid.read(184).decode("latin-1")
    date = None
    rec_info = head[88:168].rstrip().split(" ")
    if len(rec_info) == 5:
        try:
            date = datetime.datetime.strptime(rec_info[1], "%d-%b-%Y")
        except ValueError:
            date = None
    if date is None:
        try:
            day, month, year = (int(x) for x in head[168:176].split("."))
            date = datetime.datetime(year + 2000 if year < 85 else year + 1900, month, day)
        except ValueError:
            return None
    try:
        hour, minute, second = (int(x) for x in head[176:184].split("."))
    except ValueError:
        hour, minute, second = 0, 0, 0
    return date.replace(hour=hour, minute=minute, second=second, tzinfo=datetime.timezone.utc)


def file_sha256(path, chunk_size=1 << 20):
    """SHA-256 of a file's bytes, as hex."""
    with open(path, "rb") as fid:
        if hasattr(hashlib, "file_digest"):  # Python >= 3.11: reads into one reused buffer
            # (measured 1.8 vs 2.8 ms for a 2.5 MB EDF file: no new bytes object per block)
            return hashlib.file_digest(fid, "sha256").hexdigest()
        digest = hashlib.sha256()
        for block in iter(lambda: fid.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()
