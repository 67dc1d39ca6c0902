"""The report of two or more runs side by side: what differs, and whether it matters.

The first run is the reference: every other run's settings and scores are read against
it. A difference of scores is "larger than the noise" only when its range leaves out
zero. Runs keep their test sets, so the range of a difference is estimated from each
run's own range as if the two were independent (half-widths added in quadrature): on
the same test rows this is cautious, never too bold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from core.errors import TrainboardError
from core.evaluation.measures import HIGHER_IS_BETTER, LOWER_IS_BETTER, METRIC_LABELS
from core.i18n import Texts
from core.model.fields import field_specs
from core.model.recipe import Recipe
from core.model.tasks import task_spec
from core.report import content
from core.report.figures import Bar, CurveSeries, learning_curves, score_bars
from core.report.render import Charts, render_page
from core.report.run_page import TEXT as RUN_TEXT
from core.report.source import ReportRun

TEXT = Texts("core.report.compare_page")  # the catalog report.po


def comparison_report(runs: Sequence[ReportRun]) -> str:
    """One self-contained HTML report comparing ``runs`` (the first is the reference).

    Raises
    ------
    TrainboardError
        If fewer than two runs are given.
    """
    runs = list(runs)
    if len(runs) < 2:
        raise TrainboardError(TEXT["too_few"])
    charts = Charts()
    names = _unique_names(runs)
    comparable = len({r.target for r in runs}) == 1 and len({r.task for r in runs}) == 1
    context: dict[str, Any] = {
        "title": TEXT["title"].format(n=len(runs)),
        "heading": TEXT["heading"].format(n=len(runs)),
        "names": names,
        "overview": [_overview(run) for run in runs],
        "comparability": _comparability(runs, comparable),
        "settings": setting_differences(runs),
        "two_runs": len(runs) == 2,
        "verdicts": [(name, run.verdict) for name, run in zip(names, runs, strict=True)],
        "score_rows": score_differences(runs) if comparable else [],
        "ranges_missing": any(not run.intervals for run in runs),
        "reference": names[0],
        "score_chart": None,
        "loss_chart": None,
        "metric_chart": None,
    }
    if comparable:
        context["score_chart"], context["score_chart_title"] = _score_chart(runs, names, charts)
    context.update(_curves(runs, names, charts))
    return render_page("comparison.html.j2", context, charts, TEXT)


def _unique_names(runs: Sequence[ReportRun]) -> list[str]:
    """Run names, numbered when two are the same (legends and columns must tell them apart)."""
    names = [run.label for run in runs]
    if len(set(names)) == len(names):
        return names
    return [f"{i}. {name}" for i, name in enumerate(names, start=1)]


def _overview(run: ReportRun) -> dict[str, str]:
    key = run.primary_metric
    headline = content.NOT_AVAILABLE
    if key in run.metrics:
        headline = f"{content.metric_label(key)} {content.format_score(run.metrics[key], key)}"
    passes = f"{run.epochs_run}"
    if run.best_epoch is not None:
        passes += f" ({run.best_epoch})"
    return {
        "data": run.data_name or content.NOT_AVAILABLE,
        "target": run.target,
        "trained": content.format_when(run.trained_at) if run.trained_at else "",
        "passes": passes,
        "headline": headline,
        "range": content.format_range(run.intervals.get(key), key),
        "time": content.format_seconds(run.seconds),
    }


def _comparability(runs: Sequence[ReportRun], comparable: bool) -> dict[str, str]:
    if not comparable:
        targets = ", ".join(sorted({f"“{r.target}”" for r in runs}))
        return {
            "severity": "warning",
            "title": "",
            "message": TEXT["other_target"].format(names=targets),
        }
    data = {(r.data_name, r.data.get("rows"), r.data.get("columns")) for r in runs}
    if len(data) > 1:
        names = ", ".join(sorted({f"“{r.data_name or '?'}”" for r in runs}))
        return {
            "severity": "warning",
            "title": "",
            "message": TEXT["other_data"].format(names=names),
        }
    return {"severity": "info", "title": "", "message": TEXT["same_data"]}


def setting_differences(runs: Sequence[ReportRun]) -> list[tuple[str, list[str]]]:
    """(setting label, its value in words for each run) for every setting that differs."""
    documents = [run.recipe.to_dict() for run in runs]
    rows = []
    for spec in field_specs(Recipe):
        values = [content.recipe_value(doc, spec.path) for doc in documents]
        words = [
            content.setting_words(spec, value, run) for value, run in zip(values, runs, strict=True)
        ]
        # Compared in words: an automatic learning rate is a different one for another
        # learning method, and that is what the reader needs to see.
        if any(word != words[0] for word in words[1:]):
            rows.append((spec.label, words))
    return rows


def score_differences(runs: Sequence[ReportRun]) -> list[dict[str, Any]]:
    """Per measure all runs have: each run's score, and its difference from the first run."""
    reference = runs[0]
    rows = []
    for key, (label, _) in METRIC_LABELS.items():
        if not all(key in run.metrics for run in runs):
            continue
        cells = [
            {
                "score": content.format_score(run.metrics[key], key),
                "range": content.format_range(run.intervals.get(key), key),
            }
            for run in runs
        ]
        for cell, run in zip(cells[1:], runs[1:], strict=True):
            cell.update(difference(reference, run, key))
        rows.append(
            {
                "label": label,
                "lower_is_better": key in LOWER_IS_BETTER,
                "headline": key == reference.primary_metric,
                "cells": cells,
            }
        )
    rows.sort(key=lambda row: not row["headline"])
    return rows


