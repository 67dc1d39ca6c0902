"""Recipes that travel: the recipe file, the fit check, the Design page's download and upload,
the CLI's ``--recipe`` check, and a run made in the app reproduced by the CLI.

The fit check and the file reader are tested on tiny frames; the page with AppTest (the
real page code, no training); the CLI in a fresh interpreter that must not load
TensorFlow before its ``error:`` line. The reproduction test (slow) trains for real: once
in a job process, as the app does, and once with ``trainboard train --recipe``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import csv_bytes, raw_mixed_frame, write_csv
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from core import __version__
from core.data.profile_types import TaskInfo
from core.data.profiling import profile_table
from core.errors import RecipeError
from core.jobs.runner import RECIPE_FILE, LocalJobRunner
from core.model.recipe import Recipe
from core.model.recipe_fit import (
    MAX_RECIPE_BYTES,
    RECIPE_FORMAT,
    MadeFor,
    check_recipe_fits,
    load_recipe_file,
    profile_target,
    read_recipe_file,
    recipe_file_name,
    recipe_file_text,
)

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "app.py"
TIMEOUT = 60  # seconds per AppTest run: profiling a sample on a busy 2-core machine


@pytest.fixture(scope="module")
def frame():
    # churn: yes/no; tier: 3 categories; price: a number.
    return raw_mixed_frame(120)


def codes(problems) -> list[str]:
    return [problem.code for problem in problems]


# --- the file: writing and reading --------------------------------------------------------


def test_a_recipe_file_reads_back_as_the_same_recipe_with_what_it_was_made_for(frame) -> None:
    recipe = Recipe(target="churn", drop_columns=("member",), seed=3).with_changes(
        **{"training.optimizer": "sgd", "model.hidden_layers": [{"units": 7}]}
    )
    task = profile_table(frame, "churn").task
    text = recipe_file_text(recipe, task, "/somewhere/churn.csv")
    assert list(json.loads(text))[0] == "about"  # what it is, first, for a person opening it
    loaded = read_recipe_file(text.encode("utf-8"))
    assert loaded.problems == () and loaded.recipe == recipe
    assert loaded.made_for == MadeFor(
        format=RECIPE_FORMAT, version=__version__, data="churn.csv", target="churn", task="binary"
    )


def test_a_plain_recipe_json_reads_too_without_task_or_version() -> None:
    # What a job folder and a bundle store: Recipe.to_json, no "about" block.
    recipe = Recipe(target="price", seed=9)
    loaded = read_recipe_file(recipe.to_json())
    assert loaded.recipe == recipe and loaded.problems == ()
    assert loaded.made_for.task is None and loaded.made_for.format == RECIPE_FORMAT


def test_the_task_is_only_written_for_the_recipes_own_target() -> None:
    other = TaskInfo("regression", "price")
    about = json.loads(recipe_file_text(Recipe(target="churn"), other))["about"]
    assert "task" not in about and "target" not in about


@pytest.mark.parametrize(
    ("data_name", "file_name"),
    [
        ("churn.csv", "churn.recipe.json"),
        ("sales 2024.csv.gz", "sales 2024.recipe.json"),
        ("C:/Users/ann/leads.xlsx", "leads.recipe.json"),
        ('we"ird<name>.csv', "we_ird_name.recipe.json"),
        (None, "trainboard.recipe.json"),
        (".csv", "trainboard.recipe.json"),
    ],
)
def test_the_file_is_named_after_the_data(data_name, file_name) -> None:
    assert recipe_file_name(data_name) == file_name


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        (b"x" * (MAX_RECIPE_BYTES + 1), "too_large", "at most 100 KB"),
        (b"\xff\xfe\x00binary", "not_text", "not text"),
        (b'{"seed": 3,', "not_json", "line 1"),
        (b"[1, 2, 3]", "not_object", "not a recipe"),
        (b"[" * 50_000 + b"]" * 50_000, "too_deep", "nested"),
        (b'{"seed": ' + b"9" * 5000 + b"}", "not_json", "cannot be read"),
        (b'{"training": {"epochs": 5}}', "invalid_settings", "'training.epochs' is not a recipe"),
        (b'{"split": {"test_fraction": 0.9}}', "invalid_settings", "at most 0.4"),
        (b'{"about": [1]}', "bad_about", "damaged"),
        (b'{"about": {"format": "two"}}', "bad_about", "format 'two'"),
        (b'{"about": {"task": "ranking"}}', "bad_about", "'ranking'"),
    ],
)
def test_unusable_files_are_refused_in_plain_words(content: bytes, code: str, words: str) -> None:
    loaded = read_recipe_file(content)
    assert loaded.recipe is None
    assert code in codes(loaded.problems)
    assert any(words in problem.message for problem in loaded.problems), loaded.problems


def test_a_recipe_from_a_newer_version_says_so_and_what_it_does_not_know() -> None:
    content = {"about": {"format": RECIPE_FORMAT + 1, "trainboard": "9.0"}, "warmup": 3}
    loaded = read_recipe_file(json.dumps(content))
    assert loaded.recipe is None
    assert codes(loaded.problems) == ["newer_format", "invalid_settings"]
    assert "newer Trainboard (9.0" in loaded.problems[0].message
    assert "Update Trainboard" in loaded.problems[0].message
    assert "'warmup' is not a recipe setting" in loaded.problems[1].message


def test_a_newer_format_is_refused_even_when_every_setting_is_known() -> None:
    # A newer format may mean something else by the same keys: never guess.
    content = {"about": {"format": RECIPE_FORMAT + 1}, **Recipe().to_dict()}
    assert codes(read_recipe_file(json.dumps(content)).problems) == ["newer_format"]


def test_load_recipe_file_raises_every_problem_in_one_message() -> None:
    content = json.dumps({"about": {"format": 99}, "seed": -1})
    with pytest.raises(RecipeError) as caught:
        load_recipe_file(content)
    assert "newer Trainboard" in str(caught.value) and "'seed' must be at least 0" in str(
        caught.value
    )


# --- fitting the data -------------------------------------------------------------------------


def _made_for(recipe: Recipe, frame, target: str | None = None) -> MadeFor:
    task = profile_table(frame, target or recipe.target).task
    return read_recipe_file(recipe_file_text(recipe, task)).made_for


def test_a_recipe_made_on_the_same_data_fits(frame) -> None:
    recipe = Recipe(target="churn", drop_columns=("member", "tier"))
    made_for = _made_for(recipe, frame)
    assert check_recipe_fits(recipe, profile_table(frame, "churn"), made_for) == []


def test_a_missing_target_is_named(frame) -> None:
    recipe = Recipe(target="cancelled")
    profile = profile_table(frame, profile_target(recipe, list(frame.columns)))
    problems = check_recipe_fits(recipe, profile)
    assert codes(problems) == ["target_missing"]
    assert "'cancelled'" in problems[0].message and "no column" in problems[0].message
    assert problems[0].about_columns


def test_every_missing_column_to_leave_out_is_named(frame) -> None:
    recipe = Recipe(target="churn", drop_columns=("member", "customer_id", "notes"))
    problems = check_recipe_fits(recipe, profile_table(frame, "churn"))
    assert codes(problems) == ["drop_missing"]
    assert "'customer_id', 'notes'" in problems[0].message
    assert "'member'" not in problems[0].message


def test_a_target_that_means_another_task_here_is_said_in_words(frame) -> None:
    # Made where "price" held yes/no answers; here it is a number.
    recipe = Recipe(target="price")
    made_for = MadeFor(target="price", task="binary")
    problems = check_recipe_fits(recipe, profile_table(frame, "price"), made_for)
    assert codes(problems) == ["task_differs"]
    assert problems[0].message == (
        "The recipe was made for predicting a yes/no outcome in 'price', but in this data "
        "'price' is a number."
    )


@pytest.mark.parametrize("made_for", [None, MadeFor(), MadeFor(target="churn", task="binary")])
def test_the_task_is_compared_only_when_the_file_says_it_for_this_target(frame, made_for) -> None:
    # No "about" task, or one written for another column: nothing to compare.
    recipe = Recipe(target="price")
    assert check_recipe_fits(recipe, profile_table(frame, "price"), made_for) == []


def test_all_problems_are_reported_together(frame) -> None:
    recipe = Recipe(target="cancelled", drop_columns=("notes",))
    profile = profile_table(frame)
    assert codes(check_recipe_fits(recipe, profile)) == ["target_missing", "drop_missing"]


# --- the command line -------------------------------------------------------------------------


def run_cli_without_tensorflow(*args: str) -> subprocess.CompletedProcess:
    """``cli.main(ARGS)`` in a fresh interpreter that fails if TensorFlow was imported."""
    code = (
        "import sys; from core import cli; "
        f"code = cli.main({list(args)!r}); "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'; "
        "sys.exit(code)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_error_line(done: subprocess.CompletedProcess) -> str:
    assert "TF imported" not in done.stderr, done.stderr
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    return write_csv(raw_mixed_frame(120), tmp_path / "customers.csv")


def test_cli_says_in_one_line_what_does_not_fit(data_file: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "churn.recipe.json"
    made = Recipe(target="price", drop_columns=("customer_id",))
    recipe.write_text(recipe_file_text(made, TaskInfo("binary", "price", ["no", "yes"])))
    line = one_error_line(
        run_cli_without_tensorflow("train", str(data_file), "--recipe", str(recipe))
    )
    assert "'churn.recipe.json' does not fit 'customers.csv'" in line
    assert "leaves out 'customer_id'" in line
    assert "made for predicting a yes/no outcome in 'price'" in line and "is a number" in line


def test_cli_names_a_missing_target_of_the_recipe(data_file: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "r.json"
    recipe.write_text(Recipe(target="cancelled").to_json())
    line = one_error_line(
        run_cli_without_tensorflow("train", str(data_file), "--recipe", str(recipe))
    )
    assert "predicts the column 'cancelled'" in line


def test_cli_refuses_a_recipe_from_a_newer_version(data_file: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps({"about": {"format": 2, "trainboard": "2.0"}, "target": "churn"}))
    line = one_error_line(
        run_cli_without_tensorflow("train", str(data_file), "--recipe", str(recipe))
    )
    assert "newer Trainboard (2.0" in line


def test_cli_needs_a_target_from_the_recipe_or_the_option(data_file: Path, tmp_path: Path) -> None:
    line = one_error_line(run_cli_without_tensorflow("train", str(data_file)))
    assert "--target" in line
    recipe = tmp_path / "r.json"
    recipe.write_text(Recipe().to_json())  # names no target
    line = one_error_line(
        run_cli_without_tensorflow("train", str(data_file), "--recipe", str(recipe))
    )
    assert "--target" in line and "the recipe names none" in line


# --- the Design page ----------------------------------------------------------------------------


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Every file offered for download in the app, by file name (AppTest keeps no content)."""
    offered: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def recording(self, path_or_data, mimetype, kind, filename=None):
        if filename is not None and isinstance(path_or_data, bytes):
            offered[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", recording)
    return offered


def design_page_with_churn_sample() -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    app.switch_page("app_pages/data.py").run()
    app.segmented_control(key="sample_dataset").set_value("telco_churn.csv").run()
    app.switch_page("app_pages/design.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def upload(app: AppTest, content: bytes | str, name: str = "shared.recipe.json") -> AppTest:
    data = content.encode("utf-8") if isinstance(content, str) else content
    app.file_uploader(key="recipe_upload").upload(name, data, "application/json").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def texts(elements) -> str:
    return " ".join(str(element.value) for element in elements).replace("\\", "")


def test_design_page_downloads_the_current_recipe_named_after_the_data(downloads) -> None:
    app = design_page_with_churn_sample()
    app.number_input(key="epochs").set_value(23).run()
    assert app.download_button(key="recipe_download")
    recipe = app.session_state["recipe"]
    content = downloads["telco_churn.recipe.json"]
    loaded = read_recipe_file(content)
    assert loaded.recipe == recipe and loaded.recipe.training.max_epochs == 23
    assert loaded.made_for.target == "churn" and loaded.made_for.task == "binary"
    assert loaded.made_for.data == "telco_churn.csv"


def test_an_uploaded_recipe_that_fits_fills_every_setting() -> None:
    app = design_page_with_churn_sample()
    current = app.session_state["recipe"]
    shared = current.with_changes(
        **{
            "seed": 5,
            "training.max_epochs": 31,
            "training.optimizer": "sgd",
            "preprocessing.numeric_scaling": "robust",
            "model.hidden_layers": [{"units": 12, "activation": "tanh", "dropout": 0.1}],
            "drop_columns": ["female"],
        }
    )
    upload(app, recipe_file_text(shared, TaskInfo("binary", "churn", ["No", "Yes"])))
    assert app.session_state["recipe"] == shared
    # The widgets show the recipe's values, not the ones they held before.
    assert app.number_input(key="epochs").value == 31
    assert app.selectbox(key="opt_training_optimizer").value == "sgd"
    assert app.number_input(key="layer_units_0").value == 12
    assert app.slider(key="opt_training_momentum").value == 0.9  # shown for SGD
    assert "Every setting of 'shared.recipe.json' is in place" in texts(app.success)
    app.number_input(key="epochs").set_value(32).run()  # no longer true: not said any more
    assert "is in place" not in texts(app.success)
    # The Data page's column widgets follow the recipe too.
    app.switch_page("app_pages/data.py").run()
    assert app.multiselect(key="drop_columns").value == ["female"]


def test_an_uploaded_recipe_that_does_not_fit_changes_nothing_and_says_why() -> None:
    app = design_page_with_churn_sample()
    before = app.session_state["recipe"]
    other = Recipe(target="cancelled", drop_columns=("account_id",)).with_changes(
        **{"training.max_epochs": 12}
    )
    upload(app, recipe_file_text(other))
    assert app.session_state["recipe"] == before
    said = texts(app.warning)
    assert "'shared.recipe.json' was not loaded" in said
    assert "predicts the column 'cancelled'" in said and "'account_id'" in said
    # Its other settings can still be taken, by a click that says what is left out.
    app.button(key="recipe_use_rest").click().run()
    after = app.session_state["recipe"]
    assert after.training.max_epochs == 12
    assert (after.target, after.drop_columns) == (before.target, before.drop_columns)
    assert app.number_input(key="epochs").value == 12
    assert "except its column choices" in texts(app.success)


def test_an_uploaded_recipe_for_another_task_is_not_applied() -> None:
    app = design_page_with_churn_sample()
    before = app.session_state["recipe"]
    made = before.with_changes(target="monthly_charges", **{"training.max_epochs": 12})
    upload(app, recipe_file_text(made, TaskInfo("binary", "monthly_charges", ["a", "b"])))
    assert app.session_state["recipe"] == before
    assert "made for predicting a yes/no outcome in 'monthly_charges'" in texts(app.warning)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"training": {"epochs": 5}}', "'training.epochs' is not a recipe setting"),
        ('{"seed": 3,', "not valid JSON"),
        ('{"about": {"format": 7}}', "newer Trainboard"),
        (b"\x00\xff" * 10, "not text"),
    ],
)
def test_an_unusable_upload_is_refused_in_plain_words(content, words) -> None:
    app = design_page_with_churn_sample()
    before = app.session_state["recipe"]
    upload(app, content)
    assert app.session_state["recipe"] == before
    assert words in texts(app.error) and "your settings are unchanged" in texts(app.error)
    assert not any(button.key == "recipe_use_rest" for button in app.button)


