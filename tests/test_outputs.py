"""Predictions tables, notes and spreadsheet-safe CSV (core/portable): no TensorFlow needed.

The model here is a plain numpy function: predict_frame and predict_file accept any callable,
which is what lets these tests check the shared prediction path without training anything.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from core.errors import PredictionInputError
from core.model.recipe import PreprocessingConfig
from core.portable.outputs import (
    INPUT_SUFFIX,
    PREDICTION,
    neutralise_cell,
    output_columns,
    predict_frame,
    predictions_frame,
    probability_column,
    to_safe_csv,
)
from core.portable.predicting import (
    NOT_NUMBERS,
    ROWS_LEFT_OUT,
    UNSEEN_CATEGORIES,
    WARNING,
    check_output_path,
    count_text,
    predict_file,
    predict_rows,
    read_rows_to_predict,
    write_predictions,
)
from core.portable.preprocess import Preprocessor

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


def test_predict_frame_names_missing_columns_and_reads_text_in_a_number_column_as_empty() -> None:
    preprocessor = _fit()
    model = lambda features: np.zeros((len(features), 1))  # noqa: E731
    with pytest.raises(PredictionInputError, match="'plan'"):
        predict_frame(model, preprocessor, "binary", ["n", "y"], pd.DataFrame({"age": [1.0]}))
    rows = pd.DataFrame({"age": pd.Series(["31", "lots"], dtype="object"), "plan": ["pro", "pro"]})
    empty = pd.DataFrame({"age": [31.0, np.nan], "plan": ["pro", "pro"]})
    np.testing.assert_array_equal(preprocessor.transform(rows)[0], preprocessor.transform(empty)[0])
    assert predict_frame(model, preprocessor, "binary", ["n", "y"], rows)[PREDICTION].notna().all()


def test_read_rows_to_predict_reads_like_training_and_accepts_one_row(tmp_path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("age;plan\n" + "".join(f"{i},5;pro\n" for i in range(12)), encoding="utf-8")
    rows = read_rows_to_predict(path, name="rows.csv")
    assert list(rows.values.columns) == list(rows.text.columns) == ["age", "plan"]
    assert rows.values["age"].iloc[3] == pytest.approx(3.5), "decimal commas are read as numbers"
    assert rows.text["age"].iloc[3] == "3,5", "and kept as written for the output"
    single = tmp_path / "one.csv"
    single.write_text("age,plan\n41,pro\n", encoding="utf-8")
    assert read_rows_to_predict(single).values.to_dict("list") == {"age": [41.0], "plan": ["pro"]}


# --- predicting a file: exact echo and notes ---------------------------------------------------

ACCOUNT_IDS = ["007", "12345678901234567", "02134", "1e3", "1,234"]


def _constant_model(features: np.ndarray) -> np.ndarray:
    return np.full((len(features), 1), 0.75)


def _predict_text(text: str, preprocessor: Preprocessor | None = None):
    return predict_file(
        _constant_model, preprocessor or _fit(), "binary", ["no", "yes"], text.encode("utf-8")
    )


def test_every_input_cell_comes_back_exactly_as_written(tmp_path) -> None:
    """Identifiers the model never uses must still join back to the original rows."""
    lines = ["account_id,age,plan,note"]
    cells = [("41", "pro", " spaced "), ("", "basic", "N/A"), ("-5", "Pro", "=1+1"), ("1e1", "")]
    for account, row in zip(ACCOUNT_IDS, cells + [("3.50", "basic", "-$5")], strict=True):
        lines.append(",".join([f'"{account}"', *row, *([""] * (3 - len(row)))]))
    predictions = _predict_text("\n".join(lines) + "\n")
    out = tmp_path / "predictions.csv"
    write_predictions(predictions, out)
    back = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back["account_id"].tolist() == ACCOUNT_IDS
    assert back["age"].tolist() == ["41", "", "-5", "1e1", "3.50"]
    assert back["plan"].tolist() == ["pro", "basic", "Pro", "", "basic"]
    # Text is echoed as written, except that a formula is defused (OWASP) and a number is not.
    assert back["note"].tolist() == [" spaced ", "N/A", "'=1+1", "", "-$5"]
    assert back[PREDICTION].tolist() == ["yes"] * 5


def test_text_cells_of_an_excel_sheet_come_back_exactly_too() -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["account_id", "age", "plan"])
    for account in ACCOUNT_IDS:  # typed as text in the sheet, as identifiers should be
        sheet.append([account, 30, "pro"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    predictions = predict_file(
        _constant_model, _fit(), "binary", ["no", "yes"], buffer.getvalue(), name="new.xlsx"
    )
    back = pd.read_csv(io.BytesIO(predictions.to_csv()), encoding="utf-8-sig", dtype=str)
    assert back["account_id"].tolist() == ACCOUNT_IDS
    assert back[PREDICTION].tolist() == ["yes"] * 5


def test_unseen_categories_are_counted_per_column() -> None:
    kinds = {"age": "numeric", "plan": "categorical", "region": "categorical"}
    frame = pd.DataFrame(
        {
            "age": np.arange(40, dtype=float),
            "plan": ["basic", "pro"] * 20,
            "region": ["north", "south"] * 20,
        }
    )
    preprocessor = Preprocessor.fit(frame, kinds, PreprocessingConfig().model_dump())
    text = "age,plan,region\n1,basic,north\n2,gold,north\n3,gold,east\n4,PRO ,\n5,silver,south\n"
    predictions = _predict_text(text, preprocessor)
    notes = {note.column: note for note in predictions.notes}
    assert [note.code for note in predictions.notes] == [UNSEEN_CATEGORIES] * 2
    assert notes["plan"].count == 3 and notes["plan"].rows == (2, 3, 5)
    assert "'plan': 3 rows" in notes["plan"].message and "'gold'" in notes["plan"].message
    assert notes["region"].count == 1 and notes["region"].rows == (3,)
    assert "'region': 1 row with" in notes["region"].message
    assert notes["region"].message.endswith("so that prediction is less certain.")
    assert notes["plan"].message.endswith("so those predictions are less certain.")
    assert predictions.predicted == 5, "an unseen category is still predicted"


def test_a_bad_number_cell_counts_as_empty_and_its_rows_are_named() -> None:
    text = "age,plan\n31,pro\nlots,pro\n40,basic\n12,50 EUR,basic\n"
    text = text.replace("12,50 EUR", '"12,50 EUR"')
    predictions = _predict_text(text)
    assert predictions.rows == predictions.predicted == 4, "the file is not rejected"
    (note,) = predictions.notes
    assert (note.code, note.level, note.column) == (NOT_NUMBERS, WARNING, "age")
    assert note.rows == (2, 4) and note.count == 2
    assert "rows 2 ('lots'), 4 ('12,50 EUR')" in note.message
    assert "2 cells are not a number" in note.message


def test_a_rare_typo_the_reader_already_emptied_is_still_named() -> None:
    # One typo in 150 numbers: the reader keeps 'age' a number column and empties the cell.
    lines = [f"{20 + i % 50},pro" for i in range(150)]
    lines[17] = '"12,50 EUR",pro'
    rows = read_rows_to_predict(("age,plan\n" + "\n".join(lines) + "\n").encode())
    assert rows.values["age"].dtype == "float64" and np.isnan(rows.values["age"].iloc[17])
    predictions = predict_rows(_constant_model, _fit(), "binary", ["no", "yes"], rows)
    (note,) = predictions.notes
    assert (note.code, note.rows, note.count) == (NOT_NUMBERS, (18,), 1)
    assert "1 cell is not a number and counted as empty: row 18 ('12,50 EUR')" in note.message
    assert predictions.frame["age"].iloc[17] == "12,50 EUR", "echoed as written"


def test_rows_left_out_are_counted_and_the_headline_says_so() -> None:
    preprocessor = _fit(numeric_missing="drop_rows")
    predictions = _predict_text("age,plan\n31,pro\n,pro\nabc,basic\n", preprocessor)
    assert predictions.predicted == 1 and predictions.rows == 3
    assert [note.code for note in predictions.notes] == [NOT_NUMBERS, ROWS_LEFT_OUT]
    assert predictions.notes[1].rows == (2, 3)
    assert "2 rows got no prediction" in predictions.notes[1].message
    assert predictions.headline("churn") == "Predicted churn for 1 of 3 rows."
    summary = predictions.summary()
    assert (summary["rows"], summary["predicted"], summary["not_predicted"]) == (3, 1, 2)
    assert [note["code"] for note in summary["notes"]] == [NOT_NUMBERS, ROWS_LEFT_OUT]


def test_counts_use_the_right_number() -> None:
    one = _predict_text("age,plan\n31,pro\n")
    assert one.headline("churn") == "Predicted churn for 1 row."
    assert one.notes == []
    two = _predict_text("age,plan\n31,pro\n32,basic\n")
    assert two.headline("churn") == "Predicted churn for 2 rows."
    assert (count_text(1, "cell"), count_text(1234, "row")) == ("1 cell", "1,234 rows")


def test_outputs_that_are_a_folder_or_the_data_file_are_refused_before_work(tmp_path) -> None:
    data = tmp_path / "new.csv"
    data.write_text("age,plan\n1,pro\n", encoding="utf-8")
    with pytest.raises(PredictionInputError, match="is a folder"):
        check_output_path(data, tmp_path)
    with pytest.raises(PredictionInputError, match="overwrite"):
        check_output_path(data, data)
    check_output_path(data, tmp_path / "predictions.csv")


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


@pytest.mark.parametrize("cell", ["-1,234.50", "-€5", "-5 €", "-12%", "+1'000", "-1 234,5", "-.5"])
def test_amounts_typed_as_text_are_not_mistaken_for_formulas(cell: str) -> None:
    assert neutralise_cell(cell) == cell


@pytest.mark.parametrize("cell", ["-1+2", "-5\n=1", "+1)", "-2*3", "-A1", "-", "-1e3+cmd|x"])
def test_signed_text_that_is_not_just_a_number_is_neutralised(cell: str) -> None:
    assert neutralise_cell(cell) == "'" + cell


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
