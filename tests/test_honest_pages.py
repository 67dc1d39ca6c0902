"""Honest evaluation in the pages (AppTest, no browser): ranges, small tests, leaks, the doctor.

Results are built with the real evaluation code (metrics, baselines, bootstrap ranges,
the doctor) and served by the fake job runner of ``test_pages``; reading, profiling and
the leak check on the Data page are the real code.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest
from test_pages import (
    FakeRunner,
    classification_result,
    finished_run,
    go,
    markdown_texts,
    no_exception,
    open_app,
    result_dict,
)

import core.jobs.runner
from core.evaluation import metrics as evaluation
from core.evaluation.baselines import baseline_metrics, baseline_outputs
from core.evaluation.intervals import measure_uncertainty
from core.evaluation.measures import METRIC_LABELS
from core.evaluation.verdict import verdict
from core.model.diagnosis import diagnose_run
from core.model.diagnosis_rules import NO_BETTER_THAN_BASELINE
from core.model.recipe import Recipe
from core.results import ColumnImportance, RunResult
from ui.doctor import fix_button_key
from ui.honest import leave_out_key, with_range

LABELS = ["No", "Yes"]
LEAK = "refund"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeRunner:
    runner = FakeRunner()
    monkeypatch.setattr(core.jobs.runner, "get_runner", lambda: runner)
    return runner


def honest_result(n: int, *, signal: float = 0.3, seed: int = 0) -> RunResult:
    """A binary run on ``n`` test rows with its bootstrap ranges, as the pipeline stores it."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    proba = np.clip(signal * y + 0.5 - signal / 2 + rng.normal(0, 0.2, n), 0.01, 0.99)
    x = np.column_stack([y + rng.normal(0, 1, n), rng.normal(0, 1, n)])
    baselines = baseline_metrics("binary", x, y, x, y, LABELS, seed=0)
    outputs = baseline_outputs("binary", x, y, x, LABELS, seed=0)
    metrics = evaluation.classification_metrics(y, proba, LABELS)
    noise = measure_uncertainty("binary", y, proba, outputs, LABELS, seed=0, resamples=200)
    base = result_dict("binary", "churn", LABELS, metrics, baselines, {})
    result = replace(
        base,
        intervals=noise.intervals,
        uncertainty=noise.to_dict(),
        verdict=verdict("binary", metrics, baselines, LABELS, noise),
    )
    return RunResult.from_dict(result.to_dict())


def test_every_test_measure_shows_its_range_and_so_do_the_baselines(fake, tmp_path):
    result = honest_result(400)
    app = go(open_app({"job": finished_run(fake, result, tmp_path)}), "evaluate")
    no_exception(app)
    table = app.table[0].value
    ranged = re.compile(r"^[\d.,%]+ \([\d.,%]+–\u2060?[\d.,%]+\)$")
    keys = [k for k, v in result.metrics.items() if k in METRIC_LABELS and v is not None]
    assert len(table) == len(keys) >= 6
    for cell in table["Your network"]:
        assert ranged.match(cell), cell
    row = list(table["Measure"]).index("ROC AUC")
    low, high = result.intervals["roc_auc"]
    assert low < result.metrics["roc_auc"] < high
    assert table["Your network"][row] == with_range(result.metrics["roc_auc"], [low, high], "")
    ranges = result.uncertainty["baseline_intervals"]["logistic regression"]["roc_auc"]
    assert table["Logistic regression"][row] == with_range(
        result.baselines["logistic regression"]["roc_auc"], ranges, ""
    )
    texts = " ".join(markdown_texts(app))
    assert "95% range" in texts and "400 test rows" in texts
    # The main measure against each simple model, said as better / within the noise.
    plain = texts.replace("\\", "")
    assert "ROC AUC, your network against the majority class: +" in plain
    assert "(range +" in plain and "really better" in plain


def test_a_small_test_set_is_said_in_plain_words_and_a_large_one_is_not(fake, tmp_path):
    small = honest_result(40)
    assert small.uncertainty["warning"]
    app = go(open_app({"job": finished_run(fake, small, tmp_path)}), "evaluate")
    no_exception(app)
    warnings = [str(w.value) for w in app.warning if "Small test set" in str(w.value)]
    assert len(warnings) == 1
    assert "only 40 rows" in warnings[0] and "Rows for the final test" in warnings[0]

    large = honest_result(4000, signal=0.6, seed=1)
    assert large.uncertainty["warning"] is None
    app = go(open_app({"job": finished_run(fake, large, tmp_path)}), "evaluate")
    no_exception(app)
    assert not [w for w in app.warning if "Small test set" in str(w.value)]


def _leaky_csv(n: int = 400) -> bytes:
    """A table where 'refund' is only non-zero for customers who left (known after the fact)."""
    rng = np.random.default_rng(0)
    left = rng.random(n) < 0.3
    refund = np.where(left, rng.normal(80, 10, n).round(2), 0.0)
    rows = [
        f"{rng.integers(0, 20)},{rng.choice(['basic', 'plus', 'pro'])},{r},{'yes' if y else 'no'}"
        for r, y in zip(refund, left, strict=True)
    ]
    return ("visits,plan,refund,left\n" + "\n".join(rows) + "\n").encode()


