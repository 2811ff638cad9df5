"""A catalogue of bad inputs: each gives a clear error that names the file or parameter.

One parametrised test per layer (recipe, prepare, loaders, command line, leakage,
estimators). Every case asserts the exception type (or the exit code of ``eeg-ssl``)
and that the message names the file or the parameter, and for the command line that
the error is one line without a traceback. The fixtures (three short simulated EDF
recordings, a prepared folder, a one-epoch checkpoint) are built once per module.
"""

from __future__ import annotations

import errno
import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import h5py
import mne
import numpy as np
import pytest
import yaml

import eeg_ssl.utils
from eeg_ssl.cli import main
from eeg_ssl.evaluation import EmbeddingTransformer
from eeg_ssl.io import Recipe, prepare, prepare_arrays, read_manifest, read_shard_info
from eeg_ssl.simulation import simulate_raw

RECIPE = dict(l_freq=1.0, h_freq=30.0, sfreq=64.0, window_seconds=2.0)


def _edf(path, raw):
    mne.export.export_raw(path, raw, fmt="edf", overwrite=True, verbose="error")
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Simulated recordings, a prepared folder and a checkpoint, made once."""
    root = tmp_path_factory.mktemp("catalogue")
    edfs = [
        _edf(root / f"sub-0{i}_task-sim_eeg.edf",
             simulate_raw(i, duration=16.0, sfreq=128.0, random_state=i))
        for i in (1, 2, 3)
    ]  # fmt: skip
    plain = simulate_raw(4, duration=16.0, sfreq=128.0, random_state=4)
    plain.set_annotations(None)
    no_annotations = _edf(root / "sub-04_plain_eeg.edf", plain)
    prepared = root / "prepared"
    prepare(edfs, prepared, Recipe(label_source="annotations", **RECIPE),
            subject_pattern="sub-([^_]+)", verbose=False)  # fmt: skip
    run = root / "run"
    argv = ["--quiet", "pretrain", str(prepared), "--out", str(run), "--epochs", "1",
            "--batch-size", "8"]  # fmt: skip
    assert main(argv) == 0
    return SimpleNamespace(root=root, edfs=[str(p) for p in edfs], plain=str(no_annotations),
                           prepared=prepared, checkpoint=run / "checkpoint.pt")  # fmt: skip


@pytest.fixture(autouse=True)
def _keep_allocator(monkeypatch):
    """``eeg-ssl prepare`` changes this process's allocator: record the call instead."""
    monkeypatch.setattr(eeg_ssl.utils, "retain_freed_memory", lambda: True)


def _copy(w, tmp):
    """A private copy of the prepared folder (cases edit it)."""
    return Path(shutil.copytree(w.prepared, tmp / "copy"))


def _shard(folder):
    return sorted(Path(folder).glob("*.h5"))[0]


def _yaml(tmp, data, name="cfg.yaml"):
    path = tmp / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return str(path)


# --------------------------------------------------------------------------- recipe

