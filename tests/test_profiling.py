"""Tests of core.data.profiling: column kinds, task inference and health warnings."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.data.profile_types import DataProfile, TaskInfo
from core.data.profiling import MAX_CLASSES, infer_task, profile_column, profile_table
from core.errors import UnusableDataError
from core.portable.reading import MIN_ROWS, read_table

SAMPLES = Path(__file__).parent.parent / "sample_data"
N = 200


def text(values) -> pd.Series:
    """A text column as read_table returns it (object dtype, NaN for missing)."""
    return pd.Series(list(values), dtype=object)


def codes(profile: DataProfile, column: str | None = None) -> set[str]:
    return {w.code for w in profile.warnings if column is None or w.column == column}


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


# --- kinds ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "values", "kind"),
    [
        ("weight", np.linspace(1.05, 9.95, N), "numeric"),  # all distinct, but measurements
        ("visits", np.arange(N) % 17 * 1.0, "numeric"),
        ("row_number", np.arange(N) * 1.0, "identifier"),
        ("age", np.arange(20, 50) * 1.0, "numeric"),  # 30 rows: all different by chance
        ("customer_id", np.arange(N) // 2 * 1.0, "identifier"),  # 50% distinct, id-like name
        ("order_count", np.arange(N) // 2 * 1.0, "numeric"),  # same values, ordinary name
        ("ticket", [f"T-{i:05d}" for i in range(N)], "identifier"),
        ("churned", ["Yes", "No"] * (N // 2), "boolean"),
        ("flag", [" y", "N"] * (N // 2), "boolean"),
        ("member", [1.0, 0.0] * (N // 2), "boolean"),
        ("paid", [True, False] * (N // 2), "boolean"),
        ("colour", ["red", "blue"] * (N // 2), "categorical"),
        ("plan", ["basic", "plus", "pro"] * (N // 3) + ["pro"] * (N % 3), "categorical"),
        ("signup", [f"2023-{m % 12 + 1:02d}-{m % 28 + 1:02d}" for m in range(N)], "date"),
        ("visit", [f"{d % 28 + 1}/03/2021" for d in range(N)], "date"),
        ("yyyymmdd", [20210101.0 + i for i in range(N)], "identifier"),  # numbers are not dates
        ("comment", [f"The customer said item {i} arrived late again" for i in range(N)], "text"),
        ("country", ["Germany"] * N, "constant"),
        ("has_pet", ["yes", ""] * (N // 2), "categorical"),  # one value + blanks: informative
        ("bonus", [5.0, np.nan] * (N // 2), "numeric"),
        ("notes", [np.nan] * N, "empty"),
        ("blanks", ["n/a", "", "NULL"] * (N // 3) + [""] * (N % 3), "empty"),
    ],
)
def test_column_kinds(name: str, values, kind: str) -> None:
    values = pd.Series(values) if not isinstance(values[0], str) else text(values)
    assert profile_column(name, values).kind == kind


def hr_columns(n: int = 1470) -> dict[str, pd.Series]:
    """Realistic columns of an HR table (IBM's attrition data has 1,470 rows)."""
    rng = np.random.default_rng(3)
    # employee numbers handed out in sequence, some people have left: 1..2068 with gaps
    employee_numbers = np.sort(rng.choice(np.arange(1, 2069), n, replace=False))
    return {
        # whole numbers, 97% distinct, but spread over 2,094..26,999: an amount, not a label
        "MonthlyRate": pd.Series(rng.choice(np.arange(2094, 27000), n, replace=False) * 1.0),
        "price": pd.Series(rng.choice(np.arange(300, 19000), n, replace=False) * 1.0),
        "weight_kg": pd.Series(rng.uniform(40, 120, n).round(3)),  # measurements
        "EmployeeNumber": pd.Series(employee_numbers * 1.0),
        "row": pd.Series(rng.permutation(np.arange(10_001, 10_001 + n)) * 1.0),  # shuffled labels
        "account_no": pd.Series(rng.choice(np.arange(10**6, 10**8), n, replace=False) * 1.0),
        "customer": text(f"C-{i:05d}" for i in rng.permutation(n)),  # text codes
    }


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("MonthlyRate", "numeric"),
        ("price", "numeric"),
        ("weight_kg", "numeric"),
        ("EmployeeNumber", "identifier"),  # named like one, and sequential
        ("row", "identifier"),  # no id-like name, but 1,470 numbers in a range of 1,470
        ("account_no", "identifier"),  # sparse, but named like an id
        ("customer", "identifier"),
    ],
)
def test_only_row_labels_are_identifiers(name: str, kind: str) -> None:
    assert profile_column(name, hr_columns()[name]).kind == kind


