"""Pretraining entry point for one process or ``torchrun`` (DDP).

Usage::

    python -m eeg_ssl.train CONFIG [--data PREPARED] [--out RUN] [--resume]
    torchrun --nproc_per_node=2 -m eeg_ssl.train CONFIG --data PREPARED --out RUN

CONFIG is a run YAML (like ``pipelines/sample.yaml``); its ``pretrain`` section holds
the model keys (``subjects``, ``encoder``, ``encoder_kwargs``, ``method``,
``method_kwargs``) and any keyword argument of :func:`eeg_ssl.training.pretrain`
(``epochs``, ``batch_size``, ``lr``, ``warmup_epochs``, ``precision``, ``accumulate``,
``checkpoint_every``, ...). ``batch_size`` is per process. Only rank 0 writes.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
from pathlib import Path

MODEL_KEYS = {"subjects", "encoder", "encoder_kwargs", "method", "method_kwargs",
              "group_batches"}  # fmt: skip
RESERVED = {"method", "dataset", "run_dir", "resume", "checkpoint", "checkpoint_extra",
            "random_state", "verbose", "val_dataset", "config", "batch_groups"}  # fmt: skip


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m eeg_ssl.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("config", help="run YAML with a 'pretrain' section")
    parser.add_argument(
        "--data", help="prepared folder (default: the config's 'data' or OUT/prepared)"
    )
    parser.add_argument("--out", help="run folder (default: the config's 'out' + /pretrain)")
    parser.add_argument(
        "--resume", action="store_true", help="continue from OUT/checkpoints/last.pt"
    )
    parser.add_argument("--seed", type=int, help="override the config's seed")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or info logs")
    return parser


def main(argv=None):
    """Run pretraining; a bad config, folder or I/O fault is one line on stderr, exit 2."""
    try:
        return _main(argv)
    except (ValueError, TypeError) as err:
        print(f"train: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # disk full, read-only, ... (utils.files.describe_os_error)
        from eeg_ssl.utils.files import describe_os_error

        print(f"train: error: {describe_os_error(err)}", file=sys.stderr)
        return 2


def _main(argv):
    from eeg_ssl.data import ShardDataset
    from eeg_ssl.io import read_record
    from eeg_ssl.training import pretrain, recording_facts
    from eeg_ssl.utils import set_log_level
    from eeg_ssl.utils.files import load_yaml
    from eeg_ssl.utils.report import finish_report
    from eeg_ssl.workflow import (
        batch_groups,
        build_pretraining_method,
        check_sections,
        write_resolved,
    )

    args = build_parser().parse_args(argv)
    main_rank = os.environ.get("RANK", "0") == "0"
    set_log_level("warning" if args.quiet or not main_rank else "info")
    path = Path(args.config)
    if not path.exists():
        print(f"train: error: config {str(path)!r} does not exist", file=sys.stderr)
        return 2
    try:
        config = load_yaml(path)  # errors name the file (and line)
        check_sections(config, path)
    except ValueError as err:
        print(f"train: error: {err}", file=sys.stderr)
        return 2
    base = path.resolve().parent
    cfg = dict(config.get("pretrain") or {})
    allowed = set(inspect.signature(pretrain).parameters) - RESERVED
    unknown = sorted(set(cfg) - MODEL_KEYS - allowed)
    if unknown:
        print(f"train: error: unknown key(s) {unknown} in the 'pretrain' section; allowed: "
              f"{sorted(MODEL_KEYS | allowed)}", file=sys.stderr)  # fmt: skip
        return 2
    run_root = (base / config.get("out", "runs/run")).resolve()
    out = Path(args.out).resolve() if args.out else run_root / "pretrain"
    data = args.data or (
        str(base / config["data"]) if config.get("data") else run_root / "prepared"
    )
    seed = args.seed if args.seed is not None else config.get("seed", 0)

    dataset = ShardDataset(data, subjects=cfg.get("subjects"))
    record = read_record(data)
    method = build_pretraining_method(cfg, dataset, record, seed)  # same weights on every rank
    resolved = {"data": str(data), "seed": seed, "pretrain": cfg,
                "world_size": int(os.environ.get("WORLD_SIZE", 1))}  # fmt: skip
    if main_rank:
        write_resolved(out, resolved)
    engine = {k: v for k, v in cfg.items() if k not in MODEL_KEYS}
    history = pretrain(
        method,
        dataset,
        run_dir=out,
        checkpoint=out / "checkpoint.pt",
        checkpoint_extra={
            "data": {"recipe": record["recipe"], "subjects": sorted(set(dataset.groups))},
            "recording": recording_facts(dataset),  # checked by the estimators
        },
        resume="auto" if args.resume else None,
        batch_groups=batch_groups(dataset, cfg.get("group_batches")),
        random_state=seed,
        config=resolved,
        verbose=not args.quiet and main_rank,
        **engine,
    )
    if main_rank:
        finish_report(out)
        print(f"Trained {len(history)} epoch(s); final loss {history[-1]['loss']:.4f}; "
              f"checkpoint {out / 'checkpoint.pt'}")  # fmt: skip
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
