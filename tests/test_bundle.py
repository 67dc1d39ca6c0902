"""Export bundles: every artifact predicts like the trained model, and hostile bundles are refused.

One tiny model per task is trained once for the module (240 rows, 2 epochs) through the real
pipeline and exported once; the tests then load each artifact back its own way (load_bundle,
SavedModel, LiteRT, and predict.py in a separate Python that cannot see this project). The
hostile archives are built from a real bundle with one thing changed each time.
"""

from __future__ import annotations

import io
import json
import os
import re
import site
import stat
import struct
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pandas as pd
import pytest
from packaging.requirements import Requirement

from core.bundle import formats as bundle_formats
from core.bundle.card import ranged
from core.bundle.layout import (
    BUNDLE_FILES,
    HISTORY_CSV,
    METRICS_JSON,
    MODEL_CARD,
    MODEL_KERAS,
    MODEL_TFLITE,
    PREDICT_SCRIPT,
    RECIPE_JSON,
    REPORT_HTML,
    REQUIREMENTS_TXT,
    RUNTIME_PACKAGE,
    SAVED_MODEL,
    SAVED_MODEL_RAW,
    SCHEMA_JSON,
)
from core.bundle.writer import BundleReport, load_bundle, predict_command, write_bundle
from core.errors import BundleError, PredictionInputError
from core.evaluation.measures import format_metric
from core.markdown import escape_markdown as md
from core.model.choices import OPTIMIZERS
from core.model.recipe import LayerConfig, Recipe
from core.pipeline import TrainedRun, train_run
from core.portable.choices import SCALINGS
from core.portable.outputs import PREDICTION, predict_frame, probability_column

pytestmark = pytest.mark.slow

TASKS = ("binary", "multiclass", "regression")
TARGETS = {"binary": "churn", "multiclass": "tier", "regression": "price"}
# A column name full of markdown and HTML, to check the model card escapes it.
SPEND = "spend|<b>*"
TOLERANCE = 1e-5
TEMP_PREFIX = "trainboard-bundle-"


def _table(task: str, n: int = 240, seed: int = 0) -> pd.DataFrame:
    """Numbers, categories (one starting with "="), empty cells, and one target per task."""
    rng = np.random.default_rng(seed)
    tenure = rng.normal(24.0, 8.0, n).round(1)
    spend = rng.normal(50.0, 15.0, n).round(2)
    spend[rng.random(n) < 0.08] = np.nan
    plan = rng.choice(["basic", "plus", "=pro"], n).astype(object)
    effect = pd.Series(plan).map({"basic": -1.0, "plus": 0.0, "=pro": 1.0}).to_numpy()
    plan[rng.random(n) < 0.05] = None
    signal = (tenure - 24.0) / 8.0 + effect + rng.normal(0.0, 0.3, n)
    targets = {
        "binary": np.where(signal > 0.0, "yes", "no").astype(object),
        "multiclass": np.select([signal < -0.6, signal < 0.6], ["bronze", "silver"], "gold"),
        # Small values: float32 rounding stays far below the 1e-5 comparison tolerance.
        "regression": (5.0 + 2.0 * signal).round(3),
    }
    return pd.DataFrame(
        {"tenure": tenure, SPEND: spend, "plan": plan, TARGETS[task]: targets[task]}
    )


def _recipe(task: str) -> Recipe:
    recipe = Recipe.from_dict({"target": TARGETS[task]})
    return recipe.with_changes(
        **{"training.max_epochs": 2, "model.hidden_layers": (LayerConfig(units=4, dropout=0.0),)}
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SimpleNamespace]:
    """Task -> run, bundle path and report (trained and exported once for the module)."""
    folder = tmp_path_factory.mktemp("bundles")
    result = {}
    for task in TASKS:
        run = train_run(_table(task), _recipe(task), data_name=f"{task} <data>.csv")
        path = folder / task / "bundle.zip"
        report = write_bundle(run, path)
        result[task] = SimpleNamespace(run=run, path=path, report=report)
    return result


def _rows(run) -> pd.DataFrame:
    """Raw rows to predict: the run's test rows plus a never-seen category and empty cells."""
    extra = pd.DataFrame({"tenure": [30.0, np.nan], SPEND: [np.nan, 70.0], "plan": ["gold", None]})
    return pd.concat([run.preview_frame, extra], ignore_index=True)


