"""What goes into each text file of an export bundle (schema, metrics, history, requirements).

Kept apart from :mod:`core.bundle.writer`, which writes and checks the files, so the content
of each file can be read (and tested) on its own. No TensorFlow here.
"""

from __future__ import annotations

import ast
import importlib.metadata
import platform
import string
import sys
from dataclasses import fields
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.bundle.layout import BUNDLE_FORMAT
from core.evaluation.decisions import decision_document
from core.evaluation.whatif import fields_of
from core.files import dump_json
from core.model.tasks import task_spec
from core.portable.decision import DEFAULT_THRESHOLD, SCHEMA_KEY
from core.portable.preprocess import CATEGORICAL, Preprocessor
from core.results import EpochReport

if TYPE_CHECKING:  # the pipeline imports TensorFlow; these functions only read the run
    from core.pipeline import TrainedRun

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
VERIFY_ROWS = 32  # raw test rows used to check every artifact
# What trainboard_runtime may import besides itself: it must run with requirements.txt alone.
RUNTIME_IMPORTS = {"numpy", "pandas", "charset_normalizer"}
VERSION_PACKAGES = ("tensorflow", "keras", "scikit-learn", "pandas", "numpy", "charset-normalizer")


def verification_rows(run: TrainedRun) -> pd.DataFrame:
    """Raw rows to check artifacts on: test rows kept with the run, plus made-up rows.

    The made-up rows cover every known category, a category never seen in training and
    empty cells (where the recipe fills them), so the checks see those paths too.
    """
    frames = []
    if len(run.preview_frame):
        frames.append(run.preview_frame.head(VERIFY_ROWS).reset_index(drop=True))
    frames.append(synthetic_rows(run.preprocessor))
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def synthetic_rows(preprocessor: Preprocessor, n_rows: int = 8) -> pd.DataFrame:
    """A few plausible raw rows built from the fitted statistics alone."""
    steps = np.linspace(-2.0, 2.0, n_rows)
    columns: dict[str, list[Any]] = {}
    for spec in preprocessor.numeric:
        values: list[Any] = [spec.fill + spec.scale * step for step in steps]
        if spec.impute != "drop_rows":
            values[-1] = None  # an empty cell, filled as the recipe says
        columns[spec.name] = values
    for spec in preprocessor.categorical:
        known = spec.categories or ["unknown"]
        values = [known[i % len(known)] for i in range(n_rows)]
        values[-2] = "a value never seen in training"
        if spec.missing != "drop_rows":
            values[-1] = None
        columns[spec.name] = values
    frame = pd.DataFrame(
        {name: pd.Series(columns[name], dtype="object") for name in preprocessor.input_columns}
    )
    for spec in preprocessor.numeric:
        frame[spec.name] = pd.to_numeric(frame[spec.name])
    return frame


def build_schema(run: TrainedRun, versions: dict[str, str]) -> dict[str, Any]:
    """The content of schema.json: what the model expects and how its inputs are made."""
    task = run.task
    labels = [str(label) for label in task.class_labels]
    preprocessor: Preprocessor = run.preprocessor
    profiles = run.column_profiles
    categorical = {spec.name: spec for spec in preprocessor.categorical}
    numeric = {spec.name: spec for spec in preprocessor.numeric}
    typical = {field.name: field.typical for field in fields_of(preprocessor)}
    inputs = []
    for name, kind in preprocessor.column_kinds().items():
        entry: dict[str, Any] = {
            "name": name,
            "kind": str((profiles.get(name) or {}).get("kind") or kind),
        }
        if kind == CATEGORICAL:
            entry["known_values"] = list(categorical[name].categories)
            entry["empty_cells"] = categorical[name].missing
        else:
            entry["empty_cells"] = numeric[name].impute
            entry["range"] = [numeric[name].minimum, numeric[name].maximum]
        # The training median or most frequent category: where the what-if form starts.
        entry["typical"] = typical[name]
        inputs.append(entry)
    spec = task.spec
    # A yes/no model's answer depends on the decision threshold (a person may change it later).
    decision = {SCHEMA_KEY: DEFAULT_THRESHOLD} if spec.yes_no else {}
    return {
        "bundle_format": BUNDLE_FORMAT,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "task": task.task,
        "task_description": task.describe(),
        "target": task.target,
        "class_labels": labels,
        "input_columns": inputs,
        "prediction_columns": spec.outputs.output_columns(labels),
        **decision,
        "model_input": {"shape": [None, preprocessor.n_features], "dtype": "float32"},
        "model_output": {
            "shape": [None, spec.output_units(len(labels))],
            "meaning": spec.meaning_of_output(labels),
        },
        "feature_names": preprocessor.feature_names,
        "preprocessor": preprocessor.to_dict(),
        "target_encoder": run.target_encoder.to_dict(),
        "versions": versions,
    }


def metrics_document(
    run: TrainedRun, checks: dict[str, float], left_out: dict[str, str]
) -> dict[str, Any]:
    """The content of metrics.json: test results, baselines, verdict and format checks."""
    document = run.result.metrics_file()
    document["bundle_format"] = BUNDLE_FORMAT
    if task_spec(run.result.task).yes_no:
        decisions = run.result.evaluation.get("decisions")
        document.update(decision_document(decisions, DEFAULT_THRESHOLD))
    included = {name: {"included": True, "max_difference": value} for name, value in checks.items()}
    missing = {name: {"included": False, "reason": reason} for name, reason in left_out.items()}
    document["formats"] = {**included, **missing}
    return document


def history_frame(history: list[EpochReport]) -> pd.DataFrame:
    """Per-epoch curves as a table, one column per field of :class:`EpochReport`."""
    columns = [f.name for f in fields(EpochReport)]
    return pd.DataFrame([report.to_dict() for report in history], columns=columns)


def software_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in VERSION_PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def requirement_ranges() -> dict[str, str]:
    """Version ranges around the versions in use: TensorFlow within its minor release
    (its file formats change between minor releases), the others within their major one."""
    versions = software_versions()
    ranges = {"python_version": versions["python"]}
    for package in ("tensorflow", "keras", "scikit-learn", "pandas", "numpy", "charset-normalizer"):
        major, minor = (int(part) for part in versions[package].split(".")[:2])
        upper = f"{major}.{minor + 1}" if package == "tensorflow" else f"{major + 1}"
        ranges[package.replace("-", "_")] = f">={major}.{minor},<{upper}"
    return ranges


def render_template(name: str, **values: str) -> str:
    """A file of core/templates with its ``$NAME`` placeholders filled (all must be given)."""
    return string.Template((TEMPLATES_DIR / name).read_text(encoding="utf-8")).substitute(values)


def check_runtime_imports(folder: Path) -> None:
    """The runtime package may import only itself (relatively), the standard library and
    the packages of requirements.txt; otherwise predict.py would fail on another machine."""
    allowed = set(sys.stdlib_module_names) | RUNTIME_IMPORTS | {"__future__"}
    for source in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"), str(source))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for imported in names:
                if imported.split(".")[0] not in allowed:
                    raise ValueError(f"{source.name} imports '{imported}'")


def recipe_json(recipe: Any) -> str:
    if hasattr(recipe, "to_json"):
        return recipe.to_json()
    return dump_json(recipe.to_dict() if hasattr(recipe, "to_dict") else dict(recipe))
