"""Predictions tables and spreadsheet-safe CSV (core/portable/outputs.py): no TensorFlow needed.

The model here is a plain numpy function: predict_frame accepts any callable, which is what
lets these tests check the shared prediction path without training anything.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from core.errors import PredictionInputError
from core.portable.outputs import (
    INPUT_SUFFIX,
    PREDICTION,
    neutralise_cell,
    output_columns,
    predict_frame,
    predictions_frame,
    probability_column,
    read_rows_to_predict,
    to_safe_csv,
)
from core.portable.preprocess import Preprocessor
from core.model.recipe import PreprocessingConfig

KINDS = {"age": "numeric", "plan": "categorical"}


def _fit(**changes: object) -> Preprocessor:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 10, 60).round(1),
            "plan": pd.Series(rng.choice(["basic", "pro"], 60), dtype="object"),
        }
    )
    return Preprocessor.fit(frame, KINDS, PreprocessingConfig(**changes).model_dump())


def _read_csv(payload: bytes) -> pd.DataFrame:
    return pd.read_csv(
        io.BytesIO(payload), encoding="utf-8-sig", keep_default_na=False, na_values=[""]
    )


# --- predictions tables ----------------------------------------------------------------------


def test_binary_outputs_become_label_and_one_probability_per_class() -> None:
    raw = pd.DataFrame({"age": [20.0, 60.0], "note": ["a", "b"]})
    table = predictions_frame(raw, np.array([[0.2], [0.9]]), "binary", ["no", "yes"])
    assert list(table.columns) == ["age", "note", PREDICTION, "probability_no", "probability_yes"]
    assert table[PREDICTION].tolist() == ["no", "yes"]
    np.testing.assert_allclose(table["probability_yes"], [0.2, 0.9])
    np.testing.assert_allclose(table["probability_no"], [0.8, 0.1])


def test_multiclass_prediction_is_the_most_likely_class() -> None:
    raw = pd.DataFrame({"x": [1, 2, 3]})
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3]])
    table = predictions_frame(raw, probabilities, "multiclass", ["bronze", "silver", "gold"])
    assert table[PREDICTION].tolist() == ["bronze", "gold", "silver"]
    for i, label in enumerate(["bronze", "silver", "gold"]):
        np.testing.assert_allclose(table[probability_column(label)], probabilities[:, i])


def test_regression_prediction_is_a_number_column() -> None:
    table = predictions_frame(
        pd.DataFrame({"x": [1, 2]}), np.array([[-3.5], [12.25]]), "regression", []
    )
    assert list(table.columns) == ["x", PREDICTION]
    assert pd.api.types.is_float_dtype(table[PREDICTION])
    assert table[PREDICTION].tolist() == [-3.5, 12.25]


def test_rows_not_usable_get_an_empty_prediction_and_keep_their_input() -> None:
    raw = pd.DataFrame({"x": [1, 2, 3]})
    usable = np.array([True, False, True])
    table = predictions_frame(raw, np.array([[0.9], [0.9], [0.1]]), "binary", ["n", "y"], usable)
    assert table[PREDICTION].isna().tolist() == [False, True, False]
    assert table["probability_y"].isna().tolist() == [False, True, False]
    assert table["x"].tolist() == [1, 2, 3]


def test_input_columns_named_like_outputs_are_kept_under_another_name() -> None:
    raw = pd.DataFrame({"prediction": ["old"], "probability_yes": [0.5]})
    table = predictions_frame(raw, np.array([[0.25]]), "binary", ["no", "yes"])
    assert table[f"prediction{INPUT_SUFFIX}"].tolist() == ["old"]
    assert table[f"probability_yes{INPUT_SUFFIX}"].tolist() == [0.5]
    assert table["probability_yes"].tolist() == [0.25]
    assert table.columns.is_unique


def test_outputs_that_do_not_fit_the_task_are_a_programming_error() -> None:
    raw = pd.DataFrame({"x": [1]})
    with pytest.raises(ValueError, match="3 outputs per row for 2 classes"):
        predictions_frame(raw, np.array([[0.2, 0.3, 0.5]]), "multiclass", ["a", "b"])
    assert output_columns("binary", ["n", "y"]) == [PREDICTION, "probability_n", "probability_y"]


# --- the shared prediction path ----------------------------------------------------------------


def test_predict_frame_runs_the_model_on_preprocessed_rows_and_keeps_other_columns() -> None:
    preprocessor = _fit()
    seen: list[np.ndarray] = []

    def model(features: np.ndarray) -> np.ndarray:
        seen.append(features)
        return np.full((len(features), 1), 0.75)

    rows = pd.DataFrame(
        {"plan": ["pro", "never seen", None], "age": [30.0, None, 50.0], "extra": [1, 2, 3]}
    )
    table = predict_frame(model, preprocessor, "binary", ["no", "yes"], rows)
    expected, _ = preprocessor.transform(rows)
    np.testing.assert_array_equal(seen[0], expected)
    assert table[PREDICTION].tolist() == ["yes", "yes", "yes"]
    assert table["extra"].tolist() == [1, 2, 3]


def test_predict_frame_skips_rows_the_recipe_leaves_out() -> None:
    preprocessor = _fit(numeric_missing="drop_rows")
    calls: list[int] = []

    def model(features: np.ndarray) -> np.ndarray:
        calls.append(len(features))
        return features[:, :1] * 0 + 7.0

    rows = pd.DataFrame({"age": [30.0, None, 50.0], "plan": ["pro", "basic", "pro"]})
    table = predict_frame(model, preprocessor, "regression", [], rows)
    assert calls == [2], "only the usable rows reach the model"
    assert table[PREDICTION].isna().tolist() == [False, True, False]


def test_predict_frame_names_missing_columns_and_text_in_a_number_column() -> None:
    preprocessor = _fit()
    model = lambda features: np.zeros((len(features), 1))  # noqa: E731
    with pytest.raises(PredictionInputError, match="'plan'"):
        predict_frame(model, preprocessor, "binary", ["n", "y"], pd.DataFrame({"age": [1.0]}))
    rows = pd.DataFrame({"age": pd.Series(["31", "lots"], dtype="object"), "plan": ["pro", "pro"]})
    with pytest.raises(PredictionInputError, match="'age'.*'lots'"):
        predict_frame(model, preprocessor, "binary", ["n", "y"], rows)


def test_read_rows_to_predict_reads_like_training_and_accepts_one_row(tmp_path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("age;plan\n" + "".join(f"{i},5;pro\n" for i in range(12)), encoding="utf-8")
    frame = read_rows_to_predict(path, name="rows.csv")
    assert list(frame.columns) == ["age", "plan"]
    assert frame["age"].iloc[3] == pytest.approx(3.5), "decimal commas are read as numbers"
    single = tmp_path / "one.csv"
    single.write_text("age,plan\n41,pro\n", encoding="utf-8")
    assert read_rows_to_predict(single).to_dict("list") == {"age": [41.0], "plan": ["pro"]}


# --- spreadsheet-safe CSV ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell", ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\r=1", '=HYPERLINK("x")']
)
def test_formula_cells_are_neutralised(cell: str) -> None:
    payload = to_safe_csv(pd.DataFrame({"text": pd.Series([cell, "plain"], dtype="object")}))
    back = _read_csv(payload)
    assert back["text"].tolist() == ["'" + cell, "plain"]


def test_numbers_stay_numbers_including_negative_ones() -> None:
    frame = pd.DataFrame(
        {
            "amount": [-5.5, 3.0, -1e-7],
            "count": [-3, 0, 4],
            "label": pd.Series(["-12", "+4.5", "-x"], dtype="str"),
        }
    )
    lines = to_safe_csv(frame).decode("utf-8-sig").splitlines()
    assert lines[1] == "-5.5,-3,-12", "no apostrophe before any number"
    back = _read_csv(to_safe_csv(frame))
    assert back["amount"].tolist() == [-5.5, 3.0, -1e-7]
    assert back["count"].tolist() == [-3, 0, 4]
    # Text that is just a number runs nothing and stays as it is; other text is neutralised.
    assert back["label"].astype(str).tolist() == ["-12", "+4.5", "'-x"]


def test_column_names_and_category_cells_are_neutralised_too() -> None:
    frame = pd.DataFrame({"=evil()": pd.Categorical(["@x", "ok"]), "fine": [1, 2]})
    back = _read_csv(to_safe_csv(frame))
    assert list(back.columns) == ["'=evil()", "fine"]
    assert back["'=evil()"].tolist() == ["'@x", "ok"]


def test_empty_cells_stay_empty_and_non_text_passes_through() -> None:
    frame = pd.DataFrame({"a": pd.Series(["=x", None], dtype="object"), "b": [np.nan, 1.5]})
    back = _read_csv(to_safe_csv(frame))
    assert back["a"].isna().tolist() == [False, True]
    assert back["b"].isna().tolist() == [True, False]
    assert neutralise_cell(-4) == -4 and neutralise_cell(None) is None