# Identifiers people join predictions back on: each would change if read as a number.
ACCOUNT_IDS = ["007", "12345678901234567", "02134", "1e3", "1,234"]
BAD_NUMBER_ROW = 3  # 0-based: the fourth data row gets a typo in its number column


def _rows_as_typed(run) -> pd.DataFrame:
    """_rows plus an account_id column of tricky identifiers and one typo in 'tenure'."""
    rows = _rows(run).astype({"tenure": "object"})
    rows.insert(0, "account_id", (ACCOUNT_IDS * len(rows))[: len(rows)])
    rows.loc[BAD_NUMBER_ROW, "tenure"] = "about ten"
    return rows


def _expected(run, rows: pd.DataFrame) -> pd.DataFrame:
    return predict_frame(run.model, run.preprocessor, run.task.task, run.task.class_labels, rows)


def _output_numbers(table: pd.DataFrame, run) -> np.ndarray:
    labels = run.task.class_labels
    if run.task.task == "regression":
        return table[[PREDICTION]].to_numpy(float)
    return table[[probability_column(label) for label in labels]].to_numpy(float)


def _unzip(path: Path, folder: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder)
    return folder


# --- what is written ---------------------------------------------------------------------------


@pytest.mark.parametrize("task", TASKS)
def test_every_format_is_written_and_checked(exported, task: str) -> None:
    item = exported[task]
    report: BundleReport = item.report
    assert report.left_out == {}
    assert set(report.checks) == {MODEL_KERAS, SAVED_MODEL, SAVED_MODEL_RAW, MODEL_TFLITE}
    assert max(report.checks.values()) <= TOLERANCE
    with zipfile.ZipFile(item.path) as archive:
        names = set(archive.namelist())
    top = {name.split("/")[0] + ("/" if "/" in name else "") for name in names}
    assert top == set(BUNDLE_FILES), "exactly the documented files"
    assert report.files == sorted(BUNDLE_FILES)
    assert f"{SAVED_MODEL}/saved_model.pb" in names
    assert f"{RUNTIME_PACKAGE}/preprocess.py" in names and f"{RUNTIME_PACKAGE}/outputs.py" in names
    assert not any("__pycache__" in name for name in names)
    assert report.size_bytes == item.path.stat().st_size
    assert not [p for p in item.path.parent.iterdir() if p.name != "bundle.zip"], (
        "no temp files left"
    )


def test_schema_metrics_history_and_recipe_describe_the_run(exported) -> None:
    item = exported["multiclass"]
    run = item.run
    with zipfile.ZipFile(item.path) as archive:
        schema = json.loads(archive.read(SCHEMA_JSON))
        metrics = json.loads(archive.read(METRICS_JSON))
        history = pd.read_csv(io.BytesIO(archive.read(HISTORY_CSV)), encoding="utf-8-sig")
        recipe = Recipe.from_json(archive.read(RECIPE_JSON).decode("utf-8"))
    assert schema["bundle_format"] == 1
    assert schema["task"] == "multiclass" and schema["target"] == "tier"
    assert schema["class_labels"] == list(run.task.class_labels)
    assert schema["preprocessor"] == run.preprocessor.to_dict()
    assert schema["target_encoder"] == run.target_encoder.to_dict()
    columns = {entry["name"]: entry for entry in schema["input_columns"]}
    assert set(columns) == set(run.preprocessor.input_columns)
    assert "=pro" in columns["plan"]["known_values"]
    assert set(schema["versions"]) >= {
        "python",
        "tensorflow",
        "keras",
        "scikit-learn",
        "pandas",
        "numpy",
    }
    assert schema["versions"]["keras"] == keras.__version__
    numbers = {k: v for k, v in run.result.metrics.items() if isinstance(v, float)}
    assert numbers and {k: metrics["metrics"][k] for k in numbers} == pytest.approx(numbers)
    assert set(metrics["baselines"]) == set(run.result.baselines)
    assert metrics["verdict"] == run.result.verdict
    assert metrics["intervals"] == json.loads(json.dumps(run.result.intervals))
    assert metrics["intervals"]
    assert metrics["uncertainty"]["n_test"] == run.result.data.n_test
    assert metrics["formats"][MODEL_TFLITE]["included"] is True
    assert len(history) == len(run.result.history) and "val_loss" in history.columns
    assert list(history["epoch"]) == [report.epoch for report in run.result.history]
    # metrics.json holds the test results as the run reported them, nothing else of it.
    assert metrics["epochs_run"] == run.result.epochs_run
    assert metrics["primary_metric"] == run.result.primary_metric
    assert "history" not in metrics and "data" not in metrics
    assert recipe == run.recipe


