"""Tables of benchmark scores: summaries, paired comparisons, the verdict, the SSL gain.

Split from :mod:`eeg_ssl.evaluation.benchmark` (which re-exports the first five): the
benchmark runs models, this module turns their scores into tables and plots.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

_BASELINE_LABELS = {
    "random_weights": "random-weights encoder",
    "band_power": "log band power",
    "riemann": "Riemann tangent space",
    "supervised": "supervised from scratch",
    "xdawn": "Xdawn covariances + tangent space",
    "filter_bank": "filter-bank covariances + tangent space",
    "random_calibrated": "random weights, batch norm fitted to the pretraining windows",
}
#: Classical pipelines, of which the best at each label fraction is the reference.
CLASSICAL = ("band_power", "riemann", "filter_bank", "xdawn")


def _subject_means(scores):
    """Balanced accuracy per model, probe, label fraction and held-out subject.

    A subject's scores are averaged over seeds, and over repeats of the cross-validation
    (in which it is held out once each).
    """
    keys = ["model", "kind", "probe", "fraction", "subject"]
    per_subject = scores.groupby(keys, sort=False).agg(
        balanced_accuracy=("balanced_accuracy", "mean"), n_train=("n_train", "mean")
    )
    return per_subject.reset_index()


def summarise_scores(scores, timings=None, *, class_names=None):
    """Mean ± sd of balanced accuracy per model, probe and label fraction.

    Scores are first averaged within each held-out subject (over seeds, and over repeats
    of the cross-validation), then summarised over held-out subjects: ``sd`` is the
    spread between subjects.

    Parameters
    ----------
    scores : pandas.DataFrame
        From :func:`benchmark_split` (several splits, or repeats, may be concatenated).
    timings : pandas.DataFrame | None
        Summed per model into ``seconds``.

    Returns
    -------
    summary : pandas.DataFrame
        Columns ``model``, ``kind``, ``probe``, ``fraction``, ``mean``, ``sd``,
        ``n_subjects``, ``n_train`` (mean per split) and ``seconds``.
    """
    keys = ["model", "kind", "probe", "fraction"]
    summary = (
        _subject_means(scores)
        .groupby(keys, sort=False)
        .agg(
            mean=("balanced_accuracy", "mean"),
            sd=("balanced_accuracy", "std"),
            n_subjects=("balanced_accuracy", "size"),
            n_train=("n_train", "mean"),
        )
        .reset_index()
    )
    summary["sd"] = summary["sd"].fillna(0.0)
    if timings is not None and len(timings):
        seconds = timings.groupby("model")["seconds"].sum()
        summary["seconds"] = summary["model"].map(seconds)
    return summary


def paired_difference(scores, model, reference, *, fraction, probe="linear",
                      reference_probe="linear"):  # fmt: skip
    """A model against a reference, subject by subject, on the same held-out subjects.

    The benchmark's means hide how consistent a difference is: with 24 subjects whose
    scores spread by 0.1-0.2, a gap of 0.01 between two means is noise. This pairs the
    two models' scores per held-out subject (seeds and repeats averaged within each
    subject), so the spread between subjects cancels.

    Parameters
    ----------
    scores : pandas.DataFrame
        From :func:`benchmark_split` (several splits, or repeats, may be concatenated).
    model, reference : str
        Model names, e.g. ``"simclr"`` and ``"riemann"``.
    fraction : float
        Label fraction at which both are compared.
    probe, reference_probe : str
        Probe of each (``"finetune"`` for the supervised baseline).

    Returns
    -------
    result : dict
        ``diff`` (mean of model minus reference over subjects), ``se`` (its standard
        error: sd of the differences / sqrt(n)), ``wins``, ``losses`` (subjects on which
        the model scores higher, lower) and ``n`` (subjects scored by both). NaN and
        zeros when the two share no subject.
    """
    per_subject = _subject_means(scores)

    def pick(name, probe_name):
        rows = per_subject[(per_subject["model"] == name) & (per_subject["probe"] == probe_name)
                           & np.isclose(per_subject["fraction"], fraction)]  # fmt: skip
        return rows.set_index("subject")["balanced_accuracy"]

    both = pd.concat([pick(model, probe), pick(reference, reference_probe)], axis=1,
                     keys=["model", "reference"], join="inner")  # fmt: skip
    delta = (both["model"] - both["reference"]).to_numpy()
    n = len(delta)
    if n == 0:
        return dict(diff=float("nan"), se=float("nan"), wins=0, losses=0, n=0)
    se = float(delta.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan")
    return dict(diff=float(delta.mean()), se=se, wins=int((delta > 0).sum()),
                losses=int((delta < 0).sum()), n=n)  # fmt: skip


def markdown_table(summary):
    """Markdown table: one row per model and probe, one column per label fraction."""
    fractions = sorted(summary["fraction"].unique())
    header = ["model", "kind", "probe"] + [f"{_percent(f)} labels" for f in fractions]
    header.append("wall time (s)")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for (model, kind, probe), group in summary.groupby(["model", "kind", "probe"], sort=False):
        cells = [_BASELINE_LABELS.get(model, model), kind, probe]
        by_fraction = group.set_index("fraction")
        for f in fractions:
            if f in by_fraction.index:
                row = by_fraction.loc[f]
                cells.append(f"{row['mean']:.3f} ± {row['sd']:.3f}")
            else:
                cells.append("")
        seconds = group["seconds"].iloc[0] if "seconds" in group else float("nan")
        cells.append(f"{seconds:.0f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _percent(fraction):
    return f"{fraction * 100:g}%"


def verdict(summary, scores=None, *, probe="linear", high=1.0, low=0.1):
    """Which SSL methods meet the done-when criterion of the benchmark.

    An SSL method's frozen-encoder ``probe`` must be at least as good as the best
    classical baseline (band power, Riemann, Xdawn) at ``high`` labels and better than the
    supervised-from-scratch baseline at ``low`` labels (means over held-out subjects).

    Parameters
    ----------
    summary : pandas.DataFrame
        From :func:`summarise_scores`.
    scores : pandas.DataFrame | None
        The scores behind ``summary``. When given, each comparison is also made subject
        by subject (:func:`paired_difference`), so a reader can tell a tie from a win.

    Returns
    -------
    result : pandas.DataFrame
        One row per SSL method: its scores, the references, and ``passes``. With
        ``scores``, also per comparison (``high``: against the best classical baseline,
        ``low``: against supervised training) the mean paired difference ``*_diff``, its
        standard error ``*_se`` and the subjects won ``*_wins`` out of ``*_n``.
    """

    def score(model, fraction, probe_name):
        row = summary[(summary["model"] == model) & (summary["probe"] == probe_name)
                      & np.isclose(summary["fraction"], fraction)]  # fmt: skip
        return float(row["mean"].iloc[0]) if len(row) else float("nan")

    classical = [m for m in CLASSICAL if m in set(summary["model"])]
    best = max(classical, key=lambda m: score(m, high, "linear"), default=None)
    best_classical = score(best, high, "linear") if best else float("nan")
    supervised = score("supervised", low, "finetune")
    rows = []
    for model in summary.loc[summary["kind"] == "ssl", "model"].unique():
        at_high, at_low = score(model, high, probe), score(model, low, probe)
        row = dict(method=model, high=at_high, best_classical=best,
                   best_classical_high=best_classical, low=at_low, supervised_low=supervised,
                   passes=bool(at_high >= best_classical and at_low > supervised))  # fmt: skip
        if scores is not None:
            comparisons = (("high", best, high, "linear"), ("low", "supervised", low, "finetune"))
            for label, reference, fraction, reference_probe in comparisons:
                paired = paired_difference(scores, model, reference, fraction=fraction,
                                           probe=probe, reference_probe=reference_probe)  # fmt: skip
                for key in ("diff", "se", "wins", "n"):
                    row[f"{label}_{key}"] = paired[key]
        rows.append(row)
    return pd.DataFrame(rows)


def plot_summary(summary, path, *, chance=None, title=None):
    """Balanced accuracy against label fraction, one line per model and probe (PNG).

    ``chance`` (e.g. ``1 / n_classes``) draws the chance level of balanced accuracy.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (model, kind, probe), group in summary.groupby(["model", "kind", "probe"], sort=False):
        group = group.sort_values("fraction")
        style = "-" if kind == "ssl" else "--"
        ax.errorbar(group["fraction"] * 100, group["mean"], yerr=group["sd"], fmt=style + "o",
                    capsize=3, markersize=4,
                    label=f"{_BASELINE_LABELS.get(model, model)} ({probe})")  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlabel("training labels used (%)")
    ax.set_ylabel("balanced accuracy, held-out subjects")
    if chance is not None:
        ax.axhline(chance, color="grey", lw=0.8, ls=":")
    ax.legend(fontsize=7, loc="best")
    if title:
        ax.set_title(title)
    from ..plotting import save_figure

    return save_figure(fig, path, dpi=110)


