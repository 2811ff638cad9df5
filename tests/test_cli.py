"""The ``eeg-ssl`` command end to end on sample_data/."""

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import eeg_ssl.utils
from eeg_ssl.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def allocator_calls(monkeypatch):
    """Record ``retain_freed_memory`` calls instead of changing this test process."""
    calls = []
    monkeypatch.setattr(eeg_ssl.utils, "retain_freed_memory", lambda: calls.append(1) or True)
    return calls


def _config(tmp_path, sample_dir, epochs):
    cfg = yaml.safe_load((ROOT / "pipelines" / "sample.yaml").read_text())
    cfg["prepare"]["inputs"] = [str(sample_dir / "*.edf")]
    cfg["out"] = str(tmp_path / "run")
    cfg["pretrain"]["epochs"] = epochs
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_cli_run__sample_pipeline_beats_random_weights(tmp_path, sample_dir, capsys):
    """The shipped sample config, as Quickstart runs it: SimCLR beats random weights."""
    cfg = yaml.safe_load((ROOT / "pipelines" / "sample.yaml").read_text())
    path = _config(tmp_path, sample_dir, cfg["pretrain"]["epochs"])
    assert main(["--quiet", "run", str(path)]) == 0
    out = capsys.readouterr().out
    assert "| simclr |" in out and "| random weights |" in out
    run = tmp_path / "run"
    scores = pd.read_csv(run / "evaluate" / "scores.csv", dtype={"subject": str})
    assert set(scores["subject"]) == set(cfg["evaluate"]["test_subjects"])
    means = scores.groupby("encoder")["balanced_accuracy"].mean()
    assert means["simclr"] > means["random weights"]
    for step in ("", "prepared", "pretrain", "evaluate"):
        assert (run / step / "config.yaml").exists(), step
    resolved = yaml.safe_load((run / "config.yaml").read_text())
    assert resolved["pretrain"]["epochs"] == cfg["pretrain"]["epochs"]
    import torch

    assert resolved["versions"]["torch"].split("+")[0] == torch.__version__.split("+")[0]
    assert (run / "pretrain" / "checkpoint.pt").exists()
    assert (run / "pretrain" / "history.csv").exists()


def test_cli__subcommands_chain(tmp_path, sample_dir, capsys, allocator_calls):
    data, runs = tmp_path / "prep", tmp_path / "pre"
    edfs = sorted(str(p) for p in sample_dir.glob("*.edf"))[:3]
    assert (
        main(
            [
                "--quiet",
                "prepare",
                *edfs,
                "--out",
                str(data),
                "--subject-pattern",
                "sub-([^_]+)",
                "--set",
                "label_source=annotations",
                "--set",
                "sfreq=64",
                "--set",
                "h_freq=30",
            ]
        )
        == 0
    )
    assert "Prepared 150 windows from 3 recordings" in capsys.readouterr().out
    assert allocator_calls == [1]  # the prepare command keeps freed memory for reuse
    assert (
        main(
            [
                "--quiet",
                "pretrain",
                str(data),
                "--out",
                str(runs),
                "--epochs",
                "1",
                "--batch-size",
                "32",
                "--subjects",
                "01",
                "02",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "--quiet",
                "evaluate",
                str(data),
                "--checkpoint",
                str(runs / "checkpoint.pt"),
                "--test-subjects",
                "03",
                "--out",
                str(tmp_path / "ev"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "| simclr |" in out
    assert (tmp_path / "ev" / "probe.md").exists()


def test_cli__errors_name_the_problem(tmp_path, capsys):
    assert main(["prepare", str(tmp_path / "missing.edf"), "--out", str(tmp_path / "o")]) == 2
    assert "missing.edf" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("prepare: {}\npretrian: {}\n")
    assert main(["run", str(bad)]) == 2
    assert "pretrian" in capsys.readouterr().err


def test_cli__console_script_help():
    """The installed ``eeg-ssl`` script (next to this interpreter) answers ``--help``."""
    script = Path(sys.executable).with_name("eeg-ssl")
    if not script.exists():
        script = shutil.which("eeg-ssl")
    assert script, "the eeg-ssl console script is not installed; pip install -e ."
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    for command in ("prepare", "pretrain", "evaluate", "run"):
        assert command in result.stdout