RECIPE_CASES = [
    ("sfreq-text", dict(sfreq="abc"), "Invalid value for 'sfreq': expected a positive number; got 'abc'"),
    ("sfreq-negative", dict(sfreq=-128), "'sfreq'"),
    ("sfreq-zero", dict(sfreq=0), "'sfreq'"),
    ("sfreq-bool", dict(sfreq=True), "'sfreq'"),
    ("sfreq-nan", dict(sfreq=float("nan")), "'sfreq'"),
    ("l_freq-text", dict(l_freq="low"), "'l_freq'"),
    ("h_freq-negative", dict(h_freq=-5.0), "'h_freq'"),
    ("band-swapped", dict(l_freq=40.0, h_freq=10.0), "'l_freq'"),
    ("band-equal", dict(l_freq=10.0, h_freq=10.0), "'h_freq'"),
    ("h_freq-above-nyquist", dict(sfreq=64.0, h_freq=40.0), "Nyquist"),
    ("h_freq-at-nyquist", dict(sfreq=64.0, h_freq=32.0), "'h_freq'"),
    ("l_freq-above-nyquist", dict(sfreq=64.0, l_freq=40.0, h_freq=None), "'l_freq'"),
    ("window-zero", dict(window_seconds=0), "'window_seconds'"),
    ("window-text", dict(window_seconds="2"), "'window_seconds'"),
    ("window-none", dict(window_seconds=None), "'window_seconds'"),
    ("stride-negative", dict(stride_seconds=-1.0), "'stride_seconds'"),
    ("clip-zero", dict(clip=0), "'clip'"),
    ("clip-text", dict(clip="big"), "'clip'"),
    ("notch-text", dict(notch=["fifty"]), "'notch'"),
    ("notch-negative", dict(notch=[-50.0]), "'notch'"),
    ("picks-empty", dict(picks=[]), "'picks'"),
    ("picks-int", dict(picks=[1]), "'picks'"),
    ("drop-int", dict(drop=[3]), "'drop'"),
    ("channels-int", dict(channels=[1, 2]), "'channels'"),
    ("reference-int", dict(reference=[5]), "'reference'"),
    ("units-int", dict(units=5), "'units'"),
    ("units-unknown", dict(units="furlongs"), "'units'"),
    ("channel_types-unknown-type", dict(channel_types={"Fz": "banana"}), "channel_types['Fz']"),
    ("standardise_names-text", dict(standardise_names="yes"), "'standardise_names'"),
    ("label_map-list", dict(label_map=["rest"]), "'label_map'"),
    ("channel_types-text", dict(channel_types="eeg"), "'channel_types'"),
    ("label_source-typo", dict(label_source="annotation"), "'label_source'"),
    ("engine-unknown", dict(engine="turbo"), "'engine'"),
    ("missing-unknown", dict(missing="skip"), "'missing'"),
    ("flat-unknown", dict(flat="drop"), "'flat'"),
    ("resample_method-unknown", dict(resample_method="sinc"), "'resample_method'"),
    ("standardise-unknown", dict(standardise="zscore"), "'standardise'"),
    ("events-without-tmax", dict(label_source="events"), "'tmax'"),
    ("channel-without-label_channel", dict(label_source="channel"), "'label_channel'"),
    ("label_channel-int", dict(label_source="channel", label_channel=5), "'label_channel'"),
    ("tmin-text", dict(tmin="a"), "'tmin'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "needle"), [pytest.param(kw, n, id=i) for i, kw, n in RECIPE_CASES]
)
def test_recipe__bad_value_names_the_parameter(kwargs, needle):
    with pytest.raises(ValueError) as info:
        Recipe(**kwargs)
    assert needle in str(info.value)


@pytest.mark.parametrize(("params", "needle"), [({"sfrq": 128}, "sfrq"), (["sfreq"], "'recipe'"),
                                                ("sfreq=128", "'recipe'")])  # fmt: skip
def test_recipe_from_dict__bad_mapping_names_the_key(params, needle):
    with pytest.raises(ValueError, match=needle):
        Recipe.from_dict(params)


# --------------------------------------------------------------------------- prepare


def _prepare(w, tmp, inputs=None, recipe=None, **kw):
    return prepare(w.edfs if inputs is None else inputs, tmp / "out",
                   Recipe(**(RECIPE if recipe is None else recipe)), verbose=False, **kw)  # fmt: skip


def _foreign(w, tmp, recipe=False):
    """A second preparation into the folder of a first: another recipe, or other inputs."""
    _prepare(w, tmp, inputs=w.edfs[:2])
    if recipe:
        return _prepare(w, tmp, inputs=w.edfs[:2], recipe=dict(RECIPE, h_freq=20.0))
    return _prepare(w, tmp, inputs=w.edfs)


def _manifest_only(w, tmp):
    (tmp / "out").mkdir()
    (tmp / "out" / "manifest.csv").write_text("shard,row\n")
    return _prepare(w, tmp)


def _bad_record(w, tmp):
    (tmp / "out").mkdir()
    (tmp / "out" / "prepare.json").write_text("{not json")
    return _prepare(w, tmp)


def _out_is_file(w, tmp):
    (tmp / "out").write_text("a file")
    return _prepare(w, tmp)


def _truncated(w, tmp):
    data = Path(w.edfs[0]).read_bytes()
    path = tmp / "trunc_eeg.edf"
    path.write_bytes(data[: len(data) // 3])
    return _prepare(w, tmp, inputs=[str(path)])


def _junk(w, tmp):
    path = tmp / "junk_eeg.edf"
    path.write_bytes(b"not an edf" * 30)
    return _prepare(w, tmp, inputs=[str(path)])


def _flat(w, tmp):
    raw = simulate_raw(1, duration=16.0, sfreq=128.0, random_state=0)
    raw._data[2] = 0.0  # test fixture: a disconnected electrode
    path = tmp / "flat_raw.fif"
    raw.save(path, verbose="error")
    return _prepare(w, tmp, inputs=[str(path)], recipe=dict(RECIPE, flat="raise"))


def _nan(w, tmp):
    raw = simulate_raw(1, duration=16.0, sfreq=128.0, random_state=0)
    raw._data[1, 10:20] = np.nan  # test fixture: NaN samples
    path = tmp / "nan_raw.fif"
    raw.save(path, verbose="error")
    return _prepare(w, tmp, inputs=[str(path)])


def _no_label_channel(w, tmp):
    return _prepare(w, tmp, recipe=dict(RECIPE, label_source="channel", label_channel="STI"))


def _no_events(w, tmp):
    recipe = dict(RECIPE, label_source="events", tmin=0.0, tmax=1.0, label_map={"X": "x"})
    return _prepare(w, tmp, recipe=recipe)


X_OK = np.random.default_rng(0).standard_normal((2, 3, 512))

PREPARE_CASES = [
    ("missing-file", lambda w, t: _prepare(w, t, inputs=[str(t / "gone_eeg.edf")]),
     FileNotFoundError, ["gone_eeg.edf"]),
    ("unknown-extension", lambda w, t: _prepare(w, t, inputs=[str(_touch(t / "rec.xyz"))]),
     ValueError, ["rec.xyz", ".xyz"]),
    ("empty-inputs", lambda w, t: _prepare(w, t, inputs=[]), ValueError, ["'inputs'"]),
    ("duplicate-inputs", lambda w, t: _prepare(w, t, inputs=[w.edfs[0], w.edfs[0]]),
     ValueError, ["twice"]),
    ("subject_pattern-not-a-regex", lambda w, t: _prepare(w, t, subject_pattern="(["),
     ValueError, ["'subject'", "not a regular expression"]),
    ("path_rules-not-text", lambda w, t: _prepare(w, t, path_rules={"label": 5}), ValueError,
     ["'label'"]),
    ("on_error-unknown", lambda w, t: _prepare(w, t, on_error="ignore"), ValueError,
     ["'on_error'"]),
    ("n_jobs-zero", lambda w, t: _prepare(w, t, n_jobs=0), ValueError, ["'n_jobs'"]),
    ("n_jobs-text", lambda w, t: _prepare(w, t, n_jobs="2"), ValueError, ["'n_jobs'"]),
    ("n_jobs-float", lambda w, t: _prepare(w, t, n_jobs=1.5), ValueError, ["'n_jobs'"]),
    ("annotations-absent", lambda w, t: _prepare(w, t, inputs=[w.plain],
                                                  recipe=dict(RECIPE, label_source="annotations")),
     ValueError, ["sub-04_plain_eeg.edf", "no annotations", "label_source"]),
    ("annotations-absent-warn", lambda w, t: _prepare(
        w, t, inputs=[w.plain], recipe=dict(RECIPE, label_source="annotations"),
        on_error="warn"), UserWarning, ["sub-04_plain_eeg.edf", "no annotations"]),
    ("annotations-none-mapped", lambda w, t: _prepare(
        w, t, recipe=dict(RECIPE, label_source="annotations", label_map={"X": "x"})),
     ValueError, ["sub-01_task-sim_eeg.edf", "'label_map'"]),
    ("recording-label-without-rule", lambda w, t: _prepare(
        w, t, recipe=dict(RECIPE, label_source="recording")), ValueError,
     ["sub-01_task-sim_eeg.edf", "'label' rule"]),
    ("recording-label-not-mapped", lambda w, t: _prepare(
        w, t, recipe=dict(RECIPE, label_source="recording", label_map={"9": "x"}),
        path_rules={"label": r"sub-0(\d)"}), ValueError, ["sub-01_task-sim_eeg.edf", "'label_map'"]),
    ("label_channel-absent", _no_label_channel, ValueError, ["'label_channel'", "'STI'"]),
    ("events-none-mapped", _no_events, ValueError, ["sub-01_task-sim_eeg.edf", "'label_map'"]),
    ("out_dir-is-a-file", _out_is_file, ValueError, ["'out_dir'", "is a file"]),
    ("foreign-recipe", lambda w, t: _foreign(w, t, recipe=True), ValueError,
     ["another recipe", "overwrite"]),
    ("foreign-inputs", lambda w, t: _foreign(w, t), ValueError, ["other inputs", "overwrite"]),
    ("manifest-without-record", _manifest_only, ValueError, ["manifest.csv", "overwrite"]),
    ("unreadable-record", _bad_record, ValueError, ["prepare.json", "overwrite"]),
    ("h_freq-above-file-nyquist", lambda w, t: _prepare(
        w, t, recipe=dict(RECIPE, sfreq=None, h_freq=70.0)), ValueError,
     ["sub-01_task-sim_eeg.edf", "Nyquist"]),
    ("shorter-than-window", lambda w, t: _prepare(w, t, recipe=dict(RECIPE, window_seconds=100.0)),
     ValueError, ["sub-01_task-sim_eeg.edf", "'window_seconds'"]),
    ("picks-match-nothing", lambda w, t: _prepare(w, t, recipe=dict(RECIPE, picks=["ecog"])),
     ValueError, ["sub-01_task-sim_eeg.edf", "'picks'"]),
    ("target-channel-missing", lambda w, t: _prepare(
        w, t, recipe=dict(RECIPE, channels=["Fz", "Iz"], missing="raise")), ValueError,
     ["sub-01_task-sim_eeg.edf", "Iz"]),
    ("reference-absent", lambda w, t: _prepare(w, t, recipe=dict(RECIPE, reference=["Zz"])),
     ValueError, ["sub-01_task-sim_eeg.edf", "'reference'", "Zz"]),
    ("flat-channel-raise", _flat, ValueError, ["flat_raw.fif", "flat"]),
    ("nan-samples", _nan, ValueError, ["nan_raw.fif", "NaN"]),
    ("truncated-edf", _truncated, ValueError, ["trunc_eeg.edf"]),
    ("junk-file", _junk, ValueError, ["junk_eeg.edf"]),
    ("recipe-list", lambda w, t: prepare(w.edfs, t / "out", ["sfreq"], verbose=False),
     ValueError, ["'recipe'"]),
    ("arrays-2d", lambda w, t: prepare_arrays(X_OK[0], t / "a", sfreq=128.0, ch_names=list("abc")),
     ValueError, ["'X'"]),
    ("arrays-ch_names", lambda w, t: prepare_arrays(X_OK, t / "a", sfreq=128.0, ch_names=["a"]),
     ValueError, ["'ch_names'"]),
    ("arrays-units", lambda w, t: prepare_arrays(X_OK, t / "a", sfreq=128.0, ch_names=list("abc"),
                                                 units="kV"), ValueError, ["'units'"]),
    ("arrays-labels", lambda w, t: prepare_arrays(X_OK, t / "a", sfreq=128.0, ch_names=list("abc"),
                                                  labels=[1]), ValueError, ["'labels'"]),
]  # fmt: skip


def _touch(path):
    path.write_text("1 2 3")
    return path


def _check(action, expect, needles, *args):
    if issubclass(expect, Warning):
        with pytest.warns(expect) as record:
            action(*args)
        text = " ".join(str(w.message) for w in record)
    else:
        with pytest.raises(expect) as info:
            action(*args)
        text = str(info.value)
    for needle in needles:
        assert needle in text, text
    return text


@pytest.mark.parametrize(("action", "expect", "needles"),
                         [pytest.param(*c[1:], id=c[0]) for c in PREPARE_CASES])  # fmt: skip
def test_prepare__bad_input_names_the_file_or_parameter(world, tmp_path, action, expect, needles):
    _check(action, expect, needles, world, tmp_path)
    assert not list(tmp_path.rglob(".*.tmp"))  # nothing half-written


# --------------------------------------------------------------------------- loaders


def _edit_manifest(w, tmp, edit):
    folder = _copy(w, tmp)
    path = folder / "manifest.csv"
    path.write_text(edit(path.read_text()))
    return folder


def _edit_shard(w, tmp, edit):
    folder = _copy(w, tmp)
    edit(_shard(folder))
    return folder


def _nan_in_place(path):
    with h5py.File(path, "r+") as h5:
        h5["windows"][0, 0, :4] = np.nan


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])


def _append(path):
    with open(path, "ab") as fid:
        fid.write(b"\0" * 64)


def _flip_byte(path):
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(0, 0))  # another time too: re-hashed


