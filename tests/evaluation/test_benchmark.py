"""The benchmark: library functions on simulated windows, and the CLI end to end."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from eeg_ssl.evaluation.benchmark import (
    benchmark_split,
    markdown_table,
    paired_difference,
    summarise_scores,
    verdict,
)
from eeg_ssl.simulation import simulate_windows

TINY = {"n_outputs": 8, "n_filters": 4, "n_blocks": 2}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def split_result(tmp_path_factory):
    X, y, g = simulate_windows(96, 4, 128, sfreq=64.0, n_subjects=6, effect=2.0, random_state=0)
    tr, te = g < 4, g >= 4
    maps = tmp_path_factory.mktemp("maps")
    scores, timings, invariance = benchmark_split(
        X[tr], y[tr], g[tr], X[te], y[te], g[te], sfreq=64.0,
        methods={"simclr": {"method_params": {"projection_dim": 8, "hidden_dim": 16},
                            "grid": [{"lr": 1e-3}, {"lr": 1e-2}]}},
        encoder_params=TINY, pretrain_params={"epochs": 1, "batch_size": 16},
        supervised_params={"epochs": 1, "min_steps": 3}, fractions=(0.25, 1.0), seeds=(0, 1),
        probes=("linear", "knn"), rates=(0.5, 2.0), map_dir=maps, verbose=False,
    )  # fmt: skip
    return scores, timings, invariance, maps


def test_benchmark_split__every_model_scored_on_held_out_subjects(split_result):
    scores, timings, invariance, maps = split_result
    models = set(scores["model"])
    assert models == {"simclr", "random_weights", "band_power", "riemann", "supervised"}
    assert set(scores["subject"].astype(str)) == {"4", "5"}  # held-out subjects only
    assert scores["balanced_accuracy"].between(0, 1).all()
    # 2 subjects x (2 seeds at 25 % + 1 at 100 %) per model and probe
    per = scores.groupby(["model", "probe"]).size()
    assert (per == 6).all() and ("simclr", "knn") in per.index
    assert set(timings["model"]) == models and (timings["seconds"] > 0).all()
    simclr = timings.set_index("model").loc["simclr"]
    assert simclr["selected"] in ("{'lr': 0.001}", "{'lr': 0.01}")
    assert set(invariance["model"]) == {"simclr", "random_weights"}
    assert sorted(p.name for p in maps.glob("*.png")) == ["random_weights.png", "simclr.png"]


def test_benchmark_split__gives_the_rate_to_braindecode_encoders():
    # FBCNet cannot be built without sfreq; the benchmark knows the rate of its windows
    X, y, g = simulate_windows(32, 4, 256, sfreq=128.0, n_subjects=4, random_state=0)
    tr, te = g < 2, g >= 2
    scores, _, _ = benchmark_split(
        X[tr], y[tr], g[tr], X[te], y[te], g[te], sfreq=128.0, methods={},
        encoder="braindecode",
        encoder_params={"n_outputs": 4, "model": "FBCNet", "model_kwargs": {"n_filters_spat": 2}},
        baselines=("random_weights",), fractions=(1.0,), seeds=(0,), rates=(), verbose=False,
    )  # fmt: skip
    assert set(scores["model"]) == {"random_weights"}


def test_summary_table_and_verdict__from_scores(split_result):
    scores, timings, _, _ = split_result
    summary = summarise_scores(scores, timings)
    assert set(summary["n_subjects"]) == {2}
    table = markdown_table(summary)
    assert "| simclr | ssl | linear |" in table and "25% labels" in table
    assert "log band power" in table and "supervised from scratch" in table
    result = verdict(summary, low=0.25)
    assert list(result["method"]) == ["simclr"]
    row = result.iloc[0]
    expected = row["high"] >= row["best_classical_high"] and row["low"] > row["supervised_low"]
    assert bool(row["passes"]) == bool(expected)


def test_verdict__compares_against_the_right_rows():
    rows = [
        ("a", "ssl", "linear", 0.1, 0.70), ("a", "ssl", "linear", 1.0, 0.80),
        ("b", "ssl", "linear", 0.1, 0.50), ("b", "ssl", "linear", 1.0, 0.90),
        ("band_power", "baseline", "linear", 1.0, 0.75),
        ("riemann", "baseline", "linear", 1.0, 0.78),
        ("supervised", "baseline", "finetune", 0.1, 0.60),
    ]  # fmt: skip
    summary = pd.DataFrame(rows, columns=["model", "kind", "probe", "fraction", "mean"])
    result = verdict(summary).set_index("method")
    assert result.loc["a", "passes"] and not result.loc["b", "passes"]  # b fails at 10 %
    assert result.loc["a", "best_classical_high"] == 0.78


def _scores(rows):
    """Scores from (model, probe, fraction, split, subject, seed, balanced accuracy) rows."""
    columns = ["model", "probe", "fraction", "split", "subject", "seed", "balanced_accuracy"]
    frame = pd.DataFrame(rows, columns=columns)
    kinds = {"a": "ssl", "riemann": "baseline", "band_power": "baseline", "supervised": "baseline"}
    return frame.assign(kind=frame["model"].map(kinds), n_train=10)


def test_paired_difference__per_subject_after_averaging_seeds():
    rows = [
        # subject s1 (split 0): a averages 0.8 over two seeds, riemann 0.6 -> +0.2
        ("a", "linear", 1.0, 0, "s1", 0, 0.7), ("a", "linear", 1.0, 0, "s1", 1, 0.9),
        ("riemann", "linear", 1.0, 0, "s1", 0, 0.6),
        # subject s2 (split 1): a 0.5, riemann 0.6 -> -0.1
        ("a", "linear", 1.0, 1, "s2", 0, 0.5), ("riemann", "linear", 1.0, 1, "s2", 0, 0.6),
        # s3: tie; s4: only one of the two is scored there, so it is left out
        ("a", "linear", 1.0, 1, "s3", 0, 0.6), ("riemann", "linear", 1.0, 1, "s3", 0, 0.6),
        ("a", "linear", 1.0, 1, "s4", 0, 0.9),
        ("a", "knn", 1.0, 1, "s2", 0, 0.1), ("a", "linear", 0.1, 1, "s2", 0, 0.1),
    ]  # fmt: skip
    result = paired_difference(_scores(rows), "a", "riemann", fraction=1.0)
    delta = np.array([0.2, -0.1, 0.0])
    assert result["n"] == 3 and result["wins"] == 1 and result["losses"] == 1
    assert result["diff"] == pytest.approx(delta.mean())
    assert result["se"] == pytest.approx(delta.std(ddof=1) / np.sqrt(3))
    empty = paired_difference(_scores(rows), "a", "supervised", fraction=1.0)
    assert empty["n"] == 0 and np.isnan(empty["diff"])


def test_verdict__paired_against_the_best_classical_and_supervised():
    rows = []
    for i, (a_high, r_high, b_high, a_low, sup_low) in enumerate(
        [(0.9, 0.7, 0.6, 0.7, 0.5), (0.6, 0.7, 0.6, 0.6, 0.7), (0.8, 0.7, 0.6, 0.7, 0.6)]
    ):
        subject = f"s{i}"
        rows += [("a", "linear", 1.0, 0, subject, 0, a_high),
                 ("riemann", "linear", 1.0, 0, subject, 0, r_high),
                 ("band_power", "linear", 1.0, 0, subject, 0, b_high),
                 ("a", "linear", 0.1, 0, subject, 0, a_low),
                 ("supervised", "finetune", 0.1, 0, subject, 0, sup_low)]  # fmt: skip
    scores = _scores(rows)
    row = verdict(summarise_scores(scores), scores).iloc[0]
    assert row["best_classical"] == "riemann"  # 0.70 beats band power's 0.60
    assert row["high_diff"] == pytest.approx((0.2 - 0.1 + 0.1) / 3)
    assert (row["high_wins"], row["high_n"]) == (2, 3)
    assert row["low_diff"] == pytest.approx((0.2 - 0.1 + 0.1) / 3)
    assert (row["low_wins"], row["low_n"]) == (2, 3)
    assert row["passes"]
    assert "high_diff" not in verdict(summarise_scores(scores)).columns  # means only


def _sample_config(tmp_path, sample_dir, **extra):
    config = {
        "out": str(tmp_path / "bench"),
        "prepare": {
            "inputs": [str(sample_dir / "sub-0[1-6]_*.edf")],
            "subject_pattern": "sub-([^_]+)",
            "recipe": {"picks": ["eeg"], "l_freq": 1.0, "h_freq": 30.0, "sfreq": 64.0,
                       "window_seconds": 2.0, "label_source": "annotations"},
        },
        "n_splits": 2, "encoder_params": TINY,
        "methods": {"simclr": {"method_params": {"projection_dim": 8, "hidden_dim": 16}}},
        "pretrain": {"epochs": 1, "batch_size": 32},
        "supervised": {"epochs": 1, "min_steps": 2},
        "fractions": [0.5, 1.0], "seeds": [0], "rates": [0.5],
    }  # fmt: skip
    config.update(extra)
    path = tmp_path / "bench.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_cli_benchmark__writes_tables_and_plot(tmp_path, sample_dir, capsys):
    from eeg_ssl.cli import main

    path = _sample_config(tmp_path, sample_dir)
    assert main(["--quiet", "benchmark", str(path)]) == 0
    out = tmp_path / "bench"
    for name in ("scores.csv", "summary.csv", "timings.csv", "invariance.csv", "table.md",
                 "config.yaml", "reproducibility.json", "benchmark.png",
                 "maps/simclr.png"):  # fmt: skip
        assert (out / name).exists(), name
    report = json.loads((out / "reproducibility.json").read_text())
    assert report["status"] == "finished" and report["data"]["manifest_sha256"]
    printed = capsys.readouterr().out
    assert "| simclr | ssl | linear |" in printed and "Total wall time" in printed
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["n_subjects"]) == {6}  # every subject held out once
    assert (out / "benchmark.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_benchmark__temporal_methods_get_window_positions(tmp_path, sample_dir, capsys):
    from eeg_ssl.cli import main
    from eeg_ssl.io import Recipe, prepare

    extra = tmp_path / "extra"  # an unlabelled corpus: its windows' positions are used too
    prepare(sorted(sample_dir.glob("sub-0[78]_*.edf")), extra,
            Recipe(picks=("eeg",), l_freq=1.0, h_freq=30.0, sfreq=64.0), verbose=False)  # fmt: skip
    taus = {"method_params": {"tau_pos": 4.0, "tau_neg": 8.0}}
    path = _sample_config(tmp_path, sample_dir, methods={"relative_positioning": taus,
                          "temporal_shuffling": taus}, baselines=["random_weights"],
                          unlabelled=[str(extra)])  # fmt: skip
    assert main(["--quiet", "benchmark", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "| relative_positioning | ssl | linear |" in printed
    assert "| temporal_shuffling | ssl | linear |" in printed


def test_cli_benchmark__bad_config_is_named(tmp_path, sample_dir, capsys):
    from eeg_ssl.cli import main

    path = _sample_config(tmp_path, sample_dir, baselines=["band_powr"])
    assert main(["--quiet", "benchmark", str(path)]) == 2
    assert "band_powr" in capsys.readouterr().err
    path.write_text(yaml.safe_dump({"methods": ["simclr"]}))
    assert main(["--quiet", "benchmark", str(path)]) == 2
    assert "needs 'data'" in capsys.readouterr().err


def test_cli_benchmark__align_subject_whitens_every_subject(tmp_path, sample_dir, capsys,
                                                          monkeypatch):  # fmt: skip
    import eeg_ssl.evaluation.benchmark_runner as runner
    from eeg_ssl.cli import main
    from eeg_ssl.transforms import mean_covariance

    seen = []

    def recording(X_train, y_train, g_train, X_test, y_test, g_test, **kwargs):
        seen.append((X_train, g_train, X_test, g_test))
        return runner_split(X_train, y_train, g_train, X_test, y_test, g_test, **kwargs)

    runner_split = runner.benchmark_split
    monkeypatch.setattr(runner, "benchmark_split", recording)
    path = _sample_config(tmp_path, sample_dir, align="subject", methods={},
                          baselines=["band_power"])  # fmt: skip
    assert main(["--quiet", "benchmark", str(path)]) == 0
    assert "align: subject" in capsys.readouterr().out
    assert len(seen) == 2
    for X_train, g_train, X_test, g_test in seen:
        for X, groups in ((X_train, g_train), (X_test, g_test)):
            for subject in np.unique(groups):
                R = mean_covariance(X[groups == subject])
                np.testing.assert_allclose(R, np.eye(len(R)), atol=1e-3)

    path = _sample_config(tmp_path, sample_dir, align="subjects")
    assert main(["--quiet", "benchmark", str(path)]) == 2
    assert "'align'" in capsys.readouterr().err


def test_cli_benchmark__unlabelled_corpus_is_aligned_by_subject(tmp_path, sample_dir, capsys,
                                                              monkeypatch):  # fmt: skip
    import eeg_ssl.evaluation.benchmark_runner as runner
    from eeg_ssl.cli import main
    from eeg_ssl.io import Recipe, prepare
    from eeg_ssl.transforms import mean_covariance

    # two recordings of one subject ("sub"): aligned together, not one by one
    corpus = tmp_path / "corpus"
    recipe = Recipe(picks=("eeg",), l_freq=1.0, h_freq=30.0, sfreq=64.0, window_seconds=2.0)
    manifest = prepare(sorted(sample_dir.glob("sub-0[78]_*.edf")), corpus, recipe,
                       subject_pattern="(sub)-", verbose=False)  # fmt: skip
    assert set(manifest["subject"]) == {"sub"} and manifest["shard"].nunique() == 2
    seen = []

    def recording(*args, **kwargs):
        seen.append(kwargs["X_unlabelled"])
        return runner_split(*args, **kwargs)

    runner_split = runner.benchmark_split
    monkeypatch.setattr(runner, "benchmark_split", recording)
    path = _sample_config(tmp_path, sample_dir, align="subject", methods={},
                          baselines=["band_power"], unlabelled=[str(corpus)])  # fmt: skip
    assert main(["--quiet", "benchmark", str(path)]) == 0
    assert "unlabelled windows of 1 subjects or recordings" in capsys.readouterr().out
    X_u = seen[0]
    np.testing.assert_allclose(mean_covariance(X_u), np.eye(X_u.shape[1]), atol=1e-3)
    first = (manifest["shard"] == manifest["shard"].iloc[0]).to_numpy()
    assert not np.allclose(mean_covariance(X_u[first]), np.eye(X_u.shape[1]), atol=1e-3)


def test_cli_benchmark__align_metric_riemann_uses_the_riemannian_mean(tmp_path, sample_dir,
                                                                      capsys, monkeypatch):  # fmt: skip
    import eeg_ssl.evaluation.benchmark_runner as runner
    from eeg_ssl.cli import main
    from eeg_ssl.transforms import mean_covariance, riemannian_alignment

    seen = []

    def recording(X_train, y_train, g_train, X_test, y_test, g_test, **kwargs):
        seen.append((X_train, g_train))
        return runner_split(X_train, y_train, g_train, X_test, y_test, g_test, **kwargs)

    runner_split = runner.benchmark_split
    monkeypatch.setattr(runner, "benchmark_split", recording)
    path = _sample_config(tmp_path, sample_dir, align="subject", align_metric="riemann",
                          methods={}, baselines=["band_power"])  # fmt: skip
    assert main(["--quiet", "benchmark", str(path)]) == 0
    assert "align_metric: riemann" in capsys.readouterr().out
    X_train, g_train = seen[0]
    subject = np.unique(g_train)[0]
    X = X_train[g_train == subject]
    # the windows seen are Riemann-aligned: aligning them again changes nothing, and
    # their arithmetic mean covariance is not exactly the identity
    np.testing.assert_allclose(riemannian_alignment(X, np.zeros(len(X))), X, atol=1e-3)
    assert np.abs(mean_covariance(X) - np.eye(X.shape[1])).max() > 1e-3

    path = _sample_config(tmp_path, sample_dir, align="subject", align_metric="riemannian")
    assert main(["--quiet", "benchmark", str(path)]) == 2
    assert "'align_metric'" in capsys.readouterr().err


def test_cli_benchmark__seed_override_writes_beside_the_config_out(tmp_path, sample_dir):
    from eeg_ssl.cli import main

    path = _sample_config(tmp_path, sample_dir, baselines=["band_power"])
    assert main(["--quiet", "benchmark", str(path), "--seed", "3"]) == 0
    out = tmp_path / "bench-seed3"  # the config's out + -seed3: seed 0's results stay apart
    assert not (tmp_path / "bench").exists()
    assert yaml.safe_load((out / "config.yaml").read_text())["seed"] == 3
    assert set(pd.read_csv(out / "summary.csv")["n_subjects"]) == {6}


def test_cli_benchmark__resumes_after_an_interruption(tmp_path, sample_dir, monkeypatch,
                                                      capsys):  # fmt: skip
    import eeg_ssl.evaluation.benchmark_runner as runner
    from eeg_ssl.cli import main

    path = _sample_config(tmp_path, sample_dir, methods={}, baselines=["band_power", "riemann"])
    assert main(["--quiet", "benchmark", str(path), "--out", str(tmp_path / "whole")]) == 0
    whole = pd.read_csv(tmp_path / "whole" / "scores.csv", dtype={"subject": str})

    computed = []
    real_split = runner.benchmark_split

    def counted(*args, **kwargs):
        if len(computed) == stop_before:
            raise KeyboardInterrupt  # Ctrl-C while this split runs
        computed.append(1)
        return real_split(*args, **kwargs)

    monkeypatch.setattr(runner, "benchmark_split", counted)
    stop_before = 1  # the second split
    with pytest.raises(KeyboardInterrupt):
        main(["--quiet", "benchmark", str(path)])
    out = tmp_path / "bench"
    assert [p.name for p in (out / "splits").glob("*.json")] == ["split-0.json"]
    assert not (out / "scores.csv").exists()

    computed.clear()
    stop_before = None
    capsys.readouterr()
    assert main(["--quiet", "benchmark", str(path)]) == 0
    assert len(computed) == 1  # only the unfinished split ran again
    assert "1 of 2 splits read back" in capsys.readouterr().out
    resumed = pd.read_csv(out / "scores.csv", dtype={"subject": str})
    pd.testing.assert_frame_equal(resumed, whole)


def test_split_store__tables_come_back_exactly(tmp_path):
    from eeg_ssl.evaluation.benchmark_runner import _SplitStore

    scores = _scores([("a", "linear", 0.1, 0, "01", 0, 1 / 3)])  # "01" is not the number 1
    timings = pd.DataFrame({"model": ["a", "riemann"], "seconds": [1.5, 0.25],
                            "selected": ["{'lr': 0.001}", None]})  # fmt: skip
    invariance = pd.DataFrame({"model": ["a", "a"], "rate": [0.5, "other window"],
                               "cosine_mean": [0.75, np.nan]})  # fmt: skip
    store = _SplitStore(tmp_path, "fingerprint")
    assert store.load(0) is None
    store.save(0, scores, timings, invariance)
    for saved, loaded in zip(
        (scores, timings, invariance), _SplitStore(tmp_path, "fingerprint").load(0)
    ):
        pd.testing.assert_frame_equal(loaded, saved)
    with pytest.raises(ValueError, match="another config, other windows"):
        _SplitStore(tmp_path, "another").load(0)
    assert _SplitStore(tmp_path, "another", restart=True).load(0) is None


def test_cli_benchmark__other_config_does_not_reuse_finished_splits(tmp_path, sample_dir,
                                                                     capsys, monkeypatch):  # fmt: skip
    import eeg_ssl.evaluation.benchmark_runner as runner
    from eeg_ssl.cli import main

    path = _sample_config(tmp_path, sample_dir, methods={}, baselines=["band_power"])
    assert main(["--quiet", "benchmark", str(path)]) == 0
    for name, other in (
        ("package_versions", lambda names: {"torch": "0.0"}),  # another torch
        ("_code_digest", lambda: "edited"),
    ):  # edited eeg-ssl source
        with monkeypatch.context() as patch:
            patch.setattr(runner, name, other)
            assert main(["--quiet", "benchmark", str(path)]) == 2
            assert "--restart" in capsys.readouterr().err
    path = _sample_config(tmp_path, sample_dir, methods={}, baselines=["band_power"],
                          fractions=[1.0])  # fmt: skip
    assert main(["--quiet", "benchmark", str(path)]) == 2
    err = capsys.readouterr().err
    assert "split-0.json" in err and "--restart" in err
    assert main(["--quiet", "benchmark", str(path), "--restart"]) == 0
    summary = pd.read_csv(tmp_path / "bench" / "summary.csv")
    assert set(summary["fraction"]) == {1.0}


def test_cli_benchmark__repeats_hold_every_subject_out_once_per_repeat(tmp_path, sample_dir,
                                                                        monkeypatch):  # fmt: skip
    import eeg_ssl.evaluation.benchmark_runner as runner
    from eeg_ssl.cli import main
    from eeg_ssl.evaluation import subject_folds

    calls = []
    real_split = runner.benchmark_split

    def counted(*args, **kwargs):
        calls.append(kwargs["random_state"])
        return real_split(*args, **kwargs)

    monkeypatch.setattr(runner, "benchmark_split", counted)
    path = _sample_config(tmp_path, sample_dir, methods={}, baselines=["band_power"])
    assert main(["--quiet", "benchmark", str(path)]) == 0  # one repeat (the default)
    once = pd.read_csv(tmp_path / "bench" / "scores.csv", dtype={"subject": str})
    assert calls == [0, 0]
    calls.clear()
    assert main(["--quiet", "benchmark", str(path), "--repeats", "2"]) == 0
    assert calls == [1, 1]  # repeat 0's splits are read back, repeat 1 runs with seed 1

    scores = pd.read_csv(tmp_path / "bench" / "scores.csv", dtype={"subject": str})
    pd.testing.assert_frame_equal(scores[scores["repeat"] == 0], once)
    subjects = sorted(scores["subject"].unique())
    for repeat in (0, 1):
        held_out = scores[scores["repeat"] == repeat].groupby("split")["subject"].unique()
        expected = [test for _, test in subject_folds(subjects, 2, random_state=repeat)]
        assert [sorted(h) for h in held_out] == [sorted(e) for e in expected]
    first = scores[scores["repeat"] == 0].groupby("split")["subject"].unique()
    assert [sorted(h) for h in held_out] != [sorted(h) for h in first]  # other folds
    summary = pd.read_csv(tmp_path / "bench" / "summary.csv")
    assert set(summary["n_subjects"]) == {6}  # each subject once, its repeats averaged
    band_power = scores[(scores["model"] == "band_power") & np.isclose(scores["fraction"], 1.0)]
    expected = band_power.groupby("subject")["balanced_accuracy"].mean().mean()
    mean = summary.loc[(summary["model"] == "band_power") & np.isclose(summary["fraction"], 1.0),
                       "mean"].iloc[0]  # fmt: skip
    assert mean == pytest.approx(expected)

    assert main(["--quiet", "benchmark", str(path), "--repeats", "0"]) == 2


def test_cli_benchmark__splits_in_parallel_give_the_same_results(tmp_path, sample_dir):
    from eeg_ssl.cli import main

    path = _sample_config(tmp_path, sample_dir, baselines=["random_weights", "supervised"])
    results = {}
    for n_jobs in ("1", "2"):
        out = tmp_path / f"jobs{n_jobs}"
        assert (
            main(["--quiet", "benchmark", str(path), "--out", str(out), "--n-jobs", n_jobs]) == 0
        )
        results[n_jobs] = pd.read_csv(out / "scores.csv", dtype={"subject": str})
    # two worker processes, each split seeded on its own: the same scores, in split order
    pd.testing.assert_frame_equal(results["2"], results["1"])
    assert set(results["2"]["model"]) == {"simclr", "random_weights", "supervised"}
    assert main(["--quiet", "benchmark", str(path), "--n-jobs", "0"]) == 2


def test_cli_benchmark__empty_methods_run_the_baselines_only(tmp_path, sample_dir, capsys):
    from eeg_ssl.cli import main

    path = _sample_config(tmp_path, sample_dir, methods=[], baselines=["band_power"])
    assert main(["--quiet", "benchmark", str(path)]) == 0
    # the table is in table.md (the CLI may print only where the results are)
    assert "(no SSL method in this run)" in (tmp_path / "bench" / "table.md").read_text()
    assert set(pd.read_csv(tmp_path / "bench" / "scores.csv")["model"]) == {"band_power"}


def test_labels_from_sources__file_name_rules(tmp_path, sample_dir):
    from eeg_ssl.evaluation.benchmark_runner import labels_from_sources, load_labelled
    from eeg_ssl.io import prepare

    prepare(str(sample_dir / "sub-0[12]_*.edf"), tmp_path / "p", {"sfreq": 64.0, "h_freq": 30.0},
            subject_pattern="sub-([^_]+)", verbose=False)  # fmt: skip
    labels = labels_from_sources(tmp_path / "p", {"sub-01": "one", "sub-02": "two"})
    assert set(labels) == {"one", "two"}
    X, y, groups, classes, sfreq = load_labelled(tmp_path / "p", label_rules={"sub-01": "one",
                                                 "sub-02": "two"})  # fmt: skip
    assert classes == ["one", "two"] and sfreq == 64.0
    np.testing.assert_array_equal(y, (groups == "02").astype(int))


@pytest.mark.slow
@pytest.mark.parametrize("name, n_subjects", [("eegmat", 6), ("eegmmidb-eyes", 5)])
def test_cli_benchmark__quick_on_real_eeg(shared_data, tmp_path, name, n_subjects):
    """The CI runs on real EEG: `eeg-ssl benchmark pipelines/benchmarks/NAME.yaml --quick`."""
    from pathlib import Path

    from eeg_ssl.cli import main

    config = Path(__file__).resolve().parents[2] / "pipelines" / "benchmarks" / f"{name}.yaml"
    assert main(["--quiet", "benchmark", str(config), "--quick", "--out", str(tmp_path)]) == 0
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert {"simclr", "band_power", "riemann", "supervised", "random_weights"} <= set(
        summary["model"]
    )
    assert set(summary["n_subjects"]) == {n_subjects}


def test_benchmark_configs__all_load_and_name_known_parts():
    """Every shipped benchmark config (and its --quick variant) names real methods,
    encoders and SSLPretrainer settings, so a typo fails here, not after an hour."""
    import inspect
    from pathlib import Path

    from eeg_ssl.evaluation import SSLPretrainer
    from eeg_ssl.evaluation.benchmark_runner import load_benchmark_config
    from eeg_ssl.methods import METHODS
    from eeg_ssl.models import ENCODERS
    from eeg_ssl.models.braindecode_adapter import braindecode_model_class

    folder = Path(__file__).resolve().parents[2] / "pipelines" / "benchmarks"
    settings = set(inspect.signature(SSLPretrainer).parameters) | {"grid"}
    paths = sorted(folder.glob("eegmat*.yaml")) + sorted(folder.glob("eegmmidb-eyes*.yaml"))
    assert len(paths) >= 10
    for path in paths:
        for quick in (False, True):
            config = load_benchmark_config(path, quick=quick)
            encoder = config.get("encoder", "conv")
            assert encoder in ENCODERS, path.name
            if encoder == "braindecode":
                braindecode_model_class(config["encoder_params"]["model"])
            methods = config.get("methods") or {}
            if isinstance(methods, list):  # a list of names, as the runner accepts
                methods = dict.fromkeys(methods)
            for name, params in methods.items():
                assert name in METHODS, (path.name, name)
                assert set(params or {}) <= settings, (path.name, name, params)
                for candidate in (params or {}).get("grid") or []:  # typos inside a grid too
                    assert set(candidate) <= settings - {"grid"}, (path.name, name, candidate)


def test_benchmark_split__grid_over_encoder_params(monkeypatch):
    import eeg_ssl.evaluation.benchmark as benchmark_module

    fitted = []

    class Recording(benchmark_module.SSLPretrainer):
        def fit(self, X, y=None, **kwargs):
            fitted.append(self.encoder_params)
            return super().fit(X, y, **kwargs)

    monkeypatch.setattr(benchmark_module, "SSLPretrainer", Recording)
    X, y, g = simulate_windows(48, 4, 128, sfreq=64.0, n_subjects=6, effect=2.0, random_state=0)
    tr, te = g < 4, g >= 4
    grid = [{"encoder_params": {"n_outputs": 4}}, {"encoder_params": {"n_outputs": 6}}]
    scores, timings, _ = benchmark_split(
        X[tr], y[tr], g[tr], X[te], y[te], g[te], sfreq=64.0,
        methods={"vicreg": {"encoder_params": {"n_blocks": 1}, "grid": grid}},
        encoder_params=TINY, pretrain_params={"epochs": 1, "batch_size": 16},
        baselines=("random_weights",), fractions=(1.0,), seeds=(0,), probes=("linear",),
        rates=(2.0,), verbose=False,
    )  # fmt: skip
    # each candidate: the run's encoder_params, updated by the method's, then the grid's
    expected = dict(TINY, n_blocks=1, sfreq=64.0)  # sfreq: given by the benchmark
    assert fitted == [dict(expected, n_outputs=4), dict(expected, n_outputs=6)]
    assert timings.set_index("model").loc["vicreg", "selected"] in {str(c) for c in grid}
    assert set(scores["model"]) == {"vicreg", "random_weights"}


def test_benchmark_split__supervised_initialisation_follows_the_random_state(monkeypatch):
    import eeg_ssl.evaluation.benchmark as benchmark_module

    seen = []

    class Recording(benchmark_module.SSLClassifier):
        def fit(self, X, y):
            seen.append((len(y), self.random_state))
            return super().fit(X, y)

    monkeypatch.setattr(benchmark_module, "SSLClassifier", Recording)
    X, y, g = simulate_windows(48, 4, 128, sfreq=64.0, n_subjects=4, effect=2.0, random_state=0)
    tr, te = g < 3, g >= 3
    runs = {}
    for random_state in (0, 1):
        seen.clear()
        scores, _, _ = benchmark_split(
            X[tr], y[tr], g[tr], X[te], y[te], g[te], sfreq=64.0, methods={},
            encoder_params=TINY, supervised_params={"epochs": 1, "min_steps": 1},
            baselines=("supervised",), fractions=(0.5, 1.0), seeds=(0, 1), rates=(),
            random_state=random_state, verbose=False,
        )  # fmt: skip
        runs[random_state] = list(seen)
    # the same label subsets (sizes) for both; initial weights seeded apart
    assert [n for n, _ in runs[0]] == [n for n, _ in runs[1]]
    assert [s for _, s in runs[0]] == [0, 1, 0]  # random state 0: the fraction's seed
    assert [s for _, s in runs[1]] == [10_000, 10_001, 10_000]


def test_run_in_processes__a_failed_split_is_named_and_the_others_stopped(tmp_path):
    from eeg_ssl.evaluation.benchmark_runner import _run_in_processes, _SplitStore

    X, y, g = simulate_windows(16, 2, 64, sfreq=64.0, n_subjects=4, random_state=0)
    windows = (X[g < 2], y[g < 2], g[g < 2], X[g >= 2], y[g >= 2], g[g >= 2])
    common = dict(sfreq=64.0, methods={}, encoder_params=TINY, fractions=(1.0,), seeds=(0,),
                  rates=(), verbose=False)  # fmt: skip
    endless = dict(common, baselines=("supervised",),
                   supervised_params={"epochs": 10**6, "min_steps": 1})  # fmt: skip
    bad = dict(common, baselines=("band_powr",))  # a typo: fails at once
    store = _SplitStore(tmp_path, "fingerprint")
    finished = []
    jobs = [(0, (0, 0, windows, endless)), (1, (0, 1, windows, bad))]
    with pytest.raises(RuntimeError, match="Split 2 failed"):
        _run_in_processes(jobs, 2, store, 1, lambda *args: finished.append(args))
    # the endless split was terminated (it is joined before the error is raised, so had
    # it kept running, this test would not end), and nothing was stored
    assert finished == [] and store.load(0) is None and store.load(1) is None


def test_benchmark_split__xdawn_is_refit_on_each_label_subset():
    X, y, g = simulate_windows(64, 4, 64, sfreq=64.0, n_subjects=4, effect=2.0, random_state=0)
    tr, te = g < 2, g >= 2
    scores, timings, _ = benchmark_split(
        X[tr], y[tr], g[tr], X[te], y[te], g[te], sfreq=64.0, methods={},
        baselines=("xdawn",), fractions=(0.25, 1.0), seeds=(0, 1), rates=(), verbose=False,
    )  # fmt: skip
    assert set(scores["model"]) == {"xdawn"} and list(timings["model"]) == ["xdawn"]
    # the pipeline sees the labels of its subset only: 25 % of 32 windows, then all
    assert sorted(set(scores["n_train"])) == [8, 32]
    assert scores["balanced_accuracy"].between(0, 1).all()
    with pytest.raises(ValueError, match=r"Unknown baseline\(s\) \['xdawm'\].*'xdawn'"):
        benchmark_split(X[tr], y[tr], g[tr], X[te], y[te], g[te], sfreq=64.0, methods={},
                        baselines=("xdawm",))  # fmt: skip


def test_benchmark_split__filter_bank_baseline_is_classical():
    pytest.importorskip("pyriemann")
    from eeg_ssl.evaluation.tables import gain_table

    X, y, g = simulate_windows(64, 4, 128, sfreq=64.0, n_subjects=4, effect=2.0, random_state=0)
    tr, te = g < 2, g >= 2
    scores, timings, _ = benchmark_split(
        X[tr], y[tr], g[tr], X[te], y[te], g[te], sfreq=64.0, methods={},
        baselines=("random_weights", "filter_bank"), fractions=(1.0,), seeds=(0,), rates=(),
        encoder_params={"n_outputs": 8, "n_filters": 4, "n_blocks": 2}, verbose=False,
    )  # fmt: skip
    assert set(scores["model"]) == {"random_weights", "filter_bank"}
    assert scores["balanced_accuracy"].between(0, 1).all()
    ssl = scores[scores["model"] == "random_weights"].assign(model="ssl", kind="ssl")
    gains = gain_table(pd.concat([scores, ssl]), task="t", metric="subject")
    assert gains["best_classical"].tolist() == ["filter_bank"]  # the only classical one


def test_benchmark_split__max_pretrain_windows_caps_pretraining(monkeypatch):
    from eeg_ssl.evaluation import benchmark

    seen = []

    class Recording(benchmark.SSLPretrainer):
        def fit(self, X, *args, **kwargs):
            seen.append(len(X))
            return super().fit(X, *args, **kwargs)

    monkeypatch.setattr(benchmark, "SSLPretrainer", Recording)
    X, y, g = simulate_windows(48, 4, 64, sfreq=64.0, n_subjects=4, random_state=0)
    tr, te = g < 2, g >= 2
    scores, _, _ = benchmark_split(
        X[tr], y[tr], g[tr], X[te], y[te], g[te], sfreq=64.0, methods={"simclr": {}},
        encoder_params=TINY, pretrain_params={"epochs": 1, "batch_size": 8},
        baselines=(), fractions=(1.0,), seeds=(0,), rates=(), max_pretrain_windows=10,
        verbose=False,
    )  # fmt: skip
    assert seen == [10]
    assert scores["n_train"].iloc[0] == tr.sum()  # the probe still sees every window
