"""The installed distribution: one import package, its configs as package data."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    pytest.importorskip("setuptools")
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if result.returncode != 0:
        pytest.fail(f"pip wheel failed:\n{result.stderr[-2000:]}")
    (path,) = out.glob("eeg_ssl-*.whl")
    return zipfile.ZipFile(path).namelist()


def test_wheel__holds_one_import_package(wheel):
    top = {name.split("/")[0] for name in wheel if not name.split("/")[0].endswith(".dist-info")}
    assert top == {"eeg_ssl"}


def test_wheel__ships_the_dataset_configs_and_the_entry_point(wheel):
    configs = {Path(n).name for n in wheel if n.startswith("eeg_ssl/configs/datasets/")}
    assert {"eegmat.yaml", "eegmmidb.yaml"} <= configs
    assert "eeg_ssl/cli.py" in wheel and "eeg_ssl/__main__.py" in wheel
    assert not any(n.startswith("pipelines/") for n in wheel)
