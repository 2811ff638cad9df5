"""Reading user files (YAML configs, checkpoints) and describing I/O faults in one line.

Each function turns the many exceptions of a reader into one message that names the
file and the fix, so the command line can print it instead of a traceback.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

CORRUPT_CHECKPOINT = (
    "{path!r} is not a readable eeg-ssl checkpoint (truncated or corrupt): re-run "
    "pretraining or restore it; never retry with weights_only=False"
)


def load_yaml(path, *, what="Config"):
    """Read a YAML file whose top level is a mapping.

    Parameters
    ----------
    path : str | Path
    what : str
        What the file is, for messages ("Config", "Benchmark config").

    Returns
    -------
    data : dict
        ``{}`` for an empty file.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        The path is a folder, the text is not valid YAML (the message gives the file,
        line and column) or its top level is not a mapping.
    """
    import yaml

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} {str(path)!r} does not exist; check the path.")
    if path.is_dir():
        raise ValueError(f"{what} {str(path)!r} is a folder; give the path of a YAML file.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"{what} {str(path)!r} is not a UTF-8 text file ({err.reason} at byte "
            f"{err.start}); give a YAML file."
        ) from err
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ValueError(
            f"Invalid YAML in {where} (file:line:column): {problem}. Fix the syntax there "
            f"(indentation, a missing ':' or an unclosed quote or bracket)."
        ) from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(
            f"{what} {str(path)!r} must be a mapping of 'key: value' lines at its top "
            f"level; got a {type(data).__name__} ({_short(data)})."
        )
    return data


def check_mapping(value, name, where=None):
    """``value`` as a dict: ``None`` gives ``{}``, anything but a mapping is an error.

    Parameters
    ----------
    value : object
        A config section, e.g. ``config["prepare"]``.
    name : str
        Its key, used in the message.
    where : str | Path | None
        The file it comes from, used in the message.

    Returns
    -------
    section : dict
    """
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    place = f" in {str(where)!r}" if where is not None else ""
    raise ValueError(
        f"Invalid value for {name!r}{place}: expected a mapping of 'key: value' entries; "
        f"got a {type(value).__name__} ({_short(value)})."
    )


def safe_torch_load(path, map_location="cpu"):
    """``torch.load(path, weights_only=True)`` with one clear error for a damaged file.

    Parameters
    ----------
    path : str | Path
        A checkpoint written by eeg-ssl.
    map_location : str | torch.device

    Returns
    -------
    payload : object
        What was saved.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        As :func:`open` raises them (the path, not the content, is wrong).
    ValueError
        The file is truncated, corrupt or not a checkpoint. torch's own message for
        these suggests ``weights_only=False``, which would run pickled code from an
        untrusted file and cannot repair a damaged one; it is not repeated.
    """
    import torch

    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(
            errno.EISDIR, "is a folder; give the checkpoint file (e.g. checkpoint.pt)", str(path)
        )
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except OSError as err:
        if err.errno in (errno.ENOENT, errno.EACCES, errno.EPERM, errno.EISDIR):
            raise
        raise ValueError(CORRUPT_CHECKPOINT.format(path=str(path))) from err
    except Exception as err:  # UnpicklingError, RuntimeError (zip), EOFError, ...
        kind = _other_format(path)
        if kind:  # a file of another kind given by mistake, not a damaged checkpoint
            raise ValueError(
                f"{str(path)!r} is {kind}, not an eeg-ssl checkpoint: give the checkpoint.pt "
                f"written by eeg-ssl pretrain (in its --out folder)."
            ) from err
        raise ValueError(
            CORRUPT_CHECKPOINT.format(path=str(path)) + f" ({type(err).__name__})."
        ) from err


#: Leading bytes of files often given where a checkpoint is expected.
_MAGIC = {b"\x89HDF\r\n\x1a\n": "an HDF5 file (a prepared shard?)", b"0       ": "an EDF file",
          b"\x93NUMPY": "a NumPy .npy file"}  # fmt: skip


def _other_format(path):
    """What a file that is not a checkpoint looks like ("an HDF5 file"), or ``None``."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return None
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    if head.startswith(b"PK") or not head or path.suffix in (".pt", ".pth", ".ckpt"):
        return None  # a damaged zip (torch's format), an empty file, or a damaged .pt
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "a text file" + (f" ({path.suffix})" if path.suffix else "")


_FIXES = {
    errno.ENOSPC: "No space left on the device holding {path}: free some space or write "
    "elsewhere (--out); finished files are kept, so running the same command again resumes",
    errno.EROFS: "{path} is on a read-only file system: write elsewhere (--out) or make it "
    "writable",
    errno.EFBIG: "{path} would exceed the file-size limit (`ulimit -f`, or the file "
    "system's largest file): raise the limit or write elsewhere (--out)",
    errno.EACCES: "Permission denied for {path}: check its permissions and owner, or write "
    "elsewhere (--out)",
    errno.EEXIST: "{path} already exists (a file where a folder is needed?): remove it or "
    "choose another path",
    errno.EISDIR: "{path} is a folder where a file is expected: give the file's path",
    errno.ENOTDIR: "A part of {path} is a file where a folder is expected: check the path "
    "(--out must name a folder)",
}
_FIXES[errno.EPERM] = _FIXES[errno.EACCES]
if hasattr(errno, "EDQUOT"):
    _FIXES[errno.EDQUOT] = (
        "Disk quota exceeded for {path}: " + _FIXES[errno.ENOSPC].split(": ", 1)[1]
    )


def describe_os_error(err):
    """One line naming the path and the fix for an :class:`OSError`.

    The error number comes from ``err.errno`` or, for h5py's errors, from the
    ``errno = N`` in the message.

    Parameters
    ----------
    err : OSError

    Returns
    -------
    message : str
    """
    code = err.errno
    text = str(err)
    if code is None:
        found = re.search(r"errno = (\d+)", text)
        code = int(found.group(1)) if found else None
    path = err.filename if err.filename is not None else err.filename2
    if path is None:
        found = re.search(r"name = '([^']+)'", text)  # h5py: "(... name = 'x.h5', ...)"
        path = found.group(1) if found else None
    where = repr(str(path)) if path is not None else "the output"
    name = errno.errorcode.get(code, "") if code is not None else ""
    fix = _FIXES.get(code)
    if fix is None:
        if err.errno is None or not err.strerror:  # a message of our own, or h5py's
            return text
        return f"{err.strerror} [{name}]: {where}."
    return f"{fix.format(path=where)} [{name}]."


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


__all__ = ["check_mapping", "describe_os_error", "load_yaml", "safe_torch_load"]
