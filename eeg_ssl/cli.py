"""The ``eeg-ssl`` command: prepare, pretrain, evaluate, embed, plot, run, benchmark, fetch.

Every verb takes --threads, --quiet, --verbose and --data-root (before or after the verb).
Nothing heavy (torch, MNE, scikit-learn) is imported until a verb runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import yaml

from .cli_text import ENCODER_LINES, LABELLING_HELP, METHOD_LINES, recipe_help, table_help

_RAW = argparse.RawDescriptionHelpFormatter


def _kv(text):
    """Parse ``key=value`` with a YAML value (``l_freq=1.0``, ``picks=[eeg]``)."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    key, value = text.split("=", 1)
    return key, yaml.safe_load(value)


def _kv_str(text):
    """Parse ``key=value`` keeping the value a string (regexes, label names)."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    key, value = text.split("=", 1)
    return key, value


def _threads(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _add_common(parser, default):
    """Options every verb takes; ``default=SUPPRESS`` on the verbs keeps the global value."""
    d = (lambda v: v) if default else (lambda v: argparse.SUPPRESS)
    parser.add_argument("--threads", type=_threads, default=d(None), metavar="N",
                        help="threads for torch, BLAS and the data loader (default: the "
                             "libraries' own; 1 is often fastest on a busy machine)")  # fmt: skip
    parser.add_argument("--quiet", action="store_true", default=d(False),
                        help="no progress bars or info messages")  # fmt: skip
    parser.add_argument("--verbose", action="store_true", default=d(False),
                        help="also MNE's messages (filter design, file reading)")  # fmt: skip
    parser.add_argument("--data-root", default=d(None), metavar="DIR",
                        help="folder holding public datasets (eegmat/, ...): fills "
                             "${data_root} in configs (default: $EEG_SSL_DATA)")  # fmt: skip


def build_parser():
    parser = argparse.ArgumentParser(prog="eeg-ssl", description=__doc__, formatter_class=_RAW)
    _add_common(parser, default=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="VERB")
    common = argparse.ArgumentParser(add_help=False)
    _add_common(common, default=False)

    def verb(name, help, epilog=None):
        return sub.add_parser(name, help=help, description=help, epilog=epilog,
                              parents=[common], formatter_class=_RAW)  # fmt: skip

    p = verb("prepare", "recordings -> HDF5 shards + manifest (one folder)",
             epilog=f"{LABELLING_HELP}\n{recipe_help()}")  # fmt: skip
    p.add_argument("inputs", nargs="*",
                   help="recording files, folders or quoted glob patterns ('edf/*.edf')")  # fmt: skip
    p.add_argument("--out", required=True, help="prepared folder to write")
    p.add_argument("--config",
                   help="YAML config (or a shipped one by name: eegmat, eegmmidb, ...) whose "
                        "'prepare' section gives the defaults; other sections are ignored")  # fmt: skip
    p.add_argument("--set", dest="recipe", action="append", type=_kv, default=[],
                   metavar="KEY=VALUE",
                   help="recipe key (listed below), e.g. --set sfreq=128 --set l_freq=0.5")  # fmt: skip
    p.add_argument("--picks", nargs="+", metavar="TYPE_OR_NAME",
                   help="channel types or names to keep, e.g. --picks eeg or --picks 'EEG Fp1' "
                        "'EEG Fp2' (default: all eeg, ecog and seeg channels)")  # fmt: skip
    p.add_argument("--path-rule", action="append", type=_kv_str, default=[],
                   metavar="FIELD=REGEX",
                   help="take subject, session, run, task or label from each file's path: the "
                        "regex's first group, e.g. --path-rule label='_([12])\\.edf$'")  # fmt: skip
    p.add_argument("--label-map", action="append", type=_kv_str, default=[], metavar="RAW=NAME",
                   help="rename a raw label, e.g. --label-map 1=rest (unmapped labels become "
                        "unlabelled)")  # fmt: skip
    p.add_argument("--subject-pattern",
                   help="regex whose first group in a file name is the subject "
                        "(same as --path-rule subject=REGEX)")  # fmt: skip
    p.add_argument(
        "--on-error",
        choices=["raise", "warn"],
        help="a recording that fails: stop (raise) or skip it and go on (warn)",
    )
    p.add_argument("--n-jobs", type=int,
                   help="recordings prepared in parallel (processes; -1: one per CPU core)")  # fmt: skip
    p.add_argument("--overwrite", action="store_true",
                   help="replace another preparation in --out (another recipe or other "
                        "inputs); the same job again always resumes")  # fmt: skip

    p = verb("verify", "check a prepared folder: every shard's checksum against prepare.json, "
                       "the manifest, and every window finite")  # fmt: skip
    p.add_argument("folder", help="prepared folder (from eeg-ssl prepare)")

    p = verb("pretrain", "self-supervised pretraining on a prepared folder",
             epilog=f"{table_help('methods (--method):', METHOD_LINES)}\n\n"
                    f"{table_help('encoders (--encoder):', ENCODER_LINES)}\n\n"
                    "Reading the progress line: docs/training.md#reading-the-progress-line")  # fmt: skip
    p.add_argument("data", nargs="+",
                   help="prepared folder(s) (from eeg-ssl prepare); several folders are "
                        "pretrained on as one corpus (docs/data.md#corpora)")  # fmt: skip
    p.add_argument("--out", required=True, help="run folder (checkpoint.pt, history.csv)")
    p.add_argument("--config",
                   help="YAML config whose 'pretrain' section gives the defaults; other "
                        "sections are ignored")  # fmt: skip
    p.add_argument("--method", help="SSL method (listed below; default simclr)")
    p.add_argument("--encoder", help="encoder architecture (listed below; default conv)")
    p.add_argument("--epochs", type=int, help="passes over the windows (default 50)")
    p.add_argument("--batch-size", type=int, help="windows per step (default 128)")
    p.add_argument("--lr", type=float, help="learning rate (default 1e-3)")
    p.add_argument("--subjects", nargs="+", help="pretrain on these subjects only")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")

    p = verb("evaluate", "linear probe on held-out subjects vs the same encoder's random weights")
    p.add_argument("data", help="prepared folder with labels")
    p.add_argument("--checkpoint", required=True, help="checkpoint.pt from eeg-ssl pretrain")
    p.add_argument("--test-subjects", nargs="+", required=True,
                   help="held-out subjects scored by the probe")  # fmt: skip
    p.add_argument("--train-subjects", nargs="+",
                   help="subjects the probe is trained on (default: all others)")  # fmt: skip
    p.add_argument("--out", required=True, help="folder for scores.csv and probe.md")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")

    p = verb("embed", "recordings or prepared folders -> embeddings (HDF5 or Parquet) with "
                      "subject, session, label and time columns; resumable")  # fmt: skip
    p.add_argument("inputs", nargs="+",
                   help="prepared folders, or recordings / quoted globs (prepared first with "
                        "--config/--set)")  # fmt: skip
    p.add_argument("--checkpoint", required=True, help="checkpoint.pt from eeg-ssl pretrain")
    p.add_argument("--out", required=True,
                   help="embeddings file: .h5 (HDF5) or .parquet (needs pyarrow)")  # fmt: skip
    p.add_argument("--config", help="YAML config whose 'prepare' section prepares recordings")
    p.add_argument("--set", dest="recipe", action="append", type=_kv, default=[],
                   metavar="KEY=VALUE", help="recipe key for recordings (see prepare --help)")  # fmt: skip
    p.add_argument("--batch-size", type=int, default=256, help="windows per forward pass")

    p = verb("export", "checkpoint -> save_pretrained folder (model.safetensors + config.json "
                       "with the recording facts), for from_pretrained / the Hugging Face Hub")  # fmt: skip
    p.add_argument("checkpoint", help="checkpoint.pt from eeg-ssl pretrain")
    p.add_argument("--out", required=True, help="folder to write")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a model already saved in --out (refused by default)")  # fmt: skip

    p = verb("plot", "pictures of a run: loss and monitor curves, reconstructions (AE/MAE), "
                     "augmentation views, embedding map (needs matplotlib)")  # fmt: skip
    p.add_argument("run", help="run folder of eeg-ssl pretrain (or of eeg-ssl run)")
    p.add_argument("--data",
                   help="prepared folder for the window pictures (default: the one the run "
                        "was trained on)")  # fmt: skip
    p.add_argument("--out", help="folder for the PNGs (default: the run folder)")

    p = verb("benchmark", "SSL methods vs baselines on held-out subjects")
    p.add_argument("config", help="benchmark YAML (see pipelines/benchmarks/)")
    p.add_argument("--out", help="output folder (default: the config's 'out')")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run (the config's 'quick' section): checks that every step "
                        "runs; its numbers mean nothing")  # fmt: skip
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
    p.add_argument(
        "--task",
        action="append",
        dest="tasks",
        metavar="NAME",
        help="suite configs only: run only this task of the group (repeatable)",
    )

    p = verb("run", "prepare + pretrain + evaluate + plot from one YAML config")
    p.add_argument("config", help="run YAML, e.g. pipelines/sample.yaml")
    p.add_argument("--out", help="output folder (default: the config's 'out')")
    p.add_argument("--epochs", type=int, help="override the config's pretraining epochs")
    p.add_argument("--no-plots", action="store_true", help="skip the pictures at the end")

    p = verb("fetch", "download a public dataset into --data-root (PhysioNet, through pooch)")
    p.add_argument("name", help="dataset: eegmat, eegmmidb (others print where to get them)")
    p.add_argument("--files", nargs="+", help="only these files (default: all)")
    p.add_argument("--url", help="another source (a mirror, or file:// for a local copy)")
    return parser


def _section(args, step):
    """The ``step`` section of ``--config`` (any config: others' sections are ignored)."""
    if not args.config:
        return {}
    from eeg_ssl.workflow import load_section

    section, ignored = load_section(args.config, step, data_root=args.data_root)
    if ignored:
        print(f"note: read the {step!r} section of {args.config}; ignored: "
              f"{', '.join(ignored)}", file=sys.stderr)  # fmt: skip
    return section


def _prepare_config(args):
    cfg = _section(args, "prepare")
    if args.inputs:
        cfg["inputs"] = args.inputs
    recipe = dict(cfg.get("recipe", {}), **dict(args.recipe))
    if args.picks:
        recipe["picks"] = args.picks
    if args.label_map:
        recipe["label_map"] = dict(recipe.get("label_map") or {}, **dict(args.label_map))
    cfg["recipe"] = recipe
    rules = dict(cfg.get("path_rules") or {}, **dict(args.path_rule))
    if rules:
        cfg["path_rules"] = rules
    if args.subject_pattern:
        cfg["subject_pattern"] = args.subject_pattern
    if args.on_error:
        cfg["on_error"] = args.on_error
    if args.n_jobs is not None:  # 0 too: refused by prepare, as joblib does
        cfg["n_jobs"] = args.n_jobs
    if args.overwrite:
        cfg["overwrite"] = True
    return cfg


def _quiet_mne(verbose):
    """MNE at WARNING unless --verbose (its filter design is many lines per file)."""
    level = "INFO" if verbose else "WARNING"
    if "mne" in sys.modules:
        sys.modules["mne"].set_log_level(level)
    elif verbose or "MNE_LOGGING_LEVEL" not in os.environ:  # read when MNE is imported
        os.environ["MNE_LOGGING_LEVEL"] = level


def _one_line(text):
    """An error message as one line: MNE's and YAML's messages span several."""
    return " ".join(str(text).split())


def _one_line_warning(message, category, filename, lineno, line=None):
    """Warnings as one plain line (Python's default adds the file, line and source)."""
    return f"eeg-ssl: {category.__name__}: {' '.join(str(message).split())}\n"


def main(argv=None):
    """The ``eeg-ssl`` command; returns its exit status (2: bad input or an I/O fault)."""
    import warnings

    default_format = warnings.formatwarning
    warnings.formatwarning = _one_line_warning
    try:
        return _main(argv)
    finally:
        warnings.formatwarning = default_format


def _main(argv=None):
    args = build_parser().parse_args(argv)
    from eeg_ssl.utils import retain_freed_memory, set_log_level
    from eeg_ssl.utils.threads import set_threads

    from . import workflow

    set_log_level("warning" if args.quiet else "info")
    _quiet_mne(args.verbose)
    # the library's verbose: None follows the eeg_ssl logger (bars on) and keeps MNE quiet
    verbose = False if args.quiet else (True if args.verbose else None)
    if args.data_root:
        from eeg_ssl.io.datasets import DATA_ROOT_ENV

        os.environ[DATA_ROOT_ENV] = str(args.data_root)  # benchmark configs read it too
    set_threads(args.threads, torch=args.command not in ("prepare", "fetch", "verify"))
    out = getattr(args, "out", None)
    if out and args.command != "embed" and os.path.exists(out) and not os.path.isdir(out):
        print(f"eeg-ssl {args.command}: error: Invalid value for '--out': {out!r} is a file; "
              f"give a folder (it is created if missing).", file=sys.stderr)  # fmt: skip
        return 2
    start = time.perf_counter()
    where = ""
    try:
        if args.command == "prepare":
            # this process only prepares, then exits: keep freed arrays for the next recording
            retain_freed_memory()
            cfg = _prepare_config(args)
            # the run record, not the window table: a corpus's table need not fit in memory
            record = workflow.run_prepare(cfg, args.out, verbose=verbose, return_manifest=False)
            if args.quiet:
                n_recordings = sum(rec["n_windows"] > 0 for rec in record["recordings"])
                print(f"Prepared {record['n_windows']} windows from {n_recordings} "
                      f"recordings into {args.out}")  # fmt: skip
            note = workflow.channel_note(args.out, picks_given="picks" in cfg["recipe"])
            if note and not args.quiet:
                print(note, file=sys.stderr)
            where = f"; prepared folder: {args.out}"
        elif args.command == "verify":
            from eeg_ssl.io.integrity import verify_folder

            summary = verify_folder(args.folder, verbose=verbose)
            print(f"{args.folder}: OK ({summary['n_shards']} shards, {summary['n_windows']} "
                  f"windows, {summary['n_bytes'] / 1e6:.1f} MB re-hashed and checked finite "
                  f"in {summary['seconds']:.2f} s)")  # fmt: skip
        elif args.command == "pretrain":
            cfg = _section(args, "pretrain")
            for key in ("method", "encoder", "epochs", "batch_size", "lr", "subjects"):
                if getattr(args, key) is not None:
                    cfg[key] = getattr(args, key)
            ckpt = workflow.run_pretrain(cfg, args.data, args.out, seed=args.seed,
                                         verbose=verbose, threads=args.threads)  # fmt: skip
            print(f"Saved {ckpt}")
            where = f"; run folder: {args.out} (pictures: eeg-ssl plot {args.out})"
        elif args.command == "evaluate":
            cfg = {"test_subjects": args.test_subjects}
            if args.train_subjects:
                cfg["train_subjects"] = args.train_subjects
            print(workflow.run_evaluate(cfg, args.data, args.checkpoint, args.out, seed=args.seed))
            where = f"; scores in {args.out}"
        elif args.command == "embed":
            from eeg_ssl.evaluation.embed import embed

            cfg = {}
            if args.config or args.recipe:
                cfg = _section(args, "prepare")
                cfg["recipe"] = dict(cfg.get("recipe", {}), **dict(args.recipe))
            path = embed(args.inputs, args.checkpoint, args.out, prepare_config=cfg,
                         batch_size=args.batch_size, verbose=verbose)  # fmt: skip
            where = f"; embeddings in {path}"
        elif args.command == "export":
            from eeg_ssl.models.hub import export_checkpoint

            saved = [n for n in ("config.json", "model.safetensors")
                     if os.path.exists(os.path.join(args.out, n))]  # fmt: skip
            if saved and not args.overwrite:
                raise FileExistsError(
                    f"Invalid value for '--out': {args.out!r} already holds a saved model "
                    f"({', '.join(saved)}); choose another folder or add --overwrite."
                )
            where = f"; model in {export_checkpoint(args.checkpoint, args.out)}"
        elif args.command == "plot":
            from eeg_ssl.plotting import plot_run

            pictures = plot_run(args.run, data=args.data, out=args.out)
            for path in pictures:
                print(path)
            where = f"; {len(pictures)} pictures in {args.out or args.run}"
        elif args.command == "benchmark":
            from eeg_ssl.evaluation.benchmark_runner import run_benchmark
            from eeg_ssl.evaluation.suite import is_suite_config, run_suite

            if args.quick:
                print("Smoke run (--quick): it checks that every step runs on a few subjects; "
                      "numbers from a smoke run mean nothing.", file=sys.stderr)  # fmt: skip

            if os.path.exists(args.config) and is_suite_config(args.config):
                ignored = [flag for flag, value in (("--seed", args.seed),
                                                     ("--repeats", args.repeats)) if value is not None]  # fmt: skip
                if ignored:
                    raise ValueError(f"{' and '.join(ignored)} apply to single benchmarks; "
                                     f"a suite's folds and seeds are its config's ('seed', "
                                     f"'seeds' in {args.config!r}).")  # fmt: skip
                print(run_suite(args.config, args.out, group=args.group, quick=args.quick,
                                tasks=args.tasks, restart=args.restart, n_jobs=args.n_jobs,
                                verbose=verbose))  # fmt: skip
            elif args.group or args.tasks:
                raise ValueError(f"--group and --task apply to suite configs (with 'tasks'); "
                                 f"{args.config!r} is a single benchmark.")  # fmt: skip
            else:
                print(run_benchmark(args.config, args.out, quick=args.quick, seed=args.seed,
                                    repeats=args.repeats, n_jobs=args.n_jobs,
                                    restart=args.restart, verbose=verbose))  # fmt: skip
        elif args.command == "run":
            table, out = workflow.run_pipeline(args.config, args.out, verbose=verbose,
                                               epochs=args.epochs, plots=not args.no_plots,
                                               threads=args.threads)  # fmt: skip
            print()
            print(table)
            pictures = sorted(p.name for p in (out / "pretrain").glob("*.png"))
            print(f"\nOutputs in {out}: prepared/ (windows), pretrain/checkpoint.pt, "
                  f"evaluate/probe.md (this table)"
                  + (f"; pictures in {out / 'pretrain'}: {', '.join(pictures)}" if pictures
                     else ""))  # fmt: skip
            where = f"; results in {out}"
        elif args.command == "fetch":
            from eeg_ssl.io.datasets import default_data_root, fetch_dataset

            root = args.data_root or default_data_root()
            if root is None:
                raise ValueError("eeg-ssl fetch needs --data-root DIR (where NAME/ goes).")
            paths = fetch_dataset(args.name, root, files=args.files, base_url=args.url,
                                  verbose=verbose)  # fmt: skip
            where = f"; {len(paths)} files in {paths[0].parent if paths else root}"
    except (ValueError, TypeError, ImportError) as err:
        print(f"eeg-ssl {args.command}: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except OSError as err:  # disk full, read-only, file-size limit, a folder for a file, ...
        from eeg_ssl.utils.files import describe_os_error

        message = _one_line(describe_os_error(err))
        print(f"eeg-ssl {args.command}: error: {message}", file=sys.stderr)
        return 2
    except yaml.YAMLError as err:  # a reader that did not go through utils.files.load_yaml
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1} (file:line:column)" if mark else ""
        print(f"eeg-ssl {args.command}: error: Invalid YAML in {getattr(args, 'config', '')}"
              f"{where}: {_one_line(getattr(err, 'problem', None) or err)}.",
              file=sys.stderr)  # fmt: skip
        return 2
    print(f"[{args.command} done in {time.perf_counter() - start:.1f} s{where}]", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
