"""What every benchmark shares: a readable table on stdout and a JSON file of the results.

Benchmarks report ratios against a reference measured in the same process or command,
never absolute timings checked by a test: the machine is shared, so only comparisons
made side by side mean anything. Results go to ``bench/results/<name>.json``
(git-ignored), with enough context (versions, CPU count, the command) to read them later.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from core.files import write_json_atomic

# TensorFlow reads this once, on first import: hide its C++ start-up chatter in tables.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"


def environment() -> dict[str, Any]:
    """Versions and machine facts that explain the numbers of a run."""
    from importlib.metadata import PackageNotFoundError, version

    packages = {}
    for name in (
        "tensorflow",
        "keras",
        "scikit-learn",
        "pandas",
        "numpy",
        # optional: the quality benchmark's strong models (the `bench` extra)
        "catboost",
        "pytabkit",
        "torch",
    ):
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            packages[name] = None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "packages": packages,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def write_results(name: str, payload: dict[str, Any], results_dir: Path | None = None) -> Path:
    """Write ``payload`` (plus the environment) to ``<results_dir>/<name>.json`` atomically."""
    folder = Path(results_dir) if results_dir is not None else RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    document = {"name": name, "environment": environment(), **payload}
    write_json_atomic(path, document)  # numpy values made plain, NaN written as null
    return path


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table with aligned columns (numbers right-aligned)."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    numeric = [
        all(_is_number(row[i]) for row in rows if row[i] not in (None, "")) and bool(rows)
        for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if numeric[i] else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(list(headers)), rule, *(line(row) for row in cells)])


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def summarise(values: Sequence[float]) -> dict[str, Any]:
    """Mean, spread (sample standard deviation; 0 for one value), min, max and the values."""
    values = [float(v) for v in values]
    return {
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
        "min": min(values),
        "max": max(values),
        "values": values,
    }


def mean_and_spread(summary: dict[str, Any], decimals: int = 4) -> str:
    """``0.8421`` for one value, ``0.8421 ± 0.0032`` for several."""
    text = f"{summary['mean']:.{decimals}f}"
    if len(summary["values"]) > 1:
        text += f" ± {summary['std']:.{decimals}f}"
    return text
