"""The ``eeg-ssl`` command: prepare, pretrain, evaluate, run."""

from __future__ import annotations

import argparse
import os
import sys
import time

import yaml


def _kv(text):
    """Parse ``key=value`` with a YAML value (``l_freq=1.0``, ``picks=[eeg]``)."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    key, value = text.split("=", 1)
    return key, yaml.safe_load(value)


def build_parser():
    parser = argparse.ArgumentParser(prog="eeg-ssl", description=__doc__)
    parser.add_argument("--quiet", action="store_true", help="no progress bars or info logs")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("prepare", help="recordings -> HDF5 shards + manifest")
    p.add_argument("inputs", nargs="*", help="recording files, folders' globs (quote them)")
    p.add_argument("--out", required=True, help="prepared folder to write")
    p.add_argument("--config", help="YAML file whose 'prepare' section gives the defaults")
    p.add_argument(
        "--set",
        dest="recipe",
        action="append",
        type=_kv,
        default=[],
        metavar="KEY=VALUE",
        help="recipe entry, e.g. --set sfreq=128 --set l_freq=0.5",
    )
    p.add_argument(
        "--subject-pattern", help="regex whose first group in a file name is the subject"
    )
    p.add_argument("--on-error", choices=["raise", "warn"])
    p.add_argument("--n-jobs", type=int,
                   help="recordings prepared in parallel (processes; -1: one per CPU core)")  # fmt: skip
    p.add_argument("--overwrite", action="store_true",
                   help="replace another preparation in --out (another recipe or other "
                        "inputs); the same job again always resumes")  # fmt: skip

    p = sub.add_parser("verify", help="check a prepared folder: every shard's checksum "
                       "against prepare.json, the manifest, and every window finite")  # fmt: skip
    p.add_argument("folder", help="prepared folder (from eeg-ssl prepare)")

    p = sub.add_parser("pretrain", help="self-supervised pretraining on a prepared folder")
    p.add_argument("data", help="prepared folder")
    p.add_argument("--out", required=True, help="run folder (checkpoint.pt, history.csv)")
    p.add_argument("--config", help="YAML file whose 'pretrain' section gives the defaults")
    p.add_argument("--method")
    p.add_argument("--encoder")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--subjects", nargs="+", help="pretrain on these subjects only")
    p.add_argument("--seed", type=int, default=0)

    p = sub.add_parser("evaluate", help="linear probe on held-out subjects vs random weights")
    p.add_argument("data", help="prepared folder with labels")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--test-subjects", nargs="+", required=True)
    p.add_argument("--train-subjects", nargs="+")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)

    p = sub.add_parser("benchmark", help="SSL methods vs baselines on held-out subjects")
    p.add_argument("config", help="benchmark YAML (see pipelines/benchmarks/)")
    p.add_argument("--out", help="output folder (default: the config's 'out')")
    p.add_argument("--quick", action="store_true", help="apply the config's 'quick' section")
    p.add_argument("--seed", type=int,
                   help="override the config's seed (other subject folds); default output "
                        "folder: the config's 'out' + '-seed<N>'")  # fmt: skip
    p.add_argument("--repeats", type=int,
                   help="repeat the subject-wise cross-validation with seeds seed, seed+1, ... "
                        "(overrides the config's 'repeats', default 1)")  # fmt: skip
    p.add_argument("--n-jobs", type=int,
                   help="splits run at once, one process each (overrides the config's "
                        "'n_jobs', default 1; -1: one per CPU core)")  # fmt: skip
    p.add_argument("--restart", action="store_true",
                   help="discard the finished splits of an earlier run in the output folder "
                        "(by default they are read back and the run resumes)")  # fmt: skip
    p.add_argument("--group", choices=["selection", "evaluation"],
                   help="suite configs only: the group of tasks to run (default: selection; "
                        "with --quick, every task)")  # fmt: skip

    p = sub.add_parser("run", help="prepare + pretrain + evaluate from one YAML config")
    p.add_argument("config")
    p.add_argument("--out", help="output folder (default: the config's 'out')")
    return parser


def _section(config_path, step):
    if not config_path:
        return {}
    from eeg_ssl.workflow import load_config

    return dict(load_config(config_path).get(step, {}))


def main(argv=None):
    from eeg_ssl.utils import retain_freed_memory, set_log_level

    from . import workflow

    args = build_parser().parse_args(argv)
    verbose = not args.quiet
    set_log_level("info" if verbose else "warning")
    start = time.perf_counter()
    out = getattr(args, "out", None)
    if out and os.path.exists(out) and not os.path.isdir(out):
        print(f"eeg-ssl {args.command}: error: Invalid value for '--out': {out!r} is a file; "
              f"give a folder (it is created if missing).", file=sys.stderr)  # fmt: skip
        return 2
    try:
        if args.command == "prepare":
            # this process only prepares, then exits: keep freed arrays for the next recording
            retain_freed_memory()
            cfg = _section(args.config, "prepare")
            if args.inputs:
                cfg["inputs"] = args.inputs
            if args.n_jobs is not None:  # 0 too: refused by prepare, as joblib does
                cfg["n_jobs"] = args.n_jobs
            if args.overwrite:
                cfg["overwrite"] = True
            cfg["recipe"] = dict(cfg.get("recipe", {}), **dict(args.recipe))
            if args.subject_pattern:
                cfg["subject_pattern"] = args.subject_pattern
            if args.on_error:
                cfg["on_error"] = args.on_error
            manifest = workflow.run_prepare(cfg, args.out, verbose=verbose)
            print(f"Prepared {len(manifest)} windows from {manifest['shard'].nunique()} recordings "
                  f"into {args.out}")  # fmt: skip
        elif args.command == "verify":
            from eeg_ssl.io.integrity import verify_folder

            summary = verify_folder(args.folder, verbose=verbose)
            print(f"{args.folder}: OK ({summary['n_shards']} shards, {summary['n_windows']} "
                  f"windows, {summary['n_bytes'] / 1e6:.1f} MB re-hashed and checked finite "
                  f"in {summary['seconds']:.2f} s)")  # fmt: skip
        elif args.command == "pretrain":
            cfg = _section(args.config, "pretrain")
            for key in ("method", "encoder", "epochs", "batch_size", "lr", "subjects"):
                if getattr(args, key) is not None:
                    cfg[key] = getattr(args, key)
            ckpt = workflow.run_pretrain(cfg, args.data, args.out, seed=args.seed, verbose=verbose)
            print(f"Saved {ckpt}")
        elif args.command == "evaluate":
            cfg = {"test_subjects": args.test_subjects}
            if args.train_subjects:
                cfg["train_subjects"] = args.train_subjects
            print(workflow.run_evaluate(cfg, args.data, args.checkpoint, args.out, seed=args.seed))
        elif args.command == "benchmark":
            from eeg_ssl.evaluation.benchmark_runner import run_benchmark
            from eeg_ssl.evaluation.suite import is_suite_config, run_suite

            if os.path.exists(args.config) and is_suite_config(args.config):
                print(run_suite(args.config, args.out, group=args.group, quick=args.quick,
                                restart=args.restart, verbose=verbose))  # fmt: skip
            elif args.group:
                raise ValueError(f"--group applies to suite configs (with 'tasks'); "
                                 f"{args.config!r} is a single benchmark.")  # fmt: skip
            else:
                print(run_benchmark(args.config, args.out, quick=args.quick, seed=args.seed,
                                    repeats=args.repeats, n_jobs=args.n_jobs,
                                    restart=args.restart, verbose=verbose))  # fmt: skip
        elif args.command == "run":
            table = workflow.run_all(args.config, args.out, verbose=verbose)
            print()
            print(table)
    except (ValueError, TypeError) as err:
        print(f"eeg-ssl {args.command}: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # disk full, read-only, file-size limit, a folder for a file, ...
        from eeg_ssl.utils.files import describe_os_error

        print(f"eeg-ssl {args.command}: error: {describe_os_error(err)}", file=sys.stderr)
        return 2
    print(f"[{args.command} done in {time.perf_counter() - start:.1f} s]", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
