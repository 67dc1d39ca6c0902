"""Preprocessing: fitted on training rows only, every option, plain errors, JSON state."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.errors import PredictionInputError, RecipeError, UnusableDataError
from core.model.recipe import PreprocessingConfig
from core.portable.preprocess import MISSING, OTHER, Preprocessor
from core.portable.target import TargetEncoder

KINDS = {"age": "numeric", "city": "categorical"}


def _config(**changes: object) -> dict:
    """The recipe's preprocessing section as the pipeline passes it, with some changes."""
    return PreprocessingConfig(**changes).model_dump()


def _numeric_frame(values: list) -> pd.DataFrame:
    return pd.DataFrame({"age": pd.Series(values, dtype="float64")})


def _fit_numeric(values: list, **changes: object) -> Preprocessor:
    return Preprocessor.fit(_numeric_frame(values), {"age": "numeric"}, _config(**changes))


def _city_frame(cities: list) -> pd.DataFrame:
    return pd.DataFrame({"city": pd.Series(cities, dtype="object")})


def _fit_city(cities: list, **changes: object) -> Preprocessor:
    return Preprocessor.fit(_city_frame(cities), {"city": "categorical"}, _config(**changes))


def _onehot_slot(prep: Preprocessor, value: object) -> str:
    """Which one-hot slot a single city value lands in."""
    features, _ = prep.transform(_city_frame([value]))
    names = prep.feature_names
    assert features.shape == (1, len(names))
    assert features.sum() == 1.0, "exactly one slot is switched on"
    return names[int(np.argmax(features[0]))].split(" = ", 1)[1]


# --- fitted on the training rows only ------------------------------------------------------


def test_statistics_come_from_the_training_rows_only() -> None:
    rng = np.random.default_rng(0)
    whole = pd.DataFrame(
        {
            "age": np.concatenate([rng.normal(30, 5, 150), rng.normal(80, 5, 50)]),
            "city": ["Paris"] * 150 + ["Oslo"] * 50,
        }
    )
    train = whole.iloc[:150]
    prep = Preprocessor.fit(train, KINDS, _config())
    column = prep.numeric[0]
    assert column.center == pytest.approx(train["age"].mean())
    assert column.scale == pytest.approx(train["age"].std(ddof=0))
    assert column.center != pytest.approx(whole["age"].mean(), abs=1.0)
    # Oslo appears only outside the training rows: it gets no slot of its own.
    assert prep.categorical[0].categories == ["Paris"]
    features, _ = prep.transform(train)
    assert features[:, 0].mean() == pytest.approx(0.0, abs=1e-5)
    assert features[:, 0].std() == pytest.approx(1.0, abs=1e-4)


# --- numbers: empty cells ---------------------------------------------------------------------

WITH_GAP = [1.0, 2.0, 2.0, 9.0, np.nan]  # median 2, mean 3.5, most frequent 2


@pytest.mark.parametrize(
    ("option", "fill"),
    [("median", 2.0), ("mean", 3.5), ("most_frequent", 2.0), ("constant", -7.0)],
)
def test_numeric_missing_fills(option: str, fill: float) -> None:
    prep = _fit_numeric(
        WITH_GAP, numeric_missing=option, numeric_fill_value=-7.0, numeric_scaling="none"
    )
    column = prep.numeric[0]
    assert column.fill == pytest.approx(fill)
    assert column.missing_indicator, "training had an empty cell, so an 'is empty' input is added"
    assert prep.feature_names == ["age", "age is empty"]
    features, usable = prep.transform(_numeric_frame([np.nan, 4.0]))
    assert usable.all()
    np.testing.assert_allclose(features, [[fill, 1.0], [4.0, 0.0]])


