"""docs/tutorial.md runs as written (with 1 pretraining epoch instead of 30).

The ``eeg-ssl`` commands go through :func:`eeg_ssl.cli.main` and the Python blocks
through ``exec`` in this process (the console script calls the same ``main``): a fresh
interpreter per block would spend most of the test importing torch.
"""

import re
import shlex
from pathlib import Path

import pytest

from eeg_ssl.cli import main

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"


pytestmark = pytest.mark.usefixtures("restore_threads")


def tutorial_blocks(text):
    """The ```bash and ```python blocks of a markdown page, in order."""
    return re.findall(r"```(bash|python)\n(.*?)```", text, flags=re.S)


def test_tutorial__every_shell_block_is_one_eeg_ssl_command():
    blocks = tutorial_blocks(TUTORIAL.read_text())
    kinds = [kind for kind, _ in blocks]
    assert kinds.count("bash") >= 4 and kinds.count("python") >= 3
    for kind, code in blocks:
        if kind == "bash":
            assert shlex.split(code.replace("\\\n", " "))[0] == "eeg-ssl", code


def test_tutorial__runs_from_edf_files_to_a_score_and_pictures(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    (tmp_path / "eeg-ssl").symlink_to(ROOT)  # the clone beside the working folder
    monkeypatch.chdir(tmp_path)
    printed = []
    for kind, code in tutorial_blocks(TUTORIAL.read_text()):
        if kind == "bash":
            argv = shlex.split(code.replace("\\\n", " ").replace("--epochs 30", "--epochs 1"))
            assert main(argv[1:]) == 0, code
        else:
            exec(compile(code, str(TUTORIAL), "exec"), {"__name__": "__tutorial__"})
        printed.append(capsys.readouterr())
    assert len(list((tmp_path / "edf").glob("*.edf"))) == 16
    assert "kept 8 channels (8 eeg)" in printed[1].err
    scores = [line for out in printed for line in out.out.splitlines()
              if line.startswith("balanced accuracy on held-out subjects")]  # fmt: skip
    assert len(scores) == 2
    for picture in ("curves.png", "views.png", "embedding_map.png"):
        assert (tmp_path / "runs" / "simclr" / picture).exists()
