"""Tests of core.data.leaks: columns that may leak the outcome, and suspicious scores."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from core.data import leaks
from core.data.leaks import find_leaks, suspicious_score
from core.data.profiling import profile_table


def usable(frame: pd.DataFrame, target: str) -> pd.Series:
    return frame[target].notna()


def check(frame: pd.DataFrame, target: str) -> leaks.LeakReport:
    """The leak check exactly as the profile runs it (same candidates, same task)."""
    profile = profile_table(frame, target)
    candidates = [
        c
        for c in profile.columns
        if c.name != target and c.kind in ("numeric", "categorical", "boolean")
    ]
    return find_leaks(frame, profile.task, candidates, usable(frame, target))


def customers(n: int, seed: int = 0) -> pd.DataFrame:
    """Honest columns that each say a little about whether a card is granted."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(10, 0.5, n)
    age = rng.integers(18, 80, n)
    debts = rng.integers(0, 6, n)
    region = rng.choice(["north", "south", "east", "west"], n)
    logit = 1.2 * (np.log(income) - 10) / 0.5 - 0.5 * debts + 0.01 * (age - 45)
    granted = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {
            "income": income.round(0),
            "age": age,
            "debts": debts,
            "region": region,
            "granted": np.where(granted, "yes", "no"),
        }
    )


def test_spending_recorded_after_the_outcome_is_flagged_though_not_perfect():
    frame = customers(3000)
    rng = np.random.default_rng(1)
    granted = frame["granted"].eq("yes").to_numpy()
    # Zero for everyone refused, and for some who were granted a card but never used it.
    frame["first_year_spending"] = np.where(
        granted & (rng.random(len(frame)) < 0.75), rng.lognormal(7, 1, len(frame)).round(2), 0.0
    )
    report = check(frame, "granted")
    (leak,) = report.leaks
    assert leak.column == "first_year_spending" and leak.reason == "dominant"
    assert leak.alone < leaks.NEAR_PERFECT  # not perfect: today's 0.99 rule misses it
    assert leak.alone >= leaks.LEAK_SHARE * report.full
    assert report.full - leak.without >= leaks.LEAK_UNIQUE * report.full
    message = report.message(leak)
    assert "'first_year_spending'" in message and "'granted'" in message
    assert '"Columns to leave out"' in message


def test_a_loan_grade_that_fixes_the_interest_rate_is_flagged():
    rng = np.random.default_rng(2)
    n = 2500
    score = rng.normal(680, 60, n)
    income = rng.lognormal(10.5, 0.4, n)
    rate = 25 - 0.02 * (score - 600) - 1.5 * (np.log(income) - 10.5) + rng.normal(0, 2.5, n)
    grade = pd.cut(rate, 7, labels=list("GFEDCBA")).astype(str)
    frame = pd.DataFrame({"credit_score": score.round(), "income": income.round(), "grade": grade})
    frame["interest_rate"] = rate.round(2)
    report = check(frame, "interest_rate")
    assert [c.column for c in report.leaks] == ["grade"]


def test_a_strong_honest_column_that_others_can_replace_is_not_flagged():
    """Like carat for a diamond's price: strong alone, but the size columns say the same."""
    rng = np.random.default_rng(3)
    n = 3000
    carat = rng.lognormal(-0.5, 0.5, n)
    width = carat ** (1 / 3) * 6.5 + rng.normal(0, 0.05, n)
    depth = carat ** (1 / 3) * 4.0 + rng.normal(0, 0.05, n)
    colour = rng.choice(list("DEFGHIJ"), n)
    price = 4000 * carat**1.6 * (1 + 0.05 * (colour < "G")) * rng.lognormal(0, 0.15, n)
    frame = pd.DataFrame(
        {"carat": carat, "width": width, "depth": depth, "colour": colour, "price": price}
    )
    report = check(frame, "price")
    assert report.full > 0.8
    assert report.columns[0].alone >= leaks.LEAK_SHARE * report.full  # strong alone ...
    assert report.leaks == []  # ... but not a leak


def test_honest_data_raises_no_alarm():
    report = check(customers(2000, seed=4), "granted")
    assert report.leaks == []
    assert 0 < report.full < 0.9 and {c.column for c in report.columns} == {
        "income",
        "age",
        "debts",
        "region",
    }


def test_a_copy_of_the_target_is_near_perfect():
    frame = customers(1000, seed=5)
    frame["status_code"] = frame["granted"].map({"yes": "G1", "no": "R0"})
    (leak,) = check(frame, "granted").leaks
    assert leak.column == "status_code" and leak.reason == "near_perfect"
    assert leak.without is None  # no need to refit to know