def test_requirements_pin_ranges_that_hold_the_versions_used(exported) -> None:
    with zipfile.ZipFile(exported["binary"].path) as archive:
        lines = archive.read(REQUIREMENTS_TXT).decode("utf-8").splitlines()
    requirements = {
        r.name: r for r in (Requirement(x) for x in lines if x and not x.startswith("#"))
    }
    assert set(requirements) == {
        "tensorflow",
        "keras",
        "scikit-learn",
        "pandas",
        "numpy",
        "charset-normalizer",
    }
    import importlib.metadata

    for name, requirement in requirements.items():
        version = importlib.metadata.version(name)
        assert requirement.specifier.contains(version), f"{name} {version} outside {requirement}"
        assert "<" in str(requirement.specifier), f"{name} has an upper bound"


def test_model_card_is_plain_escaped_and_complete(exported) -> None:
    item = exported["binary"]
    card = item.report.model_card
    with zipfile.ZipFile(item.path) as archive:
        assert archive.read(MODEL_CARD).decode("utf-8") == card
    assert card.startswith("# Model card: predicting “churn”")
    assert "predicting a yes/no outcome" in card
    assert "spend\\|\\<b\\>\\*" in card and "<b>" not in card, "user text is escaped"
    assert "binary \\<data\\>\\.csv" in card and "<data>" not in card
    assert "| Measure | This model |" in card and "(main measure)" in card
    recipe = item.run.recipe
    # How it was trained, in the choice tables' own words, and the task's loss in plain words.
    assert md(OPTIMIZERS[recipe.training.optimizer].label) in card
    assert md(SCALINGS[recipe.preprocessing.numeric_scaling].label) in card
    assert "| Error it learned to reduce (loss) | cross\\-entropy |" in card
    metric = item.run.result.primary_metric
    assert format_metric(item.run.result.metrics[metric], metric) in card
    for baseline in item.run.result.baselines:
        assert baseline in card
    assert item.run.result.warnings, "the tiny data set triggers at least one health warning"
    for warning in item.run.result.warnings:
        assert md(warning) in card
    for name in BUNDLE_FILES:
        assert f"`{name}`" in card
    assert f"python {PREDICT_SCRIPT} new_data.csv" in card
    assert "## Intended use and limits" in card


def test_model_card_in_chinese_and_its_threshold_section_rewritten_in_chinese(exported) -> None:
    from test_i18n_core import assert_chinese

    from core.bundle.card import card_language, render_model_card
    from core.bundle.threshold import card_with_threshold

    item = exported["binary"]
    card = render_model_card(
        item.run, files=item.report.files, left_out=item.report.left_out, language_code="zh"
    )
    assert card.startswith("# 模型说明：预测“churn”")
    assert card_language(card) == "zh" and card_language(item.report.model_card) == "en"
    # The parts of the card a product manager reads, before the engineers' serving section.
    readable = card.split("## 如何预测新数据")[0]
    assert_chinese(readable, "学习率", "交叉熵", "准确率", "测试集", "逻辑回归", "**结论：**")
    assert "## 是/否的判定" in card and "## 训练方式" in card
    # Re-exported with another threshold, the section stays Chinese and replaces its own.
    decisions = item.run.result.evaluation.get("decisions")
    again = card_with_threshold(card, 0.3, decisions, "churn", item.run.task.class_labels)
    assert again.count("## 是/否的判定") == 1 and "**0.30**" in again
    assert "## The yes/no decision" not in again
    # The card written at export follows the current language by default.
    from core.i18n import language

    with language("zh"):
        default = render_model_card(
            item.run, files=item.report.files, left_out=item.report.left_out
        )
    assert default == card


@pytest.mark.parametrize("task", TASKS)
def test_a_bundles_card_written_again_from_its_files_is_the_exported_card(exported, task) -> None:
    # What the Export page hands out in the reader's language is rendered from the bundle's
    # own files and the run's result: in the export's language it must be the same card.
    from core.bundle.translation import card_in_language

    item = exported[task]
    assert card_in_language(item.path, "en", item.run.result) == item.report.model_card
    from core.i18n import language

    with language("zh"):
        written = render_card_zh(item)
    assert card_in_language(item.path, "zh", item.run.result) == written


