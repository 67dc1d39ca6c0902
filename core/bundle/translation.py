"""A bundle handed out in the reader's language: its model card and report written again.

A job process writes its bundle in English (job processes run in English), but a person
downloading it from the app reads the app in their own language. :func:`bundle_in_language`
returns a copy of the bundle whose ``model_card.md`` (and ``report.html``, with
:func:`core.bundle.threshold.bundle_report`) is rendered again in that language from
what the bundle and the run already hold — ``schema.json`` (task, labels, fitted
preparation, column kinds), ``recipe.json``, ``metrics.json`` (which formats were left out
and why) and the run's result — with :func:`core.bundle.card.render_model_card`, exactly as
the export wrote it. Nothing is trained again, no model is loaded and nothing is
unpickled; every other member is copied byte for byte (checked by CRC before returning).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.bundle.card import card_language, render_model_card
from core.bundle.layout import METRICS_JSON, MODEL_CARD, RECIPE_JSON, REPORT_HTML, SCHEMA_JSON
from core.bundle.safety import check_entries, open_archive
from core.bundle.threshold import bundle_report
from core.data.profile_types import TaskInfo
from core.errors import BundleError
from core.i18n import Texts, language
from core.model.recipe import Recipe
from core.portable.decision import threshold_from_schema
from core.portable.preprocess import Preprocessor
from core.results import RunResult

TEXT = Texts("core.bundle.translation")


@dataclass(frozen=True)
class StoredRun:
    """What a model card is written from, read back from a bundle and the run's result
    (the fields of :class:`core.pipeline.TrainedRun` that the card reads)."""

    recipe: Recipe
    task: TaskInfo
    preprocessor: Preprocessor
    result: RunResult
    column_profiles: dict[str, dict[str, Any]] = field(default_factory=dict)


def card_in_language(
    source: str | os.PathLike[str] | bytes, language_code: str, result: RunResult
) -> str:
    """The bundle's model card in ``language_code`` ("en", "zh").

    Raises
    ------
    BundleError
        If the bundle is damaged, unsafe, or lacks what a card is written from.
    """
    with open_archive(source) as archive:
        check_entries(archive)
        return _card(archive, language_code, result)


def bundle_in_language(
    source: str | os.PathLike[str] | bytes, language_code: str, result: RunResult
) -> bytes:
    """The bytes of the bundle with its model card in ``language_code``.

    The bundle itself (unchanged bytes) when its card is already in that language.

    Raises
    ------
    BundleError
        If the bundle is damaged, unsafe, or lacks what a card is written from.
    """
    with open_archive(source) as archive:
        entries = check_entries(archive)
        stored = archive.read(MODEL_CARD).decode("utf-8") if _has(archive, MODEL_CARD) else ""
        if stored and card_language(stored) == language_code:
            return _original_bytes(source)
        rewritten = {MODEL_CARD: _card(archive, language_code, result).encode("utf-8")}
        if _has(archive, REPORT_HTML):
            report = _report(archive, language_code, result)
            if report is not None:
                rewritten[REPORT_HTML] = report.encode("utf-8")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as copy:
            for entry in entries:
                if entry.filename in rewritten:
                    info = zipfile.ZipInfo(entry.filename, date_time=entry.date_time)
                    info.compress_type, info.external_attr = (
                        entry.compress_type,
                        entry.external_attr,
                    )
                    copy.writestr(info, rewritten[entry.filename])
                else:
                    copy.writestr(entry, archive.read(entry))
        payload = buffer.getvalue()
        _check_copy(entries, payload, set(rewritten))
    return payload


def _card(archive: zipfile.ZipFile, language_code: str, result: RunResult) -> str:
    try:
        schema = _read_json(archive, SCHEMA_JSON)
        recipe = Recipe.from_dict(_read_json(archive, RECIPE_JSON))
        metrics = _read_json(archive, METRICS_JSON) if _has(archive, METRICS_JSON) else {}
        run = StoredRun(
            recipe=recipe,
            task=TaskInfo(
                task=str(schema["task"]),
                target=str(schema["target"]),
                class_labels=[str(label) for label in schema.get("class_labels", [])],
            ),
            preprocessor=Preprocessor.from_dict(schema["preprocessor"]),
            result=result,
            column_profiles={
                str(column["name"]): {"kind": column.get("kind")}
                for column in schema.get("input_columns", [])
            },
        )
    except (KeyError, TypeError, ValueError) as error:
        raise BundleError(TEXT["unreadable"].format(why=error)) from None
    formats = metrics.get("formats") if isinstance(metrics.get("formats"), Mapping) else {}
    left_out = {
        str(name): str(entry.get("reason", ""))
        for name, entry in formats.items()
        if isinstance(entry, Mapping) and entry.get("included") is False
    }
    return render_model_card(
        run,  # type: ignore[arg-type]  # the card reads only the fields StoredRun has
        files=_top_level(archive),
        left_out=left_out,
        language_code=language_code,
    )


def _report(archive: zipfile.ZipFile, language_code: str, result: RunResult) -> str | None:
    """report.html in ``language_code``; None (the bundle keeps its own) if it cannot be."""
    try:
        threshold = threshold_from_schema(_read_json(archive, SCHEMA_JSON))
        with language(language_code):
            return bundle_report(archive.read, threshold, result)
    except Exception:  # noqa: BLE001 - the report must never cost the user the bundle
        return None


def _top_level(archive: zipfile.ZipFile) -> list[str]:
    """The bundle's files and folders as the card lists them ("saved_model/" for a folder)."""
    names = set()
    for name in archive.namelist():
        head, slash, _ = name.partition("/")
        names.add(head + slash)
    return sorted(names)


def _check_copy(entries: list[zipfile.ZipInfo], payload: bytes, rewritten: set[str]) -> None:
    """Every member but the rewritten ones is in the copy with the same content (CRC, size)."""
    with zipfile.ZipFile(io.BytesIO(payload)) as copy:
        copied = {info.filename: info for info in copy.infolist()}
        for entry in entries:
            twin = copied.get(entry.filename)
            if twin is None or (
                entry.filename not in rewritten
                and (twin.CRC, twin.file_size) != (entry.CRC, entry.file_size)
            ):
                raise BundleError(TEXT["copy_differs"].format(name=entry.filename))
        if copy.testzip() is not None:
            raise BundleError(TEXT["copy_differs"].format(name=copy.testzip()))


def _has(archive: zipfile.ZipFile, name: str) -> bool:
    return name in archive.namelist()


def _read_json(archive: zipfile.ZipFile, name: str) -> dict[str, Any]:
    data = json.loads(archive.read(name).decode("utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{name} is not a JSON object")
    return data


def _original_bytes(source: str | os.PathLike[str] | bytes) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    with open(source, "rb") as handle:
        return handle.read()
