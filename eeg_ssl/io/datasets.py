"""Public datasets as lists of :class:`~eeg_ssl.io.sources.Recording`.

Each works offline from a local copy (``path``) and downloads only when asked
(``download=True``, through MNE's or braindecode's fetchers).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..utils import check_option
from .sources import Recording, bids_recordings, braindecode_recordings, file_recordings

_INSTALL_MOABB = "pip install 'eeg-ssl[moabb]'"


def eegbci_recordings(path=None, *, subjects=(1,), runs=(1, 2), download=False):
    """PhysioNet EEG Motor Movement/Imagery (eegmmidb) runs.

    Parameters
    ----------
    path : str | Path | None
        A local copy laid out as PhysioNet's (``S001/S001R01.edf``), e.g.
        ``../shared/data/eegmmidb``; with ``download=True``, MNE's data folder (or
        ``path``) receives the files through :func:`mne.datasets.eegbci.load_data`.
    subjects, runs : list of int
    download : bool
        Fetch missing files from PhysioNet (network).

    Returns
    -------
    recordings : list of Recording
        Subject ``S001``..., run ``01``...; labels come from annotations T0/T1/T2.
    """
    import mne

    if download:
        files = mne.datasets.eegbci.load_data(list(subjects), list(runs), path=path,
                                              update_path=False)  # fmt: skip
    else:
        if path is None:
            raise ValueError(
                "eegbci: give 'path' to a local copy (e.g. ../shared/data/eegmmidb), or set "
                "download=True to fetch the files from PhysioNet."
            )
        files = []
        for subject in subjects:
            for run in runs:
                found = sorted(Path(path).glob(f"**/S{subject:03d}/S{subject:03d}R{run:02d}.edf"))
                if not found:
                    raise FileNotFoundError(
                        f"eegbci: S{subject:03d}R{run:02d}.edf not found under {str(path)!r}; "
                        f"check 'path', 'subjects', 'runs', or set download=True."
                    )
                files.append(found[0])
    rules = {"subject": r"(S\d{3})R\d{2}", "run": r"S\d{3}R(\d{2})"}
    return file_recordings([str(f) for f in files], path_rules=rules)


def sleep_physionet_recordings(path=None, *, subjects=(0,), recording=(1,), download=False):
    """Sleep-EDF (sleep-cassette) PSG files with their hypnograms as annotations.

    Parameters
    ----------
    path : str | Path | None
        Folder holding ``*-PSG.edf`` and ``*-Hypnogram.edf`` files; with
        ``download=True`` MNE's :func:`mne.datasets.sleep_physionet.age.fetch_data`
        fetches them (into ``path`` when given).
    subjects, recording : list of int
        Used with ``download=True`` (MNE's numbering).

    Returns
    -------
    recordings : list of Recording
        Annotations are the sleep stages (``"Sleep stage W"``, ...): use
        ``label_source="annotations"`` with a ``label_map``.
    """
    import mne

    if download:
        pairs = mne.datasets.sleep_physionet.age.fetch_data(list(subjects), list(recording),
                                                            path=path)  # fmt: skip
    else:
        if path is None:
            raise ValueError("sleep_physionet: give 'path' to a local copy, or set download=True.")
        pairs = []
        for psg in sorted(Path(path).glob("**/*-PSG.edf")):
            hyp = sorted(psg.parent.glob(f"{psg.name[:7]}*-Hypnogram.edf"))
            if not hyp:
                raise FileNotFoundError(f"sleep_physionet: no hypnogram beside {str(psg)!r}.")
            pairs.append((str(psg), str(hyp[0])))
        if not pairs:
            raise FileNotFoundError(f"sleep_physionet: no *-PSG.edf under {str(path)!r}.")
    out = []
    for psg, hyp in pairs:
        name = Path(psg).name  # SC4ssNE0-PSG.edf: ss = subject, N = night
        match = re.match(r"SC4(\d\d)(\d)", name)
        subject, night = match.groups() if match else (Path(psg).stem, "")
        out.append(Recording(path=str(psg), subject=subject, session=night, annotations=str(hyp)))
    return out


def moabb_recordings(dataset_name, *, subject_ids=None, **kwargs):
    """Any MOABB dataset through braindecode's ``MOABBDataset`` (downloads via MOABB).

    Needs the optional extra: ``pip install 'eeg-ssl[moabb]'``.
    """
    try:
        import moabb  # noqa: F401
        from braindecode.datasets import MOABBDataset
    except ImportError as err:
        raise ImportError(f"MOABB datasets need moabb: {_INSTALL_MOABB}") from err
    return braindecode_recordings(MOABBDataset(dataset_name, subject_ids=subject_ids, **kwargs))


def tuh_recordings(path, *, pattern="**/*.edf"):
    """TUH EEG Corpus files from a local copy (TUH's naming gives subject/session/run).

    File names look like ``aaaaaaaa_s001_t000.edf``: subject ``aaaaaaaa``, session
    ``s001``, run ``t000``. TUH requires a data-use agreement: there is no download.
    """
    rules = {"subject": r"^([a-z0-9]+)_s\d+", "session": r"_(s\d+)_", "run": r"_(t\d+)"}
    return file_recordings([str(Path(path) / pattern)], path_rules=rules)


DATASETS = {
    "eegbci": eegbci_recordings,
    "sleep_physionet": sleep_physionet_recordings,
    "moabb": moabb_recordings,
    "tuh": tuh_recordings,
    "bids": bids_recordings,
}


def dataset_recordings(name, **kwargs):
    """Recordings of a public dataset by name (``DATASETS``); kwargs go to its function."""
    check_option("dataset name", name, list(DATASETS))
    return DATASETS[name](**kwargs)


__all__ = [
    "DATASETS",
    "dataset_recordings",
    "eegbci_recordings",
    "moabb_recordings",
    "sleep_physionet_recordings",
    "tuh_recordings",
]