def _loader_open(folder):
    from eeg_ssl.data import ShardDataset

    return ShardDataset(folder)


def _verify(folder):
    from eeg_ssl.io.integrity import verify_folder

    return verify_folder(folder)


def _relabel(text):
    return text.replace(",rest,", ",task,", 1)


def _drop_rows(text):
    return "".join(text.splitlines(True)[:-3])


def _dup_rows(text):
    lines = text.splitlines(True)
    return "".join(lines + lines[-2:])


LOADER_CASES = [
    ("open-missing-folder", lambda w, t: _loader_open(t / "nowhere"), FileNotFoundError,
     ["manifest.csv", "nowhere"]),
    ("open-a-file", lambda w, t: _loader_open(_touch(t / "file.csv")), ValueError, ["file.csv"]),
    ("read_manifest-missing", lambda w, t: read_manifest(t), FileNotFoundError, ["manifest.csv"]),
    ("label-edited", lambda w, t: _loader_open(_edit_manifest(w, t, _relabel)), ValueError,
     ["manifest.csv", "changed after preparation"]),
    ("rows-deleted", lambda w, t: _loader_open(_edit_manifest(w, t, _drop_rows)), ValueError,
     ["manifest.csv", "prepare.json"]),
    ("rows-added", lambda w, t: _loader_open(_edit_manifest(w, t, _dup_rows)), ValueError,
     ["manifest.csv", "prepare.json"]),
    ("manifest-garbage", lambda w, t: read_manifest(_edit_manifest(w, t, lambda s: "\x00\x01")),
     ValueError, ["manifest.csv"]),
    ("manifest-column-dropped", lambda w, t: read_manifest(
        _edit_manifest(w, t, lambda s: s.replace("label", "lbl", 1))), ValueError,
     ["manifest.csv"]),
    ("record-not-json", lambda w, t: _loader_open(
        _write(_copy(w, t) / "prepare.json", "{oops").parent), ValueError, ["prepare.json"]),
    ("shard-truncated", lambda w, t: _loader_open(_edit_shard(w, t, _truncate)), ValueError,
     [".h5", "changed after preparation", "eeg-ssl verify"]),
    ("shard-appended", lambda w, t: _loader_open(_edit_shard(w, t, _append)), ValueError,
     [".h5", "bytes"]),
    ("shard-nan-in-place", lambda w, t: _loader_open(_edit_shard(w, t, _nan_in_place)),
     ValueError, [".h5", "checksum"]),
    ("shard-byte-flipped", lambda w, t: _loader_open(_edit_shard(w, t, _flip_byte)), ValueError,
     [".h5", "checksum"]),
    ("shard-deleted", lambda w, t: _loader_open(_edit_shard(w, t, Path.unlink)), ValueError,
     [".h5", "missing"]),
    ("verify-nan-in-place", lambda w, t: _verify(_edit_shard(w, t, _nan_in_place)), ValueError,
     [".h5", "failed verification"]),
    ("verify-rows-deleted", lambda w, t: _verify(_edit_manifest(w, t, _drop_rows)), ValueError,
     ["manifest.csv"]),
    ("verify-not-prepared", lambda w, t: _verify(t), FileNotFoundError, ["prepare.json"]),
    ("unknown-subject", lambda w, t: _subjects(w, ["99"]), ValueError, ["99"]),
    ("window_groups-by", lambda w, t: _loader_open(w.prepared).window_groups("session"),
     ValueError, ["'by'"]),
    ("shard-info-junk", lambda w, t: read_shard_info(_touch(t / "junk.h5")), ValueError,
     ["junk.h5"]),
    ("shard-info-foreign-h5", lambda w, t: read_shard_info(_foreign_h5(t)), ValueError,
     ["other.h5", "eeg-ssl shard"]),
]  # fmt: skip


