"""The reproducibility report of a run: one JSON file beside its outputs.

Every run (``eeg-ssl prepare``, ``pretrain``, ``evaluate``, ``run``, ``benchmark`` and
``torchrun -m eeg_ssl.train``) writes ``reproducibility.json`` into its output folder
when it starts, and completes it when it finishes (see :func:`write_report` and
:func:`finish_report`). ``docs/reproducibility.md`` lists the fields.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import platform
import subprocess
import sys
from pathlib import Path

from .._version import __version__
from .versions import package_versions

__all__ = [
    "RECORDED_PACKAGES",
    "REPORT_NAME",
    "REPORT_VERSION",
    "data_facts",
    "finish_report",
    "git_state",
    "read_report",
    "utc_now",
    "write_report",
]

logger = logging.getLogger("eeg_ssl")

REPORT_NAME = "reproducibility.json"
REPORT_VERSION = 1
#: Packages whose versions can change a run's numbers; recorded with every run (in the
#: report and ``config.yaml``) and part of the benchmark's split-cache fingerprint.
RECORDED_PACKAGES = ("torch", "numpy", "scipy", "scikit-learn", "mne", "braindecode", "h5py",
                     "pyriemann")  # fmt: skip
#: Seconds any one ``git`` call may take before the commit is left unrecorded.
_GIT_TIMEOUT = 10


def utc_now():
    """The current time in UTC, ISO 8601 to the second (the report's time format)."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _git(args, cwd):
    # --no-optional-locks: `git status` must not take the index lock of a checkout
    # where someone may be committing
    result = subprocess.run(["git", "--no-optional-locks", *args], cwd=cwd, text=True,
                            capture_output=True, timeout=_GIT_TIMEOUT, check=False)  # fmt: skip
    return result.returncode, result.stdout.strip()


def git_state(path=None):
    """The git commit of the eeg-ssl source and whether it has uncommitted changes.

    Parameters
    ----------
    path : str | Path | None
        A folder holding the package's ``__init__.py``; default: the imported
        ``eeg_ssl`` package.

    Returns
    -------
    state : dict | None
        ``{"commit": sha, "dirty": bool}`` (``dirty``: tracked files differ from the
        commit; None if that could not be read) when ``path`` is tracked by a git checkout
        (an editable install of a clone), else None: no git, not a checkout, or a
        copy installed into a virtual environment that happens to lie in one.
    """
    folder = Path(path) if path is not None else Path(__file__).resolve().parents[1]
    try:
        # the package must be tracked there: a site-packages copy inside some other
        # checkout (a .venv in a clone) is not that checkout's code
        code, _ = _git(["ls-files", "--error-unmatch", "__init__.py"], folder)
        if code != 0:
            return None
        code, commit = _git(["rev-parse", "HEAD"], folder)
        if code != 0:
            return None
        code, changes = _git(["status", "--porcelain", "--untracked-files=no"], folder)
    except (OSError, subprocess.SubprocessError) as err:  # no git, or it hung
        logger.debug("git state not recorded: %s", err)
        return None
    return {"commit": commit, "dirty": bool(changes) if code == 0 else None}


def data_facts(folder):
    """Hashes that identify a prepared folder's windows and recipe.

    Parameters
    ----------
    folder : str | Path
        A prepared folder (``manifest.csv`` + ``prepare.json``).

    Returns
    -------
    facts : dict
        ``path``; ``manifest_sha256``: SHA-256 of the whole window table, computed as
        :func:`eeg_ssl.training.data_manifest_hash` does (equal to a checkpoint's hash
        when training used every window); ``recipe_hash``: :meth:`eeg_ssl.io.Recipe.hash`
        of the recipe in ``prepare.json``. A hash is None when its file is absent.
    """
    from ..io.manifest import MANIFEST_NAME, RECORD_NAME, read_manifest, read_record
    from ..io.recipe import Recipe

    folder = Path(folder)
    facts = {"path": str(folder.resolve()), "manifest_sha256": None, "recipe_hash": None}
    if (folder / MANIFEST_NAME).exists():
        text = read_manifest(folder).to_csv(index=False)
        facts["manifest_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    if (folder / RECORD_NAME).exists():
        recipe = read_record(folder).get("recipe")
        if recipe is not None:
            facts["recipe_hash"] = Recipe.from_dict(recipe).hash()
    return facts


def _seeds(config):
    seeds = {}
    for key, value in (config or {}).items():
        if key in ("seed", "seeds", "random_state"):
            seeds[key] = value
        elif isinstance(value, dict):
            seeds.update({f"{key}.{k}": v for k, v in _seeds(value).items()})
    return seeds


def write_report(folder, *, config=None, data=None, argv=None, extra=None, started=None):
    """Write ``reproducibility.json`` in ``folder`` as a run starts.

    Parameters
    ----------
    folder : str | Path
        The run's output folder (created if needed).
    config : dict | None
        The run's resolved configuration; its seeds (every ``seed``, ``seeds`` and
        ``random_state`` key, nested keys joined by ``.``) are recorded.
    data : str | Path | list | dict | None
        A prepared folder the run reads (see :func:`data_facts`), a list of them, or a
        dict of them by role (``{"train": ..., "test": ...}``). A folder that does not
        exist yet (the output of ``prepare``) is recorded by :func:`finish_report`.
    argv : list of str | None
        The command line; default :data:`sys.argv`.
    extra : dict | None
        Further plain-data facts, stored under ``"extra"``.
    started : str | None
        The start time (:func:`utc_now`) when the run began before this call (a step
        that writes its report only once its output is complete); default: now.

    Returns
    -------
    path : Path
        The report file.
    """
    from ..io.manifest import atomic_write_text

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    report = {
        "format": "eeg-ssl reproducibility report",
        "version": REPORT_VERSION,
        "command": list(sys.argv if argv is None else argv),
        "seeds": _seeds(config),
        "eeg_ssl": __version__,
        "git": git_state(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(RECORDED_PACKAGES),
        "data": _data(data),
        "started": started or utc_now(),
        "finished": None,
    }
    if extra:
        report["extra"] = extra
    path = folder / REPORT_NAME
    atomic_write_text(path, json.dumps(report, indent=2, default=str) + "\n")
    return path


def finish_report(folder, *, data=None, status="finished"):
    """Complete the report of ``folder``: end time, status and late data hashes.

    Parameters
    ----------
    folder : str | Path
        A folder with a report written by :func:`write_report`; without one nothing
        is done (a caller that wrote no report).
    data : str | Path | dict | None
        Prepared folder(s) that exist only now, e.g. the output of ``prepare``;
        recorded as in :func:`write_report`, replacing what was recorded at the start.
    status : str
        ``"finished"``; a report whose run died keeps ``"finished": null``.

    Returns
    -------
    path : Path | None
        The report file, or None when ``folder`` has none.
    """
    from ..io.manifest import atomic_write_text

    path = Path(folder) / REPORT_NAME
    if not path.exists():
        return None
    report = json.loads(path.read_text())
    if data is not None:
        report["data"] = _data(data)
    report["finished"] = utc_now()
    report["status"] = status
    atomic_write_text(path, json.dumps(report, indent=2, default=str) + "\n")
    return path


def read_report(folder):
    """Read ``reproducibility.json`` of a run folder.

    Parameters
    ----------
    folder : str | Path

    Returns
    -------
    report : dict
    """
    path = Path(folder) / REPORT_NAME
    if not path.exists():
        raise FileNotFoundError(
            f"No {REPORT_NAME} in {str(folder)!r}: it is not the output folder of an "
            f"eeg-ssl run (or the run predates the report)."
        )
    return json.loads(path.read_text())


def _data(data):
    if data is None:
        return None
    if isinstance(data, dict):
        return {role: _data(value) for role, value in data.items()}
    if isinstance(data, (list, tuple)):  # several prepared folders (a corpus)
        return [_data(value) for value in data]
    if isinstance(data, (str, Path)):
        return data_facts(data)
    return str(data)  # e.g. a dataset object handed to a library call