def render_card_zh(item: SimpleNamespace) -> str:
    from core.bundle.card import render_model_card

    files, left_out = item.report.files, item.report.left_out
    return render_model_card(item.run, files=files, left_out=left_out, language_code="zh")


def test_a_bundle_in_chinese_keeps_every_other_file_and_still_loads(exported, tmp_path) -> None:
    from core.bundle.card import card_language
    from core.bundle.translation import bundle_in_language

    item = exported["binary"]
    original = item.path.read_bytes()
    payload = bundle_in_language(item.path, "zh", item.run.result)
    with zipfile.ZipFile(io.BytesIO(payload)) as copy, zipfile.ZipFile(item.path) as source:
        assert copy.namelist() == source.namelist()
        for name in source.namelist():
            if name not in (MODEL_CARD, REPORT_HTML):
                assert copy.read(name) == source.read(name), name
        card = copy.read(MODEL_CARD).decode("utf-8")
        report = copy.read(REPORT_HTML).decode("utf-8")
        english_report = source.read(REPORT_HTML).decode("utf-8")
    assert card_language(card) == "zh" and card.startswith("# 模型说明")
    # The report to share is in the reader's language too, with the same figures.
    assert '<html lang="zh-Hans">' in report and '<html lang="en">' in english_report
    chinese = re.compile(r"[\u4e00-\u9fff]")
    assert len(chinese.findall(report)) > len(chinese.findall(english_report)) + 200
    assert "## 直接用原始列提供服务（TensorFlow Serving）" in card
    # Already in the asked language: the very same bytes, nothing rewritten.
    assert bundle_in_language(item.path, "en", item.run.result) == original
    assert bundle_in_language(payload, "zh", item.run.result) == payload
    path = tmp_path / "zh.zip"
    path.write_bytes(payload)
    rows = _rows(item.run)
    pd.testing.assert_frame_equal(load_bundle(path).predict(rows), _expected(item.run, rows))
    # A bundle without what the card is written from is refused in plain words.
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr(MODEL_CARD, card)
    with pytest.raises(BundleError, match="Export the run again"):
        bundle_in_language(broken.getvalue(), "en", item.run.result)


def test_model_card_gives_every_score_its_range_and_says_the_test_is_small(exported) -> None:
    result = exported["binary"].run.result
    card = exported["binary"].report.model_card
    for key, value in result.metrics.items():
        interval = result.intervals.get(key)
        if interval and isinstance(value, float):
            assert f"| {ranged(value, interval, key)} |" in card, key
            assert re.search(r"\d \(\d[\d.,]*–\d[\d.,]*\)", ranged(value, interval, key))
    for name, ranges in result.uncertainty["baseline_intervals"].items():
        value = result.baselines[name]["roc_auc"]
        assert ranged(value, ranges["roc_auc"], "roc_auc") in card
    # 240 rows leave a test set far too small to tell scores apart, and the card says so.
    assert result.uncertainty["warning"]
    assert f"**Small test set:** {md(result.uncertainty['warning'])}" in card
    assert "In brackets: the range" in card


# --- loading back every artifact --------------------------------------------------------------


@pytest.mark.parametrize("task", TASKS)
def test_loaded_bundle_predicts_like_the_trained_model(exported, task: str) -> None:
    item = exported[task]
    run = item.run
    rows = _rows(run)
    expected = _expected(run, rows)
    for source in (item.path, item.path.read_bytes()):
        bundle = load_bundle(source)
        got = bundle.predict(rows)
        assert list(got.columns) == list(expected.columns)
        assert (
            np.max(np.abs(_output_numbers(got, run) - _output_numbers(expected, run))) <= TOLERANCE
        )
        assert got[PREDICTION].tolist() == expected[PREDICTION].tolist()
    assert not got[PREDICTION].isna().any(), "unseen categories and empty cells are filled"
    assert bundle.task == task and bundle.target == TARGETS[task]
    assert bundle.class_labels == list(run.task.class_labels)
    assert bundle.input_columns == run.preprocessor.input_columns
    assert bundle.model_card == item.report.model_card
    assert bundle.schema["bundle_format"] == 1


