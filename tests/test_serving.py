"""The SavedModel's ``serving_raw`` signature: raw columns in, the bundle's predictions out.

Fast tests check the in-graph preparation against :meth:`Preprocessor.transform` for every
preprocessing choice (no training). Slow tests train tiny models (240 rows, 2 epochs), export
real bundles, load the SavedModel with ``tf.saved_model.load`` and call ``serving_raw`` on raw
test rows with empty cells, missing markers, other spellings and a category never seen, and
compare with the bundle's own predictions.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from core.bundle import serving
from core.bundle.formats import FormatCheckFailed
from core.bundle.layout import (
    DEFAULT_SIGNATURE,
    METRICS_JSON,
    MODEL_CARD,
    RAW_SIGNATURE,
    SAVED_MODEL,
    SAVED_MODEL_RAW,
)
from core.bundle.serving_card import example_instance, tflite_raw_conversion_error
from core.bundle.writer import load_bundle, write_bundle
from core.markdown import escape_markdown
from core.model.recipe import LayerConfig, Recipe
from core.pipeline import train_run
from core.portable.outputs import PREDICTION, probability_column
from core.portable.preprocess import Preprocessor, category_key

TOLERANCE = 1e-5
TARGETS = {"binary": "churn", "multiclass": "tier", "regression": "price"}
SPEND = "spend (€) | net"  # a column name TensorFlow does not accept as an input name
UNSEEN = "platinum"


def _table(task: str, n: int = 240, seed: int = 0) -> pd.DataFrame:
    """Numbers with empty cells, categories (one with spaces, one empty now and then), a target."""
    rng = np.random.default_rng(seed)
    tenure = rng.normal(24.0, 8.0, n).round(1)
    spend = rng.normal(50.0, 15.0, n).round(2)
    spend[rng.random(n) < 0.1] = np.nan
    plan = rng.choice(["Basic", "Plus", "Pro Max"], n).astype(object)
    effect = pd.Series(plan).map({"Basic": -1.0, "Plus": 0.0, "Pro Max": 1.0}).to_numpy()
    plan[rng.random(n) < 0.08] = None
    signal = (tenure - 24.0) / 8.0 + effect + rng.normal(0.0, 0.3, n)
    targets = {
        "binary": np.where(signal > 0.0, "yes", "no").astype(object),
        "multiclass": np.select([signal < -0.6, signal < 0.6], ["bronze", "silver"], "gold"),
        "regression": (5.0 + 2.0 * signal).round(3),
    }
    return pd.DataFrame(
        {"tenure": tenure, SPEND: spend, "plan": plan, TARGETS[task]: targets[task]}
    )


def _raw_rows(preview: pd.DataFrame) -> pd.DataFrame:
    """Test rows plus empty cells, markers, other spellings and a category never seen."""
    extra = pd.DataFrame(
        {
            "tenure": [30.0, np.nan, 12.5, np.nan, 20.0],
            SPEND: [np.nan, 70.0, 45.0, np.nan, 55.0],
            "plan": [UNSEEN, None, "  pro   MAX ", "N/A", "plus"],
        }
    )
    return pd.concat([preview[["tenure", SPEND, "plan"]], extra], ignore_index=True)


# --- the preparation in the graph, for every choice (no training) -------------------------------

CHOICES = [
    {},
    {"numeric_scaling": "minmax"},
    {"numeric_scaling": "robust"},
    {"numeric_scaling": "none"},
    {"numeric_scaling": "robust_clip"},
    {"numeric_scaling": "quantile"},
    {"numeric_scaling": "quantile", "numeric_missing": "drop_rows"},
    {"categorical_encoding": "ordinal"},
    {"numeric_missing": "mean"},
    {"numeric_missing": "most_frequent"},
    {"numeric_missing": "constant", "numeric_fill_value": -7.5},
    {"numeric_missing": "drop_rows"},
    {"categorical_missing": "most_frequent"},
    {"categorical_missing": "drop_rows"},
    {"categorical_encoding": "ordinal", "categorical_missing": "most_frequent"},
    {"min_category_count": 80},  # only the most frequent plan is kept, the rest is "(other)"
]


@pytest.mark.parametrize(
    "config", CHOICES, ids=lambda c: ",".join(map(str, c.values())) or "defaults"
)
def test_the_graph_prepares_raw_columns_like_the_preprocessor(config) -> None:
    import tensorflow as tf

    frame = _table("binary")
    columns = {"tenure": "numeric", SPEND: "numeric", "plan": "categorical"}
    preprocessor = Preprocessor.fit(frame, columns, config)
    rows = _raw_rows(frame.head(30))
    expected, expected_usable = preprocessor.transform(rows)
    tensors = serving.raw_tensors(preprocessor, rows)
    prepare = serving.raw_preparation(preprocessor)
    matrix, usable = prepare({name: tf.constant(values) for name, values in tensors.items()})
    assert np.array_equal(usable.numpy(), expected_usable)
    assert matrix.shape == expected.shape
    kept = expected_usable
    assert np.max(np.abs(matrix.numpy()[kept] - expected[kept])) <= 1e-6


@pytest.mark.parametrize("scaling", ["quantile", "robust_clip"])
def test_the_graph_scales_values_beyond_the_training_range_like_the_preprocessor(
    scaling: str,
) -> None:
    import tensorflow as tf

    frame = _table("binary")
    preprocessor = Preprocessor.fit(
        frame, {"tenure": "numeric", SPEND: "numeric"}, {"numeric_scaling": scaling}
    )
    spend = frame[SPEND].astype("float64")
    far = [-1e9, spend.min() - 1.0, spend.min(), spend.median(), spend.max(), 1e12, np.nan]
    rows = pd.DataFrame({"tenure": np.linspace(-1e6, 1e6, len(far)), SPEND: far})
    expected, _ = preprocessor.transform(rows)
    prepare = serving.raw_preparation(preprocessor)
    tensors = serving.raw_tensors(preprocessor, rows)
    matrix, _ = prepare({name: tf.constant(values) for name, values in tensors.items()})
    assert np.max(np.abs(matrix.numpy() - expected)) <= 1e-6
    assert np.all(np.abs(expected[:, 0]) <= 6.0)  # bounded however far the value lies


def test_category_text_is_normalised_like_category_key() -> None:
    texts = ["  Pro   MAX ", "PLUS", "a\u00a0b", "x\tY\u3000z", "Ünïcödé", "", "   ", "N/A"]
    graph = [
        t.decode("utf-8") for t in serving.normalise_text(np.array(texts, dtype=object)).numpy()
    ]
    assert graph == [category_key(text) for text in texts]


def test_input_names_are_valid_and_unique() -> None:
    frame = pd.DataFrame(
        {"a b": [1.0, 2.0] * 6, "a|b": [3.0, 4.0] * 6, "_x": [1.0, 5.0] * 6, "€": [1.0, 2.0] * 6}
    )
    preprocessor = Preprocessor.fit(frame, dict.fromkeys(frame.columns, "numeric"), {})
    names = serving.raw_input_names(preprocessor)
    assert list(names) == ["a b", "a|b", "_x", "€"]
    assert names["a b"] == "a_b" and names["a|b"] == "a_b_2" and names["_x"] == "x"
    assert names["€"] == "column"
    assert all(re.fullmatch(r"[A-Za-z0-9.][A-Za-z0-9_.\-]*", name) for name in names.values())


def test_litert_has_no_builtin_text_operations_as_the_card_says() -> None:
    frame = _table("binary", n=60)
    columns = {"tenure": "numeric", "plan": "categorical"}
    preprocessor = Preprocessor.fit(frame, columns, {})
    inputs = keras.Input(shape=(preprocessor.n_features,))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(inputs))
    reason = tflite_raw_conversion_error(model, preprocessor, "binary", ["no", "yes"])
    assert reason is not None and "StringLower" in reason


# --- real bundles ---------------------------------------------------------------------------


def _recipe(task: str, **preprocessing: object) -> Recipe:
    recipe = Recipe.from_dict({"target": TARGETS[task]}).with_changes(
        **{"training.max_epochs": 2, "model.hidden_layers": (LayerConfig(units=4, dropout=0.0),)}
    )
    changes = {f"preprocessing.{key}": value for key, value in preprocessing.items()}
    return recipe.with_changes(**changes) if changes else recipe


def _export(task: str, folder: Path, **preprocessing: object):
    run = train_run(_table(task), _recipe(task, **preprocessing), data_name=f"{task}.csv")
    path = folder / "bundle.zip"
    report = write_bundle(run, path)
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder / "unzipped")
    return run, path, report


def _bundle_numbers(table: pd.DataFrame, task: str, labels: list[str]) -> np.ndarray:
    if task == "regression":
        return table[[PREDICTION]].to_numpy(float)
    return table[[probability_column(label) for label in labels]].to_numpy(float)


def _check_raw_signature(run, path: Path, folder: Path) -> None:
    """serving_raw on raw rows gives what the bundle's predict path gives, within 1e-5."""
    import tensorflow as tf

    task, labels = run.task.task, [str(x) for x in run.task.class_labels]
    rows = _raw_rows(run.preview_frame)
    expected_table = load_bundle(path).predict(rows)
    expected = _bundle_numbers(expected_table, task, labels)
    loaded = tf.saved_model.load(str(folder / "unzipped" / SAVED_MODEL))
    assert {DEFAULT_SIGNATURE, RAW_SIGNATURE} <= set(loaded.signatures)
    signature = loaded.signatures[RAW_SIGNATURE]
    tensors = serving.raw_tensors(run.preprocessor, rows)
    assert set(signature.structured_input_signature[1]) == set(tensors)
    result = signature(**{name: tf.constant(values) for name, values in tensors.items()})
    key = serving.OUTPUT_PREDICTION if task == "regression" else serving.OUTPUT_PROBABILITIES
    actual = result[key].numpy().astype(float).reshape(len(rows), -1)
    assert np.array_equal(np.isnan(actual), np.isnan(expected))
    kept = ~np.isnan(expected)
    assert kept.any()
    assert np.max(np.abs(actual[kept] - expected[kept])) <= TOLERANCE
    if task != "regression":
        chosen = [v.decode("utf-8") for v in result[serving.OUTPUT_PREDICTION].numpy()]
        assert chosen == [("" if pd.isna(v) else str(v)) for v in expected_table[PREDICTION]]
    # serving_default still takes the prepared matrix.
    features, usable = run.preprocessor.transform(rows)
    default = loaded.signatures[DEFAULT_SIGNATURE]
    (name,) = default.structured_input_signature[1]
    matrix_out = next(iter(default(**{name: tf.constant(features[usable])}).values())).numpy()
    assert np.max(np.abs(matrix_out - run.model.predict(features[usable], verbose=0))) <= TOLERANCE


