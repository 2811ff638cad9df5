"""The ``eeg-ssl`` command end to end on sample_data/."""

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import eeg_ssl.utils
from eeg_ssl.cli import main
from eeg_ssl.io import read_manifest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def allocator_calls(monkeypatch):
    """Record ``retain_freed_memory`` calls instead of changing this test process."""
    calls = []
    monkeypatch.setattr(eeg_ssl.utils, "retain_freed_memory", lambda: calls.append(1) or True)
    return calls


pytestmark = pytest.mark.usefixtures("restore_threads")


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
    # 20 of its 100 epochs and one thread: the test stays far from its timeout on a busy
    # machine (89 s at load 10 on 2 cores; SimCLR already beats random weights at 3 epochs)
    path = _config(tmp_path, sample_dir, 20)
    assert main(["--quiet", "--threads", "1", "run", str(path)]) == 0
    out = capsys.readouterr().out
    assert "| simclr |" in out and "| random weights |" in out
    assert f"Outputs in {tmp_path / 'run'}" in out and "curves.png" in out
    run = tmp_path / "run"
    scores = pd.read_csv(run / "evaluate" / "scores.csv", dtype={"subject": str})
    assert set(scores["subject"]) == set(cfg["evaluate"]["test_subjects"])
    means = scores.groupby("encoder")["balanced_accuracy"].mean()
    assert means["simclr"] > means["random weights"]
    for step in ("", "prepared", "pretrain", "evaluate"):
        assert (run / step / "config.yaml").exists(), step
    resolved = yaml.safe_load((run / "config.yaml").read_text())
    assert resolved["pretrain"]["epochs"] == 20
    import torch

    assert resolved["versions"]["torch"].split("+")[0] == torch.__version__.split("+")[0]
    assert (run / "pretrain" / "checkpoint.pt").exists()
    assert (run / "pretrain" / "history.csv").exists()
    for picture in ("curves.png", "views.png", "embedding_map.png"):  # the run ends with them
        assert (run / "pretrain" / picture).stat().st_size > 0, picture


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


def _run_module(*args):
    """``python -m eeg_ssl ARGS`` in a fresh interpreter; returns (result, imported names)."""
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['eeg-ssl', *{list(args)!r}]\n"
        "try:\n    runpy.run_module('eeg_ssl', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'mne', 'sklearn', 'braindecode') if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False, cwd=ROOT)  # fmt: skip
    heavy = result.stderr.split("HEAVY", 1)[1].strip() if "HEAVY" in result.stderr else None
    return result, heavy


@pytest.mark.parametrize("verb", ["pretrain", "prepare", None])
def test_cli_help__imports_no_torch_mne_or_sklearn(verb):
    result, heavy = _run_module(*([verb] if verb else []), "--help")
    assert "usage: eeg-ssl" in result.stdout, result.stderr
    assert heavy == "[]", heavy


def test_cli_help__prepare_lists_every_recipe_key_and_labelling():
    import dataclasses

    from eeg_ssl.io import Recipe

    text = _run_module("prepare", "--help")[0].stdout
    for field in dataclasses.fields(Recipe):
        assert f"\n  {field.name} " in text, field.name
    for words in ("--path-rule", "--label-map", "--picks", "recording", "annotations"):
        assert words in text


def test_cli_help__pretrain_lists_every_method_and_encoder():
    from eeg_ssl.methods import METHODS
    from eeg_ssl.models import ENCODERS

    text = _run_module("pretrain", "--help")[0].stdout
    for name in [*METHODS, *ENCODERS]:
        assert f"\n  {name} " in text, name


def test_cli_parser__every_option_has_help_text():
    from eeg_ssl.cli import build_parser

    def walk(parser, where):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from walk(sub, f"{where} {name}")
            elif not isinstance(action, argparse._HelpAction):
                yield where, action

    missing = [(w, a.dest) for w, a in walk(build_parser(), "eeg-ssl") if not a.help]
    assert not missing


def test_cli__threads_and_quiet_accepted_before_or_after_the_verb(tmp_path, sample_dir):
    import torch

    before = torch.get_num_threads()
    edf = str(sorted(sample_dir.glob("*.edf"))[0])
    try:
        for argv in (["--threads", "1", "--quiet", "prepare", edf, "--out", str(tmp_path / "a")],
                     ["prepare", edf, "--out", str(tmp_path / "b"), "--threads", "1",
                      "--quiet"]):  # fmt: skip
            assert main(argv) == 0
            assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    with pytest.raises(SystemExit):  # argparse: "expected a whole number >= 1, got '0'"
        main(["prepare", edf, "--out", str(tmp_path / "c"), "--threads", "0"])


def test_cli_prepare__labels_from_file_names_on_the_command_line(
    tmp_path, sample_dir, capfd, caplog
):
    edfs = sorted(str(p) for p in sample_dir.glob("sub-0[12]_*.edf"))
    out = tmp_path / "p"
    argv = ["prepare", *edfs, "--out", str(out), "--path-rule", "subject=sub-([^_]+)",
            "--path-rule", r"label=sub-0([12])_", "--label-map", "1=rest",
            "--label-map", "2=task", "--set", "label_source=recording", "--picks", "eeg",
            "--set", "sfreq=64", "--set", "h_freq=30"]  # fmt: skip
    assert main(argv) == 0
    manifest = pd.read_csv(out / "manifest.csv", dtype=str)
    assert dict(zip(manifest["subject"], manifest["label"])) == {"01": "rest", "02": "task"}
    err = "".join(capfd.readouterr())
    logged = [r.getMessage() for r in caplog.records]
    assert err.count("Prepared") + sum("Prepared" in m for m in logged) == 1  # not twice
    assert "kept 8 channels (8 eeg)" in err


