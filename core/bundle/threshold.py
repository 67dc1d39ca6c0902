"""A bundle with another decision threshold: the same model, a different yes/no answer.

A yes/no bundle is written at the end of training with the usual threshold (0.5). A
person who chooses another one on the Evaluate page downloads a copy made by
:func:`bundle_with_threshold`: ``schema.json`` gets the new ``decision_threshold`` (what
``predict.py``, the CLI and the Predict page read), ``metrics.json`` the counts at that
threshold, the model card its decision section in words, and ``report.html`` is rendered
again at that threshold (from the run's result when the caller has it, else from the
bundle's own ``metrics.json`` and ``history.csv``), so every file says the same threshold.
Every other file is copied unchanged. The copy is opened again with
:func:`core.bundle.loading.load_bundle`, exactly as a user would open it, and must predict
with the new threshold before it is returned.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.bundle.card import TEXT as TEXT_CARD
from core.bundle.card import card_language, decision_section
from core.bundle.contents import synthetic_rows
from core.bundle.layout import (
    HISTORY_CSV,
    METRICS_JSON,
    MODEL_CARD,
    RECIPE_JSON,
    REPORT_HTML,
    SCHEMA_JSON,
)
from core.bundle.safety import extract_all, open_archive
from core.errors import BundleError
from core.evaluation.decisions import decision_document
from core.files import dump_json
from core.i18n import Texts, language
from core.portable.decision import SCHEMA_KEY, check_threshold, threshold_from_schema
from core.portable.tasks import PREDICTION, TASK_OUTPUTS, probability_column
from core.report import ReportRun, run_report
from core.results import RunResult, history_from_dicts

TEXT = Texts("core.bundle.threshold")  # the catalog runs.po


def bundle_with_threshold(
    source: str | os.PathLike[str] | bytes,
    threshold: float,
    result: RunResult | Mapping[str, Any] | None = None,
) -> bytes:
    """The bytes of a copy of a yes/no bundle that predicts with ``threshold``.

    Parameters
    ----------
    source
        The bundle (a path or the bytes of its ``.zip``).
    threshold
        Between 0.01 and 0.99: the second outcome is answered from this probability on.
    result
        The run's result, when known: its report is then rendered again with everything
        the first one said (the data summary, warnings, the training doctor's findings).

    Raises
    ------
    BundleError
        If the bundle is not a yes/no model's, is damaged or unsafe, or the copy does not
        predict with the new threshold.
    """
    try:
        threshold = check_threshold(threshold)
    except ValueError as error:
        raise BundleError(TEXT["bad_threshold"].format(why=error)) from None
    with (
        open_archive(source) as archive,
        tempfile.TemporaryDirectory(prefix="trainboard-threshold-") as folder_name,
    ):
        folder = Path(folder_name)
        names = extract_all(archive, folder)
        schema = _read_json(folder / SCHEMA_JSON)
        task = TASK_OUTPUTS.get(schema.get("task")) if isinstance(schema.get("task"), str) else None
        if task is None or not task.single_probability:
            what = "numbers" if task and not task.predicts_class else "one of several outcomes"
            raise BundleError(TEXT["not_binary"].format(what=what))
        _rewrite(folder, schema, threshold)
        if REPORT_HTML in names and not _rewrite_report(folder, threshold, result):
            names.remove(REPORT_HTML)  # better no report than one saying another threshold
        payload = _zip(folder, names)
    check_threshold_applied(payload, threshold)
    return payload


def _rewrite(folder: Path, schema: dict[str, Any], threshold: float) -> None:
    """schema.json, metrics.json and the card's decision section, with the new threshold."""
    schema[SCHEMA_KEY] = threshold
    (folder / SCHEMA_JSON).write_text(dump_json(schema), encoding="utf-8", newline="\n")
    decisions = None
    metrics_path = folder / METRICS_JSON
    if metrics_path.is_file():
        metrics = _read_json(metrics_path)
        decisions = metrics.get("decision_curve")
        metrics.update(decision_document(decisions, threshold))
        metrics_path.write_text(dump_json(metrics), encoding="utf-8", newline="\n")
    card_path = folder / MODEL_CARD
    if card_path.is_file():
        card = card_with_threshold(
            card_path.read_text(encoding="utf-8"),
            threshold,
            decisions,
            str(schema["target"]),
            schema["class_labels"],
        )
        card_path.write_text(card, encoding="utf-8", newline="\n")


def _rewrite_report(
    folder: Path, threshold: float, result: RunResult | Mapping[str, Any] | None
) -> bool:
    """report.html rendered again at ``threshold``; False (and no file) if it cannot be."""
    path = folder / REPORT_HTML
    try:
        html = bundle_report(lambda name: (folder / name).read_bytes(), threshold, result)
        path.write_text(html, encoding="utf-8", newline="\n")
        return True
    except Exception:  # noqa: BLE001 - the report must never cost the user the bundle
        path.unlink(missing_ok=True)
        return False


def bundle_report(
    read: Callable[[str], bytes],
    threshold: float | None,
    result: RunResult | Mapping[str, Any] | None,
) -> str:
    """report.html rendered again from a bundle's files, in the current language.

    ``read`` returns the bytes of one of the bundle's files by name. The run's result, when
    the caller has it, gives the report everything the first one said (the data summary,
    warnings, the training doctor's findings); otherwise the bundle's own ``metrics.json``
    and ``history.csv`` do. The counts at ``threshold`` come from ``metrics.json``.

    Raises
    ------
    Exception
        Whatever reading or rendering raises: callers keep or drop the report.
    """
    metrics = json.loads(read(METRICS_JSON))
    if isinstance(result, RunResult):
        source = result.to_dict()
    elif result is not None:
        source = dict(result)
    else:  # the bundle alone: its test results and its curves
        source = {**metrics, "history": _stored_history(read, HISTORY_CSV)}
    source.update({key: metrics[key] for key in (SCHEMA_KEY, "at_threshold") if key in metrics})
    recipe = json.loads(read(RECIPE_JSON))
    return run_report(ReportRun.from_result(source, recipe, threshold=threshold))


def _stored_history(read: Callable[[str], bytes], name: str) -> list[dict[str, Any]]:
    """The per-epoch curves of history.csv, as a result holds them (none if unreadable)."""
    try:
        rows = pd.read_csv(io.BytesIO(read(name))).to_dict("records")
    except (KeyError, OSError, ValueError):
        return []
    return [report.to_dict() for report in history_from_dicts(rows)]


def card_with_threshold(
    card: str,
    threshold: float,
    decisions: dict[str, Any] | None,
    target: str,
    class_labels: list[str],
) -> str:
    """The model card with its decision section saying ``threshold`` (no TensorFlow).

    ``decisions`` is the run's decision curve (``DecisionCurve.to_dict()``), when known:
    the section then says what the threshold means on the test rows.
    """
    # The section is written in the card's own language, and replaces its own heading.
    with language(card_language(card)):
        section = decision_section(threshold, decisions, target, class_labels)
        heading = TEXT_CARD["decision_heading"]
    return replace_section(card, heading, section)


def replace_section(card: str, heading: str, section: str) -> str:
    """The card with the section under ``heading`` replaced (or added after the first one).

    A section runs from its ``## `` heading to the next one. User text in the card is
    escaped (a ``#`` in a column name is written ``\\#``), so a line starting with ``## ``
    is always one of the card's own headings.
    """
    lines = card.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("## ")]
    if heading in lines:
        begin = lines.index(heading)
        later = [i for i in starts if i > begin]
        end = later[0] if later else len(lines)
    else:  # an older card: the decision goes right after "what it predicts"
        begin = end = starts[0] if starts else len(lines)
    replacement = section.rstrip("\n").split("\n") + [""]
    return "\n".join(lines[:begin] + replacement + lines[end:]).rstrip("\n") + "\n"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BundleError(
            TEXT["unreadable"].format(name=path.name, error=type(error).__name__)
        ) from error
    if not isinstance(data, dict):
        raise BundleError(TEXT["damaged"].format(name=path.name))
    return data


def _zip(folder: Path, names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in names:  # the original order
            archive.write(folder / name, name)
    return buffer.getvalue()


def check_threshold_applied(payload: bytes, threshold: float) -> None:
    """Open the new bundle as a user would and check its answers follow ``threshold``.

    Raises
    ------
    BundleError
        If the bundle does not open, or a predicted label disagrees with the rule.
    """
    from core.bundle.loading import load_bundle  # TensorFlow: only when a bundle is made

    bundle = load_bundle(payload)
    if threshold_from_schema(bundle.schema) != threshold:
        raise BundleError(TEXT["check_failed"].format(why="the threshold was not saved"))
    rows = synthetic_rows(bundle.preprocessor, n_rows=16)
    predicted = bundle.predict(rows)
    negative, positive = bundle.class_labels
    answered = predicted[PREDICTION].notna().to_numpy()
    probability = predicted[probability_column(positive)].to_numpy(dtype=np.float64)
    expected = np.where(probability >= threshold, positive, negative)
    labels = predicted[PREDICTION].to_numpy(dtype=object)
    if not np.array_equal(labels[answered], expected[answered]):
        raise BundleError(TEXT["check_failed"].format(why="a row got the other answer"))