@pytest.mark.slow
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_serving_raw_predicts_like_the_bundle(task: str, tmp_path: Path) -> None:
    run, path, report = _export(task, tmp_path)
    assert SAVED_MODEL_RAW in report.checks and report.checks[SAVED_MODEL_RAW] <= TOLERANCE
    assert SAVED_MODEL_RAW not in report.left_out
    _check_raw_signature(run, path, tmp_path)
    with zipfile.ZipFile(path) as archive:
        card = archive.read(MODEL_CARD).decode("utf-8")
        metrics = json.loads(archive.read(METRICS_JSON))
    assert metrics["formats"][SAVED_MODEL_RAW]["included"] is True
    request = json.loads(_request_in(card))
    assert request["signature_name"] == RAW_SIGNATURE
    (instance,) = request["instances"]
    assert instance == example_instance(run.preprocessor)
    assert set(instance) == set(serving.raw_input_names(run.preprocessor).values())
    assert "`spend_net`" in card and "SELECT_TF_OPS" in card
    columnar = json.loads(re.findall(r":predict\n(\{.*?\})\n```", card, flags=re.S)[1])
    assert set(columnar["inputs"]) == set(instance)
    _check_requests_predict(run, path, tmp_path, request, columnar)


PREPROCESSING_VARIANTS = [
    {"numeric_scaling": "minmax", "categorical_encoding": "ordinal"},
    {"numeric_scaling": "robust", "numeric_missing": "constant", "numeric_fill_value": -3.0},
    {
        "numeric_scaling": "none",
        "numeric_missing": "drop_rows",
        "categorical_missing": "most_frequent",
    },
    {"numeric_scaling": "quantile"},
    {"numeric_scaling": "robust_clip"},
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "preprocessing",
    PREPROCESSING_VARIANTS,
    ids=["minmax-ordinal", "robust-fill", "none-drop", "quantile", "robust_clip"],
)
def test_serving_raw_follows_every_preprocessing_choice(preprocessing, tmp_path: Path) -> None:
    run, path, report = _export("binary", tmp_path, **preprocessing)
    assert report.checks.get(SAVED_MODEL_RAW, 1.0) <= TOLERANCE, report.left_out
    spend = next(spec for spec in run.preprocessor.numeric if spec.name == SPEND)
    assert spend.scaling == preprocessing["numeric_scaling"]
    if preprocessing.get("numeric_missing") != "drop_rows":
        assert spend.missing_indicator, "the empty-cell indicator is part of what is checked"
    _check_raw_signature(run, path, tmp_path)


