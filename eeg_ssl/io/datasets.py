"""Public datasets as lists of :class:`~eeg_ssl.io.sources.Recording`.

Each works offline from a local copy (``path``) and downloads only when asked
(``download=True``, through MNE's or braindecode's fetchers).
"""

from __future__ import annotations

import os
import re
import shutil
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


# ---------------------------------------------------------------------------------------
# Where users keep public datasets: a data root, a registry of sources, a downloader.

#: Environment variable naming the folder that holds the public datasets (``eegmat/``, ...).
DATA_ROOT_ENV = "EEG_SSL_DATA"
#: Placeholder for the data root in YAML configs, resolved when the config is loaded.
DATA_ROOT_PLACEHOLDER = "${data_root}"

#: Public datasets the shipped configs use: where they come from, their licence, and how
#: :func:`fetch_dataset` gets them (``files``: file names under ``base_url``).
SOURCES = {
    "eegmat": {
        "title": 'PhysioNet "EEG During Mental Arithmetic Tasks" 1.0.0 (Zyma et al. 2019)',
        "page": "https://physionet.org/content/eegmat/1.0.0/",
        "base_url": "https://physionet.org/files/eegmat/1.0.0/",
        "licence": "Open Data Commons Attribution (ODC-By 1.0): cite the paper and PhysioNet",
        "files": [f"Subject{s:02d}_{k}.edf" for s in range(36) for k in (1, 2)],
    },
    "eegmmidb": {
        "title": 'PhysioNet "EEG Motor Movement/Imagery Dataset" 1.0.0 (Schalk et al. 2004)',
        "page": "https://physionet.org/content/eegmmidb/1.0.0/",
        "base_url": "https://physionet.org/files/eegmmidb/1.0.0/",
        "licence": "Open Data Commons Attribution (ODC-By 1.0)",
        "files": [f"S{s:03d}/S{s:03d}R{r:02d}.edf" for s in range(1, 110) for r in range(1, 15)],
        "fetcher": "mne.datasets.eegbci.load_data",
    },
    "sleep_edf": {
        "title": 'PhysioNet "Sleep-EDF Database Expanded" (Kemp et al. 2000)',
        "page": "https://physionet.org/content/sleep-edfx/1.0.0/",
        "licence": "Open Data Commons Attribution (ODC-By 1.0)",
        "fetcher": "mne.datasets.sleep_physionet.age.fetch_data",
    },
    "moabb": {
        "title": "Any MOABB dataset (downloaded by MOABB on first use)",
        "page": "https://moabb.neurotechx.com/docs/datasets.html",
        "licence": "per dataset (see MOABB's page)",
        "fetcher": "moabb (pip install 'eeg-ssl[moabb]')",
    },
    "ieeg": {
        "title": "MNE's misc data (one epilepsy patient's intracranial recordings)",
        "page": "https://mne.tools/stable/documentation/datasets.html",
        "licence": "BSD-3-Clause",
        "fetcher": "mne.datasets.misc.data_path",
    },
    "tuh": {
        "title": "Temple University Hospital EEG Corpus",
        "page": "https://isip.piconepress.com/projects/nedc/html/tuh_eeg/",
        "licence": "data-use agreement (register on the page; no download here)",
    },
}


def default_data_root():
    """The data root when none is given: ``$EEG_SSL_DATA``, else ``../shared/data``
    beside a source checkout of eeg-ssl if that folder exists, else ``None``."""
    env = os.environ.get(DATA_ROOT_ENV)
    if env:
        return Path(env).expanduser()
    checkout = Path(__file__).resolve().parents[2]
    beside = checkout.parent / "shared" / "data"
    if (checkout / "pyproject.toml").exists() and beside.is_dir():
        return beside
    return None


def expand_data_root(value, data_root=None, *, where="the config", strict=False):
    """Replace ``${data_root}`` in every string of ``value`` (dicts and lists walked).

    Parameters
    ----------
    value : object
        A loaded YAML config (or any part of it).
    data_root : str | Path | None
        The folder holding the datasets; ``None``: :func:`default_data_root`.
    where : str
        Named in the error message.
    strict : bool
        Without a data root, raise (``True``) or leave the placeholder for the step that
        reads the files, which then says where to get the data (``False``).

    Returns
    -------
    value : object
        A copy with the placeholder replaced.
    """
    if isinstance(value, dict):
        return {k: expand_data_root(v, data_root, where=where, strict=strict)
                for k, v in value.items()}  # fmt: skip
    if isinstance(value, list):
        return [expand_data_root(v, data_root, where=where, strict=strict) for v in value]
    if not isinstance(value, str) or DATA_ROOT_PLACEHOLDER not in value:
        return value
    root = Path(data_root).expanduser() if data_root else default_data_root()
    if root is None and not strict:
        return value
    if root is None:
        raise ValueError(
            f"{where} reads {value!r}, but no data root is set: give --data-root DIR (the "
            f"folder holding eegmat/, eegmmidb/, ...) or set the environment variable "
            f"{DATA_ROOT_ENV}; `eeg-ssl fetch NAME --data-root DIR` downloads a public dataset."
        )
    return value.replace(DATA_ROOT_PLACEHOLDER, str(root.resolve()))


