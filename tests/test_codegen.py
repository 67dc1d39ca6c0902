"""'Show me the code': the run as a standalone train.py / train.ipynb.

Fast tests render the code from prepared data (no training) and check that it is
clean (ruff), that the notebook is a valid nbformat 4 document holding the same code,
and that the script's preparation gives exactly Trainboard's inputs for each
preprocessing choice. The slow test trains a tiny run, exports its bundle, and runs the
bundle's train.py in a process where Trainboard cannot be imported; its test metrics
must match the app's.
"""

from __future__ import annotations

import json
import os
import re
import site
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from test_pages import (  # noqa: F401 - runner is a fixture
    classification_result,
    finished_run,
    go,
    no_exception,
    open_app,
    runner,
)

from core.bundle.layout import BUNDLE_FILES, TRAIN_NOTEBOOK, TRAIN_SCRIPT
from core.bundle.training_code import (
    bundle_member,
    code_cells,
    dropped_columns,
    literal,
    render_training_notebook,
    render_training_script,
    split_cells,
)
from core.model.preparation import prepare
from core.model.recipe import Recipe
from core.pipeline import load_table, train_run
from core.results import DataSummary, RunResult

SAMPLES = Path(__file__).resolve().parents[1] / "sample_data"
RUFF = Path(sys.executable).with_name("ruff")
ROWS = 300
# Same seed, same split, same inputs, same starting weights: the script repeats the run.
# What can still differ is floating-point rounding in TensorFlow's multi-threaded kernels
# (the order of a sum across threads), which moves scores in the 4th-6th decimal on this
# data; 0.01 leaves room for that on any machine while catching any real difference (a
# different split, input order or initialisation moves these scores by several hundredths).
TOLERANCE = 0.01

# name -> (sample file, target, recipe changes); one preprocessing choice varied at a time.
VARIANTS = {
    "binary_default": ("telco_churn.csv", "churn", {}),
    "binary_dropped": ("telco_churn.csv", "churn", {"drop_columns": ["payment_method"]}),
    "multiclass_default": ("penguins.csv", "species", {}),
    "mean_minmax_ordinal": (
        "penguins.csv",
        "species",
        {
            "preprocessing.numeric_missing": "mean",
            "preprocessing.numeric_scaling": "minmax",
            "preprocessing.categorical_encoding": "ordinal",
            "preprocessing.categorical_missing": "most_frequent",
        },
    ),
    "drop_rows_robust": (
        "penguins.csv",
        "species",
        {
            "preprocessing.numeric_missing": "drop_rows",
            "preprocessing.categorical_missing": "drop_rows",
            "preprocessing.numeric_scaling": "robust",
        },
    ),
    "quantile": ("penguins.csv", "species", {"preprocessing.numeric_scaling": "quantile"}),
    "robust_clip_regression": (
        "diamonds.csv",
        "price",
        {"preprocessing.numeric_scaling": "robust_clip"},
    ),
    "most_frequent_unscaled": (
        "penguins.csv",
        "island",
        {
            "preprocessing.numeric_missing": "most_frequent",
            "preprocessing.numeric_scaling": "none",
        },
    ),
    "regression_few_categories": (
        "diamonds.csv",
        "price",
        {"preprocessing.max_categories": 3, "preprocessing.min_category_count": 20},
    ),
}


def _data_file(sample: str, folder: Path) -> Path:
    path = folder / sample
    if not path.exists():
        frame = pd.read_csv(SAMPLES / sample, nrows=ROWS * 4)
        frame.sample(n=min(ROWS, len(frame)), random_state=0).to_csv(path, index=False)
    return path


