"""The shape of the network, described without importing TensorFlow.

Pages draw the network diagram and count its parameters from here, so they stay
fast; :mod:`core.model.network` builds the real Keras model from the same task
specification (:mod:`core.model.tasks`), and a test checks that both agree on the
parameter count.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.model.choices import NUMBER_EMBEDDINGS
from core.model.recipe import ModelConfig, Recipe
from core.model.tasks import task_spec
from core.portable.choices import CATEGORICAL_MISSING, ENCODINGS, NUMERIC_MISSING

# The name of the box of learned range features (``model.number_embedding``), read by the diagram.
NUMBER_FEATURES = "Number features"


@dataclass(frozen=True)
class NetworkSummary:
    """Layers as (name, units) from inputs to output, and the number of trainable weights."""

    layers: list[tuple[str, int]]
    n_parameters: int


def describe_network(
    n_inputs: int,
    model: ModelConfig,
    task: str,
    n_classes: int,
    n_numbers: int = 0,
    n_training_rows: int | None = None,
) -> NetworkSummary:
    """Describe the network :func:`core.model.network.build_model` builds for these settings.

    ``n_numbers``: how many inputs are number columns (their learned range features, when
    ``model.number_embedding`` asks for them, add inputs to the first hidden layer);
    ``n_training_rows``: the rows it learns from (``"auto"`` adds the ranges only from
    enough rows on; unknown: as if there were enough).
    """
    layers = [("Inputs", n_inputs)]
    parameters = 0
    width = n_inputs
    embedding = NUMBER_EMBEDDINGS[model.number_embedding]
    rows = embedding.min_training_rows if n_training_rows is None else n_training_rows
    if embedding.ranges_for(rows) and n_numbers:
        features = n_numbers * embedding.size
        parameters += n_numbers * (embedding.bins * embedding.size + embedding.size)
        layers.append((NUMBER_FEATURES, features))
        width += features
    for index, layer in enumerate(model.hidden_layers, start=1):
        parameters += width * layer.units + layer.units
        if model.batch_norm:
            parameters += (
                2 * layer.units
            )  # trainable scale and shift (moving stats are not trained)
        layers.append((f"Hidden layer {index}", layer.units))
        width = layer.units
    units = task_spec(task).output_units(n_classes)
    if model.linear_shortcut and model.hidden_layers:
        width += n_inputs  # the inputs also reach the output layer directly
    parameters += width * units + units
    layers.append(("Output", units))
    return NetworkSummary(layers=layers, n_parameters=parameters)


def estimate_input_width(profile, recipe: Recipe) -> int:  # noqa: ANN001 - DataProfile (no cycle)
    """How many numbers the preprocessing will feed the network, estimated from the profile.

    Exact for number columns; for category columns the count of categories kept
    is estimated from the distinct values (the real count is fixed on the
    training rows only).
    """
    dropped = set(recipe.drop_columns) | {recipe.target}
    prep = recipe.preprocessing
    width = 0
    for column in profile.columns:
        if column.name in dropped:
            continue
        if column.kind == "numeric":
            fills = NUMERIC_MISSING[prep.numeric_missing].fill is not None
            width += 1 + (1 if column.missing_share > 0 and fills else 0)
        elif column.kind in ("categorical", "boolean"):
            if not ENCODINGS[prep.categorical_encoding].one_input_per_category:
                width += 1
            else:
                kept = min(column.n_distinct, prep.max_categories)
                own = CATEGORICAL_MISSING[prep.categorical_missing].own_category
                missing_slot = column.missing_share > 0 and own
                width += kept + 1 + (1 if missing_slot else 0)  # +1: the "other" slot
    return width