def test_the_check_is_bounded_on_a_wide_long_table():
    rng = np.random.default_rng(6)
    n, width = 40_000, 200
    frame = pd.DataFrame(rng.normal(size=(n, width)), columns=[f"c{i}" for i in range(width)])
    frame["y"] = frame["c0"] + frame["c1"] + rng.normal(0, 1, n)
    frame["after"] = frame["y"] + rng.normal(0, 0.4, n)
    profile = profile_table(frame, "y")
    candidates = [c for c in profile.columns if c.name != "y"]
    started = time.perf_counter()
    report = find_leaks(frame, profile.task, candidates, usable(frame, "y"))
    seconds = time.perf_counter() - started
    assert report.rows == leaks.SAMPLE_ROWS
    assert [c.column for c in report.leaks] == ["after"]
    assert sum(c.without is not None for c in report.columns) <= leaks.CHECKED_COLUMNS
    assert seconds < 60  # a few seconds when idle; generous for a shared machine


def test_report_round_trips_to_plain_data():
    frame = customers(500, seed=7)
    report = check(frame, "granted")
    data = report.to_dict()
    assert data["target"] == "granted" and len(data["columns"]) == 4
    assert all(isinstance(c["alone"], float) for c in data["columns"])


def test_a_table_without_candidates_or_outcomes_is_quietly_fine():
    frame = pd.DataFrame({"y": ["a"] * 5 + ["b"] * 5, "x": range(10)})
    profile = profile_table(frame, "y")
    report = find_leaks(frame, profile.task, [], usable(frame, "y"))
    assert report.leaks == [] and report.full == 0.0


# ---------------------------------------------------------------- the Evaluate page


def result(score: float, importance: list[tuple[str, float]], metric: str = "roc_auc") -> dict:
    return {
        "primary_metric": metric,
        "metrics": {metric: score},
        "feature_importance": [
            {"column": column, "importance": value, "std": 0.0} for column, value in importance
        ],
    }


def test_a_high_score_carried_by_one_column_is_suspicious():
    found = suspicious_score(result(0.99, [("refund", 0.40), ("tenure", 0.05), ("plan", 0.01)]))
    assert found is not None
    assert found.column == "refund" and found.reason == "importance"
    assert found.drop_columns == ["refund"]
    assert "suspiciously high" in found.message and "'refund'" in found.message
    assert "8 times" in found.message and '"Columns to leave out"' in found.message
    assert found.to_dict()["drop_columns"] == ["refund"]


def test_a_column_the_model_alone_relies_on_is_said_so_not_as_a_huge_ratio():
    # Shuffling the other columns moves the score by rounding noise only.
    found = suspicious_score(result(1.0, [("refund", 0.38), ("plan", 7e-17), ("tenure", 4e-17)]))
    assert found is not None and found.column == "refund"
    assert "relies on no other column" in found.message and "times" not in found.message


def test_a_column_flagged_by_the_data_check_is_named_first():
    ranked = [("tenure", 0.2), ("refund", 0.15), ("plan", 0.1)]
    found = suspicious_score(result(0.98, ranked), leak_columns=["refund"])
    assert found is not None and found.column == "refund" and found.reason == "data_check"
    assert "data check" in found.message


@pytest.mark.parametrize(
    ("score", "importance", "metric"),
    [
        (0.85, [("refund", 0.4), ("tenure", 0.01)], "roc_auc"),  # an ordinary score
        (0.99, [("a", 0.2), ("b", 0.15), ("c", 0.1)], "roc_auc"),  # nothing stands out
        (0.99, [], "roc_auc"),  # no importance to go on
        (0.80, [("refund", 0.4)], "r2"),
        (0.99, [("a", 0.3), ("b", 0.01)], "log_loss"),  # not a headline metric
    ],
)
def test_ordinary_or_unexplained_scores_are_not_suspicious(score, importance, metric):
    assert suspicious_score(result(score, importance, metric)) is None


def test_suspicion_reads_typed_importance_rows_too():
    class Row:
        def __init__(self, column: str, importance: float) -> None:
            self.column, self.importance = column, importance

    run = result(0.97, [])
    run["feature_importance"] = [Row("grade", 0.5), Row("income", 0.02)]
    found = suspicious_score(run | {"primary_metric": "r2", "metrics": {"r2": 0.97}})
    assert found is not None and found.column == "grade" and found.metric == "r2"


def test_skills_are_scikit_learns_scores_computed_without_its_per_call_checks() -> None:
    from sklearn.metrics import r2_score, roc_auc_score

    from core.data.leaks import _skill

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    scores = rng.random((300, 3)).round(1)  # many ties: counted half, as scikit-learn does
    macro = np.mean([roc_auc_score(y == c, scores[:, c]) for c in range(3)])
    assert _skill(y, scores, 3) == pytest.approx(2 * macro - 1, abs=1e-12)
    yes = rng.integers(0, 2, 200)
    two = rng.random((200, 2)).round(2)
    assert _skill(yes, two, 2) == pytest.approx(2 * roc_auc_score(yes, two[:, 1]) - 1, abs=1e-12)
    values = rng.normal(size=100)
    guesses = values + rng.normal(size=100)
    assert _skill(values, guesses, 0) == pytest.approx(r2_score(values, guesses), abs=1e-12)
    assert _skill(np.ones(5), np.arange(5.0), 0) == 0.0  # no spread: no skill to measure
