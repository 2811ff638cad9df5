"""The three steps of a run (prepare, pretrain, evaluate) driven by plain dicts.

Each step writes its resolved config beside its outputs (``config.yaml``).
"""

from __future__ import annotations

import copy
import logging
import platform
import re
from pathlib import Path

import pandas as pd
import yaml

from eeg_ssl import __version__
from eeg_ssl.io import Recipe, prepare, read_record
from eeg_ssl.io.manifest import atomic_write_text
from eeg_ssl.utils import package_versions
from eeg_ssl.utils.files import check_mapping, load_yaml
from eeg_ssl.utils.report import RECORDED_PACKAGES, finish_report, utc_now, write_report

# torch-dependent pieces are imported in the steps that use them: `eeg-ssl prepare`
# then runs without torch/braindecode (~0.9 GB less RSS).

STEPS = ("prepare", "pretrain", "evaluate")
logger = logging.getLogger("eeg_ssl")
#: Where the training progress line is explained.
PROGRESS_DOCS = "docs/training.md#reading-the-progress-line"


#: Configs shipped with the package, named by file stem (``eeg-ssl prepare --config eegmat``).
CONFIGS = Path(__file__).resolve().parent / "configs"


def find_config(name):
    """The path of a config: an existing file, or the name of a shipped config
    (``eegmat`` -> ``eeg_ssl/configs/datasets/eegmat.yaml``)."""
    path = Path(name)
    if path.exists() or path.suffix in (".yaml", ".yml") or len(path.parts) > 1:
        if not path.exists():
            raise FileNotFoundError(f"Config {str(path)!r} does not exist; check the path.")
        return path
    shipped = sorted(CONFIGS.glob(f"**/{name}.yaml"))
    if not shipped:
        names = sorted(p.stem for p in CONFIGS.glob("**/*.yaml"))
        raise FileNotFoundError(
            f"Config {name!r} is neither a file nor a shipped config; shipped: {names}."
        )
    return shipped[0]


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


def _read_yaml(path, data_root):
    from eeg_ssl.io.datasets import expand_data_root

    path = find_config(path)
    config = load_yaml(path)  # errors name the file (and line)
    check_sections(config, path)
    return path, expand_data_root(config, data_root, where=f"Config {str(path)!r}")


def _resolve_paths(section, base):
    """Make a 'prepare' section's relative paths relative to the config's folder."""
    inputs = section.get("inputs", [])
    inputs = [inputs] if isinstance(inputs, str) else inputs
    # a path left with ${data_root} (no data root set) stays as it is: prepare then says
    # where to get the data
    section["inputs"] = [p if Path(p).is_absolute() or "${" in p else str(base / p)
                         for p in inputs]  # fmt: skip
    dataset = section.get("dataset") or {}
    for key in ("path", "root"):  # local copies of public datasets (eeg_ssl/configs/datasets/)
        if dataset.get(key) and not Path(dataset[key]).is_absolute():
            dataset[key] = str((base / dataset[key]).resolve())


def load_config(path, *, data_root=None):
    """Read a YAML run config; relative paths in it become relative to its folder.

    ``${data_root}`` in a path is replaced by ``data_root`` (default: ``$EEG_SSL_DATA``,
    see :func:`eeg_ssl.io.datasets.default_data_root`). ``path`` may also name a shipped
    config (``eegmat``).
    """
    path, config = _read_yaml(path, data_root)
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
        _resolve_paths(config["prepare"], base)
    return config


def load_section(path, step, *, data_root=None):
    """The ``step`` section of any config (run, benchmark or dataset config).

    Returns
    -------
    section : dict
        The section, paths resolved as in :func:`load_config` (empty if absent).
    ignored : list of str
        The config's other top-level keys, which this step does not read.
    """
    path, config = _read_yaml(path, data_root)
    section = copy.deepcopy(config.get(step) or {})
    if step == "prepare":
        _resolve_paths(section, path.resolve().parent)
    return section, sorted(set(config) - {step})