def _prepared_run(sample: str, target: str, changes: dict, folder: Path) -> SimpleNamespace:
    """What the code generator reads from a run, without training."""
    path = _data_file(sample, folder)
    recipe = Recipe(target=target).with_changes(**changes)
    data = prepare(load_table(path), recipe)
    return SimpleNamespace(
        recipe=recipe,
        task=data.task,
        preprocessor=data.preprocessor,
        result=RunResult(
            task=data.task.task,
            target=target,
            class_labels=list(data.task.class_labels),
            primary_metric="",
            metrics={},
            baselines={},
            verdict="",
            feature_importance=[],
            epochs_run=0,
            best_epoch=None,
            stopped_because="completed",
            message="",
            batch_size=32,
            data=DataSummary(
                name=path.name,
                rows=len(data.test_frame),
                columns=data.profile.n_columns,
                n_train=len(data.x_train),
                n_validation=len(data.x_val),
                n_test=len(data.x_test),
                trained_at="2026-12-01T00:00:00+00:00",
            ),
        ),
        column_profiles={c.name: c.to_dict() for c in data.profile.columns},
        prepared=data,
        path=path,
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, SimpleNamespace]:
    folder = tmp_path_factory.mktemp("codegen")
    out = {}
    for name, (sample, target, changes) in VARIANTS.items():
        run = _prepared_run(sample, target, changes, folder)
        script = render_training_script(run)
        (folder / f"{name}.py").write_text(script, encoding="utf-8")
        out[name] = SimpleNamespace(
            run=run, script=script, notebook=render_training_notebook(run), folder=folder
        )
    return out


# --- the code is clean --------------------------------------------------------------------------