def _write(path, text):
    path.write_text(text)
    return path


def _subjects(w, subjects):
    from eeg_ssl.data import ShardDataset

    return ShardDataset(w.prepared, subjects=subjects)


def _foreign_h5(tmp):
    path = tmp / "other.h5"
    with h5py.File(path, "w") as h5:
        h5["windows"] = np.zeros((1, 2, 3))
    return path


@pytest.mark.parametrize(("action", "expect", "needles"),
                         [pytest.param(*c[1:], id=c[0]) for c in LOADER_CASES])  # fmt: skip
def test_loaders__bad_folder_names_the_file(world, tmp_path, action, expect, needles):
    _check(action, expect, needles, world, tmp_path)


# --------------------------------------------------------------------------- command line


def _cli(*argv):
    return main(["--quiet", *[str(a) for a in argv]])


def _prepare_cli(w, t, *extra):
    return _cli("prepare", *w.edfs, "--out", t / "out", "--subject-pattern", "sub-([^_]+)",
                "--set", "sfreq=64", "--set", "h_freq=30", *extra)  # fmt: skip


def _failing_commit(code):
    """``commit_file`` as it fails when the disk refuses the write (temporary file removed)."""

    def commit(tmp, path):
        Path(tmp).unlink(missing_ok=True)
        raise OSError(code, os.strerror(code), str(tmp))

    return commit


def _disk_fault(w, t, m, code):
    # prepare's background commits (eeg_ssl.io.background) call shards.commit_files
    background = importlib.import_module("eeg_ssl.io.background")
    failing = _failing_commit(code)

    def commit_files(pairs):  # prepare commits its shards in batches; a failure removes all
        for tmp, _ in pairs[1:]:
            Path(tmp).unlink(missing_ok=True)
        failing(*pairs[0])

    m.setattr(background, "commit_files", commit_files)
    return _prepare_cli(w, t)