def test_an_upload_without_data_asks_for_the_data_first() -> None:
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    app.switch_page("app_pages/design.py").run()
    before = app.session_state["recipe"]
    upload(app, Recipe(target="churn", seed=4).to_json())
    assert app.session_state["recipe"] == before
    assert "Choose your data first" in texts(app.error)


# --- the same run, in the app and with the CLI ----------------------------------------------------

REPRODUCE_WAIT_SECONDS = 300  # a job process and a CLI process, each loading TensorFlow


@pytest.mark.slow
def test_the_cli_reproduces_a_run_made_in_the_app(tmp_path: Path) -> None:
    data = csv_bytes(raw_mixed_frame(300).drop(columns=["tier", "price"]))
    # The default network and training, shortened: dropout, the direct path, automatic
    # batch size and slowing down on plateaus all take part.
    recipe = Recipe(target="churn", seed=11).with_changes(**{"training.max_epochs": 6})

    # The app's path: the job runner copies data and recipe into a job folder and trains in
    # its own process (core.jobs -> core.pipeline.train_and_export).
    runner = LocalJobRunner(tmp_path / "workspace", max_concurrent=1)
    job_id = runner.submit(data, "customers.csv", recipe)
    deadline = time.monotonic() + REPRODUCE_WAIT_SECONDS
    while runner.status(job_id).is_active:
        assert time.monotonic() < deadline, "the job did not finish in time"
        time.sleep(0.5)
    status = runner.status(job_id)
    assert status.state == "finished", status.error
    job_recipe = runner.jobs_dir / job_id / RECIPE_FILE
    # What the Design page downloads reads back as exactly the recipe the job stored.
    downloaded = recipe_file_text(recipe, TaskInfo("binary", "churn", ["no", "yes"]), "c.csv")
    assert load_recipe_file(downloaded)[0] == Recipe.from_json(job_recipe.read_text())

    # The engineer's path: the same data file, the job's recipe.json, no --target.
    data_file = tmp_path / "customers.csv"
    data_file.write_bytes(data)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "train",
            str(data_file),
            "--recipe",
            str(job_recipe),
            "--out",
            str(tmp_path / "model.zip"),
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=REPRODUCE_WAIT_SECONDS,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])

    app_result = status.result.to_dict()  # as result.json holds it, like the CLI summary
    assert summary["epochs_run"] == app_result["epochs_run"]
    assert summary["best_epoch"] == app_result["best_epoch"]
    # Exactly equal, not merely close: seeds, split and thread settings are the same, and
    # TensorFlow's CPU kernels used here are deterministic for the same inputs.
    assert summary["metrics"] == app_result["metrics"]
    assert summary["baselines"] == app_result["baselines"]
    # The ranges around the scores (seeded bootstrap) and the verdict follow.
    assert summary["intervals"] == app_result["intervals"]
    assert summary["verdict"] == app_result["verdict"]
    assert app_result["metrics"]["accuracy"] > 0.5  # it learned something worth repeating
