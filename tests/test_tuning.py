"""Find good settings for me: the search space, a real time-boxed search, pruning, the CLI.

Fast tests check the search space against the recipe's declared ranges and choice tables,
the objective and the study folder. The slow tests run a real search: every trial is an
ordinary job of the job runner on 240 synthetic rows, a bad trial is pruned from its early
passes, and the best settings are trained again as a normal run with its bundle.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import time
import zipfile
from pathlib import Path

import optuna
import pytest
from helpers import churn_csv_bytes, jid, tiny_recipe
from test_cli import run_cli
from test_pages import (
    FakeRunner,
    classification_result,
    go,
    job_status,
    markdown_texts,
    no_exception,
    open_app,
)

import core.jobs.runner
from core.errors import TrainingError
from core.evaluation.test_outputs import TEST_OUTPUTS_FILE
from core.jobs.experiments import experiment_runs
from core.jobs.process import lock_is_held
from core.jobs.runner import BUNDLE_FILE, LocalJobRunner
from core.model.choices import OPTIMIZERS
from core.model.fields import spec_for
from core.model.recipe import Recipe
from core.results import EpochReport
from core.tuning import launch
from core.tuning.coordinator import objective_value, run_study
from core.tuning.launch import create_study, start_study
from core.tuning.space import (
    SEARCH_SPACE,
    Dimension,
    check_search_space,
    params_of,
    recipe_for,
    suggest_recipe,
    trial_name,
)
from core.tuning.study_files import (
    LOCK_FILE,
    STOP_FILE,
    TUNING_FILE,
    StudyPhase,
    StudyState,
    TrialRecord,
    TrialState,
    read_state,
    stop_study,
    study_folder,
    validation_only_job,
    write_state,
)

# --- the search space -------------------------------------------------------------------------


def test_the_search_space_stays_inside_the_recipes_ranges_and_tables() -> None:
    assert check_search_space() == []
    optimizers = SEARCH_SPACE["optimizer"].choices
    assert set(optimizers) <= set(spec_for("training.optimizer").choices or {})
    assert "gradient_descent" not in optimizers  # full-batch: too slow for a time-boxed search
    # A space reaching past a declared range is reported, so the check can fail.
    wide = dict(
        SEARCH_SPACE, dropout=Dimension("dropout", "layer.dropout", "float", 0.0, 0.0, 0.95)
    )
    assert any("dropout" in problem for problem in check_search_space(wide))
    huge = dict(
        SEARCH_SPACE,
        first_layer_units=Dimension("first_layer_units", "layer.units", "choice", (8192,)),
    )
    assert any("8192" in problem for problem in check_search_space(huge))


def test_every_sampled_recipe_is_valid_and_keeps_the_rest_of_the_recipe() -> None:
    base = tiny_recipe(epochs=7).with_changes(seed=5, drop_columns=["member"])
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(40):
        recipe = suggest_recipe(study.ask(), base)
        training, layers = recipe.training, recipe.model.hidden_layers
        rate_range = (
            OPTIMIZERS[training.optimizer].learning_rate * 0.1,
            OPTIMIZERS[training.optimizer].learning_rate * 10,
        )
        assert rate_range[0] * 0.99 <= training.learning_rate <= rate_range[1] * 1.01
        assert 1 <= len(layers) <= 3 and all(8 <= layer.units <= 256 for layer in layers)
        assert all(0.0 <= layer.dropout <= 0.5 for layer in layers)
        assert 1e-6 <= recipe.model.l2 <= 1e-3
        # The same data, split, seed and training length for every trial.
        assert (recipe.seed, recipe.target, recipe.drop_columns) == (5, base.target, ("member",))
        assert recipe.split == base.split and training.max_epochs == 7


def test_the_search_starts_from_the_persons_own_recipe_when_it_fits() -> None:
    base = Recipe(target="churn")
    params = params_of(base)
    assert params is not None
    assert recipe_for(params, base) == base.with_changes(**{"training.learning_rate": 0.001})
    assert trial_name(3, recipe_for(params, base)) == "Tuning trial 3: Adam, lr 0.001, 128-64"
    # Outside the space: plain gradient descent, or layers of uneven widths.
    assert params_of(base.with_changes(**{"training.optimizer": "gradient_descent"})) is None
    uneven = [{"units": 100}, {"units": 7}]
    assert params_of(base.with_changes(**{"model.hidden_layers": uneven})) is None


def _report(epoch: int, val_loss: float, loss: float = 0.01) -> EpochReport:
    return EpochReport(epoch, loss, val_loss, 0.9, 0.8, "accuracy", 0.1, 0.001)


def test_the_objective_reads_the_validation_loss_only() -> None:
    history = [_report(1, 0.7), _report(2, 0.4, loss=0.001), _report(3, math.nan), _report(4, 0.5)]
    assert objective_value(history) == pytest.approx(0.4)
    # The training loss has no say, however low.
    assert objective_value([_report(1, 0.6, loss=0.0)]) == pytest.approx(0.6)
    assert objective_value([_report(1, math.nan)]) is None


def test_a_search_needs_a_target_and_a_sensible_budget(workspace: Path) -> None:
    with pytest.raises(TrainingError, match="column to predict"):
        create_study(b"a,b\n1,2\n", "x.csv", Recipe(), 2)
    with pytest.raises(TrainingError, match="minutes"):
        create_study(b"a,b\n1,2\n", "x.csv", Recipe(target="b"), 0)
    folder = create_study(churn_csv_bytes(), "churn.csv", tiny_recipe(), 2)
    state = read_state(folder)
    # Its process never started (nobody holds the lock): the page must not wait forever.
    assert state.phase == StudyPhase.INTERRUPTED and state.trials == ()


# --- a real search ----------------------------------------------------------------------------

GOOD = {
    "optimizer": "adam",
    "learning_rate_factor": 10.0,
    "hidden_layers": 1,
    "first_layer_units": 16,
    "narrowing": 1,
    "dropout": 0.0,
    "l2": 1e-6,
    "batch_size": 32,
}
# Plain SGD at a tenth of its rate on a tiny network barely moves: worse than GOOD at every pass.
BAD = GOOD | {
    "optimizer": "sgd",
    "learning_rate_factor": 0.1,
    "first_layer_units": 16,
    "dropout": 0.5,
}
MAX_EPOCHS = 15


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalJobRunner, Path]:
    """One real search on 240 rows: GOOD first, BAD second, then whatever TPE proposes."""
    workspace = tmp_path_factory.mktemp("tuning-workspace")
    runner = LocalJobRunner(workspace, max_concurrent=1)
    base = tiny_recipe(epochs=MAX_EPOCHS, **{"training.patience": 4})
    # Two tries at most: GOOD finishes, BAD is pruned, and the time limit never decides.
    folder = create_study(
        churn_csv_bytes(240), "churn.csv", base, 5, max_trials=2, workspace=workspace
    )
    pruner = optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=1)
    # The best settings' run (a normal run with its bundle) is checked in the CLI test.
    run_study(
        runner, folder, pruner=pruner, first_params=[GOOD, BAD], poll_seconds=0.1, train_best=False
    )
    return runner, folder


@pytest.mark.slow
def test_a_search_runs_trials_as_jobs_and_keeps_the_best_validation_score(searched) -> None:
    """Two tries, each an ordinary job; the best recipe is the best validation score's."""
    runner, folder = searched
    state = read_state(folder)
    assert state.phase == StudyPhase.FINISHED, state.message
    assert len(state.trials) == 2  # max_trials
    complete = [t for t in state.trials if t.state == TrialState.COMPLETE]
    assert complete and state.best is not None
    assert state.best.value == min(t.value for t in complete)
    # Its score is the lowest validation loss its job wrote, pass by pass.
    assert state.best.value == objective_value(runner.status(state.best.job_id).history)
    assert state.best_job_id is None  # train_best=False: nothing was tested
    # Every trial is an ordinary job: a run of its own, named for its settings, grouped.
    runs = experiment_runs(runner.list_jobs(), state.study_id)
    by_id = {status.job_id: status for status in runs}
    for trial in state.trials:
        assert runner.meta(trial.job_id).name == trial.name
        assert trial.name.startswith(f"Tuning trial {trial.number}: ")
        assert by_id[trial.job_id].recipe == Recipe.from_dict(trial.recipe)


