"""The corpus-scale benchmark at a tiny size (its measuring functions, then the script)."""

import importlib.util
from pathlib import Path

import pytest

from eeg_ssl.data import ShardDataset

# pipelines/ is not an import package: load the script by its path
_path = Path(__file__).resolve().parents[2] / "pipelines" / "bench_corpus.py"
_spec = importlib.util.spec_from_file_location("bench_corpus", _path)
_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_script)


def test_bench_corpus__writes_prepares_and_streams_every_recording(tmp_path):
    files = _script.write_corpus(tmp_path / "corpus", 3, recording_seconds=20.0, sfreq=256.0,
                                 n_base=2)  # fmt: skip
    assert len(files) == 3 and all(Path(f).stat().st_size > 0 for f in files)
    prep = _script.run_prepare(str(tmp_path / "corpus"), str(tmp_path / "prepared"))
    assert prep["recordings"] == 3
    assert prep["windows"] == 3 * 10  # 20 s recordings, 2 s windows
    assert prep["files"] == 3 + 2  # one shard per recording, manifest.csv, prepare.json
    assert len(ShardDataset(tmp_path / "prepared")) == prep["windows"]
    stream = _script.run_stream(str(tmp_path / "prepared"), batch_size=8)
    assert stream["windows"] == prep["windows"]
    assert prep["peak_mb"] > 0 and stream["seconds"] > 0


@pytest.mark.slow
def test_bench_corpus__main_prints_one_row_per_size(tmp_path, capsys):
    args = ["--hours", "0.01", "0.02", "--recording-seconds", "18", "--base", "1",
            "--tmp", str(tmp_path)]  # fmt: skip
    assert _script.main(args) == 0
    out = capsys.readouterr().out
    assert "engine=fused" in out and "ms per recording" in out
    assert not any(tmp_path.iterdir())  # the corpora are removed
