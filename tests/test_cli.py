"""The command line: ``python -m core profile|recipe|train|predict``, its JSON and its errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import raw_mixed_frame, write_csv

from core import cli
from core.bundle.layout import METRICS_JSON
from core.data.profiling import profile_table
from core.evaluation.bootstrap import BOOTSTRAP_RESAMPLES
from core.model.diagnosis import CODES
from core.model.recipe import Recipe
from core.model.reference import recipe_reference
from core.model.starting_recipe import starting_recipe

REPO = Path(__file__).resolve().parents[1]
SUMMARY_KEYS = {
    "task",
    "target",
    "metrics",
    "intervals",
    "uncertainty",
    "baselines",
    "epochs_run",
    "stopped_because",
    "seconds",
    "warnings",
    "bundle",
    "diagnosis",
}


def run_cli(*args: str, timeout: float = 300, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """``python -m core ARGS`` as an engineer would run it (from the repository root).

    TensorFlow's log level is left unset, as on a fresh terminal: the CLI must keep
    TensorFlow quiet by itself.
    """
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _assert_plain_error(done: subprocess.CompletedProcess, *expected: str) -> str:
    """Exit 2 and, on stderr, exactly one line: ``error: ...`` (no TensorFlow lines first)."""
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), done.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    assert done.stdout.strip() == "", "nothing on stdout when the run fails"
    return lines[0]


def run_without_tensorflow(*args: str, cwd: Path = REPO) -> tuple[int, str]:
    """``cli.main(ARGS)`` in a fresh interpreter; fails if it imported TensorFlow.

    Every check of the user's input runs before TensorFlow's seconds-long import.
    """
    code = (
        "import sys; from core import cli; "
        f"code = cli.main({list(args)!r}); "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'; "
        "sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "TF imported" not in done.stderr, done.stderr
    return done.returncode, done.stderr


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
    # Nothing else on stderr: no TensorFlow start-up lines (cuInit...), only the outcome.
    other_lines = [line for line in done.stderr.splitlines() if not line.startswith("epoch")]
    assert len(other_lines) == 1 and other_lines[0].startswith("Training finished"), done.stderr
    assert epoch_lines[0].split()[1] == "1/2" and epoch_lines[1].split()[1] == "2/2"
    assert "loss" in epoch_lines[0] and "accuracy" in epoch_lines[0]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert SUMMARY_KEYS <= set(summary)
    assert summary["task"] == "binary" and summary["target"] == "churn"
    assert summary["epochs_run"] == 2
    assert summary["stopped_because"] == "completed"
    assert 0.0 <= summary["metrics"]["accuracy"] <= 1.0
    assert "majority class" in summary["baselines"]
    # Every test metric comes with its bootstrap range, which holds the measured score.
    for metric, (low, high) in summary["intervals"].items():
        assert low <= summary["metrics"][metric] <= high, metric
    assert set(summary["intervals"]) >= {"accuracy", "roc_auc", "log_loss"}
    assert summary["uncertainty"]["resamples"] == BOOTSTRAP_RESAMPLES
    assert summary["uncertainty"]["n_test"] == summary["data"]["n_test"]
    for name in summary["baselines"]:
        assert summary["uncertainty"]["baseline_intervals"][name]["roc_auc"] is not None
    assert summary["bundle"] == str(out)
    assert summary["diagnosis"], "a finished run always gets at least one finding"
    assert all(set(item) == {"code", "message"} for item in summary["diagnosis"])
    assert {item["code"] for item in summary["diagnosis"]} <= set(CODES)
    assert out.is_file()
    with zipfile.ZipFile(out) as bundle:
        metrics_file = json.loads(bundle.read(METRICS_JSON))
    assert metrics_file["intervals"] == summary["intervals"]
    assert metrics_file["uncertainty"]["comparisons"] == summary["uncertainty"]["comparisons"]
    assert (out.parent / "model.model_card.md").is_file()  # named after the bundle

    # The bundle scores new rows through the same command line; without --out the
    # predictions go to the current folder, not next to the data.
    new_rows = write_csv(
        raw_mixed_frame(30, seed=9).drop(columns=["tier", "price", "churn"]), tmp_path / "new.csv"
    )
    work = tmp_path / "work"
    work.mkdir()
    done = run_cli("predict", str(out), str(new_rows), cwd=work)
    assert done.returncode == 0, done.stderr
    # On stderr: the headline and the notes, and nothing from TensorFlow.
    headline, *notes = done.stderr.splitlines()
    assert headline.startswith("Predicted churn for 30 rows."), done.stderr
    assert all(note.startswith(("info: ", "warning: ")) for note in notes), done.stderr
    predictions = work / "predictions.csv"
    assert json.loads(done.stdout)["out"] == "predictions.csv"
    assert not (tmp_path / "predictions.csv").exists()
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
    # Three bundles in one folder, three model cards: none overwrote another.
    cards = sorted(p.name for p in tmp_path.glob("*.model_card.md"))
    assert cards == [f"model_{i}.model_card.md" for i in range(3)]
    assert not (tmp_path / "model_card.md").exists()
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
        cli.main(["train", "data.csv", "--epochs", "many"])  # not a whole number
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


def test_wrong_column_and_bad_recipe_are_found_before_tensorflow(
    churn_csv: Path, tmp_path: Path
) -> None:
    # A typo in the column name answers in well under a second, not after TensorFlow's start.
    code, stderr = run_without_tensorflow("train", str(churn_csv), "--target", "revenue")
    assert code == 2 and stderr.startswith("error:") and stderr.count("\n") == 1, stderr
    assert "'revenue'" in stderr
    recipe = tmp_path / "recipe.json"
    recipe.write_text(json.dumps({"training": {"optimizer": "adamm"}}), encoding="utf-8")
    code, stderr = run_without_tensorflow(
        "train", str(churn_csv), "--target", "churn", "--recipe", str(recipe)
    )
    assert code == 2 and stderr.startswith("error:") and stderr.count("\n") == 1, stderr
    assert "training.optimizer" in stderr


def test_wrong_column_one_error_line_from_the_command_line(churn_csv: Path) -> None:
    _assert_plain_error(run_cli("train", str(churn_csv), "--target", "revenue"), "'revenue'")


# --- outputs: checked before any work starts ---------------------------------------------------


@pytest.mark.parametrize(
    ("out", "expected"),
    [
        (".", "is a folder"),
        ("a_file.txt/model.zip", "is a file, not a folder"),
        ("no_such_folder/model.zip", "does not exist"),
        ("model.csv", "ending in .zip"),
    ],
)
def test_unusable_train_output_is_refused_before_training(
    churn_csv: Path, tmp_path: Path, out: str, expected: str
) -> None:
    (tmp_path / "a_file.txt").write_text("not a folder", encoding="utf-8")
    code, stderr = run_without_tensorflow(
        "train", str(churn_csv), "--target", "churn", "--out", out, cwd=tmp_path
    )
    assert code == 2 and stderr.startswith("error:") and stderr.count("\n") == 1, stderr
    assert expected in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file.txt", "churn.csv"]


def test_card_beside_the_bundle_that_is_a_folder_is_refused(
    churn_csv: Path, tmp_path: Path
) -> None:
    (tmp_path / "churn.model_card.md").mkdir()
    code, stderr = run_without_tensorflow(
        "train", str(churn_csv), "--target", "churn", "--out", "churn.zip", cwd=tmp_path
    )
    assert code == 2 and "churn.model_card.md" in stderr and "is a folder" in stderr


def test_unusable_predict_output_is_refused_before_loading(churn_csv: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "model.zip"
    bundle.write_bytes(b"not checked yet")
    code, stderr = run_without_tensorflow(
        "predict", str(bundle), str(churn_csv), "--out", str(tmp_path), cwd=tmp_path
    )
    assert code == 2 and "is a folder" in stderr and stderr.count("\n") == 1, stderr


# --- recipe ----------------------------------------------------------------------------------


def test_recipe_prints_the_default_recipe(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["recipe"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == Recipe().to_dict()
    assert cli.main(["recipe", "--target", "churn"]) == 0
    assert Recipe.from_json(capsys.readouterr().out) == Recipe(target="churn")


def test_recipe_for_a_file_is_the_apps_starting_recipe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = raw_mixed_frame(240).drop(columns=["tier", "price"])
    frame.insert(0, "customer_id", [f"C{i:05d}" for i in range(len(frame))])
    frame["country"] = "DE"
    data = write_csv(frame, tmp_path / "customers.csv")
    assert cli.main(["recipe", str(data), "--target", "churn"]) == 0
    printed = Recipe.from_json(capsys.readouterr().out)
    assert printed.target == "churn"
    # An identifier and a constant column are left out, as the Data page suggests.
    assert {"customer_id", "country"} <= set(printed.drop_columns)
    assert not {"tenure", "spend", "plan", "churn"} & set(printed.drop_columns)
    assert printed == starting_recipe(profile_table(frame, "churn"))
    # What it prints is a recipe `train --recipe` accepts as it is.
    assert printed.with_changes(target="churn") == printed


def test_recipe_for_a_file_with_a_wrong_column_is_one_error_line(churn_csv: Path) -> None:
    _assert_plain_error(run_cli("recipe", str(churn_csv), "--target", "revenue"), "'revenue'")


def test_readme_documents_every_recipe_setting(capsys: pytest.CaptureFixture[str]) -> None:
    # The README's reference is exactly what `trainboard recipe --explain` prints, which is
    # generated from the recipe's own field declarations: a new setting cannot go undocumented.
    assert cli.main(["recipe", "--explain"]) == 0
    explained = capsys.readouterr().out.strip()
    assert explained == recipe_reference()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    begin, end = "<!-- recipe-reference:begin -->", "<!-- recipe-reference:end -->"
    assert begin in readme and end in readme
    documented = readme.split(begin, 1)[1].split(end, 1)[0].strip()
    assert documented == explained, (
        "README.md's recipe reference is out of date: replace the text between the "
        "recipe-reference markers with the output of `trainboard recipe --explain`."
    )
    for path in Recipe().to_dict()["training"]:
        assert f"`training.{path}`" in documented


@pytest.mark.slow
def test_tensorflow_is_imported_without_a_word(tmp_path: Path) -> None:
    """What the CLI and every job process do first: import TensorFlow, silently."""
    code = (
        "from core.quiet_tensorflow import import_tensorflow_quietly\n"
        "import_tensorflow_quietly()\n"
        "import tensorflow as tf\n"
        "tf.config.list_physical_devices()\n"  # where 'failed call to cuInit' came from
    )
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


# --- languages ------------------------------------------------------------------------------


def test_the_error_line_is_in_the_language_asked_for(tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    out = str(tmp_path / "model.zip")
    chinese = _assert_plain_error(
        run_cli("train", str(missing), "--target", "churn", "--out", out, "--lang", "zh"),
        "没有文件",
        str(missing),
    )
    assert not re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", chinese.replace(str(missing), ""))
    english = _assert_plain_error(
        run_cli("train", str(missing), "--target", "churn", "--out", out),
        f"There is no file at '{missing}'",
    )
    assert english == f"error: There is no file at '{missing}'. Check the path and try again."


def test_an_unknown_language_is_a_usage_error() -> None:
    done = run_cli("profile", "data.csv", "--lang", "fr")
    assert done.returncode == 2 and "error:" in done.stderr and "--lang" in done.stderr
