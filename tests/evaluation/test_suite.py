"""The benchmark suite: run_task on arrays and folds, the gain table, the suite config,
and the --quick smoke run on the real recordings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from sklearn.model_selection import GroupKFold

from eeg_ssl.evaluation.suite import (
    gain_table,
    is_suite_config,
    load_suite_config,
    run_suite,
    select_recordings,
)
from eeg_ssl.evaluation.tasks import run_task, task_folds
from eeg_ssl.simulation import simulate_windows

SUITE = Path(__file__).resolve().parents[2] / "pipelines" / "benchmarks" / "suite.yaml"
TINY = dict(encoder_params={"n_outputs": 8, "n_filters": 4, "n_blocks": 2},
            methods={"simclr": {"method_params": {"projection_dim": 8, "hidden_dim": 16}}},
            pretrain_params={"epochs": 1, "batch_size": 16},
            supervised_params={"epochs": 1, "min_steps": 2}, seeds=(0,))  # fmt: skip


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def windows():
    return simulate_windows(72, 4, 128, sfreq=64.0, n_subjects=6, effect=2.0, random_state=0)


def test_run_task__explicit_folds_score_their_held_out_subjects(windows):
    X, y, g = windows
    folds = list(GroupKFold(2).split(X, y, g))
    scores, timings = run_task(X, y, g, sfreq=64.0, folds=folds, fractions=(0.5, 1.0),
                               baselines=("random_weights", "supervised"), **TINY)  # fmt: skip
    for k, (_, test) in enumerate(folds):
        held_out = set(scores.loc[scores["split"] == k, "subject"])
        assert held_out == {str(s) for s in set(g[test])}
    assert set(scores["model"]) == {"simclr", "random_weights", "supervised"}
    assert set(timings["split"]) == {0, 1}
    assert scores["balanced_accuracy"].between(0, 1).all()


def test_run_task__pooled_metric_scores_each_fold_once(windows):
    X, y, g = windows
    scores, _ = run_task(X, y, g, sfreq=64.0, n_splits=2, metric="pooled", fractions=(1.0,),
                         baselines=("band_power",), **dict(TINY, methods={}))  # fmt: skip
    assert sorted(set(scores["subject"])) == ["fold0", "fold1"]
    assert len(scores) == 2  # one pooled score per fold


def test_run_task__dataset_source_pretrains_on_held_out_windows_too(windows, monkeypatch):
    import eeg_ssl.evaluation.tasks as tasks

    X, y, g = windows
    folds = list(GroupKFold(2).split(X, y, g))
    seen = []

    def spy(*args, **kwargs):
        more = kwargs.get("X_unlabelled")
        seen.append((sorted(kwargs["methods"]), 0 if more is None else len(more)))
        return benchmark_split(*args, **kwargs)

    benchmark_split = tasks.benchmark_split
    monkeypatch.setattr(tasks, "benchmark_split", spy)
    scores, timings = run_task(X, y, g, sfreq=64.0, folds=folds, fractions=(1.0,),
                               baselines=("random_weights",), pretrain_on=("train", "dataset"),
                               **TINY)  # fmt: skip
    # per fold: the training windows only, then the held-out windows added (labels unused)
    assert seen == [(["simclr"], 0), (["simclr"], len(folds[0][1])),
                    (["simclr"], 0), (["simclr"], len(folds[1][1]))]  # fmt: skip
    assert set(scores["model"]) == {"simclr", "simclr[dataset]", "random_weights"}
    assert (scores["model"] == "random_weights").sum() == len(set(g))  # not repeated
    assert "simclr[dataset]" in set(timings["model"])
    gains = gain_table(scores, task="t", metric="subject")
    row = gains[gains["model"] == "simclr[dataset]"].iloc[0]
    # paired with the same (conv) encoder's random weights, not the tokens encoder's
    assert row["random_weights"] == pytest.approx(
        scores.loc[scores["model"] == "random_weights", "balanced_accuracy"].mean()
    )
    with pytest.raises(ValueError, match="pretrain_on"):
        run_task(X, y, g, sfreq=64.0, folds=folds, pretrain_on=("others",), **TINY)


def _positions(g):
    """Each subject one recording, windows 2 s apart."""
    starts = np.zeros(len(g))
    for s in set(g):
        starts[g == s] = 2.0 * np.arange((g == s).sum())
    return np.char.add("rec", np.asarray(g).astype(str)), starts


def test_run_task__positions_let_relative_positioning_run(windows, monkeypatch):
    import eeg_ssl.evaluation.tasks as tasks

    X, y, g = windows
    folds = list(GroupKFold(2).split(X, y, g))
    recordings, starts = _positions(g)
    seen = []

    def spy(*args, **kwargs):
        seen.append((kwargs["positions"], kwargs["positions_unlabelled"], kwargs["X_unlabelled"]))
        return benchmark_split(*args, **kwargs)

    benchmark_split = tasks.benchmark_split
    monkeypatch.setattr(tasks, "benchmark_split", spy)
    methods = {"relative_positioning": {"method_params": {"tau_pos": 4.0, "tau_neg": 8.0}}}
    scores, _ = run_task(X, y, g, sfreq=64.0, folds=folds, fractions=(1.0,), baselines=(),
                         positions=(recordings, starts), pretrain_on=("train", "dataset"),
                         **dict(TINY, methods=methods))  # fmt: skip
    assert set(scores["model"]) == {"relative_positioning", "relative_positioning[dataset]"}
    train, test = folds[0]
    (pos, extra, none), (pos_dataset, more, held_out) = seen[:2]
    assert none is None and extra is None and np.array_equal(pos[1], starts[train])
    assert np.array_equal(pos_dataset[0], recordings[train])
    # transductive: the held-out windows join with their own positions
    assert len(held_out) == len(test) and np.array_equal(more[0], recordings[test])
    with pytest.raises(ValueError, match="one recording and one start time per window"):
        run_task(X, y, g, sfreq=64.0, positions=(recordings[:3], starts[:3]), **TINY)
    with pytest.raises(ValueError, match="'positions_unlabelled' is not"):
        run_task(X, y, g, sfreq=64.0, positions=(recordings, starts), X_unlabelled=X[:4], **TINY)


def test_run_task__positions_change_nothing_for_other_methods(windows):
    X, y, g = windows
    kwargs = dict(sfreq=64.0, n_splits=2, fractions=(1.0,), baselines=("random_weights",),
                  **TINY)  # fmt: skip
    without, _ = run_task(X, y, g, **kwargs)
    with_positions, _ = run_task(X, y, g, positions=_positions(g), **kwargs)
    pd.testing.assert_frame_equal(without, with_positions)


def test_run_task__folds_in_processes_equal_folds_in_turn(windows, tmp_path):
    from eeg_ssl.evaluation.benchmark_runner import _SplitStore

    X, y, g = windows
    kwargs = dict(sfreq=64.0, n_splits=2, fractions=(1.0,), baselines=("random_weights",),
                  pretrain_on=("train", "dataset"), **TINY)  # fmt: skip
    serial, serial_timings = run_task(X, y, g, **kwargs)
    store = _SplitStore(tmp_path / "splits", "fingerprint")
    parallel, timings = run_task(X, y, g, n_jobs=2, store=store, **kwargs)
    pd.testing.assert_frame_equal(serial, parallel)
    assert list(timings["model"]) == list(serial_timings["model"])
    assert store.load(0) is not None and store.load(1) is not None  # each worker stored its fold
    again, _ = run_task(X, y, g, n_jobs=2, store=store, **kwargs)  # read back, not rerun
    pd.testing.assert_frame_equal(serial, again)
    no_store, _ = run_task(X, y, g, n_jobs=2, **kwargs)  # a temporary store
    pd.testing.assert_frame_equal(serial, no_store)


def test_run_task__fold_sharing_a_subject_is_refused(windows):
    X, y, g = windows
    folds = [(np.arange(0, 40), np.arange(30, 72))]
    with pytest.raises(ValueError, match="in both its training and its test windows"):
        run_task(X, y, g, sfreq=64.0, folds=folds, **TINY)


def test_run_task__bad_metric_is_named(windows):
    X, y, g = windows
    with pytest.raises(ValueError, match="Invalid value for 'metric'.*'pooled'"):
        run_task(X, y, g, sfreq=64.0, metric="window", **TINY)


def test_task_folds__pooled_folds_hold_every_class():
    groups = np.repeat(np.arange(12), 5).astype(str)  # 12 segments of 5 windows
    y = np.repeat([0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2], 5)  # one class per segment
    for train, test in task_folds(y, groups, n_splits=3, metric="pooled"):
        assert set(y[train]) == set(y[test]) == {0, 1, 2}
        assert not set(groups[train]) & set(groups[test])


def _scores(deltas, reference=0.6):
    """Per-subject scores of a pretrained model, its random weights and the baselines."""
    rows = []
    for subject, delta in enumerate(deltas):
        for model, kind, probe, score in (("ssl", "ssl", "linear", reference + delta),
                                          ("random_weights", "baseline", "linear", reference),
                                          ("riemann", "baseline", "linear", reference + 0.1),
                                          ("band_power", "baseline", "linear", reference - 0.1),
                                          ("supervised", "baseline", "finetune", reference)):  # fmt: skip
            rows.append(dict(model=model, kind=kind, probe=probe, fraction=1.0, seed=0,
                             n_train=10, subject=str(subject), balanced_accuracy=score))  # fmt: skip
    return pd.DataFrame(rows)


def test_gain_table__paired_against_random_weights_and_best_classical():
    gains = gain_table(_scores([0.1, 0.2, -0.1, 0.2]), task="t", metric="subject")
    row = gains.iloc[0]
    assert row["gain_diff"] == pytest.approx(0.1)
    assert row["gain_se"] == pytest.approx(np.std([0.1, 0.2, -0.1, 0.2], ddof=1) / 2)
    assert (row["gain_wins"], row["gain_n"]) == (3, 4)
    assert row["best_classical"] == "riemann"
    assert row["vs_classical_diff"] == pytest.approx(0.0)
    assert row["vs_supervised_diff"] == pytest.approx(0.1)


def test_load_suite_config__lead_groups_and_every_task(shared_data):
    config = load_suite_config(SUITE)
    assert is_suite_config(SUITE)
    assert config["groups"] == {
        "selection": ["eegmat", "eegmmidb-eyes"],
        "evaluation": ["eegmmidb-fists", "ssvep-exo", "muse-p300", "bonn"],
    }
    assert config["tasks"]["bonn"]["metric"] == "pooled"
    from eeg_ssl.methods import METHODS
    from eeg_ssl.models import ENCODERS

    assert config["encoder"] in ENCODERS and set(config["methods"]) <= set(METHODS)
    assert "xdawn" in config["tasks"]["muse-p300"]["extra_baselines"]
    quick = load_suite_config(SUITE, quick=True)
    assert all(task["n_splits"] == 2 for task in quick["tasks"].values())


def test_load_suite_config__extends_keeps_the_base_tasks_and_paths(tmp_path):
    variant = tmp_path / "elsewhere" / "variant.yaml"
    variant.parent.mkdir()
    variant.write_text(
        yaml.safe_dump(
            {
                "extends": str(SUITE),
                "methods": {"vicreg": {}},
                "pretrain_on": ["dataset"],
                "out": "here",
            }
        )
    )
    assert is_suite_config(variant)
    base, config = load_suite_config(SUITE), load_suite_config(variant)
    assert config["methods"] == {"vicreg": {}} and config["pretrain_on"] == ["dataset"]
    assert config["tasks"] == base["tasks"] and config["groups"] == base["groups"]
    assert config["prepared"] == base["prepared"]  # relative to the base's folder
    assert config["out"] == str((variant.parent / "here").resolve())  # to the variant's
    assert load_suite_config(variant, quick=True)["out"] == str(variant.parent / "here-quick")
    variant.write_text(yaml.safe_dump({"extends": "missing.yaml"}))
    with pytest.raises(FileNotFoundError, match="extends"):
        load_suite_config(variant)


def test_load_suite_config__group_naming_an_unknown_task(tmp_path):
    config = yaml.safe_load(SUITE.read_text())
    config["groups"]["evaluation"].append("eegmatt")
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ValueError, match=r"names unknown task\(s\) \['eegmatt'\]"):
        load_suite_config(path)


def test_select_recordings__max_subjects_alternates_labels(shared_data):
    section = load_suite_config(SUITE)["tasks"]["bonn"]["prepare"]
    recordings = select_recordings(section, max_subjects=10)
    assert len(recordings) == 10
    assert sorted({r.label for r in recordings}) == ["A", "B", "C", "D", "E"]
    section = dict(section, inputs=[str(shared_data / "absent" / "*.txt")])
    assert select_recordings(section) == []


def test_run_suite__quick_runs_a_task_with_cross_dataset_rows(tmp_path, shared_data):
    text = run_suite(SUITE, tmp_path, quick=True, tasks=["bonn"], verbose=False)
    assert text.startswith("SMOKE RUN (--quick)")
    gains = pd.read_csv(tmp_path / "gains.csv")
    assert set(gains["task"]) == {"bonn"} and set(gains["metric"]) == {"pooled"}
    # pretrained on the task's training windows, and on the other datasets only
    assert set(gains["model"]) == {"simclr", "simclr[others]"}
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert {"random_weights", "random_weights[tokens]"} <= set(scores["model"])
    tasks = pd.read_csv(tmp_path / "tasks.csv")
    assert list(tasks["group"]) == ["evaluation"]
    assert "fold (pooled)" in (tmp_path / "table.md").read_text()
    assert (tmp_path / "gains.png").stat().st_size > 1000  # the headline as a picture


def test_run_suite__cross_dataset_rows_only(tmp_path, shared_data):
    quick = yaml.safe_load(SUITE.read_text())["quick"]
    variant = tmp_path / "lodo.yaml"
    variant.write_text(yaml.safe_dump({"extends": str(SUITE), "pretrain_on": ["others"],
                                       "quick": dict(quick, pretrain_on=["others"])}))  # fmt: skip
    run_suite(variant, tmp_path / "out", quick=True, tasks=["bonn"], verbose=False)
    scores = pd.read_csv(tmp_path / "out" / "scores.csv")
    # no fold-wise pretraining: the cross-dataset encoder, its reference and the baselines
    assert "simclr" not in set(scores["model"])
    assert {"simclr[others]", "random_weights[tokens]", "band_power"} <= set(scores["model"])
    gains = pd.read_csv(tmp_path / "out" / "gains.csv")
    assert set(gains["model"]) == {"simclr[others]"}


def test_run_suite__leave_one_dataset_out_leaves_out_the_tasks_of_the_same_dataset(
    tmp_path, shared_data, monkeypatch
):
    import eeg_ssl.evaluation.cross_dataset as cross_dataset
    from eeg_ssl.evaluation.suite import _same_dataset

    config = load_suite_config(SUITE)
    assert _same_dataset(config, "eegmmidb-fists") == ["eegmmidb-eyes"]
    assert _same_dataset(config, "eegmmidb-eyes") == ["eegmmidb-fists"]
    assert _same_dataset(config, "bonn") == []
    pools = []

    def spy(pool, **kwargs):
        pools.append(sorted(pool))
        return real(pool, **kwargs)

    real = cross_dataset.corpus_folders
    monkeypatch.setattr(cross_dataset, "corpus_folders", spy)
    quick = yaml.safe_load(SUITE.read_text())["quick"]
    variant = tmp_path / "lodo.yaml"
    variant.write_text(yaml.safe_dump({"extends": str(SUITE), "pretrain_on": ["others"],
                                       "quick": dict(quick, pretrain_on=["others"])}))  # fmt: skip
    run_suite(variant, tmp_path / "out", quick=True, tasks=["eegmmidb-fists"], verbose=False)
    (pool,) = pools
    # the other datasets only: neither the task nor eegmmidb's other task (same subjects)
    assert "eegmmidb-fists" not in pool and "eegmmidb-eyes" not in pool
    assert {"eegmat", "bonn", "muse-cueing"} <= set(pool)


def test_run_suite__align_subject_recentres_every_subject(tmp_path, shared_data, monkeypatch):
    import eeg_ssl.evaluation.suite as suite
    from eeg_ssl.transforms import mean_covariance

    seen = []

    def spy(X, y, g, **kwargs):
        seen.append((X, g))
        return run_task(X, y, g, **kwargs)

    monkeypatch.setattr(suite, "run_task", spy)
    variant = tmp_path / "aligned.yaml"
    variant.write_text(yaml.safe_dump({"extends": str(SUITE), "align": "subject"}))
    run_suite(variant, tmp_path / "out", quick=True, tasks=["muse-p300"], verbose=False)
    ((X, g),) = seen
    for subject in np.unique(g):
        R = mean_covariance(X[g == subject])
        np.testing.assert_allclose(R, np.eye(len(R)), atol=1e-3)
    variant.write_text(yaml.safe_dump({"extends": str(SUITE), "align": "subjects"}))
    with pytest.raises(ValueError, match="'align' of the suite"):
        load_suite_config(variant)


@pytest.mark.slow
def test_run_suite__quick_every_task(tmp_path, shared_data):
    run_suite(SUITE, tmp_path, quick=True, verbose=False)
    tasks = pd.read_csv(tmp_path / "tasks.csv")
    assert set(tasks["task"]) == set(load_suite_config(SUITE)["tasks"])
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert "xdawn" in set(scores.loc[scores["task"] == "muse-p300", "model"])


def test_run_suite__absent_data_skip_cleanly(tmp_path, monkeypatch):
    config = yaml.safe_load(SUITE.read_text())
    config["groups"] = {"selection": ["bonn"]}
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(config))
    monkeypatch.setenv("EEG_SSL_DATA", str(tmp_path / "no-data"))
    text = run_suite(path, tmp_path / "out", quick=True, verbose=False)
    assert "bonn: skipped, its recordings were not found" in text
    assert "(no task ran)" in text


def test_channel_mapped_embedding__absent_channels_are_zero():
    from eeg_ssl.evaluation.cross_dataset import ChannelMappedEmbedding
    from eeg_ssl.models import build_encoder

    ch_names = ["Fp1", "Cz", "Oz", "TP9"]
    encoder = build_encoder("tokens", n_chans=4, n_times=128, n_outputs=8, sfreq=64.0,
                            ch_names=ch_names, embed_dim=8, depth=1, n_heads=2)  # fmt: skip
    X = np.random.default_rng(0).standard_normal((5, 2, 128)).astype(np.float32)
    embedding = ChannelMappedEmbedding(encoder, ch_names, ["OZ", "EEG Fp1"])
    mapped = np.zeros((5, 4, 128), np.float32)
    mapped[:, 2], mapped[:, 0] = X[:, 0], X[:, 1]
    encoder.eval()
    with torch.no_grad():
        expected = encoder(torch.from_numpy(mapped)).numpy()
    np.testing.assert_allclose(embedding.fit(X).transform(X), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"Channels \['C3'\] are not in the encoder"):
        ChannelMappedEmbedding(encoder, ch_names, ["C3", "Cz"]).transform(X)


def test_channel_mapped_embedding__long_windows_are_the_mean_of_their_crops():
    from eeg_ssl.evaluation.cross_dataset import ChannelMappedEmbedding
    from eeg_ssl.models import build_encoder

    encoder = build_encoder("tokens", n_chans=2, n_times=128, n_outputs=8, sfreq=64.0,
                            ch_names=["Cz", "Oz"], embed_dim=8, depth=1, n_heads=2)  # fmt: skip
    X = np.random.default_rng(0).standard_normal((3, 2, 300)).astype(np.float32)
    embedding = ChannelMappedEmbedding(encoder, ["Cz", "Oz"], ["Cz", "Oz"], crop=128)
    halves = [embedding.transform(X[:, :, k * 128 : (k + 1) * 128]) for k in range(2)]
    np.testing.assert_allclose(embedding.transform(X), np.mean(halves, axis=0), rtol=1e-5,
                               atol=1e-6)  # fmt: skip


@pytest.mark.slow
def test_run_suite__second_run_reads_every_fold_back(tmp_path, shared_data, monkeypatch):
    from eeg_ssl.evaluation import cross_dataset

    config = yaml.safe_load(SUITE.read_text())
    config.update(config.pop("quick"), out=str(tmp_path / "out"),
                  prepared=str(tmp_path / "prepared"), groups={"selection": ["bonn"]})  # fmt: skip
    config["tasks"]["bonn"].update(config["tasks"]["bonn"].pop("quick"), n_splits=2)
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(config))
    first = run_suite(path, verbose=False)
    monkeypatch.setattr(cross_dataset, "corpus_encoders", None)  # must not pretrain again
    second = run_suite(path, verbose=False)
    # the same table from the stored folds
    assert first.split("Tasks:")[0] == second.split("Tasks:")[0]


def test_cli_benchmark__suite_refuses_single_benchmark_flags_and_takes_n_jobs(
    tmp_path, capsys, monkeypatch
):
    import eeg_ssl.evaluation.suite as suite
    from eeg_ssl.cli import main

    assert main(["--quiet", "benchmark", str(SUITE), "--seed", "3"]) == 2
    assert "--seed apply to single benchmarks" in capsys.readouterr().err
    seen = {}
    monkeypatch.setattr(suite, "run_suite", lambda *a, **k: seen.update(k) or "table")
    assert main(["--quiet", "benchmark", str(SUITE), "--n-jobs", "2", "--task", "bonn"]) == 0
    assert seen["n_jobs"] == 2 and seen["tasks"] == ["bonn"]
    monkeypatch.undo()
    assert main(["--quiet", "benchmark", str(SUITE), "--task", "bonn"]) == 2  # not selection
    assert "not in the selection group" in capsys.readouterr().err


def test_corpus_encoders__same_random_state_same_encoder(tmp_path, sample_dir):
    from eeg_ssl.evaluation.cross_dataset import corpus_encoders
    from eeg_ssl.io import Recipe, prepare

    recipe = Recipe(picks=("eeg",), l_freq=1.0, h_freq=30.0, sfreq=64.0, window_seconds=2.0)
    files = sorted(sample_dir.glob("sub-0*_*.edf"))
    folders = {"a": tmp_path / "a", "b": tmp_path / "b"}
    prepare(files[:2], folders["a"], recipe, verbose=False)
    prepare(files[2:4], folders["b"], recipe, verbose=False)

    def weights():
        encoders, _ = corpus_encoders(
            folders, "a", sources=["others"], method="simclr", max_windows=32,
            encoder_params={"n_outputs": 8, "embed_dim": 8, "depth": 1, "n_heads": 2},
            pretrain_params={"epochs": 1, "batch_size": 16}, random_state=0, verbose=False,
        )  # fmt: skip
        return torch.cat([p.detach().flatten()
                          for p in encoders["simclr[others]"].encoder.parameters()])  # fmt: skip

    # the views are seeded by random_state too, not by fresh entropy
    assert torch.equal(weights(), weights())