@pytest.mark.slow
def test_a_raw_signature_that_fails_its_check_is_left_out_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tensorflow as tf

    def wrong(run, folder, rows):
        raise FormatCheckFailed("its predictions differ from predict.py's by up to 0.5")

    monkeypatch.setattr(serving, "verify_raw_signature", wrong)
    run, path, report = _export("binary", tmp_path)
    assert "differ" in report.left_out[SAVED_MODEL_RAW]
    assert SAVED_MODEL in report.checks and SAVED_MODEL_RAW not in report.checks
    loaded = tf.saved_model.load(str(tmp_path / "unzipped" / SAVED_MODEL))
    assert RAW_SIGNATURE not in loaded.signatures and DEFAULT_SIGNATURE in loaded.signatures
    assert f"no `{RAW_SIGNATURE}` signature" in report.model_card
    # The reason is user-facing text inside markdown, escaped like all such text.
    assert escape_markdown("differ from predict.py") in report.model_card


def _check_requests_predict(run, path: Path, folder: Path, request: dict, columnar: dict) -> None:
    """The card's two requests, sent to serving_raw as TensorFlow Serving would, predict."""
    import tensorflow as tf

    signature = tf.saved_model.load(str(folder / "unzipped" / SAVED_MODEL)).signatures[
        RAW_SIGNATURE
    ]
    # TensorFlow Serving converts JSON numbers to the dtype the signature declares.
    dtypes = {name: spec.dtype for name, spec in signature.structured_input_signature[1].items()}
    (instance,) = request["instances"]
    one = signature(**{name: tf.constant([v], dtypes[name]) for name, v in instance.items()})
    two = signature(
        **{name: tf.constant(v, dtypes[name]) for name, v in columnar["inputs"].items()}
    )
    key = (
        serving.OUTPUT_PREDICTION if run.task.task == "regression" else serving.OUTPUT_PROBABILITIES
    )
    assert np.allclose(one[key].numpy()[0], two[key].numpy()[0], atol=TOLERANCE)
    empty_row = two[key].numpy()[1]
    assert np.all(np.isfinite(empty_row)), "empty cells are filled as the recipe says"