def test_generated_scripts_pass_ruff_with_default_settings(rendered) -> None:
    folder = next(iter(rendered.values())).folder
    files = [str(folder / f"{name}.py") for name in rendered]
    # --isolated: ruff's defaults (line length 88), not this project's settings.
    check = subprocess.run(
        [str(RUFF), "check", "--isolated", "--select", "E,F,W,I,B,UP", *files],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout
    formatted = subprocess.run(
        [str(RUFF), "format", "--isolated", "--check", "--diff", *files],
        capture_output=True,
        text=True,
    )
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_script_imports_no_trainboard_and_states_the_run(rendered) -> None:
    item = rendered["binary_dropped"]
    imported = re.findall(r"^(?:import|from) (\w+)", item.script, flags=re.MULTILINE)
    assert set(imported) == {"argparse", "os", "statistics", "keras", "numpy", "pandas", "sklearn"}
    namespace: dict = {}
    exec(_cell(item.script, "settings"), namespace)  # noqa: S102 - our own generated settings
    recipe = item.run.recipe
    assert namespace["TARGET"] == "churn" and namespace["TASK"] == "binary"
    assert namespace["CLASS_LABELS"] == ["No", "Yes"]
    assert namespace["DROPPED_COLUMNS"] == {"payment_method": "left out in the recipe"}
    assert list(namespace["INPUT_COLUMNS"]) == item.run.preprocessor.input_columns
    assert namespace["SEED"] == recipe.seed
    assert namespace["LOSS"] == "binary_crossentropy"
    assert namespace["OUTPUT_ACTIVATION"] == "sigmoid" and namespace["OUTPUT_UNITS"] == 1
    assert namespace["PATIENCE"] == recipe.training.patience
    assert namespace["LEARNING_RATE"] == recipe.training.effective_learning_rate
    assert namespace["HIDDEN_LAYERS"] == [
        {"units": layer.units, "activation": layer.activation, "dropout": layer.dropout}
        for layer in recipe.model.hidden_layers
    ]
    assert "Binary cross-entropy" in item.script  # the choices are explained
    assert "EarlyStopping" in item.script and "restore_best_weights=True" in item.script


def test_odd_file_names_stay_inside_comments_and_strings(rendered) -> None:
    run = SimpleNamespace(**vars(rendered["binary_default"].run))
    odd_name = 'churn\nexport "final".csv'
    run.result = replace(run.result, data=replace(run.result.data, name=odd_name))
    script = render_training_script(run)
    compile(script, TRAIN_SCRIPT, "exec")
    notebook = json.loads(render_training_notebook(run))
    assert any(
        "DATA_PATH = 'churn\\nexport \"final\".csv'" in "".join(c["source"])
        for c in notebook["cells"]
    )
    assert 'python train.py churn export "final".csv' in script


def test_dropped_columns_say_why_in_the_order_of_the_data() -> None:
    run = SimpleNamespace(
        preprocessor=SimpleNamespace(input_columns=["age"]),
        recipe=SimpleNamespace(drop_columns=("score_after", "gone")),
        task=SimpleNamespace(target="churn"),
        column_profiles={
            "customer_id": {"kind": "identifier"},
            "age": {"kind": "numeric"},
            "score_after": {"kind": "numeric"},
            "notes": {"kind": "text"},
            "churn": {"kind": "categorical"},
            "odd": {"kind": "mystery"},
        },
    )
    assert dropped_columns(run) == {
        "customer_id": "an identifier (a different value on every row teaches nothing)",
        "score_after": "left out in the recipe",
        "notes": "free text (Trainboard does not learn from it)",
        "odd": "not usable by Trainboard (mystery)",
        "gone": "left out in the recipe",
    }


def test_literals_are_python_that_reads_back() -> None:
    values = {
        "quote": 'say "hi"',
        "apostrophe": "it's",
        "unicode": "température €",
        "numbers": [1, 0.3, 1e-05, True, None],
        "long": {f"column number {i}": "category" for i in range(12)},
    }
    for value in values.values():
        assert eval(literal(value)) == value  # noqa: S307 - literals we just wrote


# --- the notebook -------------------------------------------------------------------------------


def test_notebook_is_nbformat_4_with_the_scripts_code(rendered) -> None:
    item = rendered["multiclass_default"]
    notebook = json.loads(item.notebook)
    assert notebook["nbformat"] == 4 and notebook["nbformat_minor"] >= 5
    assert notebook["metadata"]["kernelspec"]["language"] == "python"
    ids = [cell["id"] for cell in notebook["cells"]]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", cell_id) for cell_id in ids)
    for cell in notebook["cells"]:
        assert cell["cell_type"] in ("markdown", "code") and cell["metadata"] == {}
        assert isinstance(cell["source"], list) and all(isinstance(s, str) for s in cell["source"])
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
    code = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    markdown = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown"]
    # Every stage of the script, in order, plus one cell that names the data file.
    shared = code_cells(split_cells(item.script))
    data_cell = [source for source in code if source not in shared]
    assert [source for source in code if source in shared] == shared
    assert data_cell == [
        '# The CSV file to train on: change the path if needed.\nDATA_PATH = "penguins.csv"'
    ]
    assert "parse_args" not in "".join(code)  # a notebook has no command line
    assert markdown[0].startswith("# Train ") and any("## 6. Train" in m for m in markdown)
    compile("\n\n".join(code), TRAIN_NOTEBOOK, "exec")


# --- the preparation is Trainboard's ------------------------------------------------------------


@pytest.mark.parametrize("name", list(VARIANTS))
def test_script_prepares_exactly_the_inputs_trainboard_learned_from(rendered, name) -> None:
    item = rendered[name]
    namespace: dict = {"__name__": "train"}
    exec(_cell(item.script, "imports"), namespace)  # noqa: S102
    exec(_cell(item.script, "settings"), namespace)  # noqa: S102
    namespace["DATA_PATH"] = str(item.run.path)
    for stage in ("load", "split", "prepare"):
        exec(_cell(item.script, stage), namespace)  # noqa: S102
    expected = item.run.prepared
    for ours, theirs in (
        ("x_train", expected.x_train),
        ("x_validation", expected.x_val),
        ("x_test", expected.x_test),
        ("y_train", expected.y_train),
        ("y_test", expected.y_test),
    ):
        assert namespace[ours].shape == theirs.shape, ours
        np.testing.assert_allclose(namespace[ours], theirs, rtol=1e-5, atol=1e-5, err_msg=ours)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {
            "model.batch_norm": True,
            "model.linear_shortcut": False,
            "model.l1": 0.001,
            "model.hidden_layers": [
                {"units": 16, "activation": "tanh", "dropout": 0.0},
                {"units": 8, "activation": "elu", "dropout": 0.5},
                {"units": 4, "activation": "gelu", "dropout": 0.1},
            ],
            "training.optimizer": "sgd",
            "training.learning_rate": 0.05,
            "training.momentum": 0.5,
            "seed": 7,
        },
        {"training.optimizer": "gradient_descent"},
        {"model.number_embedding": "piecewise", "preprocessing.numeric_scaling": "quantile"},
    ],
    ids=["default", "varied", "gradient descent", "piecewise"],
)
def test_script_builds_trainboards_network_with_the_same_starting_weights(
    rendered, changes
) -> None:
    from core.model.embeddings import number_embedding
    from core.model.network import build_model, compile_model

    base = rendered["multiclass_default"]
    run = _prepared_run("penguins.csv", "species", changes, base.folder)
    script = render_training_script(run)
    namespace: dict = {"__name__": "train", "DATA_PATH": str(run.path)}
    for stage in ("imports", "settings", "load", "split", "prepare", "model"):
        exec(_cell(script, stage), namespace)  # noqa: S102
    ours = namespace["network"]
    recipe, task = run.recipe, run.task
    embedding = number_embedding(
        run.preprocessor, run.prepared.x_train, recipe.model.number_embedding
    )
    theirs = build_model(
        run.preprocessor.n_features,
        recipe.model,
        task.task,
        len(task.class_labels),
        recipe.seed,
        embedding,
    )
    compile_model(theirs, recipe.training, task.task)
    assert [type(layer).__name__ for layer in ours.layers] == [
        type(layer).__name__ for layer in theirs.layers
    ]
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    for mine, trainboards in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, trainboards)
    ours_config, theirs_config = ours.optimizer.get_config(), theirs.optimizer.get_config()
    assert type(ours.optimizer) is type(theirs.optimizer)
    for key in ("learning_rate", "momentum"):
        assert ours_config.get(key) == theirs_config.get(key), key
    assert ours.loss == theirs.loss


