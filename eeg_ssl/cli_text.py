"""Help texts of the ``eeg-ssl`` command, built without importing torch, MNE or sklearn.

``eeg-ssl --help`` must answer in well under a second on a loaded machine, so the
recipe keys are read from the source of :class:`eeg_ssl.io.Recipe` (its fields and its
numpydoc "Parameters" section, parsed with :mod:`ast`), and methods and encoders come
from the small tables below, which a test keeps equal to the ``METHODS`` and
``ENCODERS`` registries and to their classes' docstrings.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import textwrap
from pathlib import Path

#: One line per SSL method (the first line of its class docstring), kept in sync with
#: ``eeg_ssl.methods.METHODS`` by tests/test_cli_text.py.
METHOD_LINES = {
    "simclr": "SimCLR on EEG windows.",
    "moco": "MoCo (v2 queue, v3-style symmetric loss) on EEG windows.",
    "byol": "BYOL on EEG windows: online encoder + projector + predictor, EMA target.",
    "swav": "SwAV on EEG windows.",
    "vicreg": "VICReg on EEG windows: encoder + expander, no negatives, no momentum network.",
    "barlow_twins": "Barlow Twins on EEG windows: encoder + projector, redundancy reduction.",
    "resampling_contrastive": "Contrastive learning with resampling views.",
    "autoencoder": "Encoder -> embedding -> ``ConvTranspose1d`` decoder -> MSE to the input.",
    "mae": "Mask most patches, encode the visible ones, reconstruct the masked ones.",
    "cpc": "Strided Conv1d latents, a GRU context, one linear predictor per future step.",
    "relative_positioning": "Tell whether two windows of one recording are close in time or "
    "far apart.",
    "temporal_shuffling": "Tell whether three windows of one recording are in temporal order.",
    "transformation_prediction": "Apply one random transformation per window; classify which "
    "one it was.",
    "spectral_prediction": "Mask channels and a stretch of time; predict the intact window's "
    "band features.",
    "mixup": "Contrast mixed views against clean views with the mixing weights as targets.",
}

#: One line per encoder, kept in sync with ``eeg_ssl.models.ENCODERS``.
ENCODER_LINES = {
    "conv": "Strided Conv1d blocks, global average pooling, and a linear embedding.",
    "patch_transformer": "Non-overlapping temporal patches, a Transformer encoder, mean pooling.",
    "braindecode": "A braindecode model whose classification layer becomes a linear embedding.",
    "covariance": "Learnable band-pass filters, spatial filters, covariances, matrix logarithm.",
    "tokens": "Per-channel temporal patch tokens, electrode position embeddings, masked "
    "attention.",
}

LABELLING_HELP = """\
labels (--set label_source=...):
  annotations  sliding windows labelled by the annotation that covers each window
  events       one window per annotation, from onset+tmin to onset+tmax
  channel      labels from a per-sample channel (--set label_channel=NAME)
  recording    one label per file, from a file-name rule: --path-rule label=REGEX
  (none)       unlabelled windows, for pretraining only
  --label-map RAW=NAME renames raw labels (annotation text, file-name group); raw
  labels left out of the map become unlabelled.

example (files like Subject07_1.edf = rest, Subject07_2.edf = arithmetic):
  eeg-ssl prepare "edf/*.edf" --out prepared/ --path-rule subject='(Subject\\d+)_' \\
      --path-rule label='_([12])\\.edf$' --set label_source=recording \\
      --label-map 1=rest --label-map 2=arithmetic --picks eeg
"""


def _first_sentence(text):
    """The first sentence of numpydoc text, without reST markup."""
    text = " ".join(text.split()).replace("``", "")
    text = re.sub(r":\w+:`~?([^`]+)`", r"\1", text)
    match = re.match(r"(.+?(?<!e\.g)(?<!i\.e)\.)(\s|$)", text)
    return match.group(1) if match else text


def recipe_keys():
    """``{key: (default, one-line description)}`` of :class:`eeg_ssl.io.Recipe`.

    Read from the source file (fields and the docstring's Parameters section), so that
    the help needs no import of MNE.
    """
    origin = importlib.util.find_spec("eeg_ssl").submodule_search_locations[0]
    tree = ast.parse((Path(origin) / "io" / "recipe.py").read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Recipe")
    doc = ast.get_docstring(cls) or ""
    params = doc.split("Parameters\n    ----------", 1)[-1] if "    ----------" in doc else ""
    params = doc.split("----------", 1)[1] if "----------" in doc else params
    described, names = {}, None
    for line in params.splitlines():
        if line and not line.startswith(" ") and " : " in line:
            names = [n.strip() for n in line.split(" : ")[0].split(",")]
            for name in names:
                described[name] = ""
        elif names and line.strip():
            for name in names:
                described[name] = (described[name] + " " + line.strip()).strip()
    keys = {}
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            default = ast.unparse(node.value) if node.value is not None else ""
            keys[node.target.id] = (default, _first_sentence(described.get(node.target.id, "")))
    return keys


def recipe_help(width=79):
    """The recipe keys as an indented block for ``eeg-ssl prepare --help``."""
    lines = ["recipe keys (--set KEY=VALUE, or the 'recipe' section of --config):"]
    for key, (default, text) in recipe_keys().items():
        body = f"{text} Default: {default}." if text else f"Default: {default}."
        wrapped = textwrap.wrap(body, width - 20) or [""]
        lines.append(f"  {key:<17} {wrapped[0]}")
        lines.extend(f"  {'':<17} {more}" for more in wrapped[1:])
    return "\n".join(lines)


def table_help(title, rows, width=79):
    """``name  one line`` rows under a title."""
    lines = [title]
    for name, text in rows.items():
        wrapped = textwrap.wrap(text.replace("``", ""), width - 28) or [""]
        lines.append(f"  {name:<25} {wrapped[0]}")
        lines.extend(f"  {'':<25} {more}" for more in wrapped[1:])
    return "\n".join(lines)


__all__ = [
    "ENCODER_LINES",
    "LABELLING_HELP",
    "METHOD_LINES",
    "recipe_help",
    "recipe_keys",
    "table_help",
]