def test_numeric_most_frequent_differs_from_median() -> None:
    values = [5.0, 5.0, 1.0, 2.0, 3.0, 4.0, 100.0]  # most frequent 5, median 4
    assert _fit_numeric(values, numeric_missing="most_frequent").numeric[0].fill == 5.0
    assert _fit_numeric(values, numeric_missing="median").numeric[0].fill == 4.0


def test_numeric_drop_rows_marks_rows_unusable() -> None:
    prep = _fit_numeric(WITH_GAP, numeric_missing="drop_rows")
    assert not prep.numeric[0].missing_indicator
    assert prep.n_features == 1
    _, usable = prep.transform(_numeric_frame([1.0, np.nan, 3.0]))
    assert usable.tolist() == [True, False, True]


def test_no_indicator_when_training_had_no_empty_cells() -> None:
    prep = _fit_numeric([1.0, 2.0, 3.0], numeric_scaling="none")
    assert prep.n_features == 1
    features, usable = prep.transform(_numeric_frame([np.nan]))
    assert usable.all()
    assert features[0, 0] == pytest.approx(2.0)  # the median still fills a new empty cell


# --- numbers: scaling -------------------------------------------------------------------------

SKEWED = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 100.0]


def test_standard_scaling() -> None:
    prep = _fit_numeric(SKEWED, numeric_scaling="standard")
    features, _ = prep.transform(_numeric_frame(SKEWED))
    assert features[:, 0].mean() == pytest.approx(0.0, abs=1e-5)
    assert features[:, 0].std() == pytest.approx(1.0, abs=1e-5)


def test_minmax_scaling() -> None:
    prep = _fit_numeric(SKEWED, numeric_scaling="minmax")
    features, _ = prep.transform(_numeric_frame(SKEWED + [200.0]))
    assert features[:-1, 0].min() == pytest.approx(0.0)
    assert features[:-1, 0].max() == pytest.approx(1.0)
    assert features[-1, 0] == pytest.approx((200.0 - 1.0) / 99.0)  # beyond training: above 1


def test_robust_scaling() -> None:
    prep = _fit_numeric(SKEWED, numeric_scaling="robust")
    q1, median, q3 = np.percentile(SKEWED, [25, 50, 75])
    column = prep.numeric[0]
    assert column.center == pytest.approx(median)
    assert column.scale == pytest.approx(q3 - q1)
    features, _ = prep.transform(_numeric_frame([median, median + (q3 - q1)]))
    np.testing.assert_allclose(features[:, 0], [0.0, 1.0], atol=1e-6)


def test_no_scaling_keeps_numbers() -> None:
    prep = _fit_numeric(SKEWED, numeric_scaling="none")
    features, _ = prep.transform(_numeric_frame(SKEWED))
    np.testing.assert_allclose(features[:, 0], SKEWED)


@pytest.mark.parametrize("scaling", ["standard", "minmax", "robust"])
def test_constant_column_does_not_divide_by_zero(scaling: str) -> None:
    prep = _fit_numeric([3.0] * 6, numeric_scaling=scaling)
    features, _ = prep.transform(_numeric_frame([3.0, 4.0]))
    assert np.isfinite(features).all()
    assert features[0, 0] != features[1, 0]


# --- categories ----------------------------------------------------------------------------


def test_onehot_rare_categories_go_to_other() -> None:
    cities = ["Paris"] * 6 + ["Oslo"] * 5 + ["Rome"] * 2 + ["Lima"]
    prep = _fit_city(cities, min_category_count=5)
    assert prep.categorical[0].categories == ["Paris", "Oslo"]
    assert prep.feature_names == ["city = Paris", "city = Oslo", f"city = {OTHER}"]
    assert _onehot_slot(prep, "Rome") == OTHER
    assert _onehot_slot(prep, "Lima") == OTHER
    assert _onehot_slot(prep, "Oslo") == "Oslo"