def test_text_numbers_count_as_numbers() -> None:
    column = profile_column("amount", text(f"{i % 7},5" for i in range(N)))
    assert column.kind == "numeric"
    assert column.stats["max"] == 6.5


def test_profile_statistics_and_examples() -> None:
    values = pd.Series([1.0, 2.0, 3.0, np.nan, 4.0] * 10)
    column = profile_column("x", values)
    assert (column.n_missing, column.n_distinct) == (10, 4)
    assert column.missing_share == pytest.approx(0.2)
    assert column.stats["min"] == 1.0 and column.stats["median"] == 2.5
    assert column.examples == ["1", "2", "3", "4"]
    top = profile_column("plan", text(["a"] * 5 + ["b"] * 3 + [f"c{i}" for i in range(12)]))
    assert len(top.stats["top"]) == 10 and top.stats["top"][0] == {"value": "a", "count": 5}
    assert len(top.examples) == 5


# --- the task ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "task", "labels"),
    [
        (text(["Yes", "No", "No"] * 5), "binary", ["No", "Yes"]),
        (text(["yes", "no"] * 5), "binary", ["no", "yes"]),
        (text(["Churned", "No"] * 5), "binary", ["No", "Churned"]),
        (text(["Yes", "Zebra"] * 5), "binary", ["Zebra", "Yes"]),
        (pd.Series([1.0, 0.0, 0.0] * 5), "binary", ["0", "1"]),
        (pd.Series([True, False] * 5), "binary", ["False", "True"]),
        (
            text(["Gentoo", "Adelie", "Chinstrap"] * 5),
            "multiclass",
            ["Adelie", "Chinstrap", "Gentoo"],
        ),
        (
            pd.Series([float(i % 10 + 1) for i in range(30)]),
            "multiclass",
            [str(i) for i in range(1, 11)],
        ),
        (pd.Series(np.linspace(0, 1, 30)), "regression", []),
        (pd.Series([float(i) for i in range(30)]), "regression", []),  # 30 whole numbers
        (text(f"{i}.5" for i in range(30)), "regression", []),
    ],
)
def test_infer_task(values: pd.Series, task: str, labels: list[str]) -> None:
    info = infer_task(values, "outcome")
    assert (info.task, info.class_labels, info.target) == (task, labels, "outcome")


def test_task_descriptions() -> None:
    assert TaskInfo("binary", "y", ["No", "Yes"]).describe() == "predicting a yes/no outcome"
    assert (
        TaskInfo("multiclass", "y", ["a", "b", "c"]).describe() == "predicting one of 3 categories"
    )
    assert TaskInfo("regression", "y").describe() == "predicting a number"


@pytest.mark.parametrize(
    ("values", "words"),
    [
        (text(["", "n/a", np.nan] * 5), "no values"),
        (text(["Yes"] * 20 + [np.nan]), "only the value 'Yes'"),
        (pd.Series([3.0] * 20), "only the value '3'"),
        (text(f"city {i}" for i in range(MAX_CLASSES + 5)), f"{MAX_CLASSES + 5} different values"),
    ],
)
def test_infer_task_errors(values: pd.Series, words: str) -> None:
    with pytest.raises(UnusableDataError, match="'outcome'") as caught:
        infer_task(values, "outcome")
    assert words in str(caught.value)


# --- whole-table profile and warnings --------------------------------------------------------


def churn_frame(rng: np.random.Generator, n: int = 1000) -> pd.DataFrame:
    usage = rng.normal(50, 15, n)
    churn = np.where(usage + rng.normal(0, 15, n) > 55, "Yes", "No")
    return pd.DataFrame(
        {
            "customer_id": text(f"C{i:06d}" for i in range(n)),
            "usage": usage,
            "plan": text(rng.choice(["basic", "plus", "pro"], n)),
            "churn": text(churn),
        }
    )


def test_clean_frame_has_no_warnings(rng) -> None:
    frame = churn_frame(rng).drop(columns="customer_id")
    profile = profile_table(frame, "churn")
    assert profile.task.task == "binary" and profile.task.class_labels == ["No", "Yes"]
    assert profile.warnings == [] and profile.suggested_drop == []
    assert (profile.n_rows, profile.n_columns) == (1000, 3)