def gain_table(scores, *, task, metric):
    """The SSL gain of each pretrained encoder on one task, per label fraction.

    Encoders pretrained across datasets (``"<method>[others]"``,
    ``"<method>[transductive]"``) are compared with ``"random_weights[tokens]"``, the same
    channel-agnostic architecture with random weights. Every comparison is paired per held-out subject (``metric="subject"``) or per fold
    (``"pooled"``): pretrained minus the same architecture with random weights, minus
    the best classical pipeline at that fraction (band power, Riemann, Xdawn), minus
    supervised training from scratch.
    """
    summary = summarise_scores(scores)
    rows = []
    ssl = summary.loc[summary["kind"] == "ssl", ["model", "probe"]].drop_duplicates()
    for fraction in sorted(summary["fraction"].unique()):
        at = summary[np.isclose(summary["fraction"], fraction)].set_index(["model", "probe"])

        def mean(model, probe="linear", at=at):
            return float(at.loc[(model, probe), "mean"]) if (model, probe) in at.index else np.nan

        classical = [m for m in CLASSICAL if (m, "linear") in at.index]
        best = max(classical, key=mean, default=None)
        for model, probe in ssl.itertuples(index=False):
            # an encoder pretrained across datasets ("simclr[others]") is a "tokens" encoder
            # ("simclr[dataset]" is the task's own encoder, pretrained transductively)
            tokens = model.endswith("]") and not model.endswith("[dataset]")
            random = "random_weights[tokens]" if tokens else "random_weights"
            row = dict(task=task, metric=metric, fraction=fraction, model=model, probe=probe,
                       pretrained=mean(model, probe), random_weights=mean(random, probe),
                       best_classical=best, best_classical_score=mean(best) if best else np.nan,
                       supervised=mean("supervised", "finetune"))  # fmt: skip
            for label, reference, ref_probe in (("gain", random, probe),
                                                ("vs_classical", best, "linear"),
                                                ("vs_supervised", "supervised", "finetune")):  # fmt: skip
                paired = (paired_difference(scores, model, reference, fraction=fraction,
                                            probe=probe, reference_probe=ref_probe)
                          if reference else dict(diff=np.nan, se=np.nan, wins=0, n=0))  # fmt: skip
                for key in ("diff", "se", "wins", "n"):
                    row[f"{label}_{key}"] = paired[key]
            rows.append(row)
    return pd.DataFrame(rows)