def _open_leaky_data_page():
    app = go(open_app(), "data")
    app.file_uploader(key="upload_csv").upload("leaky.csv", _leaky_csv(), "text/csv").run()
    app.selectbox(key="target_column").set_value("left").run()
    no_exception(app)
    return app


def test_the_data_page_names_the_leak_and_leaves_it_out_in_one_click(fake):
    app = _open_leaky_data_page()
    assert any(
        f"Column '{LEAK}' alone predicts" in t.replace("\\", "") for t in markdown_texts(app)
    )
    assert LEAK not in app.multiselect(key="drop_columns").value
    button = app.button(key=leave_out_key("data", LEAK))
    assert button.label == f"Leave '{LEAK}' out"
    button.click().run()
    no_exception(app)
    assert LEAK in app.multiselect(key="drop_columns").value
    assert LEAK in app.session_state["recipe"].drop_columns
    assert not [b for b in app.button if b.key == leave_out_key("data", LEAK)]
    assert any(f"'{LEAK}' is left out" in t.replace("\\", "") for t in markdown_texts(app))


def _too_good(result: RunResult, importance: list[tuple[str, float]]) -> RunResult:
    metrics = {**result.metrics, "roc_auc": 0.995}
    return replace(
        result,
        metrics=metrics,
        feature_importance=[ColumnImportance(c, v, 0.01) for c, v in importance],
    )


def test_a_suspicious_score_names_the_column_and_offers_a_new_run_without_it(fake, tmp_path):
    result = _too_good(classification_result(), [("tenure", 0.40), ("contract", 0.02)])
    app = go(open_app({"job": finished_run(fake, result, tmp_path)}), "evaluate")
    no_exception(app)
    said = [str(w.value).replace("\\", "") for w in app.warning]
    assert any("suspiciously high" in t and "'tenure'" in t for t in said), said
    app.button(key=leave_out_key("evaluate", "tenure")).click().run()
    no_exception(app)
    assert "tenure" in app.session_state["recipe"].drop_columns
    texts = " ".join(markdown_texts(app)).replace("\\", "")
    assert "start a new run without it" in texts
    # An ordinary score with the same importances raises nothing.
    calm = replace(result, metrics={**result.metrics, "roc_auc": 0.80})
    app = go(open_app({"job": finished_run(fake, calm, tmp_path)}), "evaluate")
    assert not [w for w in app.warning if "suspiciously" in str(w.value)]


def test_the_evaluate_page_names_the_column_the_data_check_flagged(fake, tmp_path):
    app = _open_leaky_data_page()
    # Two columns of similar importance: only the data check can point at the leak.
    result = _too_good(classification_result(), [("visits", 0.20), (LEAK, 0.15)])
    result = replace(result, target="left", data=replace(result.data, name="leaky.csv"))
    app.query_params["job"] = finished_run(fake, result, tmp_path)
    go(app, "evaluate")
    no_exception(app)
    said = [str(w.value).replace("\\", "") for w in app.warning]
    assert any(f"'{LEAK}' carries most of it" in t and "data check" in t for t in said), said
    assert app.button(key=leave_out_key("evaluate", LEAK)).label == f"Leave '{LEAK}' out"


def test_the_doctor_says_prefer_the_simple_model_and_its_fix_changes_the_recipe(fake, tmp_path):
    result = honest_result(400, signal=0.05)  # the logistic regression is far better
    recipe = Recipe()
    assert recipe.model.hidden_layers
    diagnosis = diagnose_run(result.to_dict(), recipe)
    assert NO_BETTER_THAN_BASELINE in [d.code for d in diagnosis]
    result = replace(result, diagnosis=[d.to_dict() for d in diagnosis])
    app = go(open_app({"job": finished_run(fake, result, tmp_path)}), "evaluate")
    no_exception(app)
    boxes = [str(b.value) for b in (*app.error, *app.warning)]
    assert any("Prefer the simple model" in text for text in boxes), boxes
    key = fix_button_key("evaluate_doctor", 0, NO_BETTER_THAN_BASELINE, 0)
    assert app.button(key=key).label == "Use a simple model (no hidden layers)"
    app.button(key=key).click().run()
    no_exception(app)
    assert app.session_state["recipe"].model.hidden_layers == ()
    assert any("start a new run to try it" in str(s.value) for s in app.success)


def test_differences_are_written_with_their_sign_and_never_as_minus_zero():
    from ui.honest import _signed

    assert _signed(0.0312, "roc_auc") == "+0.031"
    assert _signed(-0.0121, "roc_auc") == "-0.012"
    assert _signed(-0.00001, "roc_auc") == "0.000"
    assert _signed(-0.0004, "mape") == "0.0%"
