"""The report to share: one self-contained HTML file per run, or per comparison of runs.

Runs are real (tiny networks, a few passes, see tests/helpers.py); the binary one has hostile
names (a column called ``</script><script>...``, a data file called ``<img onerror=...>``, a
class label with markup) that must come out as text, never as markup. The browser test opens
a written report from disk with the network cut off and checks every chart is drawn.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import mixed_frame, tiny_recipe
from plotly.offline import get_plotlyjs
from test_pages import (  # noqa: F401 - runner is a fixture
    classification_result,
    finished_run,
    go,
    no_exception,
    open_app,
    runner,
)

import core.bundle.writer as bundle_writer
from core.bundle.layout import BUNDLE_FILES, MODEL_CARD, REPORT_HTML
from core.errors import TrainboardError
from core.model.choices import OPTIMIZERS
from core.pipeline import train_run
from core.report import ReportRun, comparison_report, run_report, write_report
from core.report.compare_page import difference, setting_differences

HOSTILE_COLUMN = '</script><script>alert("column")</script>'
HOSTILE_DATA = "<img src=x onerror=alert(1)>.csv"
HOSTILE_LABEL = "<b>yes</b>"
SECTIONS = ("verdict", "scores", "curves", "doctor", "importance", "data", "recipe")
EPOCHS = 6


def _frame(task: str):
    frame = mixed_frame(task=task)
    if task == "binary":
        frame = frame.rename(columns={"member": HOSTILE_COLUMN})
        frame["churn"] = frame["churn"].map({"yes": HOSTILE_LABEL, "no": "no"})
    return frame


@pytest.fixture(scope="module")
def runs() -> dict[str, SimpleNamespace]:
    """One tiny real run per task, and a second binary run trained with SGD."""
    trained = {}
    for task in ("binary", "multiclass", "regression"):
        recipe = tiny_recipe(task, **{"training.max_epochs": EPOCHS})
        name = HOSTILE_DATA if task == "binary" else "mixed.csv"
        trained[task] = train_run(_frame(task), recipe, data_name=name)
    sgd = tiny_recipe("binary", **{"training.max_epochs": EPOCHS, "training.optimizer": "sgd"})
    trained["binary_sgd"] = train_run(_frame("binary"), sgd, data_name=HOSTILE_DATA)
    return {
        key: SimpleNamespace(run=run, report=ReportRun.from_trained(run))
        for key, run in trained.items()
    }


def _charts(html: str) -> list[dict]:
    """The charts' figures, read back from the page's init script."""
    found = re.search(r"var charts = (\[.*?\]);\n", html, flags=re.DOTALL)
    assert found, "the page draws its charts from one list"
    return json.loads(found.group(1))


def _chart_divs(html: str) -> list[str]:
    return re.findall(r'<div class="chart" id="(chart-\d+)"', html)


def _visible_text(html: str) -> str:
    """The page without its scripts and style (what the reader sees, still HTML-escaped)."""
    body = re.sub(r"<script>.*?</script>", "", html, flags=re.DOTALL)
    return re.sub(r"<style>.*?</style>", "", body, flags=re.DOTALL)


# --- one run -----------------------------------------------------------------------------


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_every_section_is_there_for_every_task(runs, task: str) -> None:
    item = runs[task]
    html = run_report(item.report)
    text = _visible_text(html)
    for section in SECTIONS:
        assert f'<section id="{section}">' in html, section
    assert ('<section id="threshold">' in html) == (task == "binary")
    assert item.report.result["verdict"].split("(")[0].strip() in text.replace("&#39;", "'")
    for finding in item.report.result["diagnosis"]:
        assert finding["title"] in text.replace("&#39;", "'")
    # the recipe in the field labels' words, the changed setting marked
    assert "Learning method (optimizer)" in text and "Adam (recommended)" in text
    assert "1 hidden layer of 4 neurons; ReLU (recommended), dropout 0" in text
    assert re.search(r"Most passes over the data \(epochs\)<span class=\"changed\">", text)
    # the loss named in words, the kept pass marked on the curves
    loss = "mean squared error" if task == "regression" else "cross-entropy"
    assert f"Error while learning: {loss}" in text
    charts = _charts(html)
    assert [c["id"] for c in charts] == _chart_divs(html), "one element per chart"
    assert len(charts) == 4  # headline score, loss, metric, importance
    kept = f"kept: pass {item.report.result['best_epoch']}"
    assert any(kept in json.dumps(chart) for chart in charts)


def test_hostile_names_stay_text(runs) -> None:
    html = run_report(runs["binary"].report)
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>yes</b>" not in html
    text = _visible_text(html)
    # shown, escaped, in the column table, the data summary and the decision sentences
    assert "&lt;/script&gt;&lt;script&gt;alert(&#34;column&#34;)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;.csv" in text
    assert "“&lt;b&gt;yes&lt;/b&gt;”" in text
    # in the charts (importance bars name columns) escaped twice over: for plotly and <script>
    charts = json.dumps(_charts(html))
    assert "</script>" not in charts and "&lt;/script&gt;" in charts
    assert html.count("<script>") == 2, "plotly.js and the charts' script, nothing else"


def test_the_report_needs_no_network(runs) -> None:
    html = run_report(runs["regression"].report)
    assert html.count(get_plotlyjs()[:2000]) == 1, "plotly.js inlined exactly once"
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html)
    assert "cdn.plot.ly" not in _visible_text(html)
    assert "default-src 'none'" in html and "connect-src 'none'" in html
    assert len(html.encode()) < 6_000_000  # plotly.js is ~4.8 MB of it


def test_scores_show_their_ranges_and_the_baselines(runs) -> None:
    base = runs["binary"].report
    plain = _visible_text(run_report(base))
    assert "Logistic regression" in plain and "Majority class" in plain
    # the run's own bootstrap ranges (core.evaluation.intervals), and the small-test warning
    low, high = base.result["intervals"]["roc_auc"]
    assert f"likely between {low:.3f} and {high:.3f}" in plain
    assert base.uncertainty_warning and "final test has only" in base.uncertainty_warning
    # without ranges (a run made before they existed) nothing pretends to know them
    bare = {k: v for k, v in base.result.items() if k not in ("intervals", "uncertainty")}
    bare_text = _visible_text(run_report(ReportRun.from_result(bare, base.recipe)))
    assert "likely between" not in bare_text and "95% of re-drawn test sets" not in bare_text
    result = dict(base.result)
    result["data"] = dict(base.data)
    result["intervals"] = {"roc_auc": [0.61, 0.79], "accuracy": [0.5, 0.7]}
    result["uncertainty"] = {
        "baseline_intervals": {"logistic regression": {"roc_auc": [0.9, 0.99]}},
        "warning": "Only 45 test rows: differences under 0.1 mean little.",
    }
    ranged = ReportRun.from_result(result, base.recipe, columns=base.columns)
    text = _visible_text(run_report(ranged))
    assert "likely between 0.610 and 0.790" in text
    assert "0.610 – 0.790" in text and "0.900 – 0.990" in text
    assert "95% of re-drawn test sets" in text
    assert "Only 45 test rows" in text
    bars = json.dumps(_charts(run_report(ranged))[0])
    assert '"arrayminus"' in bars, "the headline chart draws the ranges as whiskers"


def test_the_threshold_says_what_it_means(runs) -> None:
    base = runs["binary"].report
    (tn, fp), (fn, tp) = base.confusion_matrix
    text = _visible_text(run_report(base))
    assert "at least 0.50" in text and "This is the usual threshold" in text
    assert f"({tp:,} of {tp + fn:,} test rows)" in text
    chosen = ReportRun.from_result(
        {
            **base.result,
            "data": dict(base.data),
            "decision_threshold": 0.3,
            "at_threshold": {
                "true_positives": 9,
                "false_positives": 1,
                "false_negatives": 3,
                "true_negatives": 32,
            },
        },
        base.recipe,
    )
    text = _visible_text(run_report(chosen))
    assert "at least 0.30" in text and "instead of the usual 0.5" in text
    assert "about 90 really are" in text and "It catches 75%" in text
    assert "1 false alarm and misses 3" in text
    assert 'id="threshold"' not in run_report(runs["regression"].report)


def test_a_run_without_a_model_still_reports_how_it_went(runs) -> None:
    base = runs["multiclass"].report
    result = {**base.result, "metrics": {}, "feature_importance": [], "verdict": "It diverged."}
    html = run_report(ReportRun.from_result(result, base.recipe))
    assert "This run produced no usable model." in html and "It diverged." in html
    assert 'id="scores"' not in html and 'id="curves"' in html and 'id="recipe"' in html


def test_write_report_leaves_one_whole_file(runs, tmp_path: Path) -> None:
    html = run_report(runs["multiclass"].report)
    path = write_report(html, tmp_path / "report.html")
    assert path.read_text(encoding="utf-8") == html
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


# --- comparing runs ----------------------------------------------------------------------


def test_comparison_shows_what_changed_and_overlays_the_curves(runs) -> None:
    adam, sgd = runs["binary"].report, runs["binary_sgd"].report
    html = comparison_report([adam, sgd])
    text = _visible_text(html)
    assert "Comparing 2 runs" in text
    changed = f"{OPTIMIZERS['adam'].label} → {OPTIMIZERS['sgd'].label}"
    assert f"<strong>Learning method (optimizer)</strong>: {changed}" in text
    assert "automatic (0.001" in text and "automatic (0.01" in text  # each method's own rate
    assert "All runs used the same data file" in text
    assert "Difference" in text and 'id="scores"' in html
    # real runs carry bootstrap ranges: every difference is judged against the noise
    assert "cannot be judged here" not in text
    assert re.search(r"within the noise|(better|worse), larger than the noise", text)
    bare = [
        ReportRun.from_result(
            {k: v for k, v in r.result.items() if k != "intervals"}, r.recipe, name=r.label
        )
        for r in (adam, sgd)
    ]
    bare_text = _visible_text(comparison_report(bare))
    scores = bare_text.split('<section id="scores">')[1].split("</section>")[0]
    assert scores.count("cannot be judged here") == 1, "said once, not in every cell"
    assert "within the noise" not in scores
    charts = _charts(html)
    assert [c["id"] for c in charts] == _chart_divs(html)
    loss = next(c for c in charts if "Cross-entropy" in json.dumps(c["figure"]["layout"]))
    names = [trace.get("name") for trace in loss["figure"]["data"]]
    assert sum(1 for n in names if n and n.endswith("(validation)")) == 2
    assert "<script>alert" not in html and "<img src=x" not in html


def test_setting_differences_name_only_what_differs(runs) -> None:
    reports = [runs["binary"].report, runs["binary_sgd"].report]
    differences = dict(setting_differences(reports))
    assert differences["Learning method (optimizer)"] == [
        OPTIMIZERS["adam"].label,
        OPTIMIZERS["sgd"].label,
    ]
    assert "Learning rate (empty = automatic)" in differences
    assert "Random seed" not in differences and "Hidden layers" not in differences
    assert setting_differences([reports[0], reports[0]]) == []


def test_a_difference_counts_only_beyond_the_noise(runs) -> None:
    base = runs["binary"].report

    def with_score(value: float, low: float, high: float) -> ReportRun:
        metrics = {**base.result["metrics"], "roc_auc": value}
        result = {**base.result, "metrics": metrics, "intervals": {"roc_auc": [low, high]}}
        return ReportRun.from_result(result, base.recipe)

    reference = with_score(0.70, 0.65, 0.75)
    assert difference(reference, with_score(0.90, 0.86, 0.94), "roc_auc")["outcome"] == "better"
    assert difference(reference, with_score(0.50, 0.45, 0.55), "roc_auc")["outcome"] == "worse"
    noise = difference(reference, with_score(0.73, 0.68, 0.78), "roc_auc")
    assert noise["outcome"] == "noise" and noise["diff"] == "+0.030"
    without = {k: v for k, v in base.result.items() if k != "intervals"}
    no_range = ReportRun.from_result(without, base.recipe)
    assert difference(no_range, with_score(0.9, 0.8, 1.0), "roc_auc")["outcome"] == "no_range"
    # for an error, lower is better
    assert difference(reference, reference, "log_loss")["outcome"] == "same"


def test_runs_predicting_different_things_are_not_scored_against_each_other(runs) -> None:
    html = comparison_report([runs["binary"].report, runs["regression"].report])
    text = _visible_text(html)
    assert "predict different things" in text
    assert 'id="scores"' not in html and 'id="curves"' in html
    with pytest.raises(TrainboardError, match="at least two runs"):
        comparison_report([runs["binary"].report])


# --- the bundle and the Export page ------------------------------------------------------


@pytest.mark.slow
def test_the_bundle_ships_the_report_and_survives_a_failing_one(runs, tmp_path, monkeypatch):
    assert REPORT_HTML in BUNDLE_FILES
    run = runs["regression"].run
    written = bundle_writer.write_bundle(run, tmp_path / "ok.zip")
    with zipfile.ZipFile(tmp_path / "ok.zip") as archive:
        html = archive.read(REPORT_HTML).decode("utf-8")
        card = archive.read(MODEL_CARD).decode("utf-8")
    assert REPORT_HTML in written.files and REPORT_HTML not in written.left_out
    assert f"`{REPORT_HTML}`" in card and 'id="recipe"' in html

    def broken(_run: ReportRun) -> str:
        raise ValueError("no room on the page")

    monkeypatch.setattr(bundle_writer, "run_report", broken)
    failed = bundle_writer.write_bundle(run, tmp_path / "failed.zip")
    with zipfile.ZipFile(tmp_path / "failed.zip") as archive:
        assert REPORT_HTML not in archive.namelist()
    assert "no room on the page" in failed.left_out[REPORT_HTML]
    assert "no room on the page" in failed.model_card


# --- in a real browser -------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.slow
def test_reports_open_offline_in_a_browser_and_draw_their_charts(runs, tmp_path: Path) -> None:
    from e2e_support import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
    from playwright.sync_api import sync_playwright

    pages = {
        "run": run_report(runs["binary"].report),
        "comparison": comparison_report([runs["binary"].report, runs["binary_sgd"].report]),
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT, offline=True)
            requests: list[str] = []
            context.on("request", lambda request: requests.append(request.url))
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            for name, html in pages.items():
                path = write_report(html, tmp_path / f"{name}.html")
                page.goto(path.as_uri())
                expected = len(_chart_divs(html))
                page.wait_for_function(
                    f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {expected}",
                    timeout=30_000,
                )
                drawn = page.locator(".js-plotly-plot").count()
                assert drawn == expected, name
                assert page.locator(".js-plotly-plot .main-svg").first.is_visible()
                assert "<script>" not in page.locator("h1").inner_text()
            assert errors == []
            assert all(url.startswith("file://") for url in requests), requests
        finally:
            browser.close()


def test_export_page_offers_the_report(runner, tmp_path) -> None:  # noqa: F811
    job_id = finished_run(runner, classification_result(), tmp_path)
    app = go(open_app({"job": job_id}), "export")
    no_exception(app)
    keys = [button.key for button in app.download_button]
    assert "download_bundle" in keys and "download_report" not in keys, "none without a report"
    with zipfile.ZipFile(runner.artifacts[(job_id, "bundle.zip")], "w") as archive:
        archive.writestr(REPORT_HTML, "<!DOCTYPE html><title>report</title>\n")
    app = go(open_app({"job": job_id}), "export")
    no_exception(app)
    assert app.download_button(key="download_report")
    assert REPORT_HTML in set(app.table[0].value["File"])
