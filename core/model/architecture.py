"""The shape of the network, described without importing TensorFlow.

Pages draw the network diagram and count its parameters from here, so they stay
fast; :mod:`core.model.network` builds the real Keras model from the same rules
(``output_units``), and a test checks that both agree on the parameter count.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.model.recipe import ModelConfig, Recipe

TASK_OUTPUT_ACTIVATION = {"binary": "sigmoid", "multiclass": "softmax", "regression": "linear"}
# The metric shown live during training (Keras' key, plain-language name), and the loss the
# network minimises in words a product manager can read (``TASK_LOSS`` in
# core.model.network is Keras' name for the same loss). Here, free of TensorFlow, so
# pages can name them.
TASK_METRIC = {
    "binary": ("accuracy", "accuracy"),
    "multiclass": ("accuracy", "accuracy"),
    "regression": ("mae", "typical error (mean absolute error)"),
}
TASK_LOSS_NAME = {
    "binary": "cross-entropy",
    "multiclass": "cross-entropy",
    "regression": "mean squared error",
}


def loss_name_for_metric(metric_name: str) -> str | None:
    """The plain loss name of the tasks whose live metric is ``metric_name`` (None if unsure).

    A history records its metric's name, not its task; the two tables above decide it.
    """
    names = {TASK_LOSS_NAME[task] for task, (_, name) in TASK_METRIC.items() if name == metric_name}
    return names.pop() if len(names) == 1 else None


def output_units(task: str, n_classes: int) -> int:
    """Units of the output layer: one probability for yes/no, one per class, one number."""
    if task == "multiclass":
        return n_classes
    return 1


@dataclass(frozen=True)
class NetworkSummary:
    """Layers as (name, units) from inputs to output, and the number of trainable weights."""

    layers: list[tuple[str, int]]
    n_parameters: int


def describe_network(
    n_inputs: int, model: ModelConfig, task: str, n_classes: int
) -> NetworkSummary:
    """Describe the network :func:`core.model.network.build_model` builds for these settings."""
    layers = [("Inputs", n_inputs)]
    parameters = 0
    width = n_inputs
    for index, layer in enumerate(model.hidden_layers, start=1):
        parameters += width * layer.units + layer.units
        if model.batch_norm:
            parameters += (
                2 * layer.units
            )  # trainable scale and shift (moving stats are not trained)
        layers.append((f"Hidden layer {index}", layer.units))
        width = layer.units
    units = output_units(task, n_classes)
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
            width += 1 + (
                1 if column.missing_share > 0 and prep.numeric_missing != "drop_rows" else 0
            )
        elif column.kind in ("categorical", "boolean"):
            if prep.categorical_encoding == "ordinal":
                width += 1
            else:
                kept = min(column.n_distinct, prep.max_categories)
                missing_slot = (
                    column.missing_share > 0 and prep.categorical_missing == "missing_category"
                )
                width += kept + 1 + (1 if missing_slot else 0)  # +1: the "other" slot
    return width
