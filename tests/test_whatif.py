"""Explaining one prediction: the typical row, the form's fields, the pushes, and the page.

The logic is tested with stand-in models: a numpy function behind a real fitted
:class:`Preprocessor`, so every expected number is computed by hand from the same rows. One
module-scoped tiny model is trained and exported through the real pipeline for the tests that
need a real bundle (marked slow). The Predict page is driven with AppTest, with a stand-in
bundle (fast) and with the real one uploaded as a file (slow).
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import core.jobs.runner
from core.bundle.layout import BUNDLE_FORMAT, SCHEMA_JSON
from core.bundle.loading import LoadedBundle
from core.errors import PredictionInputError
from core.evaluation.whatif import (
    CategoryField,
    NumberField,
    explain_row,
    input_fields,
    limit_notes,
    method_note,
    nice_step,
    outside_training,
    typical_row,
)
from core.i18n import language
from core.model.recipe import PreprocessingConfig
from core.portable.outputs import predictions_frame
from core.portable.preprocess import Preprocessor
from core.portable.target import TargetEncoder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from test_pages import (  # noqa: E402
    FakeRunner,
    classification_result,
    finished_run,
    go,
    no_exception,
    open_app,
)

from ui.whatif import TEXT as WHATIF_TEXT  # noqa: E402
from ui.whatif import field_key  # noqa: E402

LABELS = ["No", "Yes"]
KINDS = {"age": "numeric", "spend": "numeric", "plan": "categorical"}


def training_frame() -> pd.DataFrame:
    """40 rows: whole-number ages 0..39 (median 19.5), spend with cents, 'basic' most frequent."""
    return pd.DataFrame(
        {
            "age": np.arange(40.0),
            "spend": np.linspace(10.0, 300.0, 40).round(2),
            "plan": ["basic", "pro", "basic", "plus"] * 10,
        }
    )


def fitted(config: dict | None = None) -> Preprocessor:
    settings = PreprocessingConfig().model_dump() | (config or {})
    return Preprocessor.fit(training_frame(), KINDS, settings)


def schema_of(preprocessor: Preprocessor, task: str = "binary", labels=LABELS) -> dict:
    return {
        "bundle_format": BUNDLE_FORMAT,
        "task": task,
        "target": "churn" if task != "regression" else "price",
        "class_labels": list(labels),
        "preprocessor": preprocessor.to_dict(),
    }


def score(frame: pd.DataFrame) -> np.ndarray:
    """A made-up model on raw columns: older, bigger spenders and 'pro' plans score higher."""
    age = pd.to_numeric(frame["age"]).to_numpy(float)
    spend = pd.to_numeric(frame["spend"]).to_numpy(float)
    pro = (frame["plan"].astype(str) == "pro").to_numpy(float)
    return 0.08 * (age - 20) + 0.01 * (spend - 150) + 1.5 * pro


class StandIn:
    """Turns raw rows into the predictions table of the real code path; counts the calls."""

    def __init__(self, task: str = "binary", labels=LABELS) -> None:
        self.task, self.labels, self.calls = task, list(labels), []

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        self.calls.append(len(frame))
        z = score(frame)
        if self.task == "binary":
            outputs = 1 / (1 + np.exp(-z))
        elif self.task == "multiclass":  # class 2 grows with z, class 0 shrinks
            logits = np.column_stack([-z, np.zeros_like(z), z])
            outputs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        else:
            outputs = 1000 + 100 * z
        return predictions_frame(frame, np.asarray(outputs), self.task, self.labels)


# --- the typical row and the form's fields ---------------------------------------------------


def test_typical_row_is_the_training_median_and_most_frequent_category() -> None:
    row = typical_row(schema_of(fitted()))
    assert row == {"age": 20, "spend": pytest.approx(155.0, abs=0.01), "plan": "basic"}
    assert isinstance(row["age"], int), "whole-number columns start at a whole number"
    # The median, not the fill value: a recipe filling empty cells with the mean changes nothing.
    assert typical_row(schema_of(fitted({"numeric_missing": "mean"}))) == row


def test_fields_follow_the_schema_with_sensible_steps_and_formats() -> None:
    age, spend, plan = input_fields(schema_of(fitted()))
    assert isinstance(age, NumberField) and isinstance(spend, NumberField)
    assert (age.step, age.format, age.minimum, age.maximum) == (1, "%d", 0.0, 39.0)
    assert (spend.step, spend.format, spend.decimals) == (1.0, "%.2f", 2)
    assert isinstance(plan, CategoryField)
    assert plan.options == ("basic", "plus", "pro") and plan.typical == "basic"
    assert age.outside_training(40) and age.outside_training(-1) and not age.outside_training(39)
    assert outside_training([age, spend, plan], {"age": 50, "spend": 20.0, "plan": "pro"}) == [age]


@pytest.mark.parametrize(
    ("spread", "decimals", "step"),
    [(72.0, 0, 1.0), (2_000_000.0, 0, 10_000.0), (0.8, 3, 0.01), (0.0, 2, 0.01), (None, None, 1.0)],
)
def test_steps_are_round_and_never_finer_than_the_data(spread, decimals, step) -> None:
    assert nice_step(spread, decimals) == pytest.approx(step)


def test_a_schema_written_before_medians_were_stored_still_gives_a_form() -> None:
    preprocessor = fitted({"numeric_missing": "mean"})
    state = preprocessor.to_dict()
    for column in state["numeric"]:  # what older bundles hold: no median, range or decimals
        for key in ("median", "minimum", "maximum", "decimals"):
            del column[key]
    schema = schema_of(preprocessor) | {"preprocessor": state}
    age, spend, plan = input_fields(schema)
    assert (age.typical, age.source) == (19.5, "mean"), "the training mean, said as such"
    assert age.minimum is None and not age.outside_training(10**9)
    assert plan.typical == "basic"
    explanation = explain_row(StandIn(), {"age": 30}, schema)
    assert explanation.contributions[0].column == "age"


def test_a_schema_without_preprocessing_is_refused_in_plain_words() -> None:
    with pytest.raises(PredictionInputError, match="Export the model again"):
        typical_row({"task": "binary", "target": "churn", "class_labels": LABELS})


# --- the explanation ----------------------------------------------------------------------------


def _probability(frame_row: dict) -> float:
    return float(1 / (1 + np.exp(-score(pd.DataFrame([frame_row]))[0])))


def test_each_push_is_the_change_when_the_column_goes_back_to_typical() -> None:
    schema = schema_of(fitted())
    typical = typical_row(schema)
    row = {"age": 35, "spend": 100.0, "plan": "pro"}
    model = StandIn()
    explanation = explain_row(model, row, schema)
    assert model.calls == [len(typical) + 2], (
        "one model call: the row, the typical row, 1 per column"
    )
    assert explanation.measured_class == "Yes" and explanation.prediction == "Yes"
    assert explanation.answer == pytest.approx(_probability(row))
    assert explanation.typical_answer == pytest.approx(_probability(typical))
    assert explanation.probabilities["Yes"] == pytest.approx(explanation.answer)
    assert sum(explanation.probabilities.values()) == pytest.approx(1.0)
    pushes = {c.column: c.change for c in explanation.contributions}
    for column in row:
        expected = _probability(row) - _probability({**row, column: typical[column]})
        assert pushes[column] == pytest.approx(expected)
    assert pushes["plan"] > 0 and pushes["age"] > 0 and pushes["spend"] < 0
    sizes = [abs(c.change) for c in explanation.contributions]
    assert sizes == sorted(sizes, reverse=True), "largest push first"
    assert (
        explanation.to_dict()["contributions"][0]["column"] == explanation.contributions[0].column
    )


def test_a_column_at_its_typical_value_pushes_nothing_and_missing_columns_are_typical() -> None:
    schema = schema_of(fitted())
    explanation = explain_row(StandIn(), {"age": 30, "notes": "ignored"}, schema)
    by_column = {c.column: c for c in explanation.contributions}
    assert by_column["spend"].at_typical and by_column["spend"].change == 0.0
    assert by_column["plan"].at_typical and by_column["plan"].change == 0.0
    assert not by_column["age"].at_typical and by_column["age"].change > 0
    same = explain_row(StandIn(), typical_row(schema), schema)
    assert all(c.at_typical and c.change == 0.0 for c in same.contributions)
    assert same.answer == same.typical_answer


def test_several_classes_measure_the_predicted_class() -> None:
    labels = ["low", "mid", "high"]
    schema = schema_of(fitted(), "multiclass", labels)
    explanation = explain_row(StandIn("multiclass", labels), {"age": 39, "plan": "pro"}, schema)
    assert explanation.prediction == "high" and explanation.measured_class == "high"
    assert explanation.answer == pytest.approx(explanation.probabilities["high"])
    assert max(explanation.probabilities, key=explanation.probabilities.get) == "high"
    low = explain_row(StandIn("multiclass", labels), {"age": 0, "plan": "basic"}, schema)
    assert low.measured_class == "low"


def test_numbers_are_explained_in_the_targets_units() -> None:
    schema = schema_of(fitted(), "regression", [])
    row = {"age": 30, "spend": 250.0, "plan": "basic"}
    explanation = explain_row(StandIn("regression", []), row, schema)
    assert explanation.measured_class is None and explanation.probabilities == {}
    pushes = {c.column: c.change for c in explanation.contributions}
    assert pushes["age"] == pytest.approx(100 * 0.08 * (30 - 20))
    assert pushes["spend"] == pytest.approx(100 * 0.01 * (250 - 155), abs=0.01)
    assert explanation.answer == pytest.approx(explanation.prediction)


def test_a_row_the_model_cannot_answer_says_what_to_do() -> None:
    bundle = stand_in_bundle({"numeric_missing": "drop_rows"})  # empty cell: no prediction
    with pytest.raises(PredictionInputError, match="Fill in every field"):
        explain_row(bundle, {"age": None}, bundle.schema)


def test_the_method_and_its_limits_are_said_in_plain_words() -> None:
    assert "typical value" in method_note() and "median" in method_note()
    text = " ".join(limit_notes())
    for words in ("One column at a time", "act together", "not what causes"):
        assert words in text
    with language("zh"):  # read when drawn, in the reader's language
        assert "中位数" in method_note() and "典型值" in method_note()
        assert len(limit_notes()) == 3 and "一次只看一列" in limit_notes()[0]


# --- the Predict page, with a stand-in bundle -------------------------------------------------


class Network:
    """A numpy 'network' on the preprocessed features: the stand-in bundle's model."""

    def __init__(self, preprocessor: Preprocessor, task: str = "binary") -> None:
        self.names, self.task = preprocessor.feature_names, task

    def __call__(self, features: np.ndarray) -> np.ndarray:
        column = {name: features[:, i] for i, name in enumerate(self.names)}
        z = column["age"] + 0.5 * column["spend"] + 1.5 * column["plan = pro"] - 1.0
        if self.task == "regression":
            return (1000 + 100 * z)[:, None]
        if self.task == "multiclass":
            logits = np.column_stack([-z, np.zeros_like(z), z])
            return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        return (1 / (1 + np.exp(-z)))[:, None]