@pytest.mark.parametrize(
    ("sample", "target"), [("penguins.csv", "species"), ("telco_churn.csv", "churn")]
)
def test_script_smooths_the_answers_as_trainboard_does(rendered, sample, target) -> None:
    from core.model.network import make_loss

    base = rendered["multiclass_default"]
    run = _prepared_run(sample, target, {"training.label_smoothing": 0.2}, base.folder)
    script = render_training_script(run)
    namespace: dict = {"__name__": "train", "DATA_PATH": str(run.path)}
    for stage in ("imports", "settings", "load", "split", "prepare", "model"):
        exec(_cell(script, stage), namespace)  # noqa: S102
    assert namespace["LABEL_SMOOTHING"] == 0.2
    theirs = make_loss(run.recipe.training, run.task.task)
    rng = np.random.default_rng(0)
    classes = len(run.task.class_labels)
    y_true = rng.integers(0, classes, 16)
    if run.task.task == "binary":
        y_pred = rng.uniform(0.05, 0.95, (16, 1)).astype("float32")
    else:
        y_pred = rng.dirichlet(np.ones(classes), 16).astype("float32")
    y_in = y_true.reshape(-1, 1).astype("float32") if run.task.task == "binary" else y_true
    ours = float(np.mean(namespace["loss"](y_in, y_pred)))
    plain = float(np.mean(namespace["keras"].losses.get(run.task.spec.loss)(y_in, y_pred)))
    assert ours == pytest.approx(float(theirs(y_in, y_pred)), rel=1e-5)
    assert abs(ours - plain) > 1e-3  # the smoothing is really applied


def _cell(script: str, name: str) -> str:
    (cell,) = [c for c in split_cells(script) if c.name == name]
    return cell.source


# --- the bundle and the Export page -------------------------------------------------------------


def test_layout_declares_the_code_files() -> None:
    assert TRAIN_SCRIPT == "train.py" and TRAIN_NOTEBOOK == "train.ipynb"
    assert TRAIN_SCRIPT in BUNDLE_FILES and TRAIN_NOTEBOOK in BUNDLE_FILES