def difference(reference: ReportRun, other: ReportRun, key: str) -> dict[str, str]:
    """``other``'s score minus the reference's on ``key``, with its range and what it means.

    Returns ``{"diff", "diff_range", "outcome", "outcome_text"}``; ``outcome`` is "better"
    or "worse" (the range leaves out zero), "noise" (it holds zero), "same" (no
    difference at all) or "no_range" (a run has no range).
    """
    gap = other.metrics[key] - reference.metrics[key]
    found = {"diff": _signed(gap, key), "diff_range": "", "outcome": "no_range"}
    ranges = (reference.intervals.get(key), other.intervals.get(key))
    if gap == 0:
        found["outcome"] = "same"
    elif ranges[0] is not None and ranges[1] is not None:
        half = math.hypot(*((high - low) / 2 for low, high in ranges))
        low, high = gap - half, gap + half
        found["diff_range"] = f"{_signed(low, key)} to {_signed(high, key)}"
        if low <= 0 <= high:
            found["outcome"] = "noise"
        else:
            improved = (gap > 0) == HIGHER_IS_BETTER.get(key, True)
            found["outcome"] = "better" if improved else "worse"
    found["outcome_text"] = "" if found["outcome"] == "no_range" else TEXT[found["outcome"]]
    return found


def _signed(value: float, key: str) -> str:
    text = content.format_score(abs(value), key)
    return text if text.strip("0.,%") == "" else ("+" if value > 0 else "−") + text


def _score_chart(
    runs: Sequence[ReportRun], names: Sequence[str], charts: Charts
) -> tuple[str | None, str]:
    key = runs[0].primary_metric
    label = content.metric_label(key)
    if not all(key in run.metrics for run in runs):
        return None, ""
    bars = []
    for index, (name, run) in enumerate(zip(names, runs, strict=True)):
        low, high = run.intervals.get(key) or (None, None)
        text = content.format_score(run.metrics[key], key)
        bars.append(Bar(name, run.metrics[key], text, low, high, highlight=index == 0))
    direction = RUN_TEXT["lower_better"] if key in LOWER_IS_BETTER else RUN_TEXT["higher"]
    figure = score_bars(bars, f"{label} ({direction})")
    return charts.add(figure), TEXT["score_chart"].format(label=label)


def _curves(runs: Sequence[ReportRun], names: Sequence[str], charts: Charts) -> dict[str, Any]:
    series = [
        CurveSeries(name, run.history, run.best_epoch)
        for name, run in zip(names, runs, strict=True)
        if run.history
    ]
    if not series:
        return {"loss_title": "", "metric_title": ""}
    tasks = {run.task for run in runs}
    loss = content.loss_name(runs[0].task) if len(tasks) == 1 else "error"
    found = {
        "loss_title": RUN_TEXT["loss_title"].format(loss=loss),
        "loss_chart": charts.add(learning_curves(series, "loss", loss.capitalize())),
        "metric_title": "",
    }
    metric_names = {run.metric_name for run in runs if run.history}
    if len(metric_names) == 1 and len(tasks) == 1:
        name = metric_names.pop() or "score"
        lower = task_spec(runs[0].task).live_metric in LOWER_IS_BETTER
        direction = RUN_TEXT["lower_better"] if lower else RUN_TEXT["higher"]
        found["metric_title"] = RUN_TEXT["metric_title"].format(
            metric=name[0].upper() + name[1:], direction=direction
        )
        found["metric_chart"] = charts.add(learning_curves(series, "metric", name.capitalize()))
    return found