def test_max_categories_caps_the_kept_categories() -> None:
    cities = ["A"] * 9 + ["B"] * 8 + ["C"] * 7 + ["D"] * 6 + ["E"] * 5
    prep = _fit_city(cities, min_category_count=1, max_categories=3)
    assert prep.categorical[0].categories == ["A", "B", "C"]  # the most frequent first
    assert prep.n_features == 4  # three kept + "(other)"
    assert _onehot_slot(prep, "E") == OTHER
    assert _onehot_slot(prep, "C") == "C"


def test_unseen_category_at_transform() -> None:
    prep = _fit_city(["Paris"] * 5 + ["Oslo"] * 5)
    assert _onehot_slot(prep, "Timbuktu") == OTHER
    ordinal = _fit_city(["Paris"] * 5 + ["Oslo"] * 5, categorical_encoding="ordinal")
    features, usable = ordinal.transform(_city_frame(["Timbuktu", "Paris", "Oslo"]))
    assert usable.all()
    assert features.shape == (3, 1)
    # slots: Paris, Oslo, (other) -> 0, 0.5 (Oslo), 1 (other); Oslo and Paris tie at 5 rows
    assert features[0, 0] == pytest.approx(1.0)
    assert sorted(features[1:, 0].tolist()) == [0.0, 0.5]


def test_ordinal_encoding_gives_one_number_per_column() -> None:
    prep = _fit_city(["a"] * 7 + ["b"] * 6 + ["c"] * 5, categorical_encoding="ordinal")
    assert prep.n_features == 1
    features, _ = prep.transform(_city_frame(["a", "b", "c", "zzz"]))
    values = features[:, 0].tolist()
    assert len(set(values)) == 4, "each category, and other, gets its own number"
    assert min(values) >= 0.0 and max(values) <= 1.0


@pytest.mark.parametrize("variant", ["new york", "NEW YORK", "  New York ", "new   york"])
def test_case_and_space_variants_match(variant: str) -> None:
    prep = _fit_city(["New York"] * 5 + ["Boston"] * 5)
    assert _onehot_slot(prep, variant) == "New York"


def test_variants_are_counted_together_when_fitting() -> None:
    # Three spellings of one city, none frequent enough alone, together above the threshold.
    prep = _fit_city(["Oslo", "oslo", "OSLO ", "Oslo", "Bergen"], min_category_count=3)
    assert prep.categorical[0].categories == ["Oslo"]


def test_categorical_missing_category() -> None:
    prep = _fit_city(["a"] * 5 + ["b"] * 5 + [None], categorical_missing="missing_category")
    assert f"city = {MISSING}" in prep.feature_names
    assert _onehot_slot(prep, None) == MISSING
    assert _onehot_slot(prep, "a") == "a"
    features, usable = prep.transform(_city_frame([None, np.nan]))
    assert usable.all()


def test_categorical_most_frequent() -> None:
    prep = _fit_city(["a"] * 6 + ["b"] * 5 + [None], categorical_missing="most_frequent")
    assert MISSING not in prep.categorical[0].slots
    assert _onehot_slot(prep, None) == "a"


def test_categorical_drop_rows() -> None:
    prep = _fit_city(["a"] * 6 + ["b"] * 5 + [None], categorical_missing="drop_rows")
    assert MISSING not in prep.categorical[0].slots
    _, usable = prep.transform(_city_frame(["a", None, "b"]))
    assert usable.tolist() == [True, False, True]


def test_boolean_columns_are_encoded_as_categories() -> None:
    frame = pd.DataFrame({"member": ["yes", "no"] * 6})
    prep = Preprocessor.fit(frame, {"member": "boolean"}, _config())
    assert prep.column_kinds() == {"member": "categorical"}
    assert set(prep.categorical[0].categories) == {"yes", "no"}


def test_unusable_kinds_are_skipped_and_nothing_left_is_an_error() -> None:
    frame = pd.DataFrame({"id": range(10), "note": ["x"] * 10, "age": np.arange(10.0)})
    prep = Preprocessor.fit(
        frame, {"id": "identifier", "note": "text", "age": "numeric"}, _config()
    )
    assert prep.input_columns == ["age"]
    with pytest.raises(UnusableDataError, match="No column is left"):
        Preprocessor.fit(frame, {"id": "identifier", "note": "text"}, _config())


