"""The hash-overlap benchmark at a tiny size."""

import importlib.util
from pathlib import Path

import pytest

# pipelines/ is not an import package: load the script by its path
_path = Path(__file__).resolve().parents[2] / "pipelines" / "bench_hash_overlap.py"
_spec = importlib.util.spec_from_file_location("bench_hash_overlap", _path)
_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_script)


@pytest.mark.slow
def test_bench_hash_overlap__prints_both_modes_and_the_ratio(shared_data, capsys):
    args = ["--data", str(shared_data / "eegmmidb" / "S002"), "--n-recordings", "3",
            "--rounds", "1"]  # fmt: skip
    assert _script.main(args) == 0
    out = capsys.readouterr().out
    assert "3 recordings (4 files)" in out
    assert "round 1 thread" in out and "round 1 inline" in out
    assert "thread vs inline, fastest of 1:" in out
