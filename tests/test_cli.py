"""The command line: ``python -m core profile|train``, its JSON output and its plain errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import raw_mixed_frame, write_csv

from core import cli
from core.model.diagnosis import CODES

REPO = Path(__file__).resolve().parents[1]
SUMMARY_KEYS = {
    "task",
    "target",
    "metrics",
    "baselines",
    "epochs_run",
    "stopped_because",
    "seconds",
    "warnings",
    "bundle",
    "diagnosis",
}


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m core ARGS`` from the repository root, as an engineer would run it."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def churn_csv(tmp_path: Path) -> Path:
    return write_csv(raw_mixed_frame(240).drop(columns=["tier", "price"]), tmp_path / "churn.csv")


def _assert_plain_error(done: subprocess.CompletedProcess, *expected: str) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    for text in expected:
        assert text in errors[0], errors[0]
    assert done.stdout.strip() == "", "nothing on stdout when the run fails"
    return errors[0]


# --- profile ---------------------------------------------------------------------------------


def test_profile_prints_json_with_columns_and_warnings(churn_csv: Path) -> None:
    done = run_cli("profile", str(churn_csv), "--target", "churn")
    assert done.returncode == 0, done.stderr
    profile = json.loads(done.stdout)
    names = [column["name"] for column in profile["columns"]]
    assert names == ["tenure", "spend", "plan", "member", "churn"]
    assert isinstance(profile["warnings"], list) and profile["warnings"]
    assert all({"code", "column", "message", "severity"} <= set(w) for w in profile["warnings"])
    spend = next(c for c in profile["columns"] if c["name"] == "spend")
    assert spend["kind"] == "numeric" and spend["missing_share"] > 0
    assert profile["task"]["task"] == "binary"


def test_profile_in_process(churn_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["profile", str(churn_csv)]) == 0
    profile = json.loads(capsys.readouterr().out)
    assert {c["name"]: c["kind"] for c in profile["columns"]}["tenure"] == "numeric"
    assert profile["task"] is None  # no target given


# --- train -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_train_prints_epochs_and_a_json_summary(churn_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "tmp" / "model.zip"
    out.parent.mkdir()
    done = run_cli("train", str(churn_csv), "--target", "churn", "--epochs", "2", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    epoch_lines = [line for line in done.stderr.splitlines() if line.startswith("epoch")]
    assert len(epoch_lines) == 2
    assert epoch_lines[0].split()[1] == "1/2" and epoch_lines[1].split()[1] == "2/2"
    assert "loss" in epoch_lines[0] and "accuracy" in epoch_lines[0]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert SUMMARY_KEYS <= set(summary)
    assert summary["task"] == "binary" and summary["target"] == "churn"
    assert summary["epochs_run"] == 2
    assert summary["stopped_because"] == "completed"
    assert 0.0 <= summary["metrics"]["accuracy"] <= 1.0
    assert "majority class" in summary["baselines"]
    assert summary["bundle"] == str(out)
    assert summary["diagnosis"], "a finished run always gets at least one finding"
    assert all(set(item) == {"code", "message"} for item in summary["diagnosis"])
    assert {item["code"] for item in summary["diagnosis"]} <= set(CODES)
    assert out.is_file()
    assert (out.parent / "model_card.md").is_file()

    # The bundle scores new rows through the same command line.
    predictions = tmp_path / "predictions.csv"
    new_rows = write_csv(
        raw_mixed_frame(30, seed=9).drop(columns=["tier", "price", "churn"]), tmp_path / "new.csv"
    )
    assert cli.main(["predict", str(out), str(new_rows), "--out", str(predictions)]) == 0
    assert predictions.is_file()
    assert len(predictions.read_text(encoding="utf-8").strip().splitlines()) == 31


@pytest.mark.slow
def test_seed_changes_the_split(
    churn_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = []
    for seed in ("1", "2", "1"):
        out = tmp_path / f"model_{len(results)}.zip"
        code = cli.main(
            [
                "train",
                str(churn_csv),
                "--target",
                "churn",
                "--epochs",
                "1",
                "--seed",
                seed,
                "--out",
                str(out),
            ]
        )
        assert code == 0
        results.append(json.loads(capsys.readouterr().out.strip().splitlines()[-1]))
    first, second, again = results
    # Same sizes, different rows: even the simple baselines score differently on them;
    # the same seed repeats exactly.
    assert first["data"]["n_test"] == second["data"]["n_test"]
    assert first["baselines"] != second["baselines"]
    assert again["metrics"] == first["metrics"]
    assert again["baselines"] == first["baselines"]


@pytest.mark.slow
def test_train_summary_names_a_blow_up_and_its_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A learning rate far too high: the summary's diagnosis says so, with the fix in words."""
    data = write_csv(raw_mixed_frame(300).drop(columns=["churn", "tier"]), tmp_path / "price.csv")
    recipe = tmp_path / "recipe.json"
    recipe.write_text(
        json.dumps({"training": {"optimizer": "sgd", "learning_rate": 10.0}}), encoding="utf-8"
    )
    args = ["train", str(data), "--target", "price", "--recipe", str(recipe), "--epochs", "5"]
    assert cli.main([*args, "--out", str(tmp_path / "model.zip")]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["stopped_because"] == "diverged"
    assert [item["code"] for item in summary["diagnosis"]] == ["diverged"]
    assert "1 instead of 10" in summary["diagnosis"][0]["message"]


# --- plain errors (exit 2, one error line, no traceback) ------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    done = run_cli("train", str(tmp_path / "nowhere.csv"), "--target", "churn")
    _assert_plain_error(done, "nowhere.csv")
    done = run_cli("profile", str(tmp_path / "nowhere.csv"))
    _assert_plain_error(done, "nowhere.csv")


def test_binary_file(tmp_path: Path) -> None:
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    _assert_plain_error(run_cli("train", str(binary), "--target", "churn"), "photo.csv")


def test_missing_target_column(churn_csv: Path) -> None:
    _assert_plain_error(run_cli("train", str(churn_csv), "--target", "revenue"), "'revenue'")


def test_bad_recipe_json(churn_csv: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.json"
    recipe.write_text('{"seed": 3,', encoding="utf-8")
    done = run_cli("train", str(churn_csv), "--target", "churn", "--recipe", str(recipe))
    _assert_plain_error(done, "not valid JSON")


def test_unknown_recipe_key(churn_csv: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.json"
    recipe.write_text(json.dumps({"training": {"epochs": 5}}), encoding="utf-8")
    done = run_cli("train", str(churn_csv), "--target", "churn", "--recipe", str(recipe))
    _assert_plain_error(done, "training.epochs", "not a recipe setting")


def test_recipe_with_out_of_range_value(churn_csv: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.json"
    recipe.write_text(json.dumps({"split": {"test_fraction": 0.9}}), encoding="utf-8")
    done = run_cli("train", str(churn_csv), "--target", "churn", "--recipe", str(recipe))
    _assert_plain_error(done, "split.test_fraction", "0.4")


def test_missing_recipe_file(churn_csv: Path, tmp_path: Path) -> None:
    done = run_cli(
        "train", str(churn_csv), "--target", "churn", "--recipe", str(tmp_path / "no.json")
    )
    _assert_plain_error(done, "no.json")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--epochs", "0"], "training.max_epochs"),
        (["--seed", "-3"], "seed"),
    ],
)
def test_out_of_range_options(
    churn_csv: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    assert cli.main(["train", str(churn_csv), "--target", "churn", *args]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error:") and expected in captured.err
    assert captured.err.count("\n") == 1


def test_usage_mistakes_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["train", "data.csv"])  # --target is required
    assert caught.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_profile_does_not_import_tensorflow(churn_csv: Path) -> None:
    """Profiling is what pages and engineers run first: it must stay fast (no TensorFlow)."""
    code = (
        "import sys; from core import cli; "
        f"code = cli.main(['profile', {str(churn_csv)!r}]); "
        "assert code == 0; "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["columns"]