# --- round trip and errors --------------------------------------------------------------------


def _mixed_frame(n: int = 60, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(40, 10, n)
    age[::7] = np.nan
    city = rng.choice(["Paris", "Oslo", "Rome", "Lima"], n, p=[0.4, 0.3, 0.25, 0.05]).astype(object)
    city[::9] = None
    return pd.DataFrame({"age": age, "city": city, "income": rng.lognormal(10, 1, n)})


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"numeric_scaling": "robust", "categorical_encoding": "ordinal", "numeric_missing": "mean"},
    ],
)
def test_to_dict_from_dict_gives_identical_transforms(changes: dict) -> None:
    frame = _mixed_frame()
    kinds = {"age": "numeric", "city": "categorical", "income": "numeric"}
    prep = Preprocessor.fit(frame, kinds, _config(**changes))
    state = json.loads(json.dumps(prep.to_dict()))  # plain JSON, as stored in a bundle
    again = Preprocessor.from_dict(state)
    assert again == prep
    fresh = _mixed_frame(seed=2)
    first, usable_first = prep.transform(fresh)
    second, usable_second = again.transform(fresh)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(usable_first, usable_second)
    assert again.feature_names == prep.feature_names
    assert first.dtype == np.float32 and first.shape == (len(fresh), prep.n_features)


def test_unknown_format_is_refused() -> None:
    state = _fit_numeric([1.0, 2.0]).to_dict()
    state["format"] = 99
    with pytest.raises(UnusableDataError, match="format"):
        Preprocessor.from_dict(state)


@pytest.mark.parametrize(
    ("setting", "frame", "kinds"),
    [
        ("numeric_missing", _numeric_frame([1.0, None, 3.0]), {"age": "numeric"}),
        ("numeric_scaling", _numeric_frame([1.0, 2.0]), {"age": "numeric"}),
        ("categorical_missing", _city_frame(["Oslo", None]), {"city": "categorical"}),
        ("categorical_encoding", _city_frame(["Oslo", "Rome"]), {"city": "categorical"}),
    ],
)
def test_an_unknown_preparation_choice_is_refused_not_replaced(setting, frame, kinds) -> None:
    # Before: an unknown missing-value rule silently became the median.
    config = {**_config(), setting: "avrage"}
    with pytest.raises(RecipeError, match=rf"'{setting}' is 'avrage'.*Use one of") as caught:
        Preprocessor.fit(frame, kinds, config)
    assert "'" + _config()[setting] + "'" in str(caught.value), "the message lists the choices"


@pytest.mark.parametrize(
    ("column", "field", "kinds", "frame"),
    [
        ("numeric", "impute", {"age": "numeric"}, _numeric_frame([1.0, 2.0])),
        ("numeric", "scaling", {"age": "numeric"}, _numeric_frame([1.0, 2.0])),
        ("categorical", "missing", {"city": "categorical"}, _city_frame(["Oslo", "Rome"])),
        ("categorical", "encoding", {"city": "categorical"}, _city_frame(["Oslo", "Rome"])),
    ],
)
def test_a_saved_state_with_an_unknown_rule_is_refused(column, field, kinds, frame) -> None:
    state = Preprocessor.fit(frame, kinds, _config()).to_dict()
    state[column][0][field] = "zigzag"
    with pytest.raises(RecipeError, match="zigzag"):
        Preprocessor.from_dict(state)


def test_missing_required_column_is_named() -> None:
    prep = Preprocessor.fit(_mixed_frame(), {"age": "numeric", "city": "categorical"}, _config())
    with pytest.raises(PredictionInputError) as caught:
        prep.transform(pd.DataFrame({"age": [1.0, 2.0]}))
    assert "'city'" in str(caught.value)
    assert "'age'" not in str(caught.value)


