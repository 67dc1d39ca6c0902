"""Comparing runs and one-click experiments.

Unit tests of :mod:`core.evaluation.comparison` (the settings that differ, the noise
rule, runs on other data or targets) and :mod:`core.jobs.experiments` (one valid recipe
per value, everything else equal); an AppTest of :func:`ui.compare.show_comparison` and of
the Design page's experiment panel with a recording runner; and one slow test that runs
a two-value experiment through the real job runner.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from helpers import TINY_LAYERS, churn_csv_bytes, jid, tiny_recipe
from streamlit.testing.v1 import AppTest

import core.jobs.runner
from core.errors import RecipeError
from core.evaluation.comparison import (
    DataMatch,
    MetricValue,
    compare_runs,
    compared_runs,
    curve_sets,
    data_match,
    judge_difference,
)
from core.evaluation.test_outputs import TEST_OUTPUTS_FILE, TestOutputs
from core.jobs.experiments import (
    EXPERIMENT_FILE,
    EXPERIMENT_SETTINGS,
    ExperimentTag,
    experiment_recipes,
    experiment_runs,
    submit_experiment,
)
from core.jobs.runner import LocalJobRunner
from core.jobs.states import JobState
from core.jobs.status import JobStatus
from core.model.differences import differing_settings
from core.model.fields import spec_for
from core.model.recipe import LayerConfig, Recipe
from core.results import EpochReport, RunResult

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the app's ui/ package, as Streamlit puts it on the path

FINGERPRINT = "a" * 64


# --- building runs ---------------------------------------------------------------------------


def history(n: int, slope: float = 1.0) -> list[EpochReport]:
    return [
        EpochReport(
            i, slope / i, 1.2 * slope / i, 0.5 + i / 20, 0.5 + i / 25, "accuracy", 0.1, 1e-3
        )
        for i in range(1, n + 1)
    ]


def result(
    auc: float,
    auc_range: tuple[float, float] | None,
    *,
    target: str = "churn",
    task: str = "binary",
    best_epoch: int = 3,
) -> RunResult:
    metrics = {"roc_auc": auc, "accuracy": auc - 0.1}
    intervals = {"accuracy": [auc - 0.15, auc - 0.05]}
    if auc_range is not None:
        intervals["roc_auc"] = list(auc_range)
    return RunResult(
        task=task,
        target=target,
        class_labels=["No", "Yes"],
        primary_metric="roc_auc",
        metrics=metrics,
        baselines={},
        verdict="",
        feature_importance=[],
        epochs_run=5,
        best_epoch=best_epoch,
        stopped_because="completed",
        message="",
        intervals=intervals,
        history=history(5),
    )


def status(
    label: str,
    recipe: Recipe | None,
    run_result: RunResult | None,
    *,
    fingerprint: str | None = FINGERPRINT,
    state: str = "finished",
    epochs: int = 5,
    tag: ExperimentTag | None = None,
) -> JobStatus:
    return JobStatus(
        job_id=jid(label),
        state=JobState(state),
        queue_position=None,
        data_name="churn.csv",
        created_at=time.time(),
        started_at=time.time() - 5,
        finished_at=time.time() if state == "finished" else None,
        epoch=epochs,
        max_epochs=5,
        elapsed_seconds=5.0,
        eta_seconds=None,
        history=history(epochs),
        result=run_result,
        error=None,
        stop_requested=False,
        recipe=recipe,
        data_fingerprint=fingerprint,
        experiment=tag,
    )


BASE = Recipe(target="churn")
SGD = BASE.with_changes(**{"training.optimizer": "sgd", "training.learning_rate": 0.01})


# --- the settings that differ ------------------------------------------------------------


def test_only_the_settings_that_differ_are_listed_with_plain_labels() -> None:
    differences = differing_settings([BASE, SGD])
    by_path = {d.path: d for d in differences}
    assert set(by_path) == {"training.optimizer", "training.learning_rate"}
    optimizer = spec_for("training.optimizer")
    assert by_path["training.optimizer"].label == optimizer.label
    assert by_path["training.optimizer"].values == (
        optimizer.choices["adam"],
        optimizer.choices["sgd"],
    )
    # An empty learning rate says what "automatic" meant for that run.
    assert by_path["training.learning_rate"].values == ("automatic (0.001)", "0.01")
    assert differing_settings([BASE, BASE]) == []
    # Left empty, the learning rate is each method's own: that difference is shown too.
    automatic = BASE.with_changes(**{"training.optimizer": "sgd"})
    by_path = {d.path: d for d in differing_settings([BASE, automatic])}
    assert by_path["training.learning_rate"].values == ("automatic (0.001)", "automatic (0.01)")


def test_layer_settings_differ_per_layer() -> None:
    smaller = BASE.with_changes(
        **{"model.hidden_layers": [LayerConfig(units=32), LayerConfig(units=64, dropout=0.5)]}
    )
    by_path = {d.path: d for d in differing_settings([BASE, smaller])}
    assert set(by_path) == {"model.hidden_layers", "layer.dropout"}
    assert by_path["model.hidden_layers"].values == ("128, 64", "32, 64")
    assert by_path["layer.dropout"].label == spec_for("layer.dropout").label
    assert by_path["layer.dropout"].values == ("0.3", "0.3, 0.5")


def test_a_missing_recipe_reads_as_unknown() -> None:
    differences = differing_settings([BASE, None])
    assert differences and all(d.values[1] == "unknown" for d in differences)


# --- the noise rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "other", "higher", "expected"),
    [
        (MetricValue(0.80, 0.75, 0.85), MetricValue(0.83, 0.78, 0.88), True, "noise"),
        (MetricValue(0.70, 0.65, 0.75), MetricValue(0.85, 0.80, 0.90), True, "better"),
        (MetricValue(0.85, 0.80, 0.90), MetricValue(0.70, 0.65, 0.75), True, "worse"),
        # Errors: lower is better.
        (MetricValue(10.0, 9.0, 11.0), MetricValue(5.0, 4.5, 5.5), False, "better"),
        (MetricValue(0.80, None, None), MetricValue(0.90, 0.88, 0.92), True, "unknown"),
    ],
)
def test_a_difference_counts_only_when_the_ranges_do_not_overlap(
    reference: MetricValue, other: MetricValue, higher: bool, expected: str
) -> None:
    assert judge_difference(reference, other, higher) == expected


def test_scores_are_compared_with_the_headline_first_and_the_method_said() -> None:
    runs = compared_runs(
        [
            status("a", BASE, result(0.70, (0.65, 0.75))),
            status("b", SGD, result(0.85, (0.80, 0.90))),
            status("c", BASE.with_changes(seed=1), result(0.72, (0.66, 0.78))),
        ]
    )
    assert [run.name for run in runs] == ["Run A", "Run B", "Run C"]
    comparison = compare_runs(runs)
    assert comparison.match is DataMatch.SAME_DATA_OTHER_SPLIT  # run C has another seed
    assert comparison.metrics[0].metric == comparison.headline == "roc_auc"
    assert comparison.metrics[0].outcomes == (None, "better", "noise")
    assert "do not overlap" in comparison.method
    sentences = comparison.headline_sentences()
    assert len(sentences) == 2 and "Run B" in sentences[0] and "more than the noise" in sentences[0]
    assert "within the noise of Run A" in sentences[1]


# --- paired comparisons on the same test rows ------------------------------------------


def outputs(quality: float, seed: int = 0, n: int = 300) -> TestOutputs:
    """Binary test outputs on the same 300 rows; ``quality`` sets how well they separate."""
    y = np.random.default_rng(0).integers(0, 2, n)
    noise = np.random.default_rng(seed).normal(0, 0.25, n)
    p = np.clip(0.5 + quality * (y - 0.5) + noise, 0.01, 0.99)
    return TestOutputs("binary", ["No", "Yes"], y, np.column_stack([1 - p, p]))


def test_test_outputs_round_trip(tmp_path) -> None:
    kept = outputs(0.4)
    kept.save(tmp_path / TEST_OUTPUTS_FILE)
    read = TestOutputs.load(tmp_path / TEST_OUTPUTS_FILE)
    assert read is not None and read.task == "binary" and read.class_labels == ["No", "Yes"]
    assert np.array_equal(read.y_true, kept.y_true) and np.allclose(read.outputs, kept.outputs)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    assert TestOutputs.load(tmp_path / "bad.npz") is None
    assert TestOutputs.load(tmp_path / "missing.npz") is None


def test_runs_on_the_same_rows_are_compared_paired() -> None:
    kept = {jid("a"): outputs(0.2), jid("b"): outputs(0.6, seed=1), jid("c"): outputs(0.2, 2)}
    statuses = [
        status("a", BASE, result(0.70, (0.60, 0.80))),
        status("b", SGD, result(0.72, (0.62, 0.82))),  # ranges overlap ...
        status("c", SGD, result(0.70, (0.60, 0.80))),
    ]
    comparison = compare_runs(compared_runs(statuses, outputs_of=kept.get))
    assert comparison.is_paired and "paired" in comparison.method
    headline = comparison.metrics[0]
    # ... but on the same resamples B is clearly better, and C (as good as A) is not.
    assert headline.outcomes == (None, "better", "noise")
    difference = headline.paired[1]
    assert difference.low > 0 and difference.low <= difference.difference <= difference.high
    # Other rows (another split): no pairing, the cautious rule is used.
    kept[jid("b")] = outputs(0.6, seed=1, n=200)
    fallback = compare_runs(compared_runs(statuses, outputs_of=kept.get))
    assert not fallback.is_paired and "do not overlap" in fallback.method
    assert fallback.metrics[0].outcomes == (None, "noise", "noise")


# --- runs on other data or targets --------------------------------------------------------


def test_same_data_and_split_is_recognised() -> None:
    runs = compared_runs(
        [status("a", BASE, result(0.7, None)), status("b", SGD, result(0.7, None))]
    )
    match, notes = data_match(runs)
    assert match is DataMatch.SAME_SPLIT and "same rows" in notes[0]


def test_other_data_or_unknown_data_is_said() -> None:
    other = compared_runs(
        [
            status("a", BASE, result(0.7, None)),
            status("b", BASE, result(0.7, None), fingerprint="b" * 64),
        ]
    )
    assert data_match(other)[0] is DataMatch.OTHER_DATA
    unknown = compared_runs(
        [
            status("a", BASE, result(0.7, None)),
            status("b", BASE, result(0.7, None), fingerprint=None),
        ]
    )
    match, notes = data_match(unknown)
    assert match is DataMatch.OTHER_DATA and "cannot be confirmed" in notes[0]
    # Scores are still compared (same target and task), with the note.
    assert compare_runs(other).metrics


def test_runs_with_other_targets_or_tasks_show_no_scores() -> None:
    other_target = BASE.with_changes(target="tenure")
    comparison = compare_runs(
        compared_runs(
            [
                status("a", BASE, result(0.7, (0.6, 0.8))),
                status("b", other_target, result(0.7, (0.6, 0.8), target="tenure")),
            ]
        )
    )
    assert comparison.match is DataMatch.OTHER_TARGET
    assert comparison.metrics == [] and comparison.method is None
    assert "'churn'" in comparison.notes[0] and "'tenure'" in comparison.notes[0]
    assert any(d.path == "target" for d in comparison.settings)  # settings still shown
    other_task = compare_runs(
        compared_runs(
            [
                status("a", BASE, result(0.7, None)),
                status("b", BASE, result(0.7, None, task="multiclass")),
            ]
        )
    )
    assert other_task.match is DataMatch.OTHER_TARGET and other_task.metrics == []


def test_curves_mark_the_kept_epoch_or_the_best_so_far() -> None:
    finished = status("a", BASE, result(0.7, None, best_epoch=2))
    running = replace(status("b", SGD, None, state="running", epochs=4), finished_at=None)
    curves = curve_sets(compared_runs([finished, running]))
    assert curves[0].best_epoch == 2
    assert curves[1].epochs == [1, 2, 3, 4] and curves[1].best_epoch == 4  # lowest val loss
    comparison = compare_runs(compared_runs([finished, running]))
    assert any("Run B" in note and "no test scores yet" in note for note in comparison.notes)


# --- experiment recipes --------------------------------------------------------------------


def _without(recipe: Recipe, *paths: str) -> dict:
    data = recipe.to_dict()
    for path in paths:
        *parents, leaf = path.split(".")
        node = data
        for part in parents:
            node = node[part]
        node.pop(leaf)
    return data


@pytest.mark.parametrize(
    ("setting", "values", "changed"),
    [
        ("optimizer", ["sgd", "adam"], "training.optimizer"),
        ("learning_rate", ["0.001", "0.01", "0.1"], "training.learning_rate"),
        ("units_first", [8, 16], "model.hidden_layers"),
        ("units_all", ["8", "16", "32"], "model.hidden_layers"),
        ("dropout", [0.0, 0.5], "model.hidden_layers"),
    ],
)
def test_experiment_recipes_change_one_setting_only(setting, values, changed) -> None:
    recipes = experiment_recipes(BASE, setting, values)
    assert len(recipes) == len(values)
    assert len({r.to_json() for r in recipes}) == len(values)  # each value is a different recipe
    for recipe in recipes:
        assert Recipe.from_json(recipe.to_json()) == recipe  # valid
        assert _without(recipe, changed) == _without(BASE, changed)  # everything else equal


def test_layer_experiments_change_the_right_layers() -> None:
    first = experiment_recipes(BASE, "units_first", [8, 16])[0]
    assert [layer.units for layer in first.model.hidden_layers] == [8, 64]
    every = experiment_recipes(BASE, "units_all", [8, 16])[1]
    assert [layer.units for layer in every.model.hidden_layers] == [16, 16]
    dropout = experiment_recipes(BASE, "dropout", [0.0, 0.5])[1]
    assert [layer.dropout for layer in dropout.model.hidden_layers] == [0.5, 0.5]
    assert [layer.units for layer in dropout.model.hidden_layers] == [128, 64]


def test_optimizer_experiments_offer_sgd_and_adam() -> None:
    defaults = EXPERIMENT_SETTINGS["optimizer"].defaults
    assert {"sgd", "adam"} <= set(defaults)
    assert all(value in spec_for("training.optimizer").choices for value in defaults)


@pytest.mark.parametrize(
    ("setting", "values", "words"),
    [
        ("dropout", [0.1], "between 2 and 5"),
        ("dropout", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], "between 2 and 5"),
        ("dropout", [0.1, 0.1], "twice"),
        ("learning_rate", ["0.01", "fast"], "'fast' is not a number"),
        ("dropout", [0.1, 0.95], "0.95"),
        ("units_first", [8, 8.5], "whole number"),
        ("optimizer", ["adam", "newton"], "not one of the learning methods"),
        ("momentum", [0.1, 0.2], "cannot be varied"),
    ],
)
def test_bad_experiment_values_are_refused_in_plain_words(setting, values, words) -> None:
    with pytest.raises(RecipeError, match=words):
        experiment_recipes(BASE, setting, values)


def test_layer_experiments_need_a_hidden_layer() -> None:
    linear = BASE.with_changes(**{"model.hidden_layers": []})
    with pytest.raises(RecipeError, match="no hidden layer"):
        experiment_recipes(linear, "dropout", [0.1, 0.2])


class RecordingRunner:
    """Records submit calls; a stand-in for the job runner in unit and page tests."""

    max_concurrent = 2

    def __init__(self) -> None:
        self.submitted: list[tuple[bytes, str, Recipe, dict]] = []
        self.statuses: list[JobStatus] = []

    def submit(self, data, data_name, recipe, *, notes=None) -> str:
        self.submitted.append((data, data_name, recipe, notes or {}))
        tag = ExperimentTag.from_dict((notes or {}).get(EXPERIMENT_FILE))
        label = f"run{len(self.submitted)}"
        self.statuses.append(status(label, recipe, None, state="queued", epochs=0, tag=tag))
        return jid(label)

    def list_jobs(self) -> list[JobStatus]:
        return list(self.statuses)


def test_submit_experiment_tags_every_run_and_queues_nothing_on_a_bad_value() -> None:
    runner = RecordingRunner()
    with pytest.raises(RecipeError):
        submit_experiment(runner, b"a,b\n", "d.csv", BASE, "learning_rate", ["0.01", "-1"])
    assert runner.submitted == []
    experiment_id, job_ids = submit_experiment(
        runner, b"a,b\n", "d.csv", BASE, "optimizer", ["sgd", "adam"]
    )
    assert job_ids == [jid("run1"), jid("run2")]
    tags = [ExperimentTag.from_dict(notes[EXPERIMENT_FILE]) for *_, notes in runner.submitted]
    assert [t.experiment_id for t in tags] == [experiment_id] * 2
    assert [(t.setting, t.value, t.index, t.count) for t in tags] == [
        ("optimizer", "sgd", 0, 2),
        ("optimizer", "adam", 1, 2),
    ]
    found = experiment_runs(runner.list_jobs()[::-1], experiment_id)
    assert [s.experiment.value for s in found] == ["sgd", "adam"]  # in the order queued


def test_local_runner_keeps_notes_recipe_and_fingerprint(workspace, monkeypatch) -> None:
    # The process is not started: only the job folder the runner writes is checked here.
    monkeypatch.setattr(LocalJobRunner, "_start_process", lambda self, job_dir, lock_fd: None)
    runner = LocalJobRunner(workspace, max_concurrent=1)
    recipe = tiny_recipe()
    data = churn_csv_bytes(60)
    tag = ExperimentTag("e1", "dropout", 0.5, "Dropout 0.5", 1, 2)
    job_id = runner.submit(data, "churn.csv", recipe, notes={EXPERIMENT_FILE: tag.to_dict()})
    read = runner.status(job_id)
    assert read.experiment == tag and read.recipe == recipe
    import hashlib

    assert read.data_fingerprint == hashlib.sha256(data).hexdigest()
    stored = json.loads((workspace / "jobs" / job_id / EXPERIMENT_FILE).read_text())
    assert stored == tag.to_dict()
    with pytest.raises(ValueError):
        runner.submit(data, "churn.csv", recipe, notes={"status.json": {}})


# --- the page pieces -----------------------------------------------------------------------


def _comparison_script(kind: str) -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path.cwd()))
    import test_compare as t

    from ui.compare import show_comparison

    if kind == "same":
        statuses = [
            t.status("a", t.BASE, t.result(0.70, (0.65, 0.75))),
            t.status("b", t.SGD, t.result(0.85, (0.80, 0.90))),
        ]
    else:
        other = t.BASE.with_changes(target="tenure")
        statuses = [
            t.status("a", t.BASE, t.result(0.70, (0.65, 0.75))),
            t.status("b", other, t.result(0.7, (0.6, 0.8), target="tenure")),
        ]
    show_comparison(statuses, key="cmp")


def _app(kind: str) -> AppTest:
    app = AppTest.from_function(_comparison_script, args=(kind,), default_timeout=30)
    return app.run()


def test_show_comparison_draws_curves_settings_and_scores(monkeypatch) -> None:
    monkeypatch.chdir(Path(__file__).parent)
    app = _app("same")
    assert not app.exception, [e.value for e in app.exception]
    specs = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    assert len(specs) == 2  # loss and metric
    loss = specs[0]["data"]
    dashes = {trace.get("line", {}).get("dash") for trace in loss if trace["mode"] == "lines"}
    assert dashes == {"dash", None}  # training dashed, validation solid
    assert any(trace["mode"] == "markers" for trace in loss)  # best epoch marked
    text = " ".join(m.value for m in app.markdown)
    from ui.text import escape_markdown

    assert escape_markdown(spec_for("training.optimizer").label) in text and "→" in text
    assert "more than the noise" in text
    table = app.dataframe[0].value
    assert list(table.columns)[-1] == "Run B vs Run A"
    assert table.iloc[0, -1] == "better (beyond the noise)"


def test_show_comparison_of_other_targets_says_so_and_shows_no_scores(monkeypatch) -> None:
    monkeypatch.chdir(Path(__file__).parent)
    app = _app("other")
    assert not app.exception, [e.value for e in app.exception]
    assert any("cannot be compared" in info.value for info in app.info)
    assert len(app.dataframe) == 0
    assert len(app.get("plotly_chart")) == 2  # curves are still drawn


def test_design_page_queues_an_experiment(monkeypatch) -> None:
    fake = RecordingRunner()
    monkeypatch.setattr(core.jobs.runner, "get_runner", lambda: fake)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    app.switch_page("app_pages/data.py").run()
    app.segmented_control(key="sample_dataset").set_value("telco_churn.csv").run()
    app.switch_page("app_pages/design.py").run()
    assert not app.exception, [e.value for e in app.exception]
    app.selectbox(key="experiment_setting").set_value("dropout").run()
    app.text_input(key="experiment_values_dropout").set_value("0.0, 0.5").run()
    app.button(key="experiment_start").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert [notes[EXPERIMENT_FILE]["value"] for *_, notes in fake.submitted] == [0.0, 0.5]
    assert all(recipe.target for _, _, recipe, _ in fake.submitted)
    assert any("Dropout 0\\.5" in m.value for m in app.markdown)  # the runs are listed
    # A bad value is said in plain words and queues nothing more.
    app.text_input(key="experiment_values_dropout").set_value("0.1 lots").run()
    app.button(key="experiment_start").click().run()
    assert any("'lots' is not a number" in e.value for e in app.error)
    assert len(fake.submitted) == 2


# --- the real runner -----------------------------------------------------------------------


@pytest.mark.slow
def test_a_two_value_experiment_runs_through_the_real_runner(workspace) -> None:
    runner = LocalJobRunner(workspace, max_concurrent=2)
    base = tiny_recipe(epochs=2, **{"model.hidden_layers": TINY_LAYERS})
    experiment_id, job_ids = submit_experiment(
        runner, churn_csv_bytes(120), "churn.csv", base, "dropout", [0.0, 0.2]
    )
    deadline = time.monotonic() + 300
    while True:
        statuses = experiment_runs(runner.list_jobs(), experiment_id)
        if all(not s.is_active for s in statuses) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert [s.job_id for s in statuses] == job_ids
    assert [s.state for s in statuses] == ["finished", "finished"], [s.error for s in statuses]
    assert all(s.result is not None and s.result.has_model for s in statuses)
    assert [s.experiment.value for s in statuses] == [0.0, 0.2]

    def kept(job_id: str) -> TestOutputs | None:
        path = runner.artifact(job_id, TEST_OUTPUTS_FILE)
        return TestOutputs.load(path) if path else None

    comparison = compare_runs(compared_runs(statuses, outputs_of=kept))
    assert comparison.match is DataMatch.SAME_SPLIT
    assert [d.path for d in comparison.settings] == ["layer.dropout"]
    assert comparison.metrics and comparison.metrics[0].metric == statuses[0].result.primary_metric
    # Both kept their test outputs on the same rows: the scores are compared paired, and
    # the kept outputs score exactly what the run reported.
    assert comparison.is_paired
    first = kept(job_ids[0])
    assert len(first.y_true) == statuses[0].result.data.n_test
    from core.evaluation.baselines import score_outputs

    rescored = score_outputs("binary", first.y_true, first.outputs, first.class_labels)
    assert rescored["roc_auc"] == pytest.approx(statuses[0].result.metrics["roc_auc"])
