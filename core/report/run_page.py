"""The report of one run: what it predicts, how good it is, how it learned, and how it was made."""

from __future__ import annotations

from typing import Any

from core.evaluation.measures import LOWER_IS_BETTER, METRIC_LABELS
from core.i18n import Texts
from core.model.tasks import task_spec
from core.report import content
from core.report.figures import Bar, CurveSeries, importance_bars, learning_curves, score_bars
from core.report.render import Charts, render_page
from core.report.source import ReportRun

TEXT = Texts("core.report.run_page")  # the catalog report.po
SEVERITY_ORDER = ("problem", "warning", "info", "ok")


def run_report(run: ReportRun) -> str:
    """One self-contained HTML report of a finished run.

    Parameters
    ----------
    run
        The run (see :class:`~core.report.source.ReportRun`: ``from_trained`` for a run
        just trained, ``from_result`` for a stored ``result.json`` and its recipe).

    Returns
    -------
    str
        The whole HTML document (plotly.js inlined once; about 5 MB).
    """
    charts = Charts()
    context: dict[str, Any] = {
        "title": TEXT["title"].format(target=run.target),
        "heading": TEXT["heading"].format(target=run.target),
        "meta": _meta(run),
        "has_model": run.has_model,
        "verdict": run.verdict,
        "headline": _headline(run),
        "uncertainty_warning": run.uncertainty_warning,
        "threshold_sentences": content.threshold_sentences(run) if run.has_model else [],
        "training_sentences": content.training_sentences(run),
        "curves_intro": TEXT["curves_intro"],
        "diagnosis": _diagnosis(run),
        "data_facts": content.data_facts(run),
        "data_warnings": [{"severity": "warning", "title": "", "message": w} for w in run.warnings],
        "column_rows": content.column_rows(run),
        "recipe_sections": content.recipe_sections(run),
    }
    context.update(_scores(run, charts))
    context.update(_curves(run, charts))
    context.update(_importance(run, charts))
    return render_page("run.html.j2", context, charts, TEXT)


def _meta(run: ReportRun) -> list[str]:
    meta = []
    if run.data_name:
        meta.append(TEXT["meta_data"].format(name=run.data_name))
    if run.name:
        meta.append(TEXT["meta_run"].format(name=run.name))
    if run.trained_at:
        meta.append(TEXT["meta_trained"].format(when=content.format_when(run.trained_at)))
    return meta


def _headline(run: ReportRun) -> str:
    key = run.primary_metric
    if key not in run.metrics:
        return ""
    label, meaning = METRIC_LABELS.get(key, (key, ""))
    interval = run.intervals.get(key)
    shown = ""
    if interval:
        low, high = (content.format_score(v, key) for v in interval)
        shown = TEXT["headline_range"].format(low=low, high=high)
    value = content.format_score(run.metrics[key], key)
    return TEXT["headline"].format(label=label, value=value, range=shown, meaning=meaning)


def _scores(run: ReportRun, charts: Charts) -> dict[str, Any]:
    names, rows = content.score_rows(run)
    key = run.primary_metric
    chart = None
    if key in run.metrics:
        bars = [_bar(TEXT["network"], run.metrics[key], key, run.intervals.get(key), True)]
        ranges = run.baseline_intervals
        for name, scores in run.baselines.items():
            if key in scores:
                interval = ranges.get(name, {}).get(key)
                bars.append(_bar(name.capitalize(), scores[key], key, interval, False))
        label = content.metric_label(key)
        direction = TEXT["lower_better"] if key in LOWER_IS_BETTER else TEXT["higher"]
        chart = charts.add(score_bars(bars, f"{label} ({direction})"))
    n_test = run.data.get("n_test")
    return {
        "baseline_names": names,
        "score_rows": rows,
        "scores_intro": TEXT["scores_intro"].format(
            n_test=f"{n_test:,}" if isinstance(n_test, int) else "the"
        ),
        "score_chart": chart,
        "score_chart_title": TEXT["score_chart"].format(label=content.metric_label(key)),
        "ranges_note": TEXT["ranges_note"] if run.intervals else "",
    }


def _bar(
    label: str, value: float, key: str, interval: tuple[float, float] | None, highlight: bool
) -> Bar:
    low, high = interval if interval and interval[0] != interval[1] else (None, None)
    text = content.format_score(value, key)
    return Bar(label, value, text, low, high, highlight)


def _curves(run: ReportRun, charts: Charts) -> dict[str, Any]:
    history = run.history
    loss = content.loss_name(run.task)
    found: dict[str, Any] = {
        "loss_chart": None,
        "metric_chart": None,
        "loss_title": TEXT["loss_title"].format(loss=loss),
        "metric_title": "",
    }
    if not history:
        return found
    series = [CurveSeries(run.name, history, run.best_epoch)]
    found["loss_chart"] = charts.add(learning_curves(series, "loss", loss.capitalize()))
    if any(row.get("metric") is not None for row in history):
        name = run.metric_name or "score"
        lower = task_spec(run.task).live_metric in LOWER_IS_BETTER  # e.g. the typical error
        direction = TEXT["lower_better"] if lower else TEXT["higher"]
        found["metric_title"] = TEXT["metric_title"].format(
            metric=name[0].upper() + name[1:], direction=direction
        )
        found["metric_chart"] = charts.add(learning_curves(series, "metric", name.capitalize()))
    return found


def _diagnosis(run: ReportRun) -> list[dict[str, str]]:
    notes = []
    for finding in run.diagnosis:
        severity = str(finding.get("severity") or "info")
        notes.append(
            {
                "severity": severity if severity in SEVERITY_ORDER else "info",
                "title": str(finding.get("title") or ""),
                "message": str(finding.get("message") or ""),
            }
        )
    return sorted(notes, key=lambda note: SEVERITY_ORDER.index(note["severity"]))


def _importance(run: ReportRun, charts: Charts) -> dict[str, Any]:
    rows = run.importance
    if not rows:
        return {"importance_chart": None, "importance_intro": ""}
    metric = content.metric_label(task_spec(run.task).importance_metric)
    return {
        "importance_chart": charts.add(importance_bars(rows, metric)),
        "importance_intro": TEXT["importance_intro"].format(metric=metric),
    }
