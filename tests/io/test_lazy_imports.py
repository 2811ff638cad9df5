"""`prepare` (library and CLI) must not load torch or braindecode (memory: ~0.9 GB)."""

import subprocess
import sys


def _run(code, cwd=None):
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False, cwd=cwd)  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout.strip().splitlines()[-1]


def test_import_io__does_not_import_torch():
    code = "import eeg_ssl.io; from eeg_ssl.io import prepare; import sys; print('torch' in sys.modules)"
    assert _run(code) == "False"


def test_import_eeg_ssl__exports_resolve_lazily():
    code = (
        "import sys, eeg_ssl; r = eeg_ssl.Recipe; before = 'torch' in sys.modules; "
        "b = eeg_ssl.build_encoder; print(before, 'torch' in sys.modules, 'pretrain' in dir(eeg_ssl))"
    )
    assert _run(code) == "False True True"


def test_cli_prepare__does_not_import_torch(sample_dir, tmp_path):
    edf = sorted(sample_dir.glob("*.edf"))[0]
    code = (
        "import sys; from eeg_ssl.cli import main; "
        f"rc = main(['--quiet', 'prepare', {str(edf)!r}, '--out', {str(tmp_path / 'out')!r}]); "
        "print(rc, 'torch' in sys.modules, 'braindecode' in sys.modules)"
    )
    assert _run(code, cwd=sample_dir.parent) == "0 False False"
    assert (tmp_path / "out" / "manifest.csv").exists()