def test_dropped_kinds_are_suggested_and_explained(rng) -> None:
    frame = churn_frame(rng)
    n = len(frame)
    frame["region"] = text(["North"] * n)
    frame["spare"] = text([np.nan] * n)
    frame["remark"] = text(f"Called on day {i} about the invoice" for i in range(n))
    frame["joined"] = text(f"2022-{i % 12 + 1:02d}-{i % 28 + 1:02d}" for i in range(n))
    profile = profile_table(frame, "churn")
    expected = {
        "customer_id": "identifier",
        "region": "constant",
        "spare": "empty",
        "remark": "text",
        "joined": "date",
    }
    assert sorted(profile.suggested_drop) == sorted(expected)
    for column, code in expected.items():
        (warning,) = [w for w in profile.warnings if w.column == column]
        assert warning.code == code and warning.severity == "info"
        assert f"'{column}'" in warning.message and "left out" in warning.message


def test_leakage_is_flagged_for_numbers_and_categories(rng) -> None:
    frame = churn_frame(rng).drop(columns="customer_id")
    # "none" is a missing marker: a reason given only for churners still gives churn away
    frame["cancel_reason"] = text(np.where(frame["churn"] == "Yes", "moved", "none"))
    frame["days_since_cancel"] = np.where(frame["churn"] == "Yes", rng.uniform(1, 30, 1000), -1.0)
    profile = profile_table(frame, "churn")
    leaks = {w.column for w in profile.warnings if w.code == "leakage"}
    assert leaks == {"cancel_reason", "days_since_cancel"}  # usage and plan are honest
    message = next(w.message for w in profile.warnings if w.code == "leakage")
    assert "'churn'" in message and '"Columns to leave out"' in message


def test_a_leak_that_is_not_perfect_is_named_with_how_to_leave_it_out(rng) -> None:
    frame = churn_frame(rng).drop(columns="customer_id")
    churned = (frame["churn"] == "Yes").to_numpy()
    # Recorded after the outcome, for most churners only: far from a perfect copy.
    frame["refund"] = np.where(churned & (rng.random(len(frame)) < 0.7), 25.0, 0.0)
    profile = profile_table(frame, "churn")
    (warning,) = [w for w in profile.warnings if w.code == "leakage"]
    assert warning.column == "refund"
    assert "may leak the outcome" in warning.message and "'churn'" in warning.message
    assert '"Columns to leave out"' in warning.message


def test_leakage_in_regression(rng) -> None:
    price = rng.uniform(100, 1000, 800)
    frame = pd.DataFrame(
        {"size": price / 10 + rng.normal(0, 20, 800), "price_eur": price * 0.92, "price": price}
    )
    profile = profile_table(frame, "price")
    assert profile.task.task == "regression"
    assert {w.column for w in profile.warnings if w.code == "leakage"} == {"price_eur"}


def test_heavily_missing_column(rng) -> None:
    frame = churn_frame(rng).drop(columns="customer_id")
    frame.loc[frame.index[:450], "usage"] = np.nan
    profile = profile_table(frame, "churn")
    (warning,) = [w for w in profile.warnings if w.code == "many_missing"]
    assert warning.column == "usage" and "45%" in warning.message


def test_mostly_numbers_column(rng) -> None:
    frame = churn_frame(rng).drop(columns="customer_id")
    frame["age"] = text(["unknown" if i % 25 == 0 else str(20 + i % 50) for i in range(1000)])
    profile = profile_table(frame, "churn")
    assert profile.column("age").kind == "categorical"
    assert "mostly_numbers" in codes(profile, "age")


def test_mostly_numbers_looks_at_every_cell(rng) -> None:
    frame = churn_frame(rng, 6000).drop(columns="customer_id")
    ages = [str(20 + i % 50) for i in range(6000)]
    ages[5000:5300] = ["unknown"] * 300  # 5%, all after the first 5,000 rows
    frame["age"] = text(ages)
    (warning,) = [w for w in profile_table(frame, "churn").warnings if w.column == "age"]
    assert warning.code == "mostly_numbers"
    assert "300 cells (row 5,001: 'unknown', row 5,002: 'unknown'" in warning.message


