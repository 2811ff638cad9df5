"""reproducibility.json: what a run records, the git state, and the workflow's reports."""

import json
import shutil
import subprocess
from importlib import metadata

import mne
import pytest

from eeg_ssl import __version__
from eeg_ssl.io import Recipe, read_record
from eeg_ssl.simulation import simulate_raw
from eeg_ssl.utils.report import (
    REPORT_NAME,
    data_facts,
    finish_report,
    git_state,
    read_report,
    write_report,
)


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rec")
    paths = []
    for subject in range(3):
        raw = simulate_raw(subject, duration=20.0, random_state=subject)
        path = tmp / f"sub-{subject:02d}_eeg.edf"
        mne.export.export_raw(path, raw, fmt="edf", verbose="error")
        paths.append(str(path))
    return paths


def test_write_report__command_seeds_versions_and_start(tmp_path):
    config = {"seed": 3, "pretrain": {"method_kwargs": {"random_state": 5}}, "seeds": [0, 1]}
    path = write_report(tmp_path / "run", config=config, argv=["eeg-ssl", "run", "x.yaml"],
                        extra={"world_size": 2})  # fmt: skip
    assert path == tmp_path / "run" / REPORT_NAME
    report = read_report(tmp_path / "run")
    assert report["command"] == ["eeg-ssl", "run", "x.yaml"]
    assert report["seeds"] == {"seed": 3, "pretrain.method_kwargs.random_state": 5,
                               "seeds": [0, 1]}  # fmt: skip
    assert report["eeg_ssl"] == __version__
    assert report["packages"]["numpy"] == metadata.version("numpy")
    assert report["packages"]["torch"] == metadata.version("torch")
    assert report["python"].count(".") == 2 and report["platform"]
    assert report["started"] and report["finished"] is None
    assert report["data"] is None and report["extra"] == {"world_size": 2}
    # one plain JSON file, no temporary file left behind by the atomic write
    assert [p.name for p in (tmp_path / "run").iterdir()] == [REPORT_NAME]


def test_finish_report__end_time_and_status(tmp_path):
    write_report(tmp_path, argv=["x"])
    finish_report(tmp_path)
    report = read_report(tmp_path)
    assert report["status"] == "finished" and report["finished"] >= report["started"]


def test_finish_report__no_report_does_nothing(tmp_path):
    assert finish_report(tmp_path) is None
    assert not (tmp_path / REPORT_NAME).exists()


def test_read_report__not_a_run_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="reproducibility.json.*not the output folder"):
        read_report(tmp_path)


def test_data_facts__folder_not_prepared_yet(tmp_path):
    facts = data_facts(tmp_path / "missing")
    assert facts["manifest_sha256"] is None and facts["recipe_hash"] is None


def _git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_state__commit_dirty_and_not_tracked(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    package = repo / "pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("x = 1\n")
    _git("init", "-q", cwd=repo)
    assert git_state(package) is None  # a checkout, but the package is not tracked there
    _git("add", "pkg/__init__.py", cwd=repo)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c", cwd=repo)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip
    assert git_state(package) == {"commit": head, "dirty": False}
    (repo / "untracked.txt").write_text("untracked files do not make it dirty")
    assert git_state(package)["dirty"] is False
    (package / "__init__.py").write_text("x = 2\n")
    assert git_state(package) == {"commit": head, "dirty": True}
    outside = tmp_path / "outside"
    outside.mkdir()
    assert git_state(outside) is None  # not in a checkout
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    assert git_state(package) is None  # no git at all


TINY = {"epochs": 1, "batch_size": 10,
        "encoder_kwargs": {"n_outputs": 8, "n_filters": 4, "n_blocks": 2},
        "method_kwargs": {"projection_dim": 4, "hidden_dim": 8}}  # fmt: skip


@pytest.fixture(scope="module")
def prepared(recordings, tmp_path_factory):
    from eeg_ssl.workflow import run_prepare

    recipe = {"l_freq": None, "h_freq": None, "sfreq": None, "label_source": "annotations"}
    out = tmp_path_factory.mktemp("run") / "prepared"
    run_prepare({"inputs": recordings, "recipe": recipe, "subject_pattern": "sub-([^_]+)"},
                out, verbose=False)  # fmt: skip
    return out


def test_workflow__prepare_and_pretrain_reports_identify_data(prepared, tmp_path):
    from eeg_ssl.data import ShardDataset
    from eeg_ssl.training import data_manifest_hash
    from eeg_ssl.workflow import run_pretrain

    report = read_report(prepared)
    expected_hash = data_manifest_hash(ShardDataset(prepared))
    assert report["data"]["manifest_sha256"] == expected_hash
    assert (
        report["data"]["recipe_hash"] == Recipe.from_dict(read_record(prepared)["recipe"]).hash()
    )
    assert report["status"] == "finished"

    run_pretrain(TINY, prepared, tmp_path / "pretrain", seed=7, verbose=False)
    report = json.loads((tmp_path / "pretrain" / REPORT_NAME).read_text())
    assert report["seeds"] == {"seed": 7}
    assert report["data"]["manifest_sha256"] == expected_hash
    assert report["data"]["path"] == str(prepared.resolve())
    assert report["status"] == "finished" and report["finished"] >= report["started"]
    assert (tmp_path / "pretrain" / "config.yaml").exists()


def test_train_entry__report_beside_the_checkpoint(prepared, tmp_path, monkeypatch):
    import yaml

    from eeg_ssl.data import ShardDataset
    from eeg_ssl.train import main
    from eeg_ssl.training import data_manifest_hash

    monkeypatch.delenv("RANK", raising=False)  # one process: rank 0 writes
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump({"seed": 4, "pretrain": TINY}))
    argv = [str(config), "--data", str(prepared), "--out", str(tmp_path / "ddp"), "--quiet"]
    assert main(argv) == 0
    report = read_report(tmp_path / "ddp")
    assert report["seeds"] == {"seed": 4} and report["status"] == "finished"
    assert report["data"]["manifest_sha256"] == data_manifest_hash(ShardDataset(prepared))
    assert (tmp_path / "ddp" / "checkpoint.pt").exists()


def test_write_report__several_folders_and_roles(prepared, tmp_path):
    write_report(tmp_path / "a", data=[prepared, tmp_path / "missing"], argv=["x"])
    first, second = read_report(tmp_path / "a")["data"]
    assert first == data_facts(prepared) and first["manifest_sha256"]
    assert second["manifest_sha256"] is None
    write_report(tmp_path / "b", data={"data": prepared, "test_data": prepared}, argv=["x"])
    facts = read_report(tmp_path / "b")["data"]
    assert facts["data"] == facts["test_data"] == data_facts(prepared)