def test_bundle_member_reads_one_file_or_none(tmp_path) -> None:
    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr(TRAIN_SCRIPT, "print('hi')\n")
    assert bundle_member(bundle, TRAIN_SCRIPT) == b"print('hi')\n"
    assert bundle_member(bundle, TRAIN_NOTEBOOK) is None
    assert bundle_member(tmp_path / "absent.zip", TRAIN_SCRIPT) is None


def test_export_page_offers_the_code(runner, tmp_path) -> None:  # noqa: F811
    job_id = finished_run(runner, classification_result(), tmp_path)
    with zipfile.ZipFile(runner.artifacts[(job_id, "bundle.zip")], "w") as archive:
        archive.writestr(TRAIN_SCRIPT, "print('train')\n")
        archive.writestr(TRAIN_NOTEBOOK, "{}\n")
    app = go(open_app({"job": job_id}), "export")
    no_exception(app)
    assert app.download_button(key="download_train_script")
    assert app.download_button(key="download_train_notebook")
    assert TRAIN_SCRIPT in set(app.table[0].value["File"])


# --- the script repeats the run -----------------------------------------------------------------

# Runs a script with the interpreter's packages but without processing .pth files: the
# editable install of Trainboard is such a file, and it would make `core` importable.
LAUNCHER = """
import runpy, sys
sys.path[:0] = {site_dirs!r}
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _isolated(folder: Path, *args: str) -> subprocess.Popen:
    launcher = folder / "launcher.py"
    launcher.write_text(LAUNCHER.format(site_dirs=site.getsitepackages()), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.Popen(
        [sys.executable, "-I", "-S", str(launcher), *args],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _scores(stdout: str) -> dict[str, float]:
    block = stdout.split("Test scores on", 1)[1]
    return {m[0]: float(m[1]) for m in re.findall(r"^  (\w+)\s+(-?[\d.]+)$", block, re.M)}


@pytest.mark.slow
def test_train_script_from_the_bundle_repeats_the_run(tmp_path) -> None:
    from core.bundle.writer import write_bundle

    tiny = {"training.max_epochs": 6, "training.patience": 2}
    runs = {
        "binary": ("telco_churn.csv", "churn", "roc_auc"),
        "regression": ("diamonds.csv", "price", "r2"),
    }
    started = {}
    for task, (sample, target, headline) in runs.items():
        folder = tmp_path / task
        folder.mkdir()
        path = _data_file(sample, folder)
        recipe = Recipe(target=target).with_changes(**tiny)
        run = train_run(load_table(path), recipe, data_name=path.name)
        if task == "binary":  # through the bundle, as an engineer receives it
            report = write_bundle(run, folder / "bundle.zip")
            assert {TRAIN_SCRIPT, TRAIN_NOTEBOOK} <= set(report.files)
            assert f"`{TRAIN_SCRIPT}`" in report.model_card
            script = bundle_member(folder / "bundle.zip", TRAIN_SCRIPT).decode("utf-8")
            json.loads(bundle_member(folder / "bundle.zip", TRAIN_NOTEBOOK))
        else:
            script = render_training_script(run)
        (folder / TRAIN_SCRIPT).write_text(script, encoding="utf-8")
        probe = folder / "probe.py"
        probe.write_text("import importlib.util\nprint(importlib.util.find_spec('core'))\n")
        started[task] = (
            _isolated(folder, TRAIN_SCRIPT, path.name),
            _isolated(folder, str(probe)),
            run.result.metrics,
            headline,
        )
    for task, (process, probe, app_metrics, headline) in started.items():
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr[-3000:]
        probe_out, probe_err = probe.communicate(timeout=60)
        assert probe_out.strip() == "None", "Trainboard must not be importable there"
        scores = _scores(stdout)
        assert abs(scores[headline] - app_metrics[headline]) <= TOLERANCE, (task, scores)
        for key, value in scores.items():
            if isinstance(app_metrics.get(key), float):
                assert abs(value - app_metrics[key]) <= TOLERANCE * max(1.0, abs(value)), key
