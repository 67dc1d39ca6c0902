"""Seeing the data before training, and explanations beside the settings.

Unit tests for :mod:`core.data.summaries` and :mod:`core.data.outcome_by_value` on small
constructed tables whose answers are known; then the Data and Design pages with AppTest:
the column table's chart column, the outcome mix, the outcome per value of a picked column,
and a "What is this?" popover beside every setting the glossary explains.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.data.outcome_by_value import column_strengths, outcome_by_column
from core.data.profiling import profile_table
from core.data.summaries import (
    SKETCH_BINS,
    SKETCH_VALUES,
    amount_text,
    column_sketch,
    column_sketches,
    number_text,
    outcome_mix,
    sample_rows,
    strength_level,
)
from core.glossary import get_entry, term_for_setting
from core.portable.preprocess import MISSING, OTHER
from core.portable.reading import read_table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the app's ui/ package sits beside app.py
from ui.columns import SHAPE_PX, examples_need_wrapping  # noqa: E402
from ui.columns import TEXT as COLUMN_TEXT  # noqa: E402
from ui.recipe_form import explain_key, recipe_settings, widget_key  # noqa: E402

APP = ROOT / "app.py"
TIMEOUT = 60


def churn_table(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """A yes/no outcome settled by ``plan`` (a leak-like column), with noise columns.

    ``plan`` = "cancelled" exactly when churn is yes; ``tenure`` lowers churn a little;
    ``coin`` is unrelated; ``spend`` has empty cells.
    """
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 73, n)
    churn = rng.random(n) < np.where(tenure < 12, 0.5, 0.15)
    spend = rng.normal(50, 10, n).round(2)
    spend[rng.random(n) < 0.1] = np.nan
    frame = pd.DataFrame(
        {
            "tenure": tenure,
            "plan": np.where(churn, "cancelled", "active"),
            "coin": rng.choice(["heads", "tails"], n),
            "spend": spend,
            "churn": np.where(churn, "Yes", "No"),
        }
    )
    return read_table(frame.to_csv(index=False).encode(), name="churn.csv")


@pytest.fixture(scope="module")
def churn() -> tuple[pd.DataFrame, object]:
    table = churn_table()
    return table, profile_table(table, "churn")


# --- sketches for the column table ------------------------------------------------------------


def test_number_sketch_counts_every_row_and_keeps_outliers_in_the_end_bars():
    values = pd.Series(np.r_[np.linspace(0.0, 1.0, 999), 1e6])  # one huge outlier
    counts = column_sketch(values, "numeric")
    assert len(counts) == SKETCH_BINS and sum(counts) == 1000
    # Clipped, the outlier lands in the last bar instead of squeezing the rest into one bar.
    assert sum(1 for c in counts if c > 0) == SKETCH_BINS


def test_small_whole_number_spans_get_one_bar_per_value_and_empty_cells_are_left_out():
    values = pd.Series([0, 0, 1, 3, 3, 3, 5, None], dtype="float64")
    assert column_sketch(values, "numeric") == [2, 1, 0, 3, 0, 1]


def test_category_sketch_is_most_common_first_capped_and_merges_spacing():
    values = pd.Series(["b", "a", " a", "a", "c", None, "b", "a"] + [f"v{i}" for i in range(20)])
    counts = column_sketch(values, "categorical")
    assert counts[:2] == [4, 2] and len(counts) == SKETCH_VALUES
    assert counts == sorted(counts, reverse=True)


def test_identifiers_and_free_text_get_no_sketch_and_dates_do(churn):
    assert column_sketch(pd.Series(range(100)), "identifier") is None
    assert column_sketch(pd.Series(["a long sentence here"] * 3), "text") is None
    dates = pd.Series(pd.date_range("2024-01-01", periods=90).strftime("%Y-%m-%d"))
    assert sum(column_sketch(dates, "date")) == 90
    table, profile = churn
    sketches = column_sketches(table, profile)
    assert set(sketches) == set(table.columns)
    assert sum(sketches["spend"]) == table["spend"].notna().sum()


def test_sample_rows_is_bounded_and_seeded():
    frame = pd.DataFrame({"x": range(1000)})
    assert sample_rows(frame, 5000) is frame
    first, second = sample_rows(frame, 100), sample_rows(frame, 100)
    assert len(first) == 100 and first.index.equals(second.index)


# --- the outcome mix --------------------------------------------------------------------------


def test_outcome_mix_of_classes_follows_the_class_order_and_counts_spellings_once():
    frame = pd.DataFrame({"x": range(40), "y": ["yes", "Yes ", "no", "no"] * 10})
    table = read_table(frame.to_csv(index=False).encode(), name="t.csv")
    mix = outcome_mix(table, profile_table(table, "y").task)
    assert mix.counts[mix.labels.index("no")] == 20 and sum(mix.counts) == 40
    assert mix.shares == (0.5, 0.5) and mix.quartiles is None


def test_outcome_mix_of_a_number_is_a_histogram_with_quartiles():
    frame = pd.DataFrame({"x": range(401), "price": np.arange(401) * 2.5})
    table = read_table(frame.to_csv(index=False).encode(), name="t.csv")
    mix = outcome_mix(table, profile_table(table, "price").task)
    assert sum(mix.counts) == 401 and len(mix.edges) == len(mix.counts) + 1
    assert mix.quartiles == (250.0, 500.0, 750.0)
    assert mix.edges[0] == 0.0 and mix.edges[-1] == 1000.0


# --- the outcome per value of one column ------------------------------------------------------


def test_a_column_that_settles_the_outcome_is_decisive_and_a_coin_says_nothing(churn):
    table, profile = churn
    plan = outcome_by_column(table, profile, "plan")
    assert plan.level == "decisive" and plan.strength > 0.95
    assert {g.label: g.value for g in plan.groups} == {"cancelled": 1.0, "active": 0.0}
    assert plan.positive == "Yes" and plan.groups[0].label == "cancelled"  # highest rate first
    coin = outcome_by_column(table, profile, "coin")
    assert coin.level in ("none", "weak") and coin.strength < 0.02
    assert sum(g.rows for g in coin.groups) == len(table)


def test_number_ranges_are_deciles_in_order_without_overlap_and_empty_cells_are_a_group(churn):
    table, profile = churn
    tenure = outcome_by_column(table, profile, "tenure")
    assert tenure.ranges and len(tenure.groups) == 10
    low, high = tenure.extremes()
    assert low.label != high.label and tenure.groups[0].value > tenure.groups[-1].value
    bounds = [tuple(int(v) for v in g.label.split(" – ")) for g in tenure.groups]
    assert bounds[0][0] == 1 and bounds[-1][-1] == 72
    for (_, end), (start, _) in zip(bounds[:-1], bounds[1:], strict=True):
        assert start == end + 1  # whole numbers: "1 – 7", "8 – 14", never sharing a bound
    spend = outcome_by_column(table, profile, "spend")
    assert spend.groups[-1].label == MISSING
    assert spend.groups[-1].rows == table["spend"].isna().sum()


def test_dates_are_grouped_by_period_in_order_with_their_empty_cells():
    n = 300
    when = pd.Series(pd.date_range("2023-01-01", periods=n).strftime("%Y-%m-%d"))
    when[::7] = None
    frame = pd.DataFrame({"when": when, "y": np.where(np.arange(n) > 150, "yes", "no")})
    table = read_table(frame.to_csv(index=False).encode(), name="t.csv")
    summary = outcome_by_column(table, profile_table(table, "y"), "when")
    labels = [g.label for g in summary.groups]
    assert summary.ranges and labels[0].startswith("2023-01-02") and labels[-1] == MISSING
    assert labels[-2].endswith("2023-10-27")
    starts = [label.split(" – ")[0] for label in labels[1:-1]]
    ends = [label.split(" – ")[-1] for label in labels[:-2]]
    assert all(start > end for start, end in zip(starts, ends, strict=True))  # no shared day
    assert summary.level == "decisive"  # the outcome flips half-way through the year


def test_rare_categories_become_other_and_regression_gives_means():
    rng = np.random.default_rng(1)
    n = 500
    city = np.array([f"c{i % 30}" for i in range(n)], dtype=object)
    frame = pd.DataFrame({"city": city, "price": np.arange(n) + rng.normal(0, 1, n)})
    table = read_table(frame.to_csv(index=False).encode(), name="t.csv")
    summary = outcome_by_column(table, profile_table(table, "price"), "city")
    assert [g.label for g in summary.groups][-1] == OTHER and len(summary.groups) == 12
    assert summary.overall == pytest.approx(table["price"].mean())
    assert not summary.class_labels and summary.task == "regression"


def test_categories_give_each_groups_mix_and_the_purest_group():
    frame = pd.DataFrame(
        {"island": ["a"] * 30 + ["b"] * 30, "species": ["x"] * 30 + ["y", "z"] * 15}
    )
    table = read_table(frame.to_csv(index=False).encode(), name="t.csv")
    summary = outcome_by_column(table, profile_table(table, "species"), "island")
    for group in summary.groups:
        assert sum(group.shares) == pytest.approx(1.0)
    group, outcome = summary.purest()
    assert (group.label, outcome, group.value) == ("a", "x", 1.0)


def test_columns_rank_by_strength_and_the_target_is_refused(churn):
    table, profile = churn
    strengths = column_strengths(table, profile)
    assert "churn" not in strengths
    assert max(strengths, key=strengths.get) == "plan"
    assert strengths["tenure"] > strengths["coin"]
    with pytest.raises(ValueError):
        outcome_by_column(table, profile, "churn")


def test_levels_and_number_labels():
    assert [strength_level(s) for s in (0.0, 0.02, 0.1, 0.5, 0.9)] == [
        "none",
        "weak",
        "clear",
        "strong",
        "decisive",
    ]
    assert [number_text(v) for v in (2007.0, 25000.0, 0.375, 42.0, 567.8)] == [
        "2007",
        "25,000",
        "0.375",
        "42",
        "568",
    ]
    assert [amount_text(v) for v in (3932.8, 0.375)] == ["3,933", "0.375"]


def test_longexamples_need_wrapping_only_when_the_other_columns_leave_them_too_little_room():
    headers = COLUMN_TEXT["headers"]
    row = {headers["column"]: "contract", headers["kind"]: "Category"}
    row |= {headers["missing"]: 0.0, headers["distinct"]: 3}
    short = pd.DataFrame([{**row, headers["examples"]: "Month-to-month, One year"}])
    long = pd.DataFrame([{**row, headers["examples"]: "Electronic check, " * 4}])
    assert not examples_need_wrapping(short, headers, SHAPE_PX)
    assert examples_need_wrapping(long, headers, SHAPE_PX)


# --- the Data page ----------------------------------------------------------------------------


def data_page(sample: str = "telco_churn.csv") -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    app.switch_page("app_pages/data.py").run()
    return app.segmented_control(key="sample_dataset").set_value(sample).run()


def chart(app: AppTest, key: str) -> dict:
    found = [c for c in app.get("plotly_chart") if c.proto.id.endswith(key)]
    assert len(found) == 1, key
    return json.loads(found[0].proto.spec)


def test_the_column_table_has_a_chart_of_every_columns_values():
    app = data_page()
    assert not app.exception, [e.value for e in app.exception]
    table = app.dataframe[-1]
    assert table.proto.row_height > 64  # telco's long examples wrap instead of being cut
    config = json.loads(table.proto.columns)
    assert config["Spread of values"]["type_config"]["type"] == "bar_chart"
    assert config["Spread of values"]["type_config"]["y_min"] == 0
    cells = table.value.set_index("Column")["Spread of values"]
    assert list(cells["contract"]) == [3875, 1695, 1473]  # most common first
    assert sum(cells["tenure"]) == 7043


def test_the_outcome_mix_is_drawn_and_explained():
    app = data_page()
    spec = chart(app, "chart_outcome_mix")
    assert spec["data"][0]["x"] == ["No", "Yes"] and spec["data"][0]["y"] == [5174, 1869]
    texts = [str(m.value) for m in app.markdown]
    assert any("**27%** of the rows are 'Yes'" in t for t in texts)


def test_picking_a_column_redraws_how_the_outcome_changes_with_it():
    app = data_page()
    picker = app.selectbox(key="outcome_column")
    assert picker.value == "contract"  # the column with the strongest link comes first
    before = chart(app, "chart_outcome_by_value")
    assert before["data"][0]["x"] == ["Month-to-month", "One year", "Two year"]
    picker.set_value("tenure").run()
    assert not app.exception
    after = chart(app, "chart_outcome_by_value")
    assert after["layout"]["xaxis"]["title"]["text"] == "tenure"
    assert len(after["data"][0]["x"]) == 10 and after["data"][0]["x"] != before["data"][0]["x"]
    assert any("**tenure**" in str(m.value) for m in app.markdown)


def test_a_number_target_shows_its_spread_and_averages_per_value():
    app = data_page()
    app.selectbox(key="target_column").set_value("monthly_charges").run()
    assert not app.exception
    mix = chart(app, "chart_outcome_mix")
    assert sum(mix["data"][0]["y"]) == 7043
    by_value = chart(app, "chart_outcome_by_value")
    assert by_value["layout"]["yaxis"]["title"]["text"] == "Average monthly_charges"
    assert any("Half the rows have" in str(m.value) for m in app.markdown)


# --- the Design page --------------------------------------------------------------------------


def test_every_setting_with_a_glossary_entry_has_a_what_is_this_popover():
    app = data_page()
    app.switch_page("app_pages/design.py").run()
    assert not app.exception
    popovers = {p.proto.id.rsplit("-", 1)[-1] for p in app.get("popover")}
    recipe = app.session_state["recipe"]
    drawn = [s for s in recipe_settings() if widget_key(s.path) in app.session_state]
    explained = {explain_key(widget_key(s.path)) for s in drawn if term_for_setting(s.path)}
    layers = {
        f"why_layer_{field}_{index}"
        for field in ("activation", "dropout")
        for index in range(len(recipe.model.hidden_layers))
    }
    assert len(explained) >= 10
    # Exactly the explained settings, the hidden layers and each layer's own settings:
    # the seed, which has no entry, gets none.
    assert popovers == explained | layers | {explain_key("hidden_layers")}
    assert explain_key(widget_key("seed")) not in popovers
    # One click opens the full entry, with a link to the Learn page.
    app.session_state[explain_key(widget_key("training.optimizer"))] = True
    app.run()
    assert not app.exception
    title = get_entry(term_for_setting("training.optimizer").id).title
    assert title in [s.value for s in app.subheader]
