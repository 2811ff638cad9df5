"""Reading YAML configs and checkpoints, and one-line messages for I/O faults."""

import errno
import os

import pytest
import torch

from eeg_ssl.utils.files import check_mapping, describe_os_error, load_yaml, safe_torch_load
from eeg_ssl.utils.validation import check_n_jobs, check_number


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.ENOSPC, "No space left"),
        (errno.EROFS, "read-only file system"),
        (errno.EFBIG, "file-size limit"),
        (errno.EACCES, "Permission denied"),
        (errno.EPERM, "Permission denied"),
        (errno.EEXIST, "already exists"),
        (errno.EISDIR, "is a folder where a file is expected"),
        (errno.ENOTDIR, "is a file where a folder is expected"),
    ],
)
def test_describe_os_error__names_the_path_the_errno_and_a_fix(code, words):
    err = OSError(code, os.strerror(code), "/data/out/x.h5")
    message = describe_os_error(err)
    assert words in message and "'/data/out/x.h5'" in message
    assert f"[{errno.errorcode[code]}]" in message and "\n" not in message


def test_describe_os_error__reads_h5pys_errno_and_file_name():
    err = OSError(
        "Unable to synchronously create file (file write failed: time = x, filename = "
        "'/d/.a.h5.1.tmp', file descriptor = 3, errno = 28, error message = 'No space')"
    )
    message = describe_os_error(err)
    assert "No space left" in message and "'/d/.a.h5.1.tmp'" in message


def test_describe_os_error__own_messages_are_kept():
    assert describe_os_error(FileNotFoundError("Config 'x.yaml' does not exist.")) == (
        "Config 'x.yaml' does not exist."
    )
    err = OSError(errno.ENOENT, os.strerror(errno.ENOENT), "/nope")
    assert describe_os_error(err) == "No such file or directory [ENOENT]: '/nope'."


def test_load_yaml__syntax_error_names_file_line_and_column(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("prepare:\n  recipe: {sfreq: 64\n")
    with pytest.raises(ValueError, match=r"c\.yaml:3:1 \(file:line:column\)"):
        load_yaml(path)
    path.write_text("")
    assert load_yaml(path) == {}
    path.write_text("- 1\n")
    with pytest.raises(ValueError, match="mapping.*got a list"):
        load_yaml(path)
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match="UTF-8"):
        load_yaml(path)
    with pytest.raises(ValueError, match="is a folder"):
        load_yaml(tmp_path)
    with pytest.raises(FileNotFoundError, match="none.yaml"):
        load_yaml(tmp_path / "none.yaml")


def test_check_mapping__none_is_empty_and_a_list_is_refused():
    assert check_mapping(None, "prepare") == {}
    with pytest.raises(ValueError, match=r"Invalid value for 'prepare' in 'c\.yaml'"):
        check_mapping([1], "prepare", "c.yaml")


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.0])
def test_safe_torch_load__damaged_file_one_clear_error(tmp_path, cut):
    path = tmp_path / "ckpt.pt"
    torch.save({"checkpoint_version": 1, "w": torch.zeros(1000)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * cut)] if cut else b"not a checkpoint")
    with pytest.raises(ValueError) as info:
        safe_torch_load(path)
    message = str(info.value)
    assert "ckpt.pt" in message and "truncated or corrupt" in message
    assert "never retry with weights_only=False" in message
    assert "weights_only=False`" not in message  # torch's advice is not repeated


def test_safe_torch_load__folder_and_missing_file_raise_oserror(tmp_path):
    with pytest.raises(IsADirectoryError):
        safe_torch_load(tmp_path)
    with pytest.raises(FileNotFoundError):
        safe_torch_load(tmp_path / "none.pt")


def test_check_n_jobs__joblib_meaning():
    cpus = os.cpu_count() or 1
    assert check_n_jobs(None) == check_n_jobs(1) == 1
    assert check_n_jobs(-1) == cpus
    assert check_n_jobs(-2) == max(cpus - 1, 1)
    assert check_n_jobs(-1000) == 1
    for bad in (0, 1.5, "2", True):
        with pytest.raises(ValueError, match="Invalid value for 'n_jobs'"):
            check_n_jobs(bad)


def test_check_number__message_names_what_is_expected():
    assert check_number("x", None) is None
    assert check_number("x", 2.5, minimum=0) == 2.5
    with pytest.raises(
        ValueError, match="Invalid value for 'x': expected a positive number; got 'a'"
    ):
        check_number("x", "a", minimum=0)
    with pytest.raises(ValueError, match="expected a number >= 1; got 0"):
        check_number("x", 0, minimum=1, exclusive=False)
    with pytest.raises(ValueError, match="got None"):
        check_number("x", None, allow_none=False)
