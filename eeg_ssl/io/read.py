"""Reading recordings with MNE, with errors that name the file and the fix."""

from __future__ import annotations

import hashlib
from pathlib import Path

import mne

# Extensions that mne.io.read_raw dispatches on (MNE's own table, as of mne 1.13).
# Used only to give a better message before MNE fails; MNE stays the reader.
SUPPORTED_EXTENSIONS = (
    ".edf", ".bdf", ".gdf", ".fif", ".fif.gz", ".vhdr", ".set", ".cnt", ".mff",
    ".nxe", ".lay", ".eeg", ".sqd", ".con", ".ds", ".data", ".bin", ".nedf", ".snirf",
    ".xdf", ".mef", ".edf+", ".rec", ".nwb", ".txt", ".ant", ".cdt", ".e", ".ns5",
)  # fmt: skip


def read_raw(path, *, preload=False, verbose=None):
    """Read any recording that :func:`mne.io.read_raw` supports.

    Parameters
    ----------
    path : str | Path
        The recording file (EDF, BDF, FIF, BrainVision ``.vhdr``, EEGLAB ``.set``, ...).
    preload : bool
        Load the data into memory.

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
    if path.suffix.lower() not in SUPPORTED_EXTENSIONS and suffixes not in SUPPORTED_EXTENSIONS:
        raise ValueError(
            f"Cannot read {str(path)!r}: unknown extension {path.suffix!r}. Supported "
            f"extensions are those of mne.io.read_raw: {', '.join(SUPPORTED_EXTENSIONS)}. "
            f"For arrays already in memory, use eeg_ssl.io.prepare_arrays."
        )
    mne_verbose = "error" if verbose in (None, False) else verbose
    try:
        return mne.io.read_raw(path, preload=preload, verbose=mne_verbose)
    except Exception as err:  # MNE raises many types for corrupt files
        raise ValueError(
            f"Could not read {str(path)!r} with mne.io.read_raw ({type(err).__name__}: {err}). "
            f"The file may be truncated or corrupt; check that it opens in another viewer."
        ) from err


def file_sha256(path, chunk_size=1 << 20):
    """SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fid:
        for block in iter(lambda: fid.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()