def test_a_typo_in_a_number_column_is_named(rng) -> None:
    frame = churn_frame(rng, 5000).drop(columns="customer_id")
    prices = [f"{10 + i % 97}.50" for i in range(5000)]
    prices[4500] = "12,50 EUR"
    frame["price"] = text(prices)
    frame = read_table(frame.to_csv(index=False).encode(), name="shop.csv")
    profile = profile_table(frame, "churn")
    assert profile.column("price").kind == "numeric"
    (warning,) = [w for w in profile.warnings if w.column == "price"]
    assert warning.code == "not_numbers" and "1 cell (row 4,501: '12,50 EUR')" in warning.message
    assert "read as empty" in warning.message


def test_class_imbalance_names_the_class_and_the_setting(rng) -> None:
    frame = churn_frame(rng).drop(columns="customer_id")
    frame["fraud"] = text(["Yes" if i % 50 == 0 else "No" for i in range(1000)])
    profile = profile_table(frame, "fraud")
    (warning,) = [w for w in profile.warnings if w.code == "class_imbalance"]
    assert "'Yes'" in warning.message and "2.0%" in warning.message
    assert "Balance rare outcomes" in warning.message


def test_small_test_set_and_missing_target(rng) -> None:
    frame = churn_frame(rng, n=300).drop(columns="customer_id")
    frame.loc[frame.index[:20], "churn"] = np.nan
    profile = profile_table(frame, "churn", test_fraction=0.15)
    small = next(w for w in profile.warnings if w.code == "small_test_set")
    assert "280 usable rows" in small.message and "about 42 rows" in small.message
    missing = next(w for w in profile.warnings if w.code == "target_missing")
    assert missing.severity == "info" and missing.message.startswith("20 rows have no value")
    assert "small_test_set" not in codes(profile_table(frame, "churn", test_fraction=0.4))


def test_target_errors(rng) -> None:
    frame = churn_frame(rng, n=40)
    with pytest.raises(UnusableDataError, match="no column named 'churned'.*'usage'"):
        profile_table(frame, "churned")
    frame.loc[frame.index[MIN_ROWS - 1 :], "churn"] = np.nan
    with pytest.raises(UnusableDataError, match=f"Only {MIN_ROWS - 1} rows have a value"):
        profile_table(frame, "churn")


def test_profile_without_target_and_json(rng) -> None:
    profile = profile_table(churn_frame(rng))
    assert profile.task is None and profile.suggested_drop == ["customer_id"]
    data = json.loads(json.dumps(profile.to_dict(), allow_nan=False))
    assert data["columns"][1]["kind"] == "numeric" and data["task"] is None
    assert profile.column("plan").kind == "categorical"
    with pytest.raises(KeyError):
        profile.column("nope")


def test_fast_on_50k_rows(rng) -> None:
    n = 50_000
    frame = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(6)})
    for i in range(3):
        frame[f"c{i}"] = text(rng.choice(["a", "b", "c", "d"], n))
    frame["y"] = text(rng.choice(["Yes", "No"], n))
    profile_table(frame.head(100), "y")  # imports (scikit-learn) are not what we time
    started = time.perf_counter()
    profile_table(frame, "y")
    assert time.perf_counter() - started < 4.0


# --- the sample datasets -------------------------------------------------------------------


def test_telco_sample() -> None:
    profile = profile_table(read_table(SAMPLES / "telco_churn.csv"), "churn")
    assert profile.task.task == "binary" and profile.task.class_labels == ["No", "Yes"]
    assert profile.column("total_charges").n_missing == 11
    assert profile.column("contract").kind == "categorical"  # "Month-to-month" is not a date
    assert profile.column("tenure").kind == "numeric"
    assert not [c.name for c in profile.columns if c.kind == "identifier"]  # no id column here
    assert "leakage" not in codes(profile)


def test_penguins_sample() -> None:
    profile = profile_table(read_table(SAMPLES / "penguins.csv"), "species")
    assert profile.task.task == "multiclass"
    assert profile.task.class_labels == ["Adelie", "Chinstrap", "Gentoo"]
    assert profile.column("sex").kind == "categorical"  # male/female is not a yes/no pair
    assert "small_test_set" in codes(profile)  # 344 rows: about 52 test rows


def test_diamonds_sample() -> None:
    profile = profile_table(read_table(SAMPLES / "diamonds.csv"), "price")
    assert profile.task.task == "regression" and profile.task.class_labels == []
    assert {profile.column(c).kind for c in ("cut", "color", "clarity")} == {"categorical"}
    assert profile.suggested_drop == [] and "leakage" not in codes(profile)
