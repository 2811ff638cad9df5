"""The docs: the API reference builds offline without a warning; Markdown links resolve."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_api_reference__builds_without_warnings(tmp_path):
    pytest.importorskip("sphinx", reason="the API reference needs the 'docs' extra")
    pytest.importorskip("numpydoc", reason="the API reference needs the 'docs' extra")
    # a fresh process, as CI runs it: -W turns every Sphinx warning into an error
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
           "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    # numpydoc reports a section it cannot parse as a Python warning, not a Sphinx one
    assert "Unknown section" not in result.stderr, result.stderr
    html = (tmp_path / "html" / "api" / "models.html").read_text()
    assert "ConvEncoder" in html and "Shapes" in html  # the house style's section is shown
    assert "Hugging Face Hub integration" not in html  # braindecode's text is dropped
    for name in ("io", "data", "transforms", "models", "modules", "losses", "methods",
                 "training", "evaluation", "utils"):  # fmt: skip
        assert (tmp_path / "html" / "api" / f"{name}.html").exists()


def _slug(heading):
    """GitHub's anchor of a Markdown heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path):
    anchors, seen = set(), {}
    in_code = False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and re.match(r"#{1,6} ", line):
            slug = _slug(line.lstrip("#"))
            anchors.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
            seen[slug] = seen.get(slug, 0) + 1
    return anchors


def _markdown_files():
    files = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
    return [p for p in files if "_build" not in p.parts]


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_markdown_links__files_and_anchors_exist(path):
    broken = []
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        dest = (path.parent / file).resolve() if file else path
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{target}: no heading with anchor #{anchor} in {dest.name}")
    assert not broken, f"Broken links in {path.relative_to(ROOT)}: {broken}"