CLASSES = {"binary": LABELS, "multiclass": ["low", "mid", "high"], "regression": []}


def stand_in_bundle(config: dict | None = None, task: str = "binary") -> LoadedBundle:
    preprocessor = fitted(config)
    return LoadedBundle(
        model=Network(preprocessor, task),
        preprocessor=preprocessor,
        target_encoder=TargetEncoder(task=task, class_labels=CLASSES[task]),
        schema=schema_of(preprocessor, task, CLASSES[task]),
    )


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> FakeRunner:
    fake = FakeRunner()
    monkeypatch.setattr(core.jobs.runner, "get_runner", lambda: fake)
    return fake


def open_what_if(app):
    app.session_state["predict_tab"] = WHATIF_TEXT["tab"]
    return app.run()


def metrics(app) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def test_predict_page_what_if_follows_each_edit(runner, tmp_path, monkeypatch) -> None:
    loads = []
    monkeypatch.setattr(
        "core.bundle.writer.load_bundle", lambda source: loads.append(source) or stand_in_bundle()
    )
    app = go(open_app({"job": finished_run(runner, classification_result(), tmp_path)}), "predict")
    assert not loads, "the model loads only when the what-if tab opens"
    app = open_what_if(app)
    no_exception(app)
    assert app.number_input(key=field_key("age")).value == 20
    assert app.number_input(key=field_key("spend")).value == pytest.approx(155.0, abs=0.01)
    assert app.selectbox(key=field_key("plan")).value == "basic"
    first = metrics(app)
    assert first["Prediction"] == "No" and float(first["Probability of “Yes”"].rstrip("%")) < 50
    assert app.info and not app.get("plotly_chart"), "all typical: nothing pushes yet"

    app.number_input(key=field_key("age")).set_value(35).run()
    no_exception(app)
    second = metrics(app)
    assert second["Prediction"] == "Yes"
    assert float(second["Probability of “Yes”"].rstrip("%")) > 50
    (chart,) = app.get("plotly_chart")
    bars = json.loads(chart.proto.spec)["data"][0]
    assert bars["y"][-1] == "age = 35" and bars["x"][-1] > 0, "the only push, drawn on top"
    assert not app.warning

    app.selectbox(key=field_key("plan")).set_value("pro").run()
    app.number_input(key=field_key("age")).set_value(80).run()
    no_exception(app)
    bars = json.loads(app.get("plotly_chart")[0].proto.spec)["data"][0]
    assert set(bars["y"]) == {"age = 80", "plan = pro"}, "a column at its typical value: no bar"
    assert any("At their typical value" in c.value and "spend" in c.value for c in app.caption)
    assert "age" in app.warning[0].value, "a value beyond the training range is pointed out"
    assert len(loads) == 1, "the bundle is loaded once per session"

    app.session_state["predict_tab"] = "Predict a file"
    app.run()
    assert app.file_uploader(key="predict_upload") and not app.metric
    app = open_what_if(app)
    assert app.number_input(key=field_key("age")).value == 80, "edits survive a look elsewhere"
    assert app.selectbox(key=field_key("plan")).value == "pro"

    app.button(key="whatif_reset").click().run()
    assert app.number_input(key=field_key("age")).value == 20
    assert metrics(app)["Prediction"] == "No"