def test_text_in_a_number_column_counts_as_an_empty_cell() -> None:
    # Predicting must not reject a whole file for one typo; the prediction notes name the cell.
    prep = _fit_numeric([1.0, 2.0, 3.0])
    rows = pd.DataFrame({"age": pd.Series(["4", "forty-two", "5"], dtype="object")})
    empty = pd.DataFrame({"age": [4.0, np.nan, 5.0]})
    features, usable = prep.transform(rows)
    np.testing.assert_array_equal(features, prep.transform(empty)[0])
    assert usable.all()


def test_numbers_written_as_text_are_read() -> None:
    prep = _fit_numeric([1.0, 2.0, 3.0], numeric_scaling="none")
    rows = pd.DataFrame({"age": pd.Series(["4", "1,000", "", "  7 "], dtype="object")})
    features, usable = prep.transform(rows)
    assert usable.all()
    np.testing.assert_allclose(features[:, 0], [4.0, 1000.0, 2.0, 7.0])


def test_transform_leaves_the_input_unchanged() -> None:
    frame = _mixed_frame()
    before = frame.copy()
    prep = Preprocessor.fit(frame, {"age": "numeric", "city": "categorical"}, _config())
    prep.transform(frame)
    pd.testing.assert_frame_equal(frame, before)


# --- the column to predict --------------------------------------------------------------------


def test_target_encoder_binary() -> None:
    values = pd.Series(["yes", " No", "YES", "maybe", None], name="churn")
    encoder = TargetEncoder.fit(values, "binary", ["No", "yes"])
    assert encoder.encode(values).tolist() == [1, 0, 1, -1, -1]
    again = TargetEncoder.from_dict(json.loads(json.dumps(encoder.to_dict())))
    assert again == encoder


def test_target_encoder_binary_numbers_as_labels() -> None:
    values = pd.Series([0.0, 1.0, 1.0, np.nan], name="churn")
    encoder = TargetEncoder.fit(values, "binary")
    assert encoder.class_labels == ["0", "1"]
    assert encoder.encode(values).tolist() == [0, 1, 1, -1]


def test_target_encoder_multiclass() -> None:
    values = pd.Series(["red", "green", "blue", "green", "purple"], name="colour")
    encoder = TargetEncoder.fit(values, "multiclass", ["blue", "green", "red"])
    assert encoder.encode(values).tolist() == [2, 1, 0, 1, -1]


def test_target_encoder_infers_labels_merging_spelling_variants() -> None:
    # Without labels from the profile, spellings the encoder treats as one class when encoding
    # must also count as one class when fitting: otherwise the network gets an output for a class
    # that can never occur.
    values = pd.Series(["Yes", "YES", "yes ", "no", "No"], name="answer")
    encoder = TargetEncoder.fit(values, "binary")
    assert len(encoder.class_labels) == 2
    codes = encoder.encode(values)
    assert sorted(set(codes.tolist())) == [0, 1]


def test_target_encoder_regression() -> None:
    values = pd.Series([10.0, 20.0, 30.0, np.nan], name="price")
    encoder = TargetEncoder.fit(values, "regression")
    assert encoder.mean == pytest.approx(20.0)
    assert encoder.std == pytest.approx(np.std([10.0, 20.0, 30.0]))
    scaled = encoder.encode(values)
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(encoder.to_target_units(scaled[:3]), [10.0, 20.0, 30.0], rtol=1e-6)
    assert np.isnan(scaled[3])


def test_target_encoder_regression_constant_target() -> None:
    encoder = TargetEncoder.fit(pd.Series([5.0] * 4, name="price"), "regression")
    assert encoder.std == 1.0
    assert np.isfinite(encoder.encode(pd.Series([5.0, 6.0], name="price"))).all()
