"""The time around the fit: the tail after the last pass, and how a run grows with columns.

One child process per measured table (fresh TensorFlow state, as a job process has), each
running what a job runs (``core.pipeline.train_run`` then ``save_run``) with the job's own
progress callbacks, which time every step:

- ``fit``: the passes (the sum of each pass's seconds, first-pass tracing included),
- the tail, step by step as the Train page names them: ``testing`` (test scores, charts
  and shuffle importance), ``comparing`` (the two simple models and the paired ranges),
  ``packaging`` in its parts (``model.keras`` + ``schema.json``, the SavedModel and its
  raw-columns signature, the LiteRT file, the report, the model card + zip + its check),
  each as seconds and as a ratio to the fit. Goal: the whole tail <= the fit.

Columns: the same 400 rows with 20, 200 and 2,000 numeric columns (a yes/no target that
depends on a few of them), 3 passes; the whole run (reading and profiling, with the leak
check, the fit, the tail) should grow no faster than the size of the data.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.reporting import REPO_ROOT, format_table

SAMPLES = (  # (file in sample_data/, column to predict)
    ("penguins.csv", "species"),
    ("telco_churn.csv", "churn"),
    ("diamonds.csv", "price"),
)
COLUMN_COUNTS = (20, 200, 2000)
WIDE_ROWS = 400
WIDE_EPOCHS = 3
PACKAGING_PARTS = ("keras+schema", "saved_model", "tflite", "report", "card+zip+check")


def measure_run(csv_path: Path, target: str, epochs: int | None = None) -> dict[str, Any]:
    """In a child process: one run of ``csv_path``, every step timed."""
    from core.quiet_tensorflow import import_tensorflow_quietly

    import_tensorflow_quietly()
    from core.data.profiling import profile_table
    from core.model.recipe import Recipe
    from core.pipeline import load_table, save_run, train_run

    recipe = Recipe(target=target)
    if epochs is not None:
        recipe = recipe.with_changes(
            **{"training.max_epochs": epochs, "training.early_stopping": False}
        )
    marks: list[tuple[str, float]] = []

    def on_phase(phase: Any, done: int | None, total: int | None) -> None:
        name = phase.value if done is None else f"{phase.value}:{done}"
        marks.append((name, time.perf_counter()))

    epochs_seen: list[float] = []
    started = time.perf_counter()
    frame = load_table(csv_path)
    profile = profile_table(frame, target, test_fraction=recipe.split.test_fraction)
    read_profile = time.perf_counter() - started
    run = train_run(
        frame,
        recipe,
        profile=profile,
        on_epoch=lambda report: epochs_seen.append(report.seconds),
        on_phase=on_phase,
    )
    trained = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        result = save_run(run, Path(folder) / "bundle.zip", on_phase)
    ended = time.perf_counter()
    times = dict(marks)
    steps = {
        "testing": times["comparing"] - times["testing"],
        "comparing": trained - times["comparing"],
        # packaging:1 is the Keras file; "packaging" itself (before it) is the bundle's set-up
        "keras+schema": times["packaging:2"] - times["packaging"],
        "saved_model": times["packaging:3"] - times["packaging:2"],
        "tflite": times["packaging:4"] - times["packaging:3"],
        "report": times["packaging:5"] - times["packaging:4"],
        "card+zip+check": ended - times["packaging:5"],
    }
    fit = float(sum(epochs_seen))
    tail = sum(steps.values())
    return {
        "file": csv_path.name,
        "rows": int(len(frame)),
        "columns": int(frame.shape[1]),
        "epochs": len(epochs_seen),
        "read_profile_seconds": read_profile,
        "fit_seconds": fit,
        "tail_seconds": tail,
        "tail_ratio": tail / fit if fit else None,
        "steps": steps,
        "step_ratios": {name: seconds / fit for name, seconds in steps.items()} if fit else {},
        "total_seconds": ended - started,
        "left_out": (result.export or {}).get("left_out"),  # formats the bundle went without
    }


def wide_table(n_rows: int, n_columns: int, seed: int = 0):
    """``n_rows`` rows of ``n_columns`` numeric columns and a yes/no target on a few of them."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n_rows, n_columns)).round(4)
    logit = values[:, : min(5, n_columns)].sum(axis=1)
    frame = pd.DataFrame(values, columns=[f"x{i + 1:04d}" for i in range(n_columns)])
    frame["target"] = np.where(rng.random(n_rows) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return frame


def _child(script: Path, *args: str) -> dict[str, Any]:
    child = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, cwd=REPO_ROOT
    )
    if child.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{child.stderr[-3000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def tail_runs(
    script: Path, samples: list[tuple[str, str]], log, epochs: int | None = None
) -> list[dict[str, Any]]:
    """Each sample dataset with the default recipe (``epochs`` passes exactly, if given)."""
    rows = []
    for name, target in samples:
        log(f"  {name} ...")
        path = str(REPO_ROOT / "sample_data" / name)
        measured = _child(script, "--child-run", path, target, *([str(epochs)] if epochs else []))
        log(f"  {name}: fit {measured['fit_seconds']:.1f}s, tail {measured['tail_seconds']:.1f}s")
        rows.append(measured)
    return rows


def column_runs(script: Path, counts: list[int], n_rows: int, log) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for count in counts:
            path = Path(folder) / f"wide_{count}.csv"
            wide_table(n_rows, count).to_csv(path, index=False)
            log(f"  {n_rows} rows x {count:,} columns ...")
            measured = _child(script, "--child-run", str(path), "target", str(WIDE_EPOCHS))
            log(f"  {count:,} columns: {measured['total_seconds']:.1f}s in all")
            rows.append(measured)
    first = rows[0] if rows else None
    for row in rows:  # growth against the first table: time and data size
        row["data_growth"] = (row["columns"] - 1) / (first["columns"] - 1)  # the target aside
        row["time_growth"] = row["total_seconds"] / first["total_seconds"]
    return rows


def print_tail(rows: list[dict[str, Any]]) -> None:
    headers = ["file", "rows", "epochs", "fit s", "testing", "comparing"]
    headers += [*PACKAGING_PARTS, "tail s", "tail / fit"]
    table = [
        [
            r["file"],
            f"{r['rows']:,}",
            r["epochs"],
            f"{r['fit_seconds']:.1f}",
            *(
                f"{r['steps'][k]:.2f} ({r['step_ratios'][k]:.2f}x)"
                for k in ("testing", "comparing")
            ),
            *(f"{r['steps'][k]:.2f} ({r['step_ratios'][k]:.2f}x)" for k in PACKAGING_PARTS),
            f"{r['tail_seconds']:.1f}",
            f"{r['tail_ratio']:.2f}",
        ]
        for r in rows
    ]
    print("\nThe tail after the last pass (seconds, and each step's ratio to the fit; goal <= 1)")
    print(format_table(headers, table))


def print_columns(rows: list[dict[str, Any]]) -> None:
    headers = ["columns", "read+profile s", "fit s", "testing s", "tail s", "total s"]
    headers += ["data x", "time x"]
    table = [
        [
            f"{r['columns'] - 1:,}",
            f"{r['read_profile_seconds']:.2f}",
            f"{r['fit_seconds']:.2f}",
            f"{r['steps']['testing']:.2f}",
            f"{r['tail_seconds']:.1f}",
            f"{r['total_seconds']:.1f}",
            f"{r['data_growth']:.0f}",
            f"{r['time_growth']:.1f}",
        ]
        for r in rows
    ]
    print(f"\nColumns: {WIDE_ROWS} rows, {WIDE_EPOCHS} passes (goal: time x <= data x)")
    print(format_table(headers, table))
