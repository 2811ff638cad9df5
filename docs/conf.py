"""Sphinx configuration of the API reference (built from the numpydoc docstrings).

Build it offline, warnings as errors::

    sphinx-build -W -b html docs docs/_build/html

Only ``api.rst`` and ``api/*.rst`` are Sphinx sources; the Markdown pages of ``docs/``
are read on GitHub (or any Markdown viewer) and link here.
"""

import os
import sys
import warnings

sys.path.insert(0, os.path.abspath(".."))  # the eeg_ssl of this checkout, installed or not

from eeg_ssl import __version__  # noqa: E402

project = "eeg-ssl"
author = "eeg-ssl developers"
copyright = "eeg-ssl developers, BSD-3-Clause"  # noqa: A001
release = version = __version__

extensions = ["sphinx.ext.autodoc", "numpydoc"]
root_doc = "api"
source_suffix = {".rst": "restructuredtext"}  # the .md pages are not part of this build
exclude_patterns = ["_build", "experiments", "benchmarks", "methods"]
templates_path = []
html_static_path = []
html_theme = "alabaster"
html_title = f"eeg-ssl {release} API reference"

autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc "Parameters" sections carry the types
autodoc_mock_imports = []
numpydoc_show_class_members = False  # autodoc lists the members; no autosummary tables
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# no intersphinx: the build must run offline (in CI and in tests/test_docs.py)

# numpydoc also parses each docstring to find a signature, before the hook below turns
# "Shapes" into "Notes"; that parse warns about the section the rendered page shows
warnings.filterwarnings("ignore", message="Unknown section Shapes", category=UserWarning)


def _skip_member(app, what, name, obj, skip, options):
    # scikit-learn generates set_{fit,score,...}_request on every estimator; their
    # docstrings point into scikit-learn's own docs (glossary terms and labels)
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def _is_header(lines, i):
    return (i + 1 < len(lines) and lines[i].strip() != ""
            and len(lines[i + 1].strip()) >= 3 and set(lines[i + 1].strip()) == {"-"})  # fmt: skip


def _drop_braindecode_hub_text(app, what, name, obj, options, lines):
    # braindecode (>= 1.4) appends a "Hugging Face Hub integration" rubric to the
    # docstring of every EEGModuleMixin subclass; for our encoders it shows a wrong
    # import (`from braindecode.models import ConvEncoder`) and links into
    # braindecode's own docs. eeg-ssl's hub functions are documented on their own.
    rubric = ".. rubric:: Hugging Face Hub integration"
    start = next((i for i, line in enumerate(lines) if line.strip() == rubric), None)
    if start is not None:
        del lines[start:]


def _shapes_to_notes(app, what, name, obj, options, lines):
    # The house style's "Shapes" section (input -> output shapes) is not a numpydoc
    # section: numpydoc would drop it with a warning. Show it under "Notes".
    start = next((i for i in range(len(lines)) if lines[i].strip() == "Shapes"
                  and _is_header(lines, i)), None)  # fmt: skip
    if start is None:
        return
    end = next((j for j in range(start + 2, len(lines)) if _is_header(lines, j)), len(lines))
    body = [line for line in lines[start + 2 : end]]
    del lines[start:end]
    block = ["**Shapes**", "", *body, ""]
    notes = next((i for i in range(len(lines)) if lines[i].strip() == "Notes"
                  and _is_header(lines, i)), None)  # fmt: skip
    if notes is None:
        lines.extend(["", "Notes", "-----", *block])
    else:
        lines[notes + 2 : notes + 2] = block


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
    # before numpydoc's own handler (priority 500) parses the sections
    app.connect("autodoc-process-docstring", _drop_braindecode_hub_text, priority=390)
    app.connect("autodoc-process-docstring", _shapes_to_notes, priority=400)