@pytest.mark.slow
def test_trials_never_look_at_the_test_rows(searched) -> None:
    runner, folder = searched
    for trial in read_state(folder).trials:
        job_dir = runner.jobs_dir / trial.job_id
        assert validation_only_job(job_dir), json.loads((job_dir / TUNING_FILE).read_text())
        status = runner.status(trial.job_id)
        assert not (job_dir / TEST_OUTPUTS_FILE).exists() and not (job_dir / BUNDLE_FILE).exists()
        if status.result is not None:  # pruned and complete trials alike: no test score
            assert status.result.metrics == {} and status.result.baselines == {}


@pytest.mark.slow
def test_a_poor_trial_is_pruned_from_its_early_passes(searched) -> None:
    runner, folder = searched
    trials = {t.number: t for t in read_state(folder).trials}
    assert trials[1].state == TrialState.COMPLETE
    assert trials[2].state == TrialState.PRUNED, trials[2]
    assert 1 <= trials[2].epochs < MAX_EPOCHS
    assert runner.status(trials[2].job_id).epoch == trials[2].epochs


@pytest.mark.slow
def test_a_search_runs_in_its_own_process_and_stops_on_request(workspace: Path) -> None:
    """``python -m core.jobs tune``: started detached, it ends by itself on a stop request."""
    study_id = start_study(churn_csv_bytes(), "churn.csv", tiny_recipe(epochs=3), 5)
    folder = study_folder(study_id)
    stop_study(folder)  # at once: before (or just after) its first try starts
    deadline = time.monotonic() + 120
    while read_state(folder).phase.is_active and time.monotonic() < deadline:
        time.sleep(0.2)
    state = read_state(folder)
    # Its own final word (an interrupted search would have died without one).
    assert state.phase == StudyPhase.STOPPED, (state, (folder / "log.txt").read_text())
    assert "stopped" in (state.message or "") and state.best_job_id is None
    assert all(t.state == TrialState.CUT_SHORT for t in state.trials)
    while lock_is_held(folder / LOCK_FILE) and time.monotonic() < deadline:
        time.sleep(0.1)  # the final state is written just before the process exits
    assert not lock_is_held(folder / LOCK_FILE)


