"""The pipeline: unusable inputs give plain errors; the split and preprocessing are honest."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import csv_bytes, mixed_frame, raw_mixed_frame, tiny_recipe, write_csv

from core.errors import RecipeError, TrainboardError, UnusableDataError
from core.model.preparation import prepare
from core.model.recipe import Recipe
from core.pipeline import load_table
from core.results import EpochReport, RunResult

# --- unusable inputs ------------------------------------------------------------------------


def test_no_target_chosen() -> None:
    with pytest.raises(RecipeError) as caught:
        prepare(mixed_frame(), Recipe())
    assert "column to predict" in str(caught.value)


def test_target_missing_from_data() -> None:
    with pytest.raises(UnusableDataError) as caught:
        prepare(mixed_frame(), Recipe(target="revenue"))
    message = str(caught.value)
    assert "'revenue'" in message
    assert "'churn'" in message  # it lists the columns there are


def test_target_with_one_class() -> None:
    frame = mixed_frame().assign(churn="yes")
    with pytest.raises(UnusableDataError) as caught:
        prepare(frame, Recipe(target="churn"))
    assert "'churn'" in str(caught.value) and "'yes'" in str(caught.value)


def test_target_with_no_values() -> None:
    frame = mixed_frame().assign(churn=np.nan)
    with pytest.raises(UnusableDataError) as caught:
        prepare(frame, Recipe(target="churn"))
    assert "'churn'" in str(caught.value) and "no values" in str(caught.value)


def test_target_with_too_few_values() -> None:
    frame = mixed_frame()
    frame.loc[8:, "churn"] = np.nan  # 8 rows keep a value
    with pytest.raises(UnusableDataError) as caught:
        prepare(frame, Recipe(target="churn"))
    assert "'churn'" in str(caught.value)


def test_all_columns_dropped() -> None:
    recipe = Recipe(target="churn", drop_columns=("tenure", "spend", "plan", "member"))
    with pytest.raises(UnusableDataError, match="No column is left"):
        prepare(mixed_frame(), recipe)


def test_only_unusable_columns_left() -> None:
    frame = mixed_frame()[["churn"]].assign(customer_id=[f"C{i:04d}" for i in range(300)])
    with pytest.raises(UnusableDataError, match="No column is left"):
        prepare(frame, Recipe(target="churn"))


def test_too_few_rows() -> None:
    frame = mixed_frame().dropna().head(12).reset_index(drop=True)
    assert frame.notna().all().all()  # no empty cell anywhere
    with pytest.raises(UnusableDataError) as caught:
        prepare(frame, Recipe(target="churn"))
    message = str(caught.value)
    assert "rows" in message
    # Nothing was left out for empty cells here, so the message must not blame them.
    assert "empty cells" not in message, message


def test_too_few_rows_left_after_dropping_rows_with_empty_cells() -> None:
    frame = mixed_frame()
    rows = np.arange(len(frame))
    frame["spend"] = np.where(rows % 30 == 0, rows * 1.5, np.nan)  # 10 of 300 rows have a value
    recipe = Recipe(target="churn").with_changes(**{"preprocessing.numeric_missing": "drop_rows"})
    with pytest.raises(UnusableDataError) as caught:
        prepare(frame, recipe)
    assert "empty cells" in str(caught.value)


def test_unusable_data_errors_are_trainboard_errors() -> None:
    # Pages and the CLI catch TrainboardError only: every error above must be one.
    assert issubclass(UnusableDataError, TrainboardError)
    assert issubclass(RecipeError, TrainboardError)


# --- the reader's own errors come through load_table --------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x00\x01\x02\x03binary\x00\xff\xfe" * 50, "not a CSV"),
        (b"PK\x03\x04" + b"\x00" * 200, "not a CSV"),
        (b"a,b,c\n", "no data rows"),
        (b"a,b\n1,2\n3,4\n", "at least"),
    ],
    ids=["empty", "blank lines", "binary", "zip", "header only", "two rows"],
)
def test_load_table_raises_the_readers_errors(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    with pytest.raises(UnusableDataError) as caught:
        load_table(path)
    message = str(caught.value)
    assert expected.lower() in message.lower(), message
    assert "data.csv" in message  # the file is named


def test_load_table_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnusableDataError, match="not found"):
        load_table(tmp_path / "nowhere.csv")


def test_load_table_reads_plain_and_gzipped_csv(tmp_path: Path) -> None:
    raw = raw_mixed_frame(50)
    plain = load_table(write_csv(raw, tmp_path / "plain.csv"))
    zipped_path = tmp_path / "zipped.csv.gz"
    zipped_path.write_bytes(gzip.compress(csv_bytes(raw)))
    zipped = load_table(zipped_path)
    assert list(plain.columns) == list(raw.columns)
    assert len(plain) == 50
    pd.testing.assert_frame_equal(plain, zipped)


# --- the split and the preprocessing ---------------------------------------------------------


def test_split_sizes_follow_the_recipe() -> None:
    frame = mixed_frame(n=400)
    recipe = Recipe(target="churn").with_changes(
        **{"split.validation_fraction": 0.2, "split.test_fraction": 0.25}
    )
    data = prepare(frame, recipe)
    n_usable = len(frame)  # every row has an outcome
    assert len(data.x_val) == pytest.approx(0.2 * n_usable, abs=2)
    assert len(data.x_test) == pytest.approx(0.25 * n_usable, abs=2)
    assert len(data.x_train) + len(data.x_val) + len(data.x_test) == n_usable
    assert len(data.test_frame) == len(data.x_test)


def test_stratified_split_keeps_the_outcome_mix() -> None:
    frame = mixed_frame(n=400)
    data = prepare(frame, Recipe(target="churn"))
    overall = (frame["churn"] == data.task.class_labels[1]).mean()
    for y in (data.y_train, data.y_val, data.y_test):
        assert y.mean() == pytest.approx(overall, abs=0.03)


def test_preprocessing_is_fitted_on_the_training_rows_only() -> None:
    frame = mixed_frame(n=300)
    data = prepare(frame, Recipe(target="churn"))
    position = data.preprocessor.feature_names.index("tenure")
    train_column = data.x_train[:, position]
    # Standard scaling fitted on the training rows: exactly centred and unit spread there...
    assert train_column.mean() == pytest.approx(0.0, abs=1e-5)
    assert train_column.std() == pytest.approx(1.0, abs=1e-4)
    # ...and the statistics differ from the whole table's.
    spec = next(c for c in data.preprocessor.numeric if c.name == "tenure")
    assert spec.center != pytest.approx(frame["tenure"].mean(), abs=1e-9)
    assert abs(data.x_test[:, position].mean()) > 1e-4


def test_target_and_dropped_columns_are_not_inputs() -> None:
    data = prepare(mixed_frame(), Recipe(target="churn", drop_columns=("member",)))
    assert "churn" not in data.preprocessor.input_columns
    assert "member" not in data.preprocessor.input_columns
    assert set(data.preprocessor.input_columns) == {"tenure", "spend", "plan"}


def test_prepared_arrays_are_model_ready() -> None:
    data = prepare(mixed_frame(), Recipe(target="churn"))
    for x in (data.x_train, data.x_val, data.x_test):
        assert x.dtype == np.float32
        assert x.shape[1] == data.preprocessor.n_features
        assert np.isfinite(x).all()
    assert set(np.unique(data.y_train)) == {0, 1}
    assert data.task.task == "binary"


def test_rows_without_an_outcome_are_left_out() -> None:
    frame = mixed_frame(n=300)
    frame.loc[:29, "churn"] = np.nan
    data = prepare(frame, Recipe(target="churn"))
    assert len(data.x_train) + len(data.x_val) + len(data.x_test) == 270
    assert (data.y_train >= 0).all() and (data.y_test >= 0).all()


# --- one whole run, written to disk ----------------------------------------------------------


@pytest.mark.slow
def test_train_and_export_writes_bundle_and_card(churn_csv: Path, tmp_path: Path) -> None:
    from core.pipeline import train_and_export

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    epochs: list[EpochReport] = []
    result = train_and_export(churn_csv, tiny_recipe(), out_dir, on_epoch=epochs.append)
    assert (out_dir / "bundle.zip").is_file()
    assert (out_dir / "bundle.model_card.md").is_file()  # named after the bundle
    assert result.bundle == str(out_dir / "bundle.zip")
    assert result.export is not None and result.export["size_bytes"] > 0
    assert result.data is not None and result.data.name == "churn.csv"
    assert result.data.rows == 240
    assert result.data.n_train + result.data.n_validation + result.data.n_test == 240
    assert len(epochs) == result.epochs_run == 2
    assert result.history == epochs  # the same reports the callback saw
    assert result.has_model and result.metrics[result.primary_metric] is not None
    # Stored as JSON and read back, it is the same result.
    stored = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert RunResult.from_dict(stored) == result


@pytest.mark.slow
def test_no_bundle_when_training_diverges(tmp_path: Path) -> None:
    from core.pipeline import train_and_export

    data_path = write_csv(raw_mixed_frame(240).drop(columns=["tier", "churn"]), tmp_path / "p.csv")
    recipe = tiny_recipe(
        "regression", **{"training.optimizer": "sgd", "training.learning_rate": 10.0}
    )
    result = train_and_export(data_path, recipe, tmp_path)
    assert result.stopped_because == "diverged"
    assert result.bundle is None and result.export is None and not result.has_model
    assert not (tmp_path / "bundle.zip").exists()
    assert not (tmp_path / "bundle.model_card.md").exists()