def test_cli_prepare__config_of_another_verb_reads_its_prepare_section(tmp_path, sample_dir,
                                                                       capsys):  # fmt: skip
    config = {
        "out": "x",
        "n_splits": 4,
        "methods": {"simclr": {}},
        "prepare": {
            "inputs": [str(sample_dir / "sub-01_*.edf")],
            "subject_pattern": "sub-([^_]+)",
            "recipe": {"sfreq": 64.0, "h_freq": 30.0},
        },
    }
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump(config))
    assert main(["--quiet", "prepare", "--config", str(path), "--out", str(tmp_path / "p")]) == 0
    captured = capsys.readouterr()
    assert "Prepared 50 windows from 1 recordings" in captured.out
    assert (
        "read the 'prepare' section" in captured.err and "methods, n_splits, out" in captured.err
    )


def test_cli_prepare__missing_public_dataset_says_where_to_get_it(tmp_path, capsys):
    """A shipped dataset config, by name, with a data root that lacks the dataset."""
    argv = ["prepare", "--config", "eegmat", "--data-root", str(tmp_path), "--out",
            str(tmp_path / "p")]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "physionet.org/content/eegmat" in err and "eeg-ssl fetch eegmat" in err
    assert "ODC-By" in err


def test_cli_fetch__from_a_local_file_url(tmp_path, sample_dir, capsys):
    """`eeg-ssl fetch` through pooch, offline: the source is a file:// URL."""
    source = tmp_path / "mirror"
    source.mkdir()
    shutil.copy(sorted(sample_dir.glob("*.edf"))[0], source / "Subject00_1.edf")
    argv = ["--quiet", "fetch", "eegmat", "--data-root", str(tmp_path / "data"), "--files",
            "Subject00_1.edf", "--url", source.as_uri()]  # fmt: skip
    assert main(argv) == 0
    got = tmp_path / "data" / "eegmat" / "Subject00_1.edf"
    assert got.read_bytes() == (source / "Subject00_1.edf").read_bytes()
    (source / "Subject00_1.edf").unlink()
    assert main(argv) == 0  # already there: kept, nothing fetched
    assert main([*argv[:-4], "--files", "Subject99_1.edf"]) == 2
    assert "Subject99_1.edf" in capsys.readouterr().err


def test_cli__mne_at_warning_unless_verbose(tmp_path, sample_dir, monkeypatch, capsys):
    import logging

    import mne

    monkeypatch.delenv("MNE_LOGGING_LEVEL", raising=False)
    old = mne.utils.logger.level
    edf = str(sorted(sample_dir.glob("*.edf"))[0])
    try:
        assert main(["--quiet", "prepare", edf, "--out", str(tmp_path / "a")]) == 0
        assert mne.utils.logger.level == logging.WARNING
        n_windows = len(read_manifest(tmp_path / "a"))
        assert f"Prepared {n_windows} windows from 1 recordings" in capsys.readouterr().out
        assert main(["prepare", edf, "--out", str(tmp_path / "b"), "--verbose"]) == 0
        assert mne.utils.logger.level == logging.INFO
    finally:
        mne.set_log_level(old)


def test_load_section__benchmark_config_gives_its_pretrain_and_prepare_sections(tmp_path):
    from eeg_ssl.workflow import find_config, load_section

    path = ROOT / "pipelines" / "benchmarks" / "eegmat.yaml"
    section, ignored = load_section(path, "pretrain")
    assert section["epochs"] == yaml.safe_load(path.read_text())["pretrain"]["epochs"]
    assert {"methods", "n_splits", "prepare"} <= set(ignored)
    prepare_section, _ = load_section(path, "prepare", data_root=tmp_path)
    assert prepare_section["inputs"] == [f"{tmp_path.resolve()}/eegmat/Subject*_[12].edf"]
    assert find_config("eegmat").parent.name == "datasets"  # shipped in the package


@pytest.mark.parametrize(
    "error",
    [ValueError("Channel 'Fz' not found.\n    Available channels:\n\t['Cz', 'Pz']"),
     OSError("Could not read 'x.fif':\nfile is truncated")],
    ids=["mne-value-error", "os-error"],
)  # fmt: skip
def test_cli__multi_line_library_error_prints_one_line(tmp_path, monkeypatch, capsys, error):
    import eeg_ssl.workflow

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(eeg_ssl.workflow, "run_pipeline", fail)
    assert main(["run", str(tmp_path / "c.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("eeg-ssl run: error: ")
    assert "not found. Available channels: ['Cz', 'Pz']" in err or "x.fif': file is" in err


def test_cli__warnings_print_as_one_line():
    code = (
        "import warnings, eeg_ssl.cli as cli\n"
        "def fail(args):\n"
        "    warnings.warn('a recipe hash\\ndiffers', UserWarning)\n"
        "    raise ValueError('stop here')\n"
        "cli._prepare_config = fail\n"
        "before = warnings.formatwarning\n"
        "print(cli.main(['prepare', 'x.edf', '--out', 'o']), warnings.formatwarning is before)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300)  # fmt: skip
    assert result.stdout.split() == ["2", "True"]  # exit 2; Python's format restored after
    assert result.stderr.splitlines() == [
        "eeg-ssl: UserWarning: a recipe hash differs",
        "eeg-ssl prepare: error: stop here",
    ]