def _request_in(card: str) -> str:
    """The JSON body of the card's REST request."""
    match = re.search(r":predict\n(\{.*?\n\})\n```", card, flags=re.S)
    assert match, "the card shows a TensorFlow Serving request"
    return match.group(1)


def test_the_card_section_keeps_user_text_inside_its_code_blocks() -> None:
    from types import SimpleNamespace

    from core.bundle.serving_card import serving_section

    frame = pd.DataFrame({"x|<b>": [1.0, np.nan] * 10, "kind": ["```rm -rf", "b"] * 10})
    columns = {"x|<b>": "numeric", "kind": "categorical"}
    preprocessor = Preprocessor.fit(frame, columns, {"min_category_count": 1})
    run = SimpleNamespace(
        preprocessor=preprocessor, task=SimpleNamespace(task="binary", class_labels=["no", "yes"])
    )
    section = serving_section(run, included=True)
    fences = [line for line in section.splitlines() if re.fullmatch(r"`{3,}", line)]
    assert fences == ["````"] * 4, "a fence longer than the backticks in a category"
    assert "| x\\|\\<b\\> | `x_b` | number (float64) | `NaN` |" in section
    body = section.split("````")[1].split("\n", 2)[2]
    assert json.loads(body)["instances"] == [{"x_b": 1.0, "kind": "```rm -rf"}]
    left_out = serving_section(run, included=False, reason="it differs <b>")
    assert "no `serving_raw` signature" in left_out and "\\<b\\>" in left_out
    from core.i18n import language

    with language("zh"):  # the card's language: the section follows, user text stays as is
        chinese = serving_section(run, included=True)
        assert chinese.startswith("## 直接用原始列提供服务") and "| 列 | 输入名 |" in chinese
        assert "| x\\|\\<b\\> | `x_b` | 数值（float64） | `NaN` |" in chinese
        assert "“no”、“yes”" in chinese and "Numbers are sent" not in chinese
        assert [s for s in chinese.split("````") if "instances" in s] == [
            s for s in section.split("````") if "instances" in s
        ]


@pytest.mark.slow
def test_a_table_too_wide_for_one_input_per_column_ships_without_serving_raw(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tensorflow as tf

    monkeypatch.setattr(serving, "RAW_MAX_COLUMNS", 2)  # the test tables have more columns
    run, path, report = _export("binary", tmp_path)
    columns = len(run.preprocessor.input_columns)
    assert f"{columns:,} input columns, more than the 2" in report.left_out[SAVED_MODEL_RAW]
    assert SAVED_MODEL in report.checks and SAVED_MODEL_RAW not in report.checks
    loaded = tf.saved_model.load(str(tmp_path / "unzipped" / SAVED_MODEL))
    assert RAW_SIGNATURE not in loaded.signatures and DEFAULT_SIGNATURE in loaded.signatures
    assert f"no `{RAW_SIGNATURE}` signature" in report.model_card