# --- a real tiny model, exported and loaded ---------------------------------------------------


@pytest.fixture(scope="module")
def real_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from helpers import mixed_frame, tiny_recipe

    from core.bundle.writer import write_bundle
    from core.pipeline import train_run

    path = tmp_path_factory.mktemp("whatif") / "bundle.zip"
    write_bundle(train_run(mixed_frame(), tiny_recipe("binary")), path)
    return path


@pytest.mark.slow
def test_a_real_bundle_stores_typical_values_and_explains_in_one_call(real_bundle) -> None:
    from core.bundle.loading import load_bundle

    with zipfile.ZipFile(real_bundle) as archive:
        schema = json.loads(archive.read(SCHEMA_JSON))
    stored = {entry["name"]: entry for entry in schema["input_columns"]}
    typical = typical_row(schema)
    assert {name: stored[name]["typical"] for name in typical} == typical
    low, high = stored["tenure"]["range"]
    assert low < typical["tenure"] < high
    assert typical["plan"] == "basic", "the most frequent plan in the training rows"

    bundle = load_bundle(real_bundle)
    calls = []
    for method in ("predict", "predict_on_batch"):  # whichever the prediction path uses
        original = getattr(bundle.model, method)
        counted = lambda x, *a, _f=original, **kw: calls.append(len(x)) or _f(x, *a, **kw)  # noqa: E731
        setattr(bundle.model, method, counted)
    row = {**typical, "tenure": high, "plan": "pro"}
    explanation = explain_row(bundle, row, bundle.schema)
    assert calls == [len(typical) + 2]
    alone = bundle.predict(pd.DataFrame([row, {**row, "tenure": typical["tenure"]}]))
    yes = f"probability_{bundle.class_labels[1]}"
    expected = alone[yes].iloc[0] - alone[yes].iloc[1]
    pushes = {c.column: c.change for c in explanation.contributions}
    assert pushes["tenure"] == pytest.approx(expected, abs=1e-6)
    assert explanation.answer == pytest.approx(alone[yes].iloc[0], abs=1e-6)


