"""Smoke tests of the benchmark scripts in bench/.

Each script runs with ``--quick`` (a handful of rows and epochs) in its own process, exactly
as a person would run it, and must exit cleanly and write its JSON with the keys the
report is read from. Timings and scores are never asserted: the machine is shared and the
quick runs are far too small to mean anything; the full runs are read by people.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_script(script: str, *args: str, results_dir: Path) -> dict:
    completed = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / script),
            "--quick",
            "--results-dir",
            str(results_dir),
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    name = Path(script).stem
    path = results_dir / f"{name}.json"
    assert path.is_file(), completed.stdout[-2000:]
    assert str(path) in completed.stdout  # the table run tells where its results went
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_quality_quick_writes_every_model_score(tmp_path: Path) -> None:
    # One dataset per task: yes/no, categories, numbers.
    datasets = ["telco_churn", "penguins", "sk_diabetes"]
    report = run_script("quality.py", "--datasets", ",".join(datasets), results_dir=tmp_path)

    assert report["name"] == "quality" and report["quick"] is True
    assert {"environment", "seeds", "results"} <= set(report)
    assert [r["dataset"] for r in report["results"]] == datasets
    expected_metric = {"telco_churn": "roc_auc", "penguins": "accuracy", "sk_diabetes": "r2"}
    for row in report["results"]:
        assert row["metric"] == expected_metric[row["dataset"]]
        assert set(row["models"]) == {"ours", "article", "hgb", "linear"}
        for model in row["models"].values():
            assert math.isfinite(model["score"]["mean"])
            assert len(model["score"]["values"]) == len(report["seeds"])
        assert isinstance(row["beats_article"], bool)
        assert isinstance(row["within_1pct_of_best"], bool)
        assert row["best_other"] in {"article", "hgb", "linear"}
        # The other models were scored on the very test rows the app's model was scored on.
        assert row["same_split_verified"] is True


@pytest.mark.slow
def test_overhead_quick_writes_ratio_and_scale_rows(tmp_path: Path) -> None:
    report = run_script("overhead.py", results_dir=tmp_path)

    assert report["name"] == "overhead" and report["quick"] is True
    loop = report["loop_overhead"]
    assert {"core_median", "bare_median", "ratio", "batch_size", "epochs", "rounds"} <= set(loop)
    assert loop["ratio"] > 0 and len(loop["core_fit_seconds"]) == loop["rounds"]
    assert len(report["scale"]) == 1
    size = report["scale"][0]
    assert size["rows"] == 2000
    for key in (
        "load_profile_seconds",
        "prepare_seconds",
        "batch_size",
        "second_epoch_seconds",
        "peak_rss_mb",
        "rss_after_import_mb",
    ):
        assert size[key] > 0, key
    assert size["peak_rss_mb"] >= size["rss_after_import_mb"]
    assert len(size["epoch_seconds"]) == 2


@pytest.mark.slow
def test_leaks_quick_counts_catches_and_false_alarms(tmp_path: Path) -> None:
    report = run_script("leaks.py", results_dir=tmp_path)
    assert report["name"] == "leaks" and report["quick"] is True
    rows = report["results"]
    assert {row["leak"] for row in rows} == {"none", "copy", "after", "weak"}
    for rule in ("new", "old"):
        summary = report["summary"][rule]
        assert summary["leaks"] == sum(row["leak"] != "none" for row in rows)
        assert summary["catches"] == sum(row[rule]["caught"] for row in rows)
        assert summary["false_alarms"] == sum(len(row[rule]["false_alarms"]) for row in rows)
        assert summary["clean_columns"] > 0