def write_resolved(folder, config, *, started=None):
    """Write the resolved config (plus versions) as ``config.yaml`` in ``folder``, and
    start its ``reproducibility.json`` (:func:`eeg_ssl.utils.report.write_report`;
    ``started``: the run's start time when it began before this call)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    resolved = dict(config, eeg_ssl_version=__version__, python=platform.python_version(),
                    versions=package_versions(RECORDED_PACKAGES))  # fmt: skip
    atomic_write_text(folder / "config.yaml", yaml.safe_dump(resolved, sort_keys=False))
    data = config.get("data")  # the prepared folder(s) a step reads
    write_report(folder, config=config, data=data if isinstance(data, (str, Path, list)) else None,
                 started=started)  # fmt: skip


def run_prepare(cfg, out, *, verbose=True, return_manifest=True):
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
    started = utc_now()
    try:
        if dataset:
            from eeg_ssl.io.datasets import dataset_recordings

            inputs = dataset_recordings(**dataset)
        manifest = prepare(inputs, out, recipe, verbose=verbose,
                           return_manifest=return_manifest, **cfg)  # fmt: skip
        # after: a refused run changes nothing
        write_resolved(out, {"prepare": resolved}, started=started)
        finish_report(out, data=out)
        return manifest
    except FileNotFoundError as err:
        from eeg_ssl.io.datasets import missing_data_message

        where = [*(inputs if isinstance(inputs, list) else []), *(dataset or {}).values()]
        message = missing_data_message(err, where)
        if message == str(err):
            raise
        raise FileNotFoundError(message) from err


def build_pretraining_method(cfg, dataset, record, seed):
    """The config's method on its encoder (default recipe settings added), seeded.

    Shared by ``eeg-ssl pretrain`` and ``torchrun -m eeg_ssl.train``: the same seed gives
    the same initial weights (on every DDP rank).
    """
    from eeg_ssl.methods import build_method
    from eeg_ssl.models import build_encoder, default_encoder_params
    from eeg_ssl.utils import seeded

    n_chans, n_times = dataset.shape
    sfreq = record["recipe"]["sfreq"] or dataset.sfreq
    name = cfg.get("encoder", "conv")
    encoder_kwargs = default_encoder_params(name, cfg.get("encoder_kwargs"), sfreq=sfreq)
    with seeded(seed):
        encoder = build_encoder(name, n_chans=n_chans, n_times=n_times, sfreq=sfreq,
                                **encoder_kwargs)  # fmt: skip
        method_kwargs = dict(cfg.get("method_kwargs", {}))
        method_kwargs.setdefault("random_state", seed)
        return build_method(cfg.get("method", "simclr"), encoder, **method_kwargs)


def run_pretrain(cfg, data_dir, out, *, seed=0, verbose=True, threads=None):
    from eeg_ssl.data import ShardDataset
    from eeg_ssl.training import pretrain, recording_facts

    cfg = dict(cfg)
    _reject_unknown("pretrain", cfg, {"subjects", "encoder", "encoder_kwargs", "method",
                    "method_kwargs", "epochs", "batch_size", "lr", "weight_decay",
                    "num_workers", "device", "group_batches", "corpus"})  # fmt: skip
    subjects = cfg.get("subjects")
    if not isinstance(data_dir, (str, Path)) and len(data_dir) == 1:
        data_dir = data_dir[0]
    if not isinstance(data_dir, (str, Path)):  # several folders: one corpus (issue 18.3)
        return run_pretrain_corpus(cfg, data_dir, out, seed=seed, verbose=verbose, threads=threads)
    cfg.pop("corpus", None)
    dataset = ShardDataset(data_dir, subjects=subjects)
    record = read_record(data_dir)
    method = build_pretraining_method(cfg, dataset, record, seed)
    write_resolved(out, {"data": str(data_dir), "seed": seed, "pretrain": cfg})
    out = Path(out)
    num_workers = cfg.get("num_workers", 0)
    if threads:  # --threads N: at most N - 1 loader processes (0: load in this process)
        num_workers = min(num_workers, threads - 1)
    logger.info(
        "Each epoch prints the loss (lower is better), the embedding spread (near 0: "
        "collapsed) and the effective dimensions used; see %s",
        PROGRESS_DOCS,
    )
    history = pretrain(
        method,
        dataset,
        epochs=cfg.get("epochs", 50),
        batch_size=cfg.get("batch_size", 128),
        lr=cfg.get("lr", 1e-3),
        weight_decay=cfg.get("weight_decay", 1e-4),
        num_workers=num_workers,
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


def run_pretrain_corpus(cfg, folders, out, *, seed=0, verbose=True, threads=None):
    """:func:`run_pretrain` over several prepared folders: one :class:`~eeg_ssl.data.CorpusDataset`.

    The config's ``corpus`` section gives the corpus options (``sfreq``, ``n_times``,
    ``window_seconds``, ``channels``, ``balance``, ``balance_power``); ``subjects`` are
    corpus ids ``"<dataset>/<subject>"``. The default encoder is ``"tokens"``, given the
    corpus channel names and positions; the checkpoint records the folders and the
    channel list.
    """
    from eeg_ssl.data import CorpusDataset
    from eeg_ssl.methods import build_method
    from eeg_ssl.models import build_encoder
    from eeg_ssl.training import pretrain
    from eeg_ssl.utils import seeded

    cfg = dict(cfg)
    dataset = CorpusDataset(folders, subjects=cfg.get("subjects"), random_state=seed,
                            **cfg.get("corpus", {}))  # fmt: skip
    for _, row in dataset.summary().iterrows():
        logger.info("corpus %s: %d subjects, %d windows, %d channels at %g Hz, %.2f h",
                    row["dataset"], row["n_subjects"], row["n_windows"], row["n_chans"],
                    row["sfreq"], row["hours"])  # fmt: skip
    n_chans, n_times = dataset.shape
    name = cfg.get("encoder", "tokens")
    encoder_kwargs = dict(cfg.get("encoder_kwargs", {}))
    if name == "tokens":  # channel names and positions: electrode embeddings
        encoder_kwargs.setdefault("ch_names", dataset.ch_names)
        encoder_kwargs.setdefault("ch_positions", dataset.encoder_positions())
    with seeded(seed):
        encoder = build_encoder(name, n_chans=n_chans, n_times=n_times, sfreq=dataset.sfreq,
                                **encoder_kwargs)  # fmt: skip
        method_kwargs = dict(cfg.get("method_kwargs", {}))
        method_kwargs.setdefault("random_state", seed)
        method = build_method(cfg.get("method", "simclr"), encoder, **method_kwargs)
    write_resolved(out, {"data": [str(f) for f in folders], "seed": seed, "pretrain": cfg})
    out = Path(out)
    num_workers = cfg.get("num_workers", 0)
    if threads:
        num_workers = min(num_workers, threads - 1)
    history = pretrain(
        method, dataset, epochs=cfg.get("epochs", 50), batch_size=cfg.get("batch_size", 128),
        lr=cfg.get("lr", 1e-3), weight_decay=cfg.get("weight_decay", 1e-4),
        num_workers=num_workers, device=cfg.get("device"),
        batch_groups=batch_groups(dataset, cfg.get("group_batches")),
        checkpoint=out / "checkpoint.pt",
        checkpoint_extra={"data": dataset.record(), "recording": dataset.recording_facts()},
        random_state=seed, verbose=verbose,
    )  # fmt: skip
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


def run_all(config_path, out=None, *, verbose=True, data_root=None):
    """Run prepare -> pretrain -> evaluate from a YAML config; returns the probe table."""
    return run_pipeline(config_path, out, verbose=verbose, data_root=data_root)[0]


def run_pipeline(config_path, out=None, *, verbose=True, data_root=None, epochs=None,
                 threads=None, plots=False):  # fmt: skip
    """Prepare -> pretrain -> evaluate (-> pictures) from a YAML config.

    Parameters
    ----------
    config_path : str | Path
    out : str | Path | None
        Output folder (default: the config's ``out``).
    verbose : bool | None
    data_root : str | Path | None
        Fills ``${data_root}`` in the config.
    epochs : int | None
        Override the config's pretraining epochs.
    threads : int | None
        Cap on the data loader's worker processes (see :func:`run_pretrain`).
    plots : bool
        Write the run's pictures (:func:`eeg_ssl.plotting.plot_run`) into ``out/pretrain``;
        skipped with a log line when matplotlib is missing.

    Returns
    -------
    table : str
        The probe table (markdown).
    out : Path
        The output folder.
    """
    config = load_config(config_path, data_root=data_root)
    out = Path(out or config.get("out") or "runs/run").resolve()
    seed = config.get("seed", 0)
    missing = [step for step in STEPS if step not in config]
    if missing:
        raise ValueError(
            f"Config {str(config_path)!r} lacks step(s) {missing}; all of {list(STEPS)} are needed."
        )
    if epochs is not None:
        config["pretrain"] = dict(config["pretrain"], epochs=int(epochs))
    write_resolved(out, dict(config, out=str(out)))
    data_dir = out / "prepared"
    run_prepare(config["prepare"], data_dir, verbose=verbose)
    checkpoint = run_pretrain(config["pretrain"], data_dir, out / "pretrain", seed=seed,
                              verbose=verbose, threads=threads)  # fmt: skip
    eval_cfg = dict(config["evaluate"])
    eval_cfg.setdefault("train_subjects", config["pretrain"].get("subjects"))
    table = run_evaluate(eval_cfg, data_dir, checkpoint, out / "evaluate", seed=seed)
    if plots:
        from eeg_ssl.plotting import plot_run

        try:
            plot_run(out / "pretrain", data=data_dir)
        except ImportError as err:
            logger.info("No pictures: %s", err)
    finish_report(out, data=data_dir)
    return table, out


def channel_note(folder, *, picks_given=False):
    """One line naming the channels kept in a prepared folder, by type.

    EDF files carry no channel types, so MNE reads every channel as EEG; without
    ``picks`` a reference (``EEG A2-A1``) or ``ECG ECG`` channel is then kept too. The
    note names such channels and the fix.
    """
    import h5py

    from eeg_ssl.io.manifest import read_manifest

    manifest = read_manifest(folder)
    if not len(manifest):
        return ""
    with h5py.File(Path(folder) / manifest["shard"].iloc[0], "r") as h5:
        names = [n.decode() if isinstance(n, bytes) else str(n) for n in h5["ch_names"][()]]
        types = [t.decode() if isinstance(t, bytes) else str(t) for t in h5["ch_types"][()]]
    counts = pd.Series(types).value_counts()
    kinds = ", ".join(f"{n} {t}" for t, n in counts.items())
    note = f"note: kept {len(names)} channels ({kinds}) in {manifest['shard'].iloc[0]}"
    suspicious = [n for n in names if _NOT_SCALP.search(n)]
    if suspicious and not picks_given:
        note += (
            f"; {suspicious} look like reference or non-EEG channels, kept because no "
            f"picks were given: leave them out with --picks NAME ... or --set "
            f"drop=[{', '.join(repr(n) for n in suspicious)}]"
        )
    return note + "."


_NOT_SCALP = re.compile(r"ECG|EKG|EOG|EMG|RESP|STATUS|TRIG|STI|A1|A2|M1|M2|REF", re.I)


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


__all__ = [
    "find_config",
    "load_config",
    "load_section",
    "channel_note",
    "run_all",
    "run_evaluate",
    "run_pipeline",
    "run_prepare",
    "run_pretrain",
]