def download_hint(name):
    """One paragraph saying where dataset ``name`` comes from and how to get it."""
    check_option("dataset", name, list(SOURCES))
    src = SOURCES[name]
    how = (
        f"`eeg-ssl fetch {name} --data-root DIR`"
        if src.get("files") and src.get("base_url")
        else (src.get("fetcher") or "the page above")
    )
    return (
        f"{src['title']}: {src['page']} (licence: {src['licence']}). Download it with {how}, "
        f"then give --data-root DIR or set {DATA_ROOT_ENV}=DIR (DIR holds {name}/)."
    )


def dataset_of_path(path, data_root=None):
    """The registry name of the dataset a path or glob points into, or ``None``."""
    parts = Path(str(path)).parts
    root = Path(data_root).resolve().parts if data_root else None
    if root and tuple(parts[: len(root)]) == root and len(parts) > len(root):
        return parts[len(root)] if parts[len(root)] in SOURCES else None
    names = [p for p in parts if p in SOURCES]
    return names[-1] if names else None


def missing_data_message(err, paths):
    """``err``'s message plus where to download the dataset that ``paths`` point into
    (unchanged when they point into no known dataset)."""
    root = default_data_root()
    paths = [str(p) for p in paths if isinstance(p, (str, Path))]
    name = next((n for n in map(lambda p: dataset_of_path(p, root), paths) if n), None)
    message = str(err)
    if any(DATA_ROOT_PLACEHOLDER in p for p in paths):
        message = (
            f"No data root is set for {DATA_ROOT_PLACEHOLDER} (give --data-root DIR or set "
            f"{DATA_ROOT_ENV}). {message}"
        )
    return f"{message} {download_hint(name)}" if name else message


def fetch_dataset(name, data_root, *, files=None, base_url=None, verbose=None):
    """Download a public dataset into ``data_root/name/`` with pooch (MNE's downloader).

    Files already present are kept, so a rerun resumes.

    Parameters
    ----------
    name : str
        A key of :data:`SOURCES` with a file list (``"eegmat"``, ``"eegmmidb"``).
    data_root : str | Path
        Folder that receives ``name/``.
    files : list of str | None
        A subset of the dataset's files (default: all of them).
    base_url : str | None
        Override the source (a mirror, or a ``file://`` URL for an offline copy).
    verbose : bool | None

    Returns
    -------
    paths : list of Path
        The local files.
    """
    import pooch
    from tqdm.auto import tqdm

    from ..utils.logs import progress_enabled

    check_option("dataset", name, list(SOURCES))
    src = SOURCES[name]
    if not src.get("files"):
        raise ValueError(f"Dataset {name!r} is not downloaded by eeg-ssl. {download_hint(name)}")
    files = list(src["files"] if files is None else files)
    unknown = sorted(set(files) - set(src["files"]))
    if unknown:
        raise ValueError(
            f"Invalid value for 'files': {unknown[:5]} are not files of {name!r}; "
            f"allowed e.g. {src['files'][:3]}."
        )
    base_url = (base_url or src["base_url"]).rstrip("/") + "/"
    folder = Path(data_root).expanduser() / name
    pooch.get_logger().setLevel("WARNING")  # else a "Downloading ..." + hash note per file
    paths = []
    for file in tqdm(files, desc=f"fetch {name}", disable=not progress_enabled(verbose)):
        target = folder / file
        if target.exists():
            pass
        elif base_url.startswith("file://"):
            # a local mirror (pooch knows no file:// protocol): copied, then renamed
            from urllib.parse import unquote, urlparse

            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.part")
            shutil.copyfile(unquote(urlparse(base_url + file).path), tmp)
            os.replace(tmp, target)
        else:
            # pooch writes to a temporary file and renames it: a kill leaves no partial file
            pooch.retrieve(base_url + file, known_hash=None, fname=target.name,
                           path=target.parent, progressbar=False)  # fmt: skip
        paths.append(target)
    return paths


__all__ = [
    "DATASETS",
    "DATA_ROOT_ENV",
    "SOURCES",
    "dataset_of_path",
    "dataset_recordings",
    "default_data_root",
    "download_hint",
    "expand_data_root",
    "fetch_dataset",
    "missing_data_message",
    "eegbci_recordings",
    "moabb_recordings",
    "sleep_physionet_recordings",
    "tuh_recordings",
]