def _pm(row, label):
    diff, se = row[f"{label}_diff"], row[f"{label}_se"]
    if not np.isfinite(diff):
        return ""
    se_text = f" ± {se:.3f}" if np.isfinite(se) else ""
    return f"{diff:+.3f}{se_text} ({int(row[f'{label}_wins'])}/{int(row[f'{label}_n'])})"


def gains_markdown(gains, groups):
    """The suite's headline table (markdown), one row per task, fraction and SSL model."""
    header = ["group", "task", "paired by", "labels", "model", "pretrained", "random weights",
              "SSL gain (wins/n)", "best classical", "vs best classical", "supervised",
              "vs supervised"]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in gains.to_dict("records"):
        paired = "subject" if row["metric"] == "subject" else "fold (pooled)"
        cells = [groups.get(row["task"], ""), row["task"], paired, f"{row['fraction'] * 100:g}%",
                 f"{row['model']} ({row['probe']})", f"{row['pretrained']:.3f}",
                 f"{row['random_weights']:.3f}", _pm(row, "gain"),
                 (f"{row['best_classical']}: {row['best_classical_score']:.3f}"
                  if row["best_classical"] else "not run"),
                 _pm(row, "vs_classical"),
                 f"{row['supervised']:.3f}" if np.isfinite(row["supervised"]) else "not run",
                 _pm(row, "vs_supervised")]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


__all__ = ["gain_table", "gains_markdown", "markdown_table", "paired_difference",
           "plot_summary", "summarise_scores", "verdict"]  # fmt: skip


def plot_gains(gains, path, *, title=None):
    """The SSL gain (pretrained minus the same encoder with random weights) per task and
    label fraction, with its standard error over subjects (or folds), as a PNG.

    Parameters
    ----------
    gains : DataFrame
        :func:`gain_table` rows of one or more tasks (``gains.csv`` of a suite run).
    path : str | Path
        Output PNG, written atomically.
    title : str | None
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plotting import save_figure

    tasks = list(dict.fromkeys(gains["task"]))
    pairs = gains[["model", "fraction"]].drop_duplicates()
    rows = list(pairs.sort_values(["model", "fraction"]).itertuples(index=False))
    width = 0.8 / max(len(rows), 1)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.6 * len(tasks)), 3.6))
    for k, (model, fraction) in enumerate(rows):
        part = gains[(gains["model"] == model) & (gains["fraction"] == fraction)]
        part = part.set_index("task").reindex(tasks)
        x = np.arange(len(tasks)) + (k - (len(rows) - 1) / 2) * width
        ax.bar(x, part["gain_diff"], width, yerr=part["gain_se"], capsize=2,
               label=f"{model}, {_percent(fraction)} labels")  # fmt: skip
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_xticks(np.arange(len(tasks)), tasks)
    ax.set_ylabel("SSL gain (balanced accuracy)")
    ax.legend(fontsize=7, loc="best")
    if title:
        ax.set_title(title)
    return save_figure(fig, path, dpi=110)
