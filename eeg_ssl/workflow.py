"""The three steps of a run (prepare, pretrain, evaluate) driven by plain dicts.

Each step writes its resolved config beside its outputs (``config.yaml``).
"""

from __future__ import annotations

import copy
import platform
from pathlib import Path

import pandas as pd
import yaml

from eeg_ssl import __version__
from eeg_ssl.io import Recipe, prepare, read_record
from eeg_ssl.io.manifest import atomic_write_text
from eeg_ssl.utils import package_versions
from eeg_ssl.utils.report import RECORDED_PACKAGES, finish_report, utc_now, write_report
from eeg_ssl.utils.files import check_mapping, load_yaml

# torch-dependent pieces are imported in the steps that use them: `eeg-ssl prepare`
# then runs without torch/braindecode (~0.9 GB less RSS).

STEPS = ("prepare", "pretrain", "evaluate")


#: Sections of a config that are mappings, and their keys whose values are mappings too.
SECTION_MAPPINGS = {"prepare": ("recipe", "path_rules", "read_kwargs", "dataset"),
                    "test_prepare": ("recipe", "path_rules", "read_kwargs", "dataset"),
                    "pretrain": ("encoder_kwargs", "method_kwargs"), "evaluate": ()}  # fmt: skip


def check_sections(config, path):
    """Refuse a config section (or a key in it) that is not a mapping, naming the file.

    An empty section (``prepare:`` alone) becomes ``{}``.
    """
    for step, keys in SECTION_MAPPINGS.items():
        if step in config:
            config[step] = check_mapping(config[step], step, path)
            for key in keys:
                if key in config[step]:
                    check_mapping(config[step][key], f"{step}: {key}", path)


def load_config(path):
    """Read a YAML run config; relative paths in it become relative to its folder."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Config {str(path)!r} does not exist; check the path.")
    config = load_yaml(path)  # errors name the file (and line)
    check_sections(config, path)
    unknown = sorted(set(config) - {"out", "seed", *STEPS})
    if unknown:
        raise ValueError(
            f"Unknown top-level key(s) {unknown} in {str(path)!r}; allowed: "
            f"'out', 'seed', {', '.join(repr(s) for s in STEPS)}."
        )
    base = path.resolve().parent
    config = copy.deepcopy(config)
    if "out" in config:
        config["out"] = str((base / config["out"]).resolve())
    if "prepare" in config:
        inputs = config["prepare"].get("inputs", [])
        inputs = [inputs] if isinstance(inputs, str) else inputs
        config["prepare"]["inputs"] = [
            str(base / p) if not Path(p).is_absolute() else p for p in inputs
        ]
        dataset = config["prepare"].get("dataset") or {}
        for key in ("path", "root"):  # local copies of public datasets (pipelines/datasets/)
            if dataset.get(key) and not Path(dataset[key]).is_absolute():
                dataset[key] = str((base / dataset[key]).resolve())
    return config


def write_resolved(folder, config, *, started=None):
    """Write the resolved config (plus versions) as ``config.yaml`` in ``folder``, and
    start its ``reproducibility.json`` (:func:`eeg_ssl.utils.report.write_report`;
    ``started``: the run's start time when it began before this call)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    resolved = dict(config, eeg_ssl_version=__version__, python=platform.python_version(),
                    versions=package_versions(RECORDED_PACKAGES))  # fmt: skip
    atomic_write_text(folder / "config.yaml", yaml.safe_dump(resolved, sort_keys=False))
    data = config.get("data")  # the prepared folder a step reads
    write_report(folder, config=config, data=data if isinstance(data, (str, Path)) else None,
                 started=started)  # fmt: skip


def run_prepare(cfg, out, *, verbose=True):
    cfg = dict(cfg)
    inputs = cfg.pop("inputs", None)
    dataset = cfg.pop("dataset", None)
    if not inputs and not dataset:
        raise ValueError(
            "The 'prepare' step needs 'inputs' (files or glob patterns) or 'dataset'."
        )
    recipe = Recipe.from_dict(cfg.pop("recipe", {}))
    allowed = {"subject_pattern", "on_error", "compression", "path_rules", "read_kwargs", "n_jobs",
               "chunk_windows", "overwrite"}  # fmt: skip
    _reject_unknown("prepare", cfg, allowed)
    resolved = dict(cfg, recipe=recipe.to_dict())
    resolved.update({"dataset": dataset} if dataset else {"inputs": [str(p) for p in inputs]})
    if dataset:
        from eeg_ssl.io.datasets import dataset_recordings

        inputs = dataset_recordings(**dataset)
    started = utc_now()
    manifest = prepare(inputs, out, recipe, verbose=verbose, **cfg)
    # after: a refused run changes nothing
    write_resolved(out, {"prepare": resolved}, started=started)
    finish_report(out, data=out)
    return manifest


