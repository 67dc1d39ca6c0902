"""Piecewise-linear embeddings of the number columns, inside the network.

Gorishniy, Rubachev, Babenko ("On Embeddings for Numerical Features in Tabular Deep
Learning", NeurIPS 2022): a plain MLP bends slowly, so an effect that switches on above a
threshold (a tariff tier, an age limit) costs it many neurons; splitting each number into
ranges at the training quantiles and learning a small vector from them lets it learn such a
step directly. Each number column's value ``x`` becomes, for its ``bins`` ranges
``[e_t, e_t+1)``, the encoding ``clip((x - e_t) / (e_t+1 - e_t), 0, 1)`` (0 below the range,
1 above it, the position inside it), and a linear map with ReLU of its own turns those into
``size`` features; they reach the first hidden layer beside the original inputs.

The encoding lives in the model, not in the preparation: a prepared matrix 16 times as wide
would break the memory budget on large files, while in the network it costs one batch at a
time. It is built only from Keras' own layers (a fixed selection ``Dense``, a fixed
``EinsumDense`` holding the edges, ``ReLU(max_value=1)``, a trained ``EinsumDense``), so
``model.keras`` still loads with ``safe_mode=True`` without Trainboard, and the SavedModel,
its ``serving_raw`` signature and TFLite carry it unchanged. The generated ``train.py``
builds the same layers from the same edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core.model.choices import NUMBER_EMBEDDINGS
from core.portable.preprocess import NumericColumn, Preprocessor


@dataclass(frozen=True)
class NumberEmbedding:
    """What the network needs to embed the number columns: where they are, and their ranges."""

    positions: list[int]  # the prepared matrix's column of each number column's value
    edges: np.ndarray  # (numbers, bins + 1): the training quantiles of each, ascending
    size: int  # features learned per number column

    @property
    def bins(self) -> int:
        return int(self.edges.shape[1] - 1)


def number_positions(preprocessor: Preprocessor) -> list[int]:
    """The feature index of each number column's (scaled) value, in feature order."""
    positions, position = [], 0
    for name in preprocessor.input_columns:
        spec = next(s for s in [*preprocessor.numeric, *preprocessor.categorical] if s.name == name)
        if isinstance(spec, NumericColumn):
            positions.append(position)
        position += spec.width
    return positions


def quantile_edges(values: np.ndarray, bins: int) -> np.ndarray:
    """The ``bins + 1`` training quantiles of each column of ``values`` (rows, columns)."""
    shares = np.linspace(0.0, 1.0, bins + 1)
    return np.quantile(values.astype("float64"), shares, axis=0).T


def number_embedding(
    preprocessor: Preprocessor, x_train: np.ndarray, choice: str
) -> NumberEmbedding | None:
    """The embedding the recipe's ``model.number_embedding`` asks for, fitted on training rows.

    None when the choice is ``"none"``, when there is no number column, or when ``"auto"``
    has fewer training rows than it needs (:meth:`NumberEmbeddingChoice.ranges_for`).
    """
    entry = NUMBER_EMBEDDINGS[choice]
    positions = number_positions(preprocessor)
    if entry.ranges_for(len(x_train)) == 0 or not positions:
        return None
    edges = quantile_edges(x_train[:, positions], entry.bins)
    return NumberEmbedding(positions=positions, edges=edges, size=entry.size)


def range_encoding_weights(edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kernel and bias of the fixed layer: ``slope * x + bias = (x - left) / width`` per range.

    A range of width 0 (a value repeated across quantiles) gets slope and bias 0, so its
    encoding is always 0: its neighbours already say on which side of that value ``x`` is.
    """
    left, width = edges[:, :-1], np.diff(edges, axis=1)
    safe = np.where(width > 0, width, 1.0)
    slope = np.where(width > 0, 1.0 / safe, 0.0)
    return slope.astype("float32"), (-left * slope).astype("float32")


def embed_numbers(inputs: Any, embedding: NumberEmbedding, seed: int) -> Any:
    """The inputs followed by the learned features of every number column (symbolic)."""
    import keras  # only here: the code generator reads this module without TensorFlow

    n_inputs = int(inputs.shape[-1])
    count, bins = len(embedding.positions), embedding.bins
    select = keras.layers.Dense(count, use_bias=False, trainable=False, name="numbers")
    chosen = select(inputs)
    selection = np.zeros((n_inputs, count), dtype="float32")
    selection[embedding.positions, np.arange(count)] = 1.0
    select.set_weights([selection])
    ranges = keras.layers.EinsumDense(
        "bn,nt->bnt",
        output_shape=(count, bins),
        bias_axes="nt",
        trainable=False,
        name="number_ranges",
    )
    position = ranges(chosen)
    ranges.set_weights(list(range_encoding_weights(embedding.edges)))
    encoded = keras.layers.ReLU(max_value=1.0, name="number_ranges_clipped")(position)
    bound = 1.0 / np.sqrt(bins)  # a linear layer's usual start, one per number column
    learned = keras.layers.EinsumDense(
        "bnt,ntd->bnd",
        output_shape=(count, embedding.size),
        bias_axes="nd",
        kernel_initializer=keras.initializers.RandomUniform(-bound, bound, seed=seed + 200),
        name="number_embedding",
    )(encoded)
    learned = keras.layers.Activation("relu", name="number_embedding_relu")(learned)
    flat = keras.layers.Flatten(name="number_features")(learned)
    return keras.layers.Concatenate(name="inputs_and_number_features")([inputs, flat])