# --- the command line -------------------------------------------------------------------------


def test_cli_tune_refuses_unusable_input_with_one_plain_line(churn_csv: Path) -> None:
    no_target = run_cli("tune", str(churn_csv), "--budget", "2")
    assert no_target.returncode == 2 and "--target" in no_target.stderr.splitlines()[-1]
    no_time = run_cli("tune", str(churn_csv), "--target", "churn", "--budget", "0")
    assert no_time.returncode == 2
    assert no_time.stderr.strip().splitlines() == [
        "error: Give the search between 0.1 and 1440 minutes."
    ]


@pytest.mark.slow
def test_cli_tune_prints_trials_and_a_summary_and_writes_the_best_bundle(
    churn_csv: Path, tmp_path: Path, workspace: Path
) -> None:
    out = tmp_path / "best.zip"
    done = run_cli(
        "tune",
        str(churn_csv),
        "--target",
        "churn",
        "--budget",
        "0.1",
        "--out",
        str(out),
        "--seed",
        "3",
        "--epochs",
        "4",
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["trials"] >= 1 and summary["pruned"] >= 0
    assert "trial 1" in done.stderr
    assert summary["best_recipe"]["target"] == "churn"
    assert summary["validation_loss"] > 0 and summary["test_metrics"]
    assert summary["bundle"] == str(out) and zipfile.is_zipfile(out)
    # The best settings, trained again as a normal run: tested once, with its bundle; the
    # tries are runs of the same search, never tested.
    runner = LocalJobRunner(workspace)
    state = read_state(study_folder(summary["study_id"]))
    assert state.phase == StudyPhase.FINISHED and state.best_job_id == summary["best_job_id"]
    assert summary["trials"] == len(state.trials) and state.best.number == summary["best_trial"]
    best = runner.status(state.best_job_id)
    assert best.result is not None and best.result.metrics == summary["test_metrics"]
    assert (
        best.recipe
        == Recipe.from_dict(state.best.recipe)
        == Recipe.from_dict(summary["best_recipe"])
    )
    assert runner.meta(best.job_id).name.startswith("Best settings found (")
    assert runner.artifact(best.job_id, BUNDLE_FILE) is not None
    assert not validation_only_job(runner.jobs_dir / best.job_id)
    grouped = {s.job_id for s in experiment_runs(runner.list_jobs(), state.study_id)}
    assert grouped == {best.job_id, *(t.job_id for t in state.trials)}
    for trial in state.trials:
        assert validation_only_job(runner.jobs_dir / trial.job_id)
        assert not (runner.jobs_dir / trial.job_id / TEST_OUTPUTS_FILE).exists()


# --- the Design page's panel --------------------------------------------------------------------


def _fake_search(workspace: Path, base: Recipe, phase: StudyPhase, best_job_id: str | None):
    """A search folder whose state.json holds two tries: one finished (the best), one pruned."""
    folder = create_study(churn_csv_bytes(), "telco_churn.csv", base, 2, workspace=workspace)
    good = recipe_for(GOOD, base)
    trials = (
        TrialRecord(
            1, jid("t1"), trial_name(1, good), good.to_dict(), TrialState.COMPLETE, 0.41, 12, 20
        ),
        TrialRecord(
            2, jid("t2"), trial_name(2, recipe_for(BAD, base)), {}, TrialState.PRUNED, 0.69, 3, 20
        ),
    )
    state = StudyState(
        folder.name,
        phase,
        "telco_churn.csv",
        base.target or "",
        2,
        time.time(),
        time.time() + 120,
        trials,
        best_trial=1,
        best_job_id=best_job_id,
    )
    write_state(folder, state)
    return folder, good


def _design_page_with_data(monkeypatch: pytest.MonkeyPatch, fake: FakeRunner):
    monkeypatch.setattr(core.jobs.runner, "get_runner", lambda: fake)
    app = open_app()
    go(app, "data")
    app.segmented_control(key="sample_dataset").set_value("telco_churn.csv").run()
    go(app, "design")
    no_exception(app)
    return app


def test_the_design_page_starts_a_search_and_shows_its_tries_and_the_best(
    monkeypatch: pytest.MonkeyPatch, workspace: Path
) -> None:
    fake = FakeRunner()
    fake.statuses[jid("best")] = job_status(jid("best"), "finished", result=classification_result())
    started: list[tuple[str, Recipe, float]] = []

    def start(data: bytes, name: str, recipe: Recipe, budget: float, owner=None) -> str:
        assert owner is not None  # the search's runs will belong to whoever started it
        started.append((name, recipe, budget))
        return _fake_search(workspace, recipe, StudyPhase.FINISHED, jid("best"))[0].name

    monkeypatch.setattr(launch, "start_study", start)
    app = _design_page_with_data(monkeypatch, fake)
    app.radio(key="tuning_budget").set_value(2).run()
    app.button(key="tuning_start").click().run()
    no_exception(app)
    assert [(name, budget) for name, _, budget in started] == [("telco_churn.csv", 2)]
    design = started[0][1]
    assert design.target  # the search starts from the person's recipe, with its target
    (table,) = [frame.value for frame in app.dataframe]  # the tries, one row each
    assert list(table.iloc[:, 0]) == [1, 2]
    assert table.iloc[0, 2].startswith("★") and "Stopped early" in table.iloc[1, 2]
    assert table.iloc[1, -1].endswith(f"?job={jid('t2')}")  # each try opens as its run
    assert any("Best so far" in s.value for s in app.success)
    assert any("Tested once on the hidden test rows" in m for m in markdown_texts(app))
    # "Use these settings": the best recipe becomes the design; the data choices stay.
    app.button(key="tuning_use").click().run()
    no_exception(app)
    chosen = app.session_state["recipe"]
    assert chosen.training.optimizer == "adam" and chosen.model.hidden_layers[0].units == 16
    assert chosen.target == design.target and chosen.drop_columns == design.drop_columns


def test_a_running_search_can_be_stopped_from_the_page(
    monkeypatch: pytest.MonkeyPatch, workspace: Path
) -> None:
    fake = FakeRunner()
    app = _design_page_with_data(monkeypatch, fake)
    folder, _ = _fake_search(workspace, app.session_state["recipe"], StudyPhase.SEARCHING, None)
    lock = os.open(folder / LOCK_FILE, os.O_RDWR)
    fcntl.flock(lock, fcntl.LOCK_EX)  # its process is alive
    try:
        app.session_state["tuning_study_id"] = folder.name
        app.run()
        no_exception(app)
        assert any("Searching: 2 tries so far, 1 stopped early" in m for m in markdown_texts(app))
        app.button(key="tuning_stop").click().run()
        no_exception(app)
        assert (folder / STOP_FILE).exists()
    finally:
        os.close(lock)
    app.run()  # the process is gone without a final state: said plainly
    assert any("stopped unexpectedly" in m for m in markdown_texts(app))