def _manifest_enospc(w, t, m):
    import eeg_ssl.io.manifest as manifest_module

    def fsync(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    real = manifest_module.os.fsync
    m.setattr(manifest_module.os, "fsync", fsync)
    try:
        return _prepare_cli(w, t)
    finally:
        m.setattr(manifest_module.os, "fsync", real)


def _corrupt_checkpoint(w, t, cut):
    data = Path(w.checkpoint).read_bytes()
    path = t / "ckpt.pt"
    path.write_bytes(data[: len(data) // 2] if cut else b"garbage" * 100)
    return _cli("evaluate", w.prepared, "--checkpoint", path, "--test-subjects", "03",
                "--out", t / "ev")  # fmt: skip


def _evaluate(w, t, *extra, checkpoint=None, data=None):
    return _cli("evaluate", data or w.prepared, "--checkpoint", checkpoint or w.checkpoint,
                "--out", t / "ev", *extra)  # fmt: skip


def _other_folder(w, t, **changes):
    """The catalogue's recordings prepared with another recipe (a folder to evaluate)."""
    recipe = Recipe(label_source="annotations", **{**RECIPE, **changes})
    prepare(w.edfs, t / "other", recipe, subject_pattern="sub-([^_]+)", verbose=False)
    return t / "other"


def _evaluate_other(w, t, **changes):
    return _evaluate(w, t, "--test-subjects", "03", data=_other_folder(w, t, **changes))


def _pretrain(w, t, *extra, data=None):
    return _cli("pretrain", data or w.prepared, "--out", t / "run", "--epochs", "1",
                "--batch-size", "8", *extra)  # fmt: skip


def _benchmark(w, t, config):
    return _cli("benchmark", _yaml(t, config), "--out", t / "bench")


BENCH = {"data": "PREPARED", "n_splits": 2, "methods": []}


def _bench(w, t, **changes):
    config = {**BENCH, "data": str(w.prepared), **changes}
    return _benchmark(w, t, {k: v for k, v in config.items() if v is not None})


def _train(w, t, config, data=None):
    from eeg_ssl.train import main as train_main

    return train_main([_yaml(t, config), "--data", str(data or w.prepared), "--out",
                       str(t / "tr"), "--quiet"])  # fmt: skip


CLI_CASES = [
    ("prepare-sfreq-text", lambda w, t, m: _prepare_cli(w, t, "--set", "sfreq=abc"),
     ["Invalid value for 'sfreq': expected a positive number; got 'abc'"]),
    ("prepare-band-swapped", lambda w, t, m: _prepare_cli(w, t, "--set", "l_freq=40",
                                                          "--set", "h_freq=10"), ["'l_freq'"]),
    ("prepare-h_freq-nyquist", lambda w, t, m: _prepare_cli(w, t, "--set", "h_freq=40"),
     ["'h_freq'", "Nyquist"]),
    ("prepare-n-jobs-zero", lambda w, t, m: _prepare_cli(w, t, "--n-jobs", "0"), ["'n_jobs'"]),
    ("prepare-unknown-key", lambda w, t, m: _prepare_cli(w, t, "--set", "bogus=1"), ["bogus"]),
    ("prepare-out-is-file", lambda w, t, m: _cli("prepare", *w.edfs, "--out",
                                                 _touch(t / "afile")), ["'--out'", "afile"]),
    ("prepare-foreign-folder", lambda w, t, m: _prepare_cli(w, t) or _prepare_cli(
        w, t, "--set", "h_freq=20"), ["another recipe", "--overwrite"]),
    ("prepare-no-annotations", lambda w, t, m: _cli(
        "prepare", w.plain, "--out", t / "out", "--set", "label_source=annotations",
        "--set", "sfreq=64", "--set", "h_freq=30"), ["sub-04_plain_eeg.edf", "no annotations"]),
    ("prepare-path-rule-not-a-regex", lambda w, t, m: _prepare_cli(w, t, "--path-rule", "run=(["),
     ["'run'", "not a regular expression"]),
    ("prepare-input-is-a-folder", lambda w, t, m: _cli("prepare", t, "--out", t / "o"),
     ["is a folder", "pass the recording files inside it"]),
    ("prepare-missing-input", lambda w, t, m: _cli("prepare", t / "gone.edf", "--out", t / "o"),
     ["gone.edf"]),
    ("prepare-config-bad-yaml", lambda w, t, m: _cli(
        "prepare", "--config", _yaml(t, "prepare:\n  recipe: {sfreq: 64\n  x: [\n"), "--out",
        t / "o"), ["cfg.yaml:", "Invalid YAML"]),
    ("prepare-config-section-list", lambda w, t, m: _cli(
        "prepare", "--config", _yaml(t, {"prepare": [1, 2]}), "--out", t / "o"),
     ["'prepare'", "cfg.yaml"]),
    ("prepare-config-recipe-number", lambda w, t, m: _cli(
        "prepare", "--config", _yaml(t, {"prepare": {"inputs": w.edfs, "recipe": 5}}), "--out",
        t / "o"), ["recipe", "cfg.yaml"]),
    ("prepare-config-top-list", lambda w, t, m: _cli(
        "prepare", "--config", _yaml(t, "- a\n- b\n"), "--out", t / "o"), ["cfg.yaml", "mapping"]),
    ("prepare-config-is-folder", lambda w, t, m: _cli("prepare", "--config", t, "--out", t / "o"),
     ["folder"]),
    ("prepare-enospc", lambda w, t, m: _disk_fault(w, t, m, errno.ENOSPC),
     ["No space left", "ENOSPC", "out"]),
    ("prepare-erofs", lambda w, t, m: _disk_fault(w, t, m, errno.EROFS),
     ["read-only", "EROFS", "out"]),
    ("prepare-eacces", lambda w, t, m: _disk_fault(w, t, m, errno.EACCES),
     ["Permission denied", "EACCES", "out"]),
    ("prepare-efbig", lambda w, t, m: _disk_fault(w, t, m, errno.EFBIG),
     ["file-size limit", "EFBIG", "out"]),
    ("prepare-manifest-enospc", _manifest_enospc, ["No space left", "ENOSPC"]),
    ("pretrain-not-prepared", lambda w, t, m: _pretrain(w, t, data=t), ["manifest.csv"]),
    ("pretrain-edited-shard", lambda w, t, m: _pretrain(
        w, t, data=_edit_shard(w, t, _nan_in_place)), [".h5", "changed after preparation"]),
    ("pretrain-edited-labels", lambda w, t, m: _pretrain(
        w, t, data=_edit_manifest(w, t, _relabel)), ["manifest.csv", "changed after preparation"]),
    ("pretrain-out-is-file", lambda w, t, m: _cli("pretrain", w.prepared, "--out",
                                                  _touch(t / "afile")), ["'--out'", "afile"]),
    ("pretrain-method-typo", lambda w, t, m: _pretrain(w, t, "--method", "simclrr"),
     ["simclr"]),
    ("pretrain-unknown-subject", lambda w, t, m: _pretrain(w, t, "--subjects", "42"), ["42"]),
    ("pretrain-config-section-list", lambda w, t, m: _pretrain(
        w, t, "--config", _yaml(t, {"pretrain": ["simclr"]})), ["'pretrain'", "cfg.yaml"]),
    ("pretrain-config-method_kwargs", lambda w, t, m: _pretrain(
        w, t, "--config", _yaml(t, {"pretrain": {"method_kwargs": 3}})), ["method_kwargs"]),
    ("evaluate-overlapping-subjects", lambda w, t, m: _evaluate(
        w, t, "--test-subjects", "02", "03", "--train-subjects", "01", "03"), ["['03']"]),
    ("evaluate-truncated-checkpoint", lambda w, t, m: _corrupt_checkpoint(w, t, True),
     ["ckpt.pt", "not a readable eeg-ssl checkpoint", "never retry with weights_only=False"]),
    ("evaluate-garbage-checkpoint", lambda w, t, m: _corrupt_checkpoint(w, t, False),
     ["ckpt.pt", "not a readable eeg-ssl checkpoint"]),
    ("evaluate-checkpoint-is-folder", lambda w, t, m: _evaluate(
        w, t, "--test-subjects", "03", checkpoint=t), ["folder"]),
    ("evaluate-checkpoint-missing", lambda w, t, m: _evaluate(
        w, t, "--test-subjects", "03", checkpoint=t / "none.pt"), ["none.pt"]),
    ("evaluate-other-sfreq", lambda w, t, m: _evaluate_other(w, t, sfreq=32.0, h_freq=15.0),
     ["other", "checkpoint.pt", "sampling rate: 64 Hz trained, 32 Hz prepared"]),
    ("evaluate-other-window", lambda w, t, m: _evaluate_other(w, t, window_seconds=1.0),
     ["other", "checkpoint.pt", "window: 128 samples trained, 64 samples prepared"]),
    ("evaluate-other-channels", lambda w, t, m: _evaluate_other(
        w, t, picks=["Fz", "Cz", "Pz", "Oz"]), ["other", "checkpoint.pt", "missing ['C3'"]),
    ("evaluate-other-units", lambda w, t, m: _evaluate_other(w, t, units="mV"),
     ["other", "checkpoint.pt", "units: 'uV' trained, 'mV' prepared"]),
    ("evaluate-all-subjects-held-out", lambda w, t, m: _evaluate(
        w, t, "--test-subjects", "01", "02", "03"), ["'test_subjects'", "none is left"]),
    ("evaluate-checkpoint-is-shard", lambda w, t, m: _evaluate(
        w, t, "--test-subjects", "03", checkpoint=_shard(w.prepared)),
     [".h5", "HDF5 file", "checkpoint.pt"]),
    ("evaluate-checkpoint-is-config", lambda w, t, m: _evaluate(
        w, t, "--test-subjects", "03", checkpoint=_yaml(t, {"pretrain": {}})),
     ["cfg.yaml", "text file"]),
    ("pretrain-method-kwargs-typo", lambda w, t, m: _pretrain(w, t, "--config", _yaml(
        t, {"pretrain": {"method_kwargs": {"temprature": 0.1}}})),
     ["'temprature'", "method_kwargs", "Did you mean 'temperature'?"]),
    ("evaluate-seed-negative", lambda w, t, m: _evaluate(w, t, "--test-subjects", "03",
                                                         "--seed", "-1"), ["--seed", "-1"]),
    ("prepare-picks-unknown-name", lambda w, t, m: _prepare_cli(w, t, "--picks", "Fz", "XX"),
     ["'picks'", "lacks: ['XX']", "sub-01"]),
    ("evaluate-unknown-subject", lambda w, t, m: _evaluate(w, t, "--test-subjects", "77"),
     ["77"]),
    ("evaluate-out-is-file", lambda w, t, m: _cli(
        "evaluate", w.prepared, "--checkpoint", w.checkpoint, "--test-subjects", "03", "--out",
        _touch(t / "afile")), ["'--out'"]),
    ("run-config-missing", lambda w, t, m: _cli("run", t / "nope.yaml"), ["nope.yaml"]),
    ("run-config-bad-yaml", lambda w, t, m: _cli("run", _yaml(t, "prepare: {\nout: 1\n")),
     ["cfg.yaml:", "Invalid YAML"]),
    ("run-config-evaluate-text", lambda w, t, m: _cli(
        "run", _yaml(t, {"prepare": {}, "pretrain": {}, "evaluate": "x"})), ["'evaluate'"]),
    ("run-config-unknown-top", lambda w, t, m: _cli("run", _yaml(t, {"pretrian": {}})),
     ["pretrian"]),
    ("verify-edited-shard", lambda w, t, m: _cli("verify", _edit_shard(w, t, _append)),
     [".h5", "failed verification"]),
    ("verify-not-prepared", lambda w, t, m: _cli("verify", t), ["prepare.json"]),
    ("benchmark-bad-yaml", lambda w, t, m: _benchmark(w, t, "data: [\n"),
     ["cfg.yaml:", "Invalid YAML"]),
    ("benchmark-prepare-number", lambda w, t, m: _bench(w, t, data=None, prepare=3),
     ["'prepare'"]),
    ("benchmark-quick-list", lambda w, t, m: _bench(w, t, quick=[1]), ["'quick'"]),
    ("benchmark-unknown-key", lambda w, t, m: _bench(w, t, n_split=3), ["n_split"]),
    ("benchmark-no-data", lambda w, t, m: _bench(w, t, data=None), ["'data'"]),
    ("benchmark-n_jobs-zero", lambda w, t, m: _bench(w, t, n_jobs=0), ["'n_jobs'"]),
    ("benchmark-align-unknown", lambda w, t, m: _bench(w, t, align="all"), ["'align'"]),
    ("benchmark-repeats-zero", lambda w, t, m: _bench(w, t, repeats=0), ["'repeats'"]),
    ("benchmark-too-many-splits", lambda w, t, m: _bench(w, t, n_splits=9), ["'n_splits'"]),
    ("benchmark-test_data-overlap", lambda w, t, m: _bench(w, t, test_data=str(w.prepared)),
     ["'test_data'", "01"]),
]  # fmt: skip


@pytest.mark.parametrize(("action", "needles"),
                         [pytest.param(c[1], c[2], id=c[0]) for c in CLI_CASES])  # fmt: skip
def test_cli__bad_input_is_one_clear_line_and_exit_2(world, tmp_path, monkeypatch, capsys,
                                                     action, needles):  # fmt: skip
    rc = action(world, tmp_path, monkeypatch)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert "Traceback" not in err
    line = next(line for line in err.splitlines() if ": error: " in line)
    for needle in needles:
        assert needle in line, line
    assert not list(tmp_path.rglob(".*.tmp"))  # nothing half-written
    if (tmp_path / "out").is_dir():  # a failed prepare leaves no manifest of its own
        record = tmp_path / "out" / "prepare.json"
        assert not record.exists() or json.loads(record.read_text())["recipe"]


@pytest.mark.parametrize(("config", "needle"), [
    ("pretrain: {epochs: [\n", "cfg.yaml:"),
    ({"pretrain": "simclr"}, "'pretrain'"),
    ({"pretrain": {"encoder_kwargs": [1]}}, "encoder_kwargs"),
])  # fmt: skip
def test_train__bad_config_is_one_line_and_exit_2(world, tmp_path, capsys, config, needle):
    assert _train(world, tmp_path, config) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_train__edited_folder_is_one_line_and_exit_2(world, tmp_path, capsys):
    folder = _edit_shard(world, tmp_path, _append)
    assert _train(world, tmp_path, {"pretrain": {"epochs": 1}}, data=folder) == 2
    err = capsys.readouterr().err
    assert "changed after preparation" in err and "Traceback" not in err


def test_cli_prepare__file_size_limit_in_a_subprocess(world, tmp_path):
    """A real EFBIG: the shard outgrows RLIMIT_FSIZE (Python ignores SIGXFSZ)."""
    resource = pytest.importorskip("resource")

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "eeg_ssl", "--quiet", "prepare", world.edfs[0], "--out", str(out),
         "--set", "sfreq=64", "--set", "h_freq=30"],
        capture_output=True, text=True, preexec_fn=limit, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    # the last line is ours (h5py may print ignored errors of its own before it)
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("eeg-ssl prepare: error: ")
    assert "file-size limit" in line and "EFBIG" in line and str(out) in line
    assert not list(out.glob("*.h5")) and not list(out.glob(".*.tmp"))
    assert not (out / "manifest.csv").exists()


# --------------------------------------------------------------------------- leakage


def _probe(w, train, test):
    from eeg_ssl.evaluation import probe_checkpoint

    return probe_checkpoint(w.prepared, w.checkpoint, test_subjects=test, train_subjects=train)


def _folds(folds):
    from eeg_ssl.evaluation.splits import check_subject_folds

    return check_subject_folds(folds)


def _disjoint(train, test):
    from eeg_ssl.evaluation import check_disjoint_subjects

    return check_disjoint_subjects(train, test)


LEAKAGE_CASES = [
    ("train-test-overlap", lambda w: _disjoint(["01", "02"], ["02", "03"]), ["['02']"]),
    ("int-and-str-ids", lambda w: _disjoint([1, 2], ["2"]), ["['2']"]),
    ("two-test-folds", lambda w: _folds([(["a"], ["b", "c"]), (["b"], ["a", "c"])]),
     ["'c'", "split 1", "split 2"]),
    ("fold-train-test-overlap", lambda w: _folds([(["a", "b"], ["b"])]), ["['b']", "split 1"]),
    ("probe-overlap", lambda w: _probe(w, ["01", "03"], ["03"]), ["['03']"]),
]  # fmt: skip


@pytest.mark.parametrize(("action", "needles"),
                         [pytest.param(c[1], c[2], id=c[0]) for c in LEAKAGE_CASES])  # fmt: skip
def test_leakage__overlapping_subjects_refused_with_their_ids(world, action, needles):
    _check(action, ValueError, needles, world)


# --------------------------------------------------------------------------- estimators


def _windows(w):
    from eeg_ssl.data import ShardDataset

    X, y = ShardDataset(w.prepared, labelled_only=True).load()
    return X[:16], y[:16]


def _embedding(w, checkpoint=None):
    return EmbeddingTransformer(str(checkpoint or w.checkpoint))


def _fitted(w):
    X, _ = _windows(w)
    return _embedding(w).fit(X)


def _classifier(w, **kw):
    from eeg_ssl.evaluation import SSLClassifier

    return SSLClassifier(str(w.checkpoint), epochs=1, **kw)


def _pretrainer(**kw):
    from eeg_ssl.evaluation import SSLPretrainer

    return SSLPretrainer(**kw)


def _epochs(w, bads=()):
    """The catalogue's windows as mne.Epochs (the checkpoint's channels, 64 Hz, in V)."""
    from eeg_ssl.training import load_checkpoint

    names = load_checkpoint(w.checkpoint)["recording"]["ch_names"]
    info = mne.create_info(names, 64.0, "eeg")
    info["bads"] = list(bads)
    return mne.EpochsArray(_windows(w)[0] * 1e-6, info, verbose="error")


def _unfitted_error():
    from sklearn.exceptions import NotFittedError

    return NotFittedError


def _with_nan(w):
    X, _ = _windows(w)
    X = X.copy()
    X[0, 0, 0] = np.nan
    return X


SHAPE = "(n_windows, n_chans, n_times)"

ESTIMATOR_CASES = [
    ("embedding-unfitted", lambda w: _embedding(w).transform(_windows(w)[0]), "NotFitted",
     ["EmbeddingTransformer"]),
    ("embedding-missing-checkpoint", lambda w: _embedding(w, w.root / "none.pt").fit(
        _windows(w)[0]), FileNotFoundError, ["none.pt"]),
    ("embedding-corrupt-checkpoint", lambda w: _embedding(w, _write(w.root / "bad.pt", "junk"))
     .fit(_windows(w)[0]), ValueError, ["bad.pt", "not a readable eeg-ssl checkpoint"]),
    ("embedding-nan", lambda w: _fitted(w).transform(_with_nan(w)), ValueError, ["NaN"]),
    ("embedding-1d", lambda w: _fitted(w).transform(np.zeros(10)), ValueError, ["'X'", SHAPE]),
    ("embedding-wrong-n_chans", lambda w: _fitted(w).transform(_windows(w)[0][:, :3]),
     ValueError, ["3"]),
    ("embedding-wrong-n_times", lambda w: _fitted(w).transform(_windows(w)[0][:, :, :50]),
     ValueError, ["50"]),
    ("embedding-complex", lambda w: _fitted(w).transform(_windows(w)[0] * 1j), ValueError,
     ["omplex"]),
    ("embedding-strings", lambda w: _fitted(w).transform(np.full((2, 8, 128), "a")), ValueError,
     ["'X'", SHAPE]),
    ("classifier-1d", lambda w: _classifier(w).fit(np.zeros(10), [0, 1] * 5), ValueError,
     ["'X'", SHAPE]),
    ("classifier-strings", lambda w: _classifier(w).fit(np.full((4, 8, 128), "a"), [0, 1] * 2),
     ValueError, ["'X'", SHAPE]),
    ("pretrainer-1d", lambda w: _pretrainer(epochs=1).fit(np.zeros(10)), ValueError,
     ["'X'", SHAPE]),
    ("pretrainer-strings", lambda w: _pretrainer(epochs=1).fit(np.full((4, 8, 128), "a")),
     ValueError, ["'X'", SHAPE]),
    ("embedding-none", lambda w: _fitted(w).transform(None), ValueError, ["'X'", SHAPE, "None"]),
    ("embedding-ragged-list", lambda w: _fitted(w).transform([[1.0, 2.0, 3.0], [1.0]]),
     ValueError, ["'X'", "not a regular array"]),
    ("embedding-file-name", lambda w: _fitted(w).transform("data-epo.fif"), ValueError,
     ["'X'", "mne.read_epochs('data-epo.fif')"]),
    ("embedding-dict", lambda w: _fitted(w).transform({"a": 1}), TypeError, ["'X'", "dict"]),
    ("embedding-no-windows", lambda w: _fitted(w).transform(_windows(w)[0][:0]), ValueError,
     ["'X'", "0 sample(s)"]),
    ("embedding-epochs-bad-channels", lambda w: _fitted(w).transform(_epochs(w, bads=["Cz"])),
     UserWarning, ["'X'", "['Cz']", "interpolate_bads"]),
    ("embedding-raw-shorter-than-window", lambda w: _fitted(w).transform(mne.io.RawArray(
        np.zeros((8, 32)), _epochs(w).info, verbose="error")), ValueError,
     ["'X'", "shorter than one training window"]),
    ("embedding-device", lambda w: EmbeddingTransformer(str(w.checkpoint), device="gpu").fit(
        _windows(w)[0]), ValueError, ["'device'", "'gpu'"]),
    ("embedding-encoder-is-shard", lambda w: _embedding(w, _shard(w.prepared)).fit(
        _windows(w)[0]), ValueError, [".h5", "HDF5 file"]),
    ("pretrainer-method-params-typo", lambda w: _pretrainer(
        epochs=1, method_params={"temprature": 0.1}).fit(_windows(w)[0]), ValueError,
     ["method_params", "Did you mean 'temperature'?"]),
    ("embedding-encoder-params-with-checkpoint", lambda w: EmbeddingTransformer(
        str(w.checkpoint), encoder_params={"n_outputs": 3}).fit(_windows(w)[0]), UserWarning,
     ["'encoder_params'", "ignored"]),
    ("classifier-unfitted", lambda w: _classifier(w).predict(_windows(w)[0]), "NotFitted",
     ["SSLClassifier"]),
    ("classifier-no-y", lambda w: _classifier(w).fit(_windows(w)[0], None), ValueError, ["y"]),
    ("classifier-y-length", lambda w: _classifier(w).fit(_windows(w)[0], _windows(w)[1][:3]),
     ValueError, ["3"]),
    ("classifier-nan", lambda w: _classifier(w).fit(_with_nan(w), _windows(w)[1]), ValueError,
     ["NaN"]),
    ("pretrainer-unknown-method", lambda w: _pretrainer(method="simclrr", epochs=1).fit(
        _windows(w)[0]), ValueError, ["simclr"]),
    ("pretrainer-unknown-encoder", lambda w: _pretrainer(encoder="convv", epochs=1).fit(
        _windows(w)[0]), ValueError, ["conv"]),
    ("pretrainer-unfitted", lambda w: _pretrainer().transform(_windows(w)[0]), "NotFitted",
     ["SSLPretrainer"]),
    ("pretrainer-nan", lambda w: _pretrainer(epochs=1).fit(_with_nan(w)), ValueError, ["NaN"]),
]  # fmt: skip


@pytest.mark.parametrize(("action", "expect", "needles"),
                         [c if hasattr(c, "marks") else pytest.param(*c[1:], id=c[0])
                          for c in ESTIMATOR_CASES])  # fmt: skip
def test_estimators__bad_input_names_the_parameter(world, action, expect, needles):
    expect = _unfitted_error() if expect == "NotFitted" else expect
    _check(action, expect, needles, world)
