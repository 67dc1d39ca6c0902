"""Piecewise-linear number embeddings: positions, edges, the encoding, the network, training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import mixed_frame, tiny_recipe

from core.model.architecture import describe_network
from core.model.choices import NUMBER_EMBEDDINGS
from core.model.embeddings import (
    NumberEmbedding,
    number_embedding,
    number_positions,
    quantile_edges,
    range_encoding_weights,
)
from core.model.recipe import LayerConfig, ModelConfig
from core.portable.preprocess import Preprocessor

PIECEWISE = NUMBER_EMBEDDINGS["piecewise"]


def _prepared() -> tuple[Preprocessor, np.ndarray]:
    frame = mixed_frame(120)
    kinds = {"tenure": "numeric", "plan": "categorical", "spend": "numeric"}
    prep = Preprocessor.fit(frame, kinds, {})
    return prep, prep.transform(frame)[0]


def test_positions_point_at_each_number_value_not_its_empty_flag() -> None:
    prep, _ = _prepared()
    names = prep.feature_names
    positions = number_positions(prep)
    assert [names[p] for p in positions] == ["tenure", "spend"]
    assert "spend is empty" in names  # spend has empty cells: its flag is not embedded


def test_edges_are_the_training_quantiles_and_the_encoding_follows_them() -> None:
    values = np.arange(0.0, 101.0).reshape(-1, 1)
    edges = quantile_edges(values, 4)
    np.testing.assert_allclose(edges, [[0.0, 25.0, 50.0, 75.0, 100.0]])
    slope, bias = range_encoding_weights(edges)
    x = np.array([[-5.0], [10.0], [60.0], [200.0]])
    encoded = np.clip(x[:, :, None] * slope + bias, 0.0, 1.0)[:, 0, :]
    np.testing.assert_allclose(
        encoded,
        [[0, 0, 0, 0], [0.4, 0, 0, 0], [1, 1, 0.4, 0], [1, 1, 1, 1]],
        atol=1e-6,
    )


def test_a_range_of_width_zero_always_encodes_zero() -> None:
    edges = np.array([[0.0, 0.0, 0.0, 1.0]])  # a 0/1 column with mostly zeros
    slope, bias = range_encoding_weights(edges)
    assert np.all(np.isfinite(slope)) and np.all(np.isfinite(bias))
    np.testing.assert_array_equal(slope[0, :2], [0.0, 0.0])
    np.testing.assert_array_equal(bias[0, :2], [0.0, 0.0])
    assert slope[0, 2] == 1.0


def test_no_embedding_without_the_choice_or_without_numbers() -> None:
    prep, matrix = _prepared()
    assert number_embedding(prep, matrix, "none") is None
    only_plan = Preprocessor.fit(mixed_frame(60), {"plan": "categorical"}, {})
    assert number_embedding(only_plan, only_plan.transform(mixed_frame(60))[0], "piecewise") is None
    fitted = number_embedding(prep, matrix, "piecewise")
    assert isinstance(fitted, NumberEmbedding)
    assert fitted.edges.shape == (2, PIECEWISE.bins + 1) and fitted.size == PIECEWISE.size
    assert np.all(np.diff(fitted.edges, axis=1) >= 0)


@pytest.mark.parametrize("hidden", [(), (LayerConfig(units=6),)], ids=["linear", "one layer"])
def test_the_network_encodes_like_the_formula_and_counts_its_weights(hidden) -> None:
    import keras

    from core.model.network import build_model

    prep, matrix = _prepared()
    config = ModelConfig(hidden_layers=hidden, number_embedding="piecewise")
    embedding = number_embedding(prep, matrix, "piecewise")
    model = build_model(matrix.shape[1], config, "binary", 2, seed=3, embedding=embedding)
    summary = describe_network(matrix.shape[1], config, "binary", 2, n_numbers=2)
    assert summary.n_parameters == sum(int(w.numpy().size) for w in model.trainable_weights)
    # The fixed layers give exactly the encoding of the formula.
    clipped = keras.Model(model.inputs, model.get_layer("number_ranges_clipped").output)
    slope, bias = range_encoding_weights(embedding.edges)
    numbers = matrix[:, embedding.positions]
    expected = np.clip(numbers[:, :, None] * slope + bias, 0.0, 1.0)
    np.testing.assert_allclose(clipped.predict(matrix, verbose=0), expected, atol=1e-5)
    assert not model.get_layer("number_ranges").trainable


@pytest.mark.slow
def test_a_tiny_run_with_embeddings_trains_and_exports_every_format(tmp_path) -> None:
    from core.bundle.layout import MODEL_KERAS, MODEL_TFLITE, SAVED_MODEL, SAVED_MODEL_RAW
    from core.bundle.writer import write_bundle
    from core.pipeline import train_run

    run = train_run(
        mixed_frame(200, task="regression"),
        tiny_recipe("regression", epochs=3, **{"model.number_embedding": "piecewise"}),
    )
    assert run.model.get_layer("number_embedding").output.shape[1:] == (2, PIECEWISE.size)
    report = write_bundle(run, tmp_path / "bundle.zip")
    assert report.left_out == {}
    assert set(report.checks) == {MODEL_KERAS, SAVED_MODEL, SAVED_MODEL_RAW, MODEL_TFLITE}
    features = run.preprocessor.transform(pd.DataFrame(run.preview_frame))[0]
    outputs = run.model.predict(features, verbose=0)
    assert np.isfinite(outputs).all()
    # Prices in their own units (about 1,000): TFLite's float32 rounds at the 7th digit.
    assert max(report.checks.values()) <= 1e-6 * max(1.0, float(np.abs(outputs).max()))


def test_auto_learns_ranges_only_from_enough_training_rows() -> None:
    from core.model.choices import AUTO_EMBEDDING_MIN_TRAINING_ROWS as ENOUGH

    auto = NUMBER_EMBEDDINGS["auto"]
    assert auto.ranges_for(ENOUGH - 1) == 0 and auto.ranges_for(ENOUGH) == PIECEWISE.bins
    assert PIECEWISE.ranges_for(10) == PIECEWISE.bins  # an explicit choice always applies
    prep, matrix = _prepared()  # 120 rows: a small table
    assert number_embedding(prep, matrix, "auto") is None
    many = np.repeat(matrix, ENOUGH // len(matrix) + 1, axis=0)
    fitted = number_embedding(prep, many, "auto")
    assert fitted is not None and fitted.edges.shape == (2, PIECEWISE.bins + 1)
    # The Design page's diagram and weight count follow the same rule.
    config = ModelConfig(number_embedding="auto")
    small = describe_network(10, config, "binary", 2, n_numbers=2, n_training_rows=ENOUGH - 1)
    large = describe_network(10, config, "binary", 2, n_numbers=2, n_training_rows=ENOUGH)
    assert [name for name, _ in small.layers] == [
        "Inputs",
        "Hidden layer 1",
        "Hidden layer 2",
        "Output",
    ]
    assert large.layers[1] == ("Number features", 2 * PIECEWISE.size)
    assert large.n_parameters > small.n_parameters


@pytest.mark.parametrize("n_rows", [40, 397, 1001])
def test_training_rows_are_the_rows_the_split_leaves_to_learn_from(n_rows: int) -> None:
    from core.model.preparation import prepare

    recipe = tiny_recipe()
    data = prepare(mixed_frame(n_rows), recipe)
    assert recipe.split.training_rows(n_rows) == len(data.x_train)
