"""The training doctor: each diagnosis on a constructed history, a healthy run, live partial
histories that must not flicker, fixes that always make a valid recipe, and one real run."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import mixed_frame, tiny_recipe

from core.model import curves
from core.model.diagnosis import (
    CODES,
    LIVE_CONFIRM_EPOCHS,
    Diagnosis,
    diagnose,
    diagnose_run,
    summaries,
)
from core.model.recipe import LayerConfig, Recipe

REPO = Path(__file__).resolve().parents[1]
RECIPE = Recipe(target="churn")
EPOCH_SECONDS = 0.5


def history(train, val, seconds: float = EPOCH_SECONDS) -> list[dict]:
    """Per-pass reports shaped like the trainer's."""
    return [
        {"epoch": i + 1, "loss": float(a), "val_loss": float(b), "seconds": seconds}
        for i, (a, b) in enumerate(zip(train, val, strict=True))
    ]


def codes(diagnoses: list[Diagnosis]) -> list[str]:
    return [d.code for d in diagnoses]


def healthy_curves(n: int = 30, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Both errors falling together to a floor, with a little validation noise."""
    e = np.arange(n)
    train = 0.5 * np.exp(-e / 6) + 0.2
    noise = np.random.default_rng(seed).normal(0.0, 0.003, n)
    return train, train + 0.01 + noise


def overfitting_curves(n: int = 30, best: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Training keeps falling; validation bottoms out at pass ``best`` (1-based) and climbs."""
    e = np.arange(n)
    train = 0.6 * np.exp(-e / 8) + 0.1
    floor = 0.6 * np.exp(-(best - 1) / 8) + 0.15
    val = np.where(e < best, 0.6 * np.exp(-e / 8) + 0.15, floor + 0.01 * (e - best + 1))
    return train, val


def comparison(network: float, baseline: float, intervals: dict | None = None):
    return curves.compare_with_baseline(
        "binary",
        {"roc_auc": network, "accuracy": 0.8},
        {"logistic regression": {"roc_auc": baseline, "accuracy": 0.8}},
        intervals,
    )


# --- a healthy run ---------------------------------------------------------------------------


def test_healthy_run_is_only_healthy() -> None:
    found = diagnose(history(*healthy_curves()), RECIPE, stopped_because="early_stopped")
    assert codes(found) == ["healthy"]
    assert found[0].severity == "ok" and not found[0].fixes
    assert "0.7" in found[0].message  # the first validation error (0.71), as a PM reads it


def test_healthy_run_mentions_a_clear_win_over_the_simple_model() -> None:
    found = diagnose(
        history(*healthy_curves()),
        RECIPE,
        stopped_because="early_stopped",
        comparison=comparison(0.90, 0.80),
    )
    assert codes(found) == ["healthy"]
    assert "logistic regression" in found[0].message and "0.90 vs 0.80" in found[0].message


# --- overfitting -----------------------------------------------------------------------------


def test_overfitting_says_since_when_and_how_large_the_gap() -> None:
    train, val = overfitting_curves(best=10)
    found = diagnose(history(train, val), RECIPE, stopped_because="early_stopped")
    assert codes(found)[0] == "overfitting"
    overfit = found[0]
    assert overfit.since_epoch == 11
    assert "Since pass 11" in overfit.message and "pass 10" in overfit.message
    gap = (val[-3:].mean() / train[-3:].mean() - 1) * 100
    assert f"{gap:.0f}% higher than the training error" in overfit.message
    labels = [fix.label for fix in overfit.fixes]
    assert labels[0].startswith("Add more dropout") and any("L2" in label for label in labels)
    assert any(label.startswith("Fewer neurons") for label in labels)
    assert "healthy" not in codes(found)


def test_overfitting_without_early_stopping_says_what_it_would_have_saved() -> None:
    recipe = RECIPE.with_changes(**{"training.early_stopping": False, "training.patience": 5})
    train, val = overfitting_curves(n=40, best=10)
    found = diagnose(history(train, val), recipe, stopped_because="completed")
    overfit = next(d for d in found if d.code == "overfitting")
    # Best at pass 10, patience 5: stopped at 15, 25 passes (12.5 s) sooner.
    assert "ended the run at pass 15 and saved 25 passes (about 12 s)" in overfit.message
    assert {"training.early_stopping": True} in [fix.changes for fix in overfit.fixes]
    assert "plateau" not in codes(found)  # overfitting already said it


def test_small_rise_counts_only_with_a_wide_gap() -> None:
    e = np.arange(30)
    after = np.clip(e - 8, 0, None)  # passes since the best (pass 9)
    val = np.where(e < 8, 0.5 - 0.04 * e, 0.18 + 0.0005 * after)  # about 5% above its best
    narrow = np.where(e < 8, val - 0.01, 0.17 - 0.0005 * after)  # falls 6%, gap under 20%
    wide = np.where(e < 8, val - 0.05, 0.12 - 0.0015 * after)  # falls 25%, gap over 60%
    found = diagnose(history(narrow, val), RECIPE, stopped_because="completed")
    assert "overfitting" not in codes(found)
    assert "overfitting" in codes(diagnose(history(wide, val), RECIPE, stopped_because="completed"))


# --- underfitting ----------------------------------------------------------------------------


def test_high_and_flat_is_underfitting_with_bigger_network_fixes() -> None:
    n = 20
    train = np.full(n, 0.66) + 0.001 * np.sin(np.arange(n))
    val = np.full(n, 0.67)
    reference = curves.constant_loss("binary", [0.5, 0.5])
    assert reference == pytest.approx(math.log(2))
    found = diagnose(
        history(train, val), RECIPE, stopped_because="early_stopped", reference_loss=reference
    )
    assert codes(found)[0] == "underfitting"
    assert "high and flat" in found[0].message and "0.693" in found[0].message
    changes = [fix.changes for fix in found[0].fixes]
    assert [layer["units"] for layer in changes[0]["model.hidden_layers"]] == [256, 128]
    assert {"training.learning_rate": 0.003} in changes
    assert "plateau" not in codes(found)
    # Without knowing what a constant guess scores, "high" cannot be judged.
    assert "underfitting" not in codes(
        diagnose(history(train, val), RECIPE, stopped_because="early_stopped")
    )


def test_still_improving_at_the_limit_asks_for_more_passes() -> None:
    recipe = RECIPE.with_changes(**{"training.max_epochs": 12})
    train, val = healthy_curves(12)
    val = val - 0.002 * np.arange(12)  # still clearly falling at the end
    found = diagnose(history(train, val), recipe, stopped_because="completed")
    assert codes(found)[0] == "underfitting"
    assert "limit of 12 passes" in found[0].message
    assert found[0].fixes[0].changes == {"training.max_epochs": 24, "training.early_stopping": True}
    # Stopped early by patience or by hand: more passes would not have helped.
    for reason in ("early_stopped", "stopped_by_user"):
        assert "underfitting" not in codes(
            diagnose(history(train, val), recipe, stopped_because=reason)
        )


def test_two_pass_run_still_learning_is_underfitting() -> None:
    recipe = RECIPE.with_changes(**{"training.max_epochs": 2})
    found = diagnose(history([0.7, 0.6], [0.65, 0.55]), recipe, stopped_because="completed")
    assert codes(found)[0] == "underfitting" and "over the last pass" in found[0].message


def test_below_the_simple_model_is_underfitting_and_says_so() -> None:
    found = diagnose(
        history(*healthy_curves()),
        RECIPE,
        stopped_because="early_stopped",
        comparison=comparison(0.70, 0.80),
    )
    assert codes(found) == ["underfitting", "no_better_than_baseline"]
    assert "below a simple logistic regression" in found[0].message
    worse = found[1]
    assert worse.severity == "problem"
    assert "does better than the network" in worse.message and "0.80 vs 0.70" in worse.message
    assert worse.fixes[0].changes == {"model.hidden_layers": []}


# --- divergence ------------------------------------------------------------------------------


def test_nan_loss_is_diverged_with_a_ten_times_lower_learning_rate() -> None:
    live = history([0.7, 0.6, math.nan], [0.7, 0.6, 0.5])
    found = diagnose(live, RECIPE)  # still running: a blow-up needs no confirmation
    assert codes(found) == ["diverged"]
    assert found[0].since_epoch == 3 and "not-a-number" in found[0].message
    assert found[0].fixes[0].changes == {"training.learning_rate": 0.0001}
    assert "0.0001 instead of 0.001" in found[0].message


def test_diverged_run_and_exploding_loss() -> None:
    sgd = RECIPE.with_changes(**{"training.optimizer": "sgd", "training.learning_rate": 3.0})
    found = diagnose(history([0.7], [0.6]), sgd, stopped_because="diverged")
    assert codes(found) == ["diverged"] and found[0].since_epoch == 2
    assert found[0].fixes[0].changes == {"training.learning_rate": 0.3}
    exploding = history([0.7, 0.5, 0.7e5], [0.7, 0.5, 0.4])
    assert codes(diagnose(exploding, RECIPE, stopped_because="completed")) == ["diverged"]


# --- oscillation -----------------------------------------------------------------------------


def test_zigzag_is_oscillating_with_lower_rate_and_larger_batches() -> None:
    e = np.arange(20)
    train = 0.5 + 0.1 * (-1.0) ** e
    found = diagnose(
        history(train, train + 0.02), RECIPE, stopped_because="completed", batch_size=32
    )
    assert codes(found)[0] == "oscillating"
    assert "changed direction" in found[0].message
    changes = [fix.changes for fix in found[0].fixes]
    assert changes == [{"training.learning_rate": 0.000333}, {"training.batch_size": 128}]
    assert "plateau" not in codes(found)


def test_small_validation_noise_is_not_oscillating() -> None:
    train, val = healthy_curves(40, seed=3)
    val = val + 0.003 * (-1.0) ** np.arange(40)  # steps of about 3%: a small validation set
    assert "oscillating" not in codes(
        diagnose(history(train, val), RECIPE, stopped_because="completed")
    )


# --- plateau ---------------------------------------------------------------------------------


def test_plateau_without_early_stopping_counts_the_wasted_passes() -> None:
    recipe = RECIPE.with_changes(**{"training.early_stopping": False})  # patience 15
    down = np.linspace(0.7, 0.4, 10)
    train = np.r_[down, np.full(60, 0.4)]
    val = np.r_[down + 0.05, np.full(60, 0.45)]
    found = diagnose(history(train, val), recipe, stopped_because="completed")
    plateau = next(d for d in found if d.code == "plateau")
    # Settled at pass 10; early stopping would have stopped at 25 of 70: 45 passes saved.
    assert plateau.since_epoch == 10
    assert "saved 45 passes (about 22 s)" in plateau.message
    assert plateau.fixes[0].changes == {"training.early_stopping": True}


def test_plateau_of_tiny_gains_with_early_stopping_suggests_a_lower_limit() -> None:
    down = np.linspace(0.7, 0.4, 10)
    val = np.r_[down + 0.05, 0.45 - np.linspace(0.0, 0.002, 60)]  # keeps inching down
    train = val - 0.04
    found = diagnose(history(train, val), RECIPE, stopped_because="completed")
    plateau = next(d for d in found if d.code == "plateau")
    assert plateau.fixes[0].changes == {"training.max_epochs": 25}


# --- no better than the simple model ---------------------------------------------------------


def test_same_as_the_simple_model_recommends_it_plainly() -> None:
    found = diagnose(
        history(*healthy_curves()),
        RECIPE,
        stopped_because="early_stopped",
        comparison=comparison(0.801, 0.80),
    )
    assert codes(found) == ["no_better_than_baseline"]
    assert "about as well" in found[0].message and "Prefer the simple model" in found[0].message
    assert found[0].severity == "warning"


def test_a_win_inside_the_uncertainty_range_is_not_a_win() -> None:
    uncertain = comparison(0.85, 0.80, {"roc_auc": [0.78, 0.91]})
    assert uncertain.outcome == "uncertain"
    found = diagnose(
        history(*healthy_curves()), RECIPE, stopped_because="early_stopped", comparison=uncertain
    )
    assert codes(found) == ["no_better_than_baseline"]
    assert "0.78 to 0.91" in found[0].message
    clear = comparison(0.85, 0.80, {"roc_auc": [0.82, 0.88]})
    assert clear.outcome == "better"


def test_a_network_without_hidden_layers_is_the_simple_model() -> None:
    linear = RECIPE.with_changes(**{"model.hidden_layers": []})
    found = diagnose(
        history(*healthy_curves()),
        linear,
        stopped_because="early_stopped",
        comparison=comparison(0.80, 0.80),
    )
    assert codes(found) == ["healthy"]


# --- validation below training: explained, not alarming --------------------------------------


@pytest.mark.parametrize(
    ("dropout", "reason"), [(0.3, "dropout switches off 30%"), (0.0, "by chance")]
)
def test_validation_below_training_is_an_informational_note(dropout: float, reason: str) -> None:
    recipe = RECIPE.with_changes(
        **{"model.hidden_layers": [LayerConfig(units=32, dropout=dropout)]}
    )
    train, _ = healthy_curves()
    found = diagnose(history(train, train * 0.85), recipe, stopped_because="early_stopped")
    assert codes(found) == ["healthy", "validation_below_training"]
    note = found[1]
    assert note.severity == "info" and not note.fixes and reason in note.message


# --- live, on a partial history --------------------------------------------------------------


def test_live_says_nothing_on_the_first_passes() -> None:
    train, val = overfitting_curves(best=2)
    for n in range(1, curves.MIN_EPOCHS_TO_JUDGE):
        assert diagnose(history(train[:n], val[:n]), RECIPE) == []


def test_live_healthy_run_never_flickers() -> None:
    train, val = healthy_curves(40, seed=1)
    for n in range(curves.MIN_EPOCHS_TO_JUDGE + LIVE_CONFIRM_EPOCHS - 1, 41):
        found = diagnose(history(train[:n], val[:n]), RECIPE)
        assert codes(found) == ["healthy"], (n, codes(found))
        assert found[0].message.startswith("So far")


def test_live_finding_waits_until_it_has_held_for_a_few_passes() -> None:
    train, val = overfitting_curves(n=30, best=10)
    rows = history(train, val)
    finished = [
        n
        for n in range(5, 31)
        if "overfitting" in codes(diagnose(rows[:n], RECIPE, stopped_because="completed"))
    ]
    first = finished[0]
    confirmed = first + LIVE_CONFIRM_EPOCHS - 1
    for n in range(first, confirmed):
        assert "overfitting" not in codes(diagnose(rows[:n], RECIPE)), n  # not yet
    shown = [n for n in range(first, 31) if "overfitting" in codes(diagnose(rows[:n], RECIPE))]
    assert shown == list(range(confirmed, 31))  # then shown, and it stays


def test_live_finding_hovering_at_its_threshold_does_not_flicker() -> None:
    train, _ = healthy_curves(40)
    # Validation alternately 4.5% and 1.5% below training: the recent average crosses the
    # note's 3% margin at every pass.
    ratio = np.where(np.arange(40) % 2 == 0, 0.955, 0.985)
    rows = history(train, train * ratio)
    raw = [
        "validation_below_training"
        in codes(diagnose(rows[:n], RECIPE, stopped_because="completed"))
        for n in range(10, 41)
    ]
    assert any(raw) and not all(raw)  # the raw rule does flip
    shown = [codes(diagnose(rows[:n], RECIPE)) for n in range(10, 41)]
    assert all(c == shown[0] for c in shown), shown


# --- fixes always make a valid recipe --------------------------------------------------------

RECIPES = {
    "default": RECIPE,
    "no hidden layer": RECIPE.with_changes(**{"model.hidden_layers": []}),
    "at the ceilings": RECIPE.with_changes(
        **{
            "model.hidden_layers": [LayerConfig(units=4096, dropout=0.9)],
            "model.l2": 1.0,
            "training.learning_rate": 10.0,
            "training.batch_size": 65536,
            "training.max_epochs": 5000,
        }
    ),
    "at the floors": RECIPE.with_changes(
        **{
            "model.hidden_layers": [LayerConfig(units=1, dropout=0.0)] * 10,
            "model.l2": 0.0,
            "training.learning_rate": 1e-9,
            "training.batch_size": 1,
            "training.max_epochs": 1,
            "training.early_stopping": False,
        }
    ),
    "sgd": RECIPE.with_changes(**{"training.optimizer": "sgd"}),
}


def all_findings(recipe: Recipe) -> list[Diagnosis]:
    e = np.arange(40)
    zig = 0.5 + 0.1 * (-1.0) ** e
    flat = np.full(40, 0.68)
    return [
        *diagnose(history(*overfitting_curves(40)), recipe, stopped_because="completed"),
        *diagnose(history(flat, flat), recipe, stopped_because="completed", reference_loss=0.69),
        *diagnose(history(zig, zig), recipe, stopped_because="completed", batch_size=4096),
        *diagnose(history([0.7, math.nan], [0.7, 0.6]), recipe),
        *diagnose(
            history(*healthy_curves()),
            recipe,
            stopped_because="completed",
            comparison=comparison(0.6, 0.8),
        ),
        *diagnose(
            history(
                np.r_[np.linspace(0.7, 0.4, 10), np.full(60, 0.4)],
                np.r_[np.linspace(0.75, 0.45, 10), 0.45 - np.linspace(0, 0.002, 60)],
            ),
            recipe,
            stopped_because="completed",
        ),
    ]


@pytest.mark.parametrize("name", list(RECIPES))
def test_every_fix_makes_a_valid_different_recipe(name: str) -> None:
    recipe = RECIPES[name]
    found = all_findings(recipe)
    assert {d.code for d in found} <= set(CODES)
    for diagnosis in found:
        for fix in diagnosis.fixes:
            changed = fix.apply(recipe)  # validated: raises RecipeError if out of range
            assert changed != recipe, (diagnosis.code, fix.label)
            assert fix.label


def test_default_recipe_gets_a_fix_for_every_problem() -> None:
    found = all_findings(RECIPE)
    problems = {d.code for d in found if d.severity in ("problem", "warning")}
    assert problems == {
        "overfitting",
        "underfitting",
        "oscillating",
        "diverged",
        "plateau",
        "no_better_than_baseline",
    }
    assert all(d.fixes for d in found if d.severity in ("problem", "warning"))


def odd_histories(seed: int) -> list[list[dict]]:
    """Curves no trainer should produce but a diagnosis must survive: zeros, constants,
    tiny and huge values, a single pass, random walks."""
    rng = np.random.default_rng(seed)
    shapes = [
        (np.zeros(12), np.zeros(12)),
        (np.full(30, 0.5), np.full(30, 0.5)),
        (np.full(8, 1e-12), np.full(8, 1e-12)),
        (np.array([0.7]), np.array([0.6])),
        (np.linspace(1e6, 1.0, 20), np.linspace(1e6, 2.0, 20)),
    ]
    for _ in range(20):
        n = int(rng.integers(1, 60))
        train, val = (np.abs(rng.normal(1.0, 0.5) + np.cumsum(rng.normal(0, 0.1, n))) for _ in "tv")
        shapes.append((train, val))
    return [history(train, val) for train, val in shapes]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_odd_histories_never_break_the_doctor(seed: int) -> None:
    for rows in odd_histories(seed):
        for stopped in (None, "completed", "early_stopped", "stopped_by_user"):
            found = diagnose(
                rows, RECIPE, stopped_because=stopped, batch_size=32, reference_loss=0.69
            )
            assert {d.code for d in found} <= set(CODES)
            assert all(d.message and "nan" not in d.message.lower() for d in found)
            for diagnosis in found:
                for fix in diagnosis.fixes:
                    fix.apply(RECIPE)


# --- records ---------------------------------------------------------------------------------


def test_diagnosis_round_trips_and_summarises() -> None:
    found = diagnose(history(*overfitting_curves()), RECIPE, stopped_because="completed")
    again = [Diagnosis.from_dict(d.to_dict()) for d in found]
    assert again == found
    assert summaries(found) == [{"code": d.code, "message": d.message} for d in found]


def test_the_doctor_does_not_import_tensorflow() -> None:
    """Pages call the doctor live; pages never load TensorFlow (it takes seconds)."""
    code = (
        "import sys; import core.model.diagnosis; "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_run_end_strings_agree_with_the_trainer() -> None:
    from core.model import training

    assert (curves.COMPLETED, curves.DIVERGED) == (training.COMPLETED, training.DIVERGED)
    assert curves.EXPLODING_FACTOR == training.EXPLODING_FACTOR


# --- a real tiny run -------------------------------------------------------------------------


@pytest.mark.slow
def test_real_tiny_run_is_diagnosed_with_valid_codes() -> None:
    from core.pipeline import train_run

    recipe = tiny_recipe("binary", **{"training.max_epochs": 6})
    run = train_run(mixed_frame(200), recipe)
    stored = run.result.diagnosis
    assert stored, "a finished run always gets at least one finding"
    assert {d["code"] for d in stored} <= set(CODES)
    assert all(d["message"] and d["title"] for d in stored)
    assert [d.to_dict() for d in diagnose_run(run.result.to_dict(), recipe)] == stored
    for item in stored:
        for fix in Diagnosis.from_dict(item).fixes:
            fix.apply(recipe)