@pytest.mark.parametrize("task", TASKS)
def test_saved_model_and_tflite_predict_like_the_trained_model(exported, tmp_path, task) -> None:
    import tensorflow as tf

    item = exported[task]
    folder = _unzip(item.path, tmp_path)
    features, usable = item.run.preprocessor.transform(_rows(item.run))
    features = features[usable]
    expected = item.run.model.predict(features, verbose=0)
    serving = tf.saved_model.load(str(folder / SAVED_MODEL)).signatures["serving_default"]
    (input_name,) = serving.structured_input_signature[1]
    saved = next(iter(serving(**{input_name: tf.constant(features)}).values())).numpy()
    assert saved.shape == expected.shape
    assert np.max(np.abs(saved - expected)) <= TOLERANCE
    lite = bundle_formats.tflite_outputs(folder / MODEL_TFLITE, features)
    assert lite.shape == expected.shape
    assert np.max(np.abs(lite - expected)) <= TOLERANCE


# --- predict.py, with only the bundle on the import path ---------------------------------------

# Runs a script with the interpreter's own packages but without processing .pth files: the
# editable install of Trainboard is such a file, and it would make `core` importable anywhere.
LAUNCHER = """
import runpy, sys
sys.path[:0] = {site_dirs!r}
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _isolated(tmp: Path, script: str | Path, *args: str, cwd: Path) -> subprocess.Popen:
    launcher = tmp / "launcher.py"
    launcher.write_text(LAUNCHER.format(site_dirs=site.getsitepackages()), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.Popen(
        [sys.executable, "-I", "-S", str(launcher), str(script), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def script_runs(exported, tmp_path_factory) -> dict[str, SimpleNamespace]:
    """predict.py run for every task at once (each process starts TensorFlow: run them together)."""
    started = {}
    for task, item in exported.items():
        folder = _unzip(item.path, tmp_path_factory.mktemp(f"unzipped_{task}"))
        work = tmp_path_factory.mktemp(f"work_{task}")
        rows = _rows_as_typed(item.run)
        data = work / "new rows.csv"
        rows.to_csv(data, index=False)
        process = _isolated(work, PREDICT_SCRIPT, str(data), "--out", "out.csv", cwd=folder)
        started[task] = (process, folder, rows)
    finished = {}
    for task, (process, folder, rows) in started.items():
        stdout, stderr = process.communicate(timeout=240)
        finished[task] = SimpleNamespace(
            code=process.returncode,
            stdout=stdout,
            stderr=stderr,
            folder=folder,
            rows=rows,
            data=process.args[-3],
        )
    return finished


def test_bundle_folder_cannot_import_trainboard(exported, script_runs, tmp_path) -> None:
    folder = script_runs["binary"].folder
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from importlib.util import find_spec\n"
        "print(find_spec('core') is None, find_spec('tensorflow') is not None)\n",
        encoding="utf-8",
    )
    process = _isolated(tmp_path, probe, cwd=folder)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert stdout.split() == ["True", "True"], "no Trainboard, but the requirements are there"


@pytest.mark.parametrize("task", TASKS)
def test_predict_script_matches_the_trained_model(exported, script_runs, task: str) -> None:
    item, done = exported[task], script_runs[task]
    assert done.code == 0, done.stderr
    assert not [line for line in done.stderr.splitlines() if line.startswith("error:")]
    written = pd.read_csv(done.folder / "out.csv", encoding="utf-8-sig")
    expected = _expected(item.run, done.rows)
    assert list(written.columns) == list(expected.columns)
    numbers = np.abs(_output_numbers(written, item.run) - _output_numbers(expected, item.run))
    assert np.max(numbers) <= TOLERANCE
    if task != "regression":
        assert written[PREDICTION].tolist() == expected[PREDICTION].tolist()
    # The category "=pro" would run as a formula in a spreadsheet: it is written as text.
    shown = set(written["plan"].dropna())
    assert "'=pro" in shown and "=pro" not in shown


def _check_echo_and_notes(out: Path, stderr_lines: list[str], rows: pd.DataFrame) -> None:
    """Every identifier comes back as written; the typo and the unseen category are reported."""
    text = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert text["account_id"].tolist() == rows["account_id"].tolist()
    assert text["account_id"].head(5).tolist() == ACCOUNT_IDS
    assert text["tenure"].iloc[BAD_NUMBER_ROW] == "about ten"
    assert text[PREDICTION].iloc[BAD_NUMBER_ROW] != "", "a typo does not reject the row"
    assert any(line.startswith(f"Predicted {TARGETS['binary']} for ") for line in stderr_lines)
    typo = (
        f"warning: 'tenure': 1 cell is not a number and counted as empty: row {BAD_NUMBER_ROW + 1}"
    )
    assert any(line.startswith(typo) for line in stderr_lines), stderr_lines
    unseen = "info: 'plan': 1 row with a value the model never learned (e.g. 'gold')"
    assert any(line.startswith(unseen) for line in stderr_lines), stderr_lines


def test_predict_script_and_cli_echo_every_cell_and_report_the_same_notes(
    exported, script_runs, tmp_path, capsys
) -> None:
    done = script_runs["binary"]
    assert done.code == 0, done.stderr
    _check_echo_and_notes(done.folder / "out.csv", done.stderr.splitlines(), done.rows)

    from core import cli

    out = tmp_path / "cli.csv"
    assert cli.main(["predict", str(exported["binary"].path), done.data, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    _check_echo_and_notes(out, captured.err.splitlines(), done.rows)
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert [note["code"] for note in summary["notes"]] == ["not_numbers", "unseen_categories"]
    assert summary["notes"][0]["rows"] == [BAD_NUMBER_ROW + 1]
    # One function behind both: the two files are the same, byte for byte.
    assert out.read_bytes() == (done.folder / "out.csv").read_bytes()


def test_predict_script_exits_2_with_one_error_line(exported, script_runs, tmp_path) -> None:
    folder = script_runs["binary"].folder
    data = tmp_path / "no_plan.csv"
    _rows(exported["binary"].run).drop(columns=["plan"]).to_csv(data, index=False)
    process = _isolated(tmp_path, PREDICT_SCRIPT, str(data), cwd=folder)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 2
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "'plan'" in errors[0]
    assert "Traceback" not in stderr
    # Nothing written: neither in the current folder (the default) nor beside the data.
    assert not (folder / "predictions.csv").exists()
    assert not (tmp_path / "predictions.csv").exists()


# --- predicting: inputs a person might give -------------------------------------------------------


def test_prediction_errors_name_the_column_and_value(exported) -> None:
    bundle = load_bundle(exported["regression"].path)
    rows = _rows(exported["regression"].run)
    with pytest.raises(PredictionInputError, match=r"'tenure'.*'plan'|'plan'.*'tenure'"):
        bundle.predict(rows.drop(columns=["tenure", "plan"]))
    bad = rows.astype({"tenure": "object"})
    bad.loc[3, "tenure"] = "about ten"
    empty = rows.copy()
    empty.loc[3, "tenure"] = np.nan
    # A typo counts as an empty cell (filled as the recipe says) instead of rejecting the file.
    pd.testing.assert_frame_equal(
        bundle.predict(bad).drop(columns="tenure"), bundle.predict(empty).drop(columns="tenure")
    )


def test_predict_command_checks_the_data_before_loading_the_network(
    exported, tmp_path, monkeypatch
) -> None:
    def no_network(path):
        raise AssertionError("the network (and TensorFlow) was loaded before the data was checked")

    monkeypatch.setattr("core.bundle.loading._load_model", no_network)
    data = tmp_path / "no plan.csv"
    _rows(exported["binary"].run).drop(columns=["plan"]).to_csv(data, index=False)
    with pytest.raises(PredictionInputError, match="'plan'"):
        predict_command(exported["binary"].path, data, tmp_path / "out.csv")
    with pytest.raises(PredictionInputError, match="is a folder"):
        predict_command(exported["binary"].path, data, tmp_path)
    assert not (tmp_path / "out.csv").exists()


def test_predict_command_writes_a_safe_csv_and_summarises(exported, tmp_path, monkeypatch) -> None:
    item = exported["binary"]
    data = tmp_path / "data" / "new.csv"
    data.parent.mkdir()
    _rows(item.run).to_csv(data, index=False)
    monkeypatch.chdir(tmp_path)
    summary = predict_command(item.path, data, None)
    # Outputs go to the current folder unless told otherwise, not next to the data.
    out = Path("predictions.csv")
    assert summary["out"] == str(out) and (tmp_path / out).is_file()
    assert not (data.parent / out).exists()
    assert summary["rows"] == len(_rows(item.run)) == summary["predicted"]
    assert sum(summary["prediction_counts"].values()) == summary["predicted"]
    written = pd.read_csv(tmp_path / out, encoding="utf-8-sig")
    assert "'=pro" in set(written["plan"].dropna())
    with pytest.raises(PredictionInputError, match="overwrite"):
        predict_command(item.path, data, data)
    single = tmp_path / "one row.csv"
    _rows(item.run).head(1).to_csv(single, index=False)
    one = predict_command(item.path, single, tmp_path / "one.csv")
    assert one["rows"] == one["predicted"] == 1


# --- what write_bundle refuses or leaves out ------------------------------------------------------


def _bare_run(run: TrainedRun, **changes) -> TrainedRun:
    """The run without its preview rows and column profiles (made-up rows are checked)."""
    return replace(run, column_profiles={}, preview_frame=run.preview_frame.head(0), **changes)


def test_a_format_that_fails_its_check_is_left_out_not_shipped(exported, tmp_path, monkeypatch):
    run = exported["binary"].run

    def broken_export(model, folder):
        raise RuntimeError("converter exploded\nsecond line")

    def wrong_outputs(path, features):
        return np.full((len(features), 1), 0.5, dtype=np.float32)

    monkeypatch.setattr(bundle_formats, "export_saved_model", broken_export)
    monkeypatch.setattr(bundle_formats, "tflite_outputs", wrong_outputs)
    path = tmp_path / "bundle.zip"
    report = write_bundle(_bare_run(run), path)
    assert set(report.left_out) == {SAVED_MODEL, MODEL_TFLITE}
    assert "converter exploded" in report.left_out[SAVED_MODEL]
    assert "differ" in report.left_out[MODEL_TFLITE]
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        metrics = json.loads(archive.read(METRICS_JSON))
    assert MODEL_TFLITE not in names and not any(n.startswith(SAVED_MODEL) for n in names)
    assert metrics["formats"][MODEL_TFLITE] == {
        "included": False,
        "reason": report.left_out[MODEL_TFLITE],
    }
    assert "Formats left out" in report.model_card and "converter exploded" in report.model_card
    assert load_bundle(path).predict(_rows(run))[PREDICTION].notna().all()


def test_a_model_that_cannot_be_saved_safely_leaves_no_bundle(exported, tmp_path) -> None:
    run = exported["binary"].run
    inputs = keras.Input(shape=(run.preprocessor.n_features,))
    outputs = keras.layers.Dense(1, activation="sigmoid")(
        keras.layers.Lambda(lambda x: x * 2.0)(inputs)
    )
    path = tmp_path / "bundle.zip"
    with pytest.raises(BundleError, match="Lambda"):
        write_bundle(_bare_run(run, model=keras.Model(inputs, outputs)), path)
    assert list(tmp_path.iterdir()) == [], "no bundle and no half-written file"
    with pytest.raises(BundleError, match="no usable model"):
        write_bundle(_bare_run(run, model=None), path)


# --- hostile or broken bundles ----------------------------------------------------------------


def _entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(entries: dict[str, bytes], extra: list[tuple[zipfile.ZipInfo, bytes]] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for info, data in extra:
            archive.writestr(info, data)
    return buffer.getvalue()


def _central_header(payload: bytes, name: str) -> int:
    """Offset of the central-directory record of one entry (where zipfile reads its facts)."""
    position = payload.find(b"PK\x01\x02")
    while position != -1:
        name_length = struct.unpack_from("<H", payload, position + 28)[0]
        if payload[position + 46 : position + 46 + name_length] == name.encode():
            return position
        position = payload.find(b"PK\x01\x02", position + 4)
    raise AssertionError(f"{name} not in the archive")


def _patch_declared_size(payload: bytes, name: str, size: int) -> bytes:
    """Change the uncompressed size that the central directory declares for one entry."""
    at = _central_header(payload, name) + 24
    return payload[:at] + struct.pack("<I", size) + payload[at + 4 :]


def _mark_encrypted(payload: bytes, name: str) -> bytes:
    """Set the "encrypted" flag that the central directory keeps for one entry."""
    at = _central_header(payload, name) + 8
    flags = struct.unpack_from("<H", payload, at)[0] | 0x1
    return payload[:at] + struct.pack("<H", flags) + payload[at + 2 :]


def _with_schema(path: Path, change) -> bytes:
    entries = _entries(path)
    schema = json.loads(entries[SCHEMA_JSON])
    change(schema)
    entries[SCHEMA_JSON] = json.dumps(schema).encode()
    return _zip(entries)


def _lambda_model_file(tmp_path: Path, width: int) -> bytes:
    inputs = keras.Input(shape=(width,))
    outputs = keras.layers.Dense(1, activation="sigmoid")(
        keras.layers.Lambda(lambda x: x + 1.0)(inputs)
    )
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(path)
    return path.read_bytes()


def _foreign_module_model_file(original: bytes) -> bytes:
    """The real model.keras with one layer claiming to come from a module outside Keras."""
    inner = io.BytesIO(original)
    with zipfile.ZipFile(inner) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    files["config.json"] = files["config.json"].replace(b'"keras.layers"', b'"evil.layers"', 1)
    return _zip(files)


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _bundle_leftovers() -> set[str]:
    return {p for p in os.listdir(tempfile.gettempdir()) if p.startswith(TEMP_PREFIX)}


HOSTILE = {
    "path traversal": (
        lambda e, t: _zip(e, [(zipfile.ZipInfo("../escaped.txt"), b"x")]),
        "outside",
    ),
    "absolute path": (lambda e, t: _zip(e, [(zipfile.ZipInfo("/tmp/evil.txt"), b"x")]), "absolute"),
    "windows traversal": (
        lambda e, t: _zip(e, [(zipfile.ZipInfo("..\\evil.txt"), b"x")]),
        "outside",
    ),
    "symlink": (lambda e, t: _zip(e, [(_symlink("link"), b"/etc/passwd")]), "link"),
    "too many files": (lambda e, t: _zip({**e, **{f"f{i}": b"" for i in range(2001)}}), "files"),
    "huge declared size": (
        lambda e, t: _patch_declared_size(_zip(e), HISTORY_CSV, 0xFFFFFFF0),
        "1 GB",
    ),
    "lying size header": (
        lambda e, t: _patch_declared_size(_zip(e), SCHEMA_JSON, 10),
        "damaged|more bytes",
    ),
    "encrypted entry": (lambda e, t: _mark_encrypted(_zip(e), SCHEMA_JSON), "encrypted"),
    "file and folder clash": (
        lambda e, t: _zip(e, [(zipfile.ZipInfo(f"{SCHEMA_JSON}/x"), b"x")]),
        "could not be unpacked",
    ),
    "not a zip": (lambda e, t: b"tenure,plan\n1,basic\n", "not a zip"),
    "missing schema": (
        lambda e, t: _zip({k: v for k, v in e.items() if k != SCHEMA_JSON}),
        "schema.json is missing",
    ),
    "lambda layer": (
        lambda e, t: _zip({**e, MODEL_KERAS: _lambda_model_file(t, 8)}),
        "'Lambda' layer",
    ),
    "foreign module": (
        lambda e, t: _zip({**e, MODEL_KERAS: _foreign_module_model_file(e[MODEL_KERAS])}),
        "outside Keras",
    ),
    "garbage model": (lambda e, t: _zip({**e, MODEL_KERAS: b"not a model"}), "model.keras"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_or_broken_archives_are_refused(exported, tmp_path, case: str) -> None:
    build, message = HOSTILE[case]
    payload = build(_entries(exported["binary"].path), tmp_path)
    before = _bundle_leftovers()
    with pytest.raises(BundleError, match=message):
        load_bundle(payload)
    assert _bundle_leftovers() <= before, "the private folder is removed"
    assert not (Path(tempfile.gettempdir()) / "escaped.txt").exists()


def test_inconsistent_bundles_are_refused_in_plain_words(exported) -> None:
    binary, multiclass = exported["binary"].path, exported["multiclass"].path

    def drop_tenure(schema):
        prep = schema["preprocessor"]
        prep["numeric"] = [c for c in prep["numeric"] if c["name"] != "tenure"]
        prep["order"].remove("tenure")

    with pytest.raises(BundleError, match=r"makes \d+ numbers per row, but the network takes \d+"):
        load_bundle(_with_schema(binary, drop_tenure))

    def add_class(schema):
        schema["class_labels"].append("platinum")
        schema["target_encoder"]["class_labels"].append("platinum")

    with pytest.raises(BundleError, match="3 output.*4 classes"):
        load_bundle(_with_schema(multiclass, add_class))
    with pytest.raises(BundleError, match="format version 99"):
        load_bundle(_with_schema(binary, lambda s: s.update(bundle_format=99)))
    with pytest.raises(BundleError, match="schema.json"):
        load_bundle(_zip({**_entries(binary), SCHEMA_JSON: b"{not json"}))
    with pytest.raises(BundleError, match="No model bundle was found"):
        load_bundle(binary.parent / "missing.zip")