@pytest.mark.slow
def test_predict_page_what_if_with_an_uploaded_real_bundle(real_bundle) -> None:
    app = go(open_app(), "predict")
    app.file_uploader(key="bundle_upload").upload(
        "bundle.zip", real_bundle.read_bytes(), "application/zip"
    ).run(timeout=300)
    app = open_what_if(app)
    app.run(timeout=300)
    no_exception(app)
    before = metrics(app)["Probability of “yes”"]
    tenure = app.number_input(key=field_key("tenure"))
    tenure.set_value(tenure.value + 30).run(timeout=300)
    no_exception(app)
    assert metrics(app)["Probability of “yes”"] != before
    assert app.get("plotly_chart")


@pytest.mark.parametrize(
    ("task", "label", "axis"),
    [
        ("multiclass", "Prediction", "Change in the probability of “high”"),
        ("regression", "Predicted price", "Change in the predicted price"),
    ],
)
def test_predict_page_what_if_for_several_classes_and_numbers(
    runner, tmp_path, monkeypatch, task, label, axis
) -> None:
    monkeypatch.setattr("core.bundle.writer.load_bundle", lambda source: stand_in_bundle(task=task))
    app = go(open_app({"job": finished_run(runner, classification_result(), tmp_path)}), "predict")
    app = open_what_if(app)
    before = metrics(app)[label]
    app.number_input(key=field_key("age")).set_value(39).run()
    no_exception(app)
    assert metrics(app)[label] != before
    spec = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["xaxis"]["title"]["text"].startswith(axis)
    assert spec["data"][0]["x"][-1] > 0, "an older age pushes the answer up"
    assert bool(app.dataframe) == (task == "multiclass"), "probabilities only for classes"