def run_pretrain(cfg, data_dir, out, *, seed=0, verbose=True):
    from eeg_ssl.data import ShardDataset
    from eeg_ssl.methods import build_method
    from eeg_ssl.models import build_encoder
    from eeg_ssl.training import pretrain, recording_facts
    from eeg_ssl.utils import seeded

    cfg = dict(cfg)
    _reject_unknown("pretrain", cfg, {"subjects", "encoder", "encoder_kwargs", "method",
                    "method_kwargs", "epochs", "batch_size", "lr", "weight_decay",
                    "num_workers", "device", "group_batches"})  # fmt: skip
    subjects = cfg.get("subjects")
    dataset = ShardDataset(data_dir, subjects=subjects)
    n_chans, n_times = dataset.shape
    record = read_record(data_dir)
    sfreq = record["recipe"]["sfreq"]
    with seeded(seed):
        encoder = build_encoder(cfg.get("encoder", "conv"), n_chans=n_chans, n_times=n_times,
                                sfreq=sfreq, **cfg.get("encoder_kwargs", {}))  # fmt: skip
        method_kwargs = dict(cfg.get("method_kwargs", {}))
        method_kwargs.setdefault("random_state", seed)
        method = build_method(cfg.get("method", "simclr"), encoder, **method_kwargs)
    write_resolved(out, {"data": str(data_dir), "seed": seed, "pretrain": cfg})
    out = Path(out)
    history = pretrain(
        method,
        dataset,
        epochs=cfg.get("epochs", 50),
        batch_size=cfg.get("batch_size", 128),
        lr=cfg.get("lr", 1e-3),
        weight_decay=cfg.get("weight_decay", 1e-4),
        num_workers=cfg.get("num_workers", 0),
        device=cfg.get("device"),
        batch_groups=batch_groups(dataset, cfg.get("group_batches")),
        checkpoint=out / "checkpoint.pt",
        checkpoint_extra={
            "data": {"recipe": record["recipe"], "subjects": sorted(set(dataset.groups))},
            "recording": recording_facts(dataset),  # checked by the estimators
        },
        random_state=seed,
        verbose=verbose,
    )
    atomic_write_text(out / "history.csv", pd.DataFrame(history).to_csv(index=False))
    finish_report(out)
    return out / "checkpoint.pt"


def run_evaluate(cfg, data_dir, checkpoint, out, *, seed=0):
    cfg = dict(cfg)
    _reject_unknown("evaluate", cfg, {"test_subjects", "train_subjects", "C", "device"})
    if not cfg.get("test_subjects"):
        raise ValueError("The 'evaluate' step needs 'test_subjects': the held-out subjects.")
    from eeg_ssl.evaluation.splits import check_disjoint_subjects

    check_disjoint_subjects(cfg.get("train_subjects") or (), cfg["test_subjects"])
    write_resolved(out, {"data": str(data_dir), "checkpoint": str(checkpoint), "seed": seed,
                         "evaluate": cfg})  # fmt: skip
    from eeg_ssl.evaluation import probe_checkpoint

    scores = probe_checkpoint(data_dir, checkpoint, random_state=seed, **cfg)
    table = probe_table(scores)
    out = Path(out)
    atomic_write_text(out / "scores.csv", scores.to_csv(index=False))
    atomic_write_text(out / "probe.md", table + "\n")
    finish_report(out)
    return table


def probe_table(scores):
    """Markdown table: encoder, balanced accuracy mean +- sd over held-out subjects."""
    from eeg_ssl.evaluation import summarise

    lines = [
        "| encoder + logistic regression | held-out balanced accuracy (mean ± sd) | per subject |",
        "|---|---|---|",
    ]
    for name, group in scores.groupby("encoder", sort=False):
        per = dict(zip(group["subject"], group["balanced_accuracy"]))
        mean, sd = summarise(per)
        detail = ", ".join(f"{s}: {v:.3f}" for s, v in per.items())
        lines.append(f"| {name} | {mean:.3f} ± {sd:.3f} | {detail} |")
    return "\n".join(lines)


def run_all(config_path, out=None, *, verbose=True):
    """Run prepare -> pretrain -> evaluate from a YAML config; returns the probe table."""
    config = load_config(config_path)
    out = Path(out or config.get("out") or "runs/run").resolve()
    seed = config.get("seed", 0)
    missing = [step for step in STEPS if step not in config]
    if missing:
        raise ValueError(
            f"Config {str(config_path)!r} lacks step(s) {missing}; all of {list(STEPS)} are needed."
        )
    write_resolved(out, dict(config, out=str(out)))
    data_dir = out / "prepared"
    run_prepare(config["prepare"], data_dir, verbose=verbose)
    checkpoint = run_pretrain(
        config["pretrain"], data_dir, out / "pretrain", seed=seed, verbose=verbose
    )
    eval_cfg = dict(config["evaluate"])
    eval_cfg.setdefault("train_subjects", config["pretrain"].get("subjects"))
    table = run_evaluate(eval_cfg, data_dir, checkpoint, out / "evaluate", seed=seed)
    finish_report(out, data=data_dir)
    return table


def batch_groups(dataset, group_batches):
    """``pretrain``'s ``batch_groups`` from a config's ``group_batches`` (None or false,
    "subject" or true as in the benchmark configs, "recording": subject-aware batches,
    see :func:`eeg_ssl.training.pretrain`)."""
    if group_batches is None or group_batches is False:
        return None
    return dataset.window_groups("subject" if group_batches is True else group_batches)


def _reject_unknown(step, cfg, allowed):
    unknown = sorted(set(cfg) - set(allowed))
    if unknown:
        raise ValueError(
            f"Unknown key(s) {unknown} in the {step!r} step; allowed: {sorted(allowed)}."
        )


__all__ = ["load_config", "run_all", "run_evaluate", "run_prepare", "run_pretrain"]
