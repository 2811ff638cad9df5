"""The GPU benchmark script runs on the CPU at a tiny size and says that no GPU was used."""

import importlib.util
from pathlib import Path

import pytest
import torch

# pipelines/ is not an import package: load the script by its path
_path = Path(__file__).resolve().parents[2] / "pipelines" / "bench_gpu.py"
_spec = importlib.util.spec_from_file_location("bench_gpu", _path)
_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_script)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU fallback")
def test_bench_gpu__cpu_run_reports_rows_and_no_gpu(capsys):
    args = ["--device", "cpu", "--steps", "1", "--batch-size", "8", "--encoders", "conv",
            "--methods", "simclr", "mae", "--precisions", "fp32", "bf16", "fp16"]  # fmt: skip
    assert _script.main(args) == 0
    out = capsys.readouterr().out
    assert "NO GPU" in out and "fp16 needs CUDA" in out
    rows = [line for line in out.splitlines() if line.strip().startswith("conv")]
    assert len(rows) == 3  # simclr at fp32 and bf16; mae needs the patch transformer
    assert "not combined" in rows[-1] and "FAILED" not in out
    assert "DDP smoke test: backend gloo, world size 1" in out


def test_timed_loop__measures_data_wait_within_the_step(tmp_path, sample_dir):
    folder = _script.make_prepared(tmp_path / "prepared", sample_dir=sample_dir)
    method = _script.build("patch_transformer", "mae", n_chans=8, n_times=256, sfreq=128.0,
                           small=True)  # fmt: skip
    res = _script.timed_loop(method, folder, device=torch.device("cpu"), precision="bf16",
                             compile=False, steps=2, batch_size=8)  # fmt: skip
    assert 0.0 < res["data_wait"] < 1.0 and res["loop_samples_per_s"] > 0
