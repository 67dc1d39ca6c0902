"""Find good settings for me: the search space, a real time-boxed search, pruning, the CLI.

Fast tests check the search space against the recipe's declared ranges and choice tables,
the objective and the study folder. The slow tests run a real search: every trial is an
ordinary job of the job runner on 240 synthetic rows, a bad trial is pruned from its early
passes, and the best settings are trained again as a normal run with its bundle.
"""

from __future__ import annotations

import json
import math
import time
import zipfile
from pathlib import Path

import optuna
import pytest
from helpers import churn_csv_bytes, tiny_recipe
from test_cli import run_cli

from core.errors import TrainingError
from core.evaluation.test_outputs import TEST_OUTPUTS_FILE
from core.jobs.experiments import experiment_runs
from core.jobs.runner import BUNDLE_FILE, LocalJobRunner
from core.model.choices import OPTIMIZERS
from core.model.fields import spec_for
from core.model.recipe import Recipe
from core.results import EpochReport
from core.tuning.coordinator import create_study, objective_value, run_study, stop_study
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
    TUNING_FILE,
    StudyPhase,
    TrialState,
    read_state,
    validation_only_job,
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
    "optimizer": "adam", "learning_rate_factor": 10.0, "hidden_layers": 1, "first_layer_units": 16,
    "narrowing": 1, "dropout": 0.0, "l2": 1e-6, "batch_size": 32,
}  # fmt: skip
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
    run_study(runner, folder, pruner=pruner, first_params=[GOOD, BAD], poll_seconds=0.1)
    return runner, folder


@pytest.mark.slow
def test_a_search_runs_trials_as_jobs_and_keeps_the_best_validation_score(searched) -> None:
    runner, folder = searched
    state = read_state(folder)
    assert state.phase == StudyPhase.FINISHED, state.message
    assert len(state.trials) == 2  # max_trials
    complete = [t for t in state.trials if t.state == TrialState.COMPLETE]
    assert complete and state.best is not None
    assert state.best.value == min(t.value for t in complete)
    # Every trial is an ordinary job: a run of its own, named for its settings, grouped.
    runs = experiment_runs(runner.list_jobs(), state.study_id)
    by_id = {status.job_id: status for status in runs}
    for trial in state.trials:
        assert runner.meta(trial.job_id).name == trial.name
        assert trial.name.startswith(f"Tuning trial {trial.number}: ")
        assert by_id[trial.job_id].recipe == Recipe.from_dict(trial.recipe)
    # The best settings, trained again as a normal run: tested once, with its bundle.
    best = runner.status(state.best_job_id)
    assert best.result is not None and best.result.metrics, best.error
    assert best.recipe == Recipe.from_dict(state.best.recipe)
    assert runner.meta(best.job_id).name.startswith("Best settings found (")
    assert runner.artifact(best.job_id, BUNDLE_FILE) is not None
    assert best.job_id in by_id and not validation_only_job(runner.jobs_dir / best.job_id)


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
def test_a_stopped_search_trains_the_best_so_far_or_says_there_is_none(workspace: Path) -> None:
    runner = LocalJobRunner(workspace, max_concurrent=1)
    folder = create_study(
        churn_csv_bytes(), "churn.csv", tiny_recipe(epochs=3), 5, workspace=workspace
    )
    stop_study(folder)  # before the first trial could finish
    started = time.monotonic()
    state = run_study(runner, folder, poll_seconds=0.1)
    assert state.phase == StudyPhase.STOPPED and "stopped" in (state.message or "")
    assert state.best_job_id is None and time.monotonic() - started < 60


# --- the command line -------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_tune_prints_trials_and_a_summary_and_writes_the_best_bundle(
    churn_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "best.zip"
    done = run_cli(
        "tune", str(churn_csv), "--target", "churn", "--budget", "0.1", "--out", str(out),
        "--seed", "3", "--epochs", "4",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["trials"] >= 1 and summary["pruned"] >= 0
    assert "trial 1" in done.stderr
    assert summary["best_recipe"]["target"] == "churn"
    assert summary["validation_loss"] > 0 and summary["test_metrics"]
    assert summary["bundle"] == str(out) and zipfile.is_zipfile(out)
    assert summary["best_job_id"] and summary["best_trial"] >= 1
