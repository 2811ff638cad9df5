"""Checkpoint writes: atomic, and a failed write leaves nothing behind."""

from __future__ import annotations

import errno

import pytest

from eeg_ssl.cli import main
from eeg_ssl.methods import SimCLR
from eeg_ssl.models import build_encoder
from eeg_ssl.training import add_recording_facts, load_checkpoint, save_checkpoint
from eeg_ssl.training import checkpoint as checkpoint_module
from eeg_ssl.utils.files import describe_os_error


def _method():
    encoder = build_encoder("conv", n_chans=2, n_times=64, n_outputs=4, n_filters=2,
                            n_blocks=1, sfreq=32.0)  # fmt: skip
    return SimCLR(encoder, random_state=0)


def _disk_full(payload, f, *args, **kwargs):
    with open(f, "wb") as fh:  # a partly written file, as a full disk leaves
        fh.write(b"PK partial")
    raise OSError(errno.ENOSPC, "No space left on device", str(f))


def _stream_writer_failed(payload, f, *args, **kwargs):
    with open(f, "wb") as fh:
        fh.write(b"PK partial")
    raise RuntimeError("[enforce fail at inline_container.cc:603] . unexpected pos 64 vs 10\n"
                       "PytorchStreamWriter failed writing file data/0: file write failed")  # fmt: skip


@pytest.mark.parametrize("fault", [_disk_full, _stream_writer_failed], ids=["oserror", "torch"])
def test_save_checkpoint__failed_write_leaves_nothing(tmp_path, monkeypatch, fault):
    path = save_checkpoint(tmp_path / "c.pt", _method())
    before = path.read_bytes()
    monkeypatch.setattr(checkpoint_module.torch, "save", fault)
    with pytest.raises(OSError) as info:
        save_checkpoint(path, _method(), extra={"epoch": 2})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pt"]  # no .tmp left
    assert path.read_bytes() == before  # the previous checkpoint is untouched
    message = describe_os_error(info.value)
    assert "c.pt" in message and ".tmp" not in message
    if fault is _disk_full:
        assert info.value.errno == errno.ENOSPC and "ENOSPC" in message
    else:
        assert "disk space" in message


def test_add_recording_facts__failed_write_leaves_nothing(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "c.pt", _method())
    monkeypatch.setattr(checkpoint_module.torch, "save", _disk_full)
    with pytest.raises(OSError, match="c.pt"):
        add_recording_facts(path, {"sfreq": 32.0})
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]
    assert "recording" not in load_checkpoint(path)


def test_save_checkpoint__interrupt_removes_the_temporary_file(tmp_path, monkeypatch):
    def interrupted(payload, f, *args, **kwargs):
        open(f, "wb").close()
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint_module.torch, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path / "c.pt", _method())
    assert list(tmp_path.iterdir()) == []


def test_save_checkpoint__disk_full_in_the_cli_is_one_line(tmp_path, monkeypatch, capsys):
    import numpy as np

    from eeg_ssl.io import prepare_arrays

    rng = np.random.default_rng(0)
    prepare_arrays(rng.normal(size=(16, 2, 64)) * 10, tmp_path / "prep", sfreq=32.0,
                   ch_names=["Cz", "Pz"],
                   recipe={"l_freq": None, "h_freq": None, "sfreq": None,
                           "window_seconds": 2.0},
                   subjects=np.repeat(["a", "b"], 8))  # fmt: skip
    monkeypatch.setattr(checkpoint_module.torch, "save", _disk_full)
    argv = ["--quiet", "pretrain", str(tmp_path / "prep"), "--out", str(tmp_path / "run"),
            "--epochs", "1", "--batch-size", "8", "--encoder", "conv"]  # fmt: skip
    capsys.readouterr()  # only the CLI's own output below (prepare's bar may show)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("eeg-ssl pretrain: error: ")
    assert "checkpoint.pt" in err and "ENOSPC" in err
    assert not list((tmp_path / "run").glob("*.tmp")) and not list((tmp_path / "run").glob(".*"))
