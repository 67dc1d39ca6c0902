"""The recipe: one typed, validated, immutable description of a training run.

The recipe is what the UI edits, what a run stores, what the export ships and
what the CLI reads. Every field is declared once, with its plain-language
label, help text, allowed choices or range and default (read back by
:func:`core.model.fields.field_specs`),
so the wording for non-engineers sits next to the value.

Settings that would contradict the task (output layer, loss, metrics) are not
in the recipe at all: they follow from the target column (see
:mod:`core.model.network`).
"""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import RecipeError
from core.model.choices import (
    ACTIVATIONS,
    CLASS_WEIGHTS,
    NUMBER_EMBEDDINGS,
    OPTIMIZERS,
    helps_of,
    labels_of,
    literal_of,
)
from core.model.validation import explain_validation_error
from core.portable.choices import (
    CATEGORICAL_MISSING,
    ENCODINGS,
    NUMERIC_MISSING,
    PREPROCESSING_DEFAULTS,
    SCALINGS,
)

# Automatic batch size: small data gets small batches (more updates per epoch),
# large data gets large ones (an epoch over 1M rows stays fast). Roughly 1 batch
# per 200 training rows, rounded to a power of two, within these bounds.
AUTO_BATCH_MIN = 32
AUTO_BATCH_MAX = 2048
AUTO_BATCH_ROWS_PER_STEP = 200


def _meta(label: str, group: str = "basic") -> dict:
    return {"label": label, "group": group}


def _choice(table: dict, default: str, description: str, label: str, group: str) -> Any:
    """A setting whose value is one entry of a choice table (each with its label and help)."""
    return Field(
        default,
        description=description,
        json_schema_extra={
            **_meta(label, group),
            "choices": labels_of(table),
            "choice_help": helps_of(table),
        },
    )


class _Section(BaseModel):
    """Base of every recipe section: immutable, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class PreprocessingConfig(_Section):
    """How raw columns become numbers the network can learn from."""

    numeric_missing: literal_of(NUMERIC_MISSING) = _choice(
        NUMERIC_MISSING,
        PREPROCESSING_DEFAULTS["numeric_missing"],
        "What to do with empty cells in number columns.",
        "Empty cells in number columns",
        "basic",
    )
    numeric_fill_value: float = Field(
        0.0,
        # The choice named as the form shows it, read from its table entry.
        description="The number used for empty cells when you choose "
        f'"{NUMERIC_MISSING["constant"].label}".',
        json_schema_extra=_meta("Fixed number for empty cells", "advanced"),
    )
    categorical_missing: literal_of(CATEGORICAL_MISSING) = _choice(
        CATEGORICAL_MISSING,
        PREPROCESSING_DEFAULTS["categorical_missing"],
        "What to do with empty cells in text/category columns.",
        "Empty cells in category columns",
        "basic",
    )
    numeric_scaling: literal_of(SCALINGS) = _choice(
        SCALINGS,
        PREPROCESSING_DEFAULTS["numeric_scaling"],
        "Networks learn best when every number column has a similar range.",
        "Scaling of number columns",
        "basic",
    )
    categorical_encoding: literal_of(ENCODINGS) = _choice(
        ENCODINGS,
        PREPROCESSING_DEFAULTS["categorical_encoding"],
        "How categories become numbers.",
        "How categories become numbers",
        "basic",
    )
    max_categories: int = Field(
        50,
        ge=2,
        le=1000,
        description="At most this many categories per column get their own input; the rarest "
        'ones are grouped into "other".',
        json_schema_extra=_meta("Most categories kept per column", "advanced"),
    )
    min_category_count: int = Field(
        5,
        ge=1,
        le=10000,
        description='Categories seen in fewer training rows than this are grouped into "other": '
        "the model cannot learn much from a handful of examples.",
        json_schema_extra=_meta("Rows needed to keep a category", "advanced"),
    )


class SplitConfig(_Section):
    """How rows are divided into training, validation and test sets."""

    validation_fraction: float = Field(
        0.15,
        ge=0.05,
        le=0.4,
        description="Share of rows set aside to watch progress during training and decide when to "
        "stop. The model never learns from them.",
        json_schema_extra=_meta("Rows for checking progress (validation)", "advanced"),
    )
    test_fraction: float = Field(
        0.15,
        ge=0.05,
        le=0.4,
        description="Share of rows kept hidden until the end, to measure honestly how good the "
        "model is on data it has never seen.",
        json_schema_extra=_meta("Rows for the final test", "advanced"),
    )
    stratify: bool = Field(
        True,
        description="For categories to predict: keep the same mix of outcomes in every set. "
        "Ignored when predicting a number.",
        json_schema_extra=_meta("Keep the outcome mix the same in every set", "advanced"),
    )

    def training_rows(self, n_rows: int) -> int:
        """How many of ``n_rows`` usable rows the network learns from.

        The validation and test rows are held out together first, as scikit-learn's
        ``train_test_split`` (in :func:`core.model.preparation.prepare`) rounds them: up.
        """
        return n_rows - math.ceil(n_rows * (self.validation_fraction + self.test_fraction))

    @model_validator(mode="after")
    def _fractions_leave_training_rows(self) -> SplitConfig:
        if self.validation_fraction + self.test_fraction > 0.6:
            raise ValueError(
                "validation and test together take more than 60% of the rows, leaving too few to "
                "learn from: lower one of them"
            )
        return self


class LayerConfig(_Section):
    """One hidden layer of the network."""

    units: int = Field(
        64,
        ge=1,
        le=4096,
        description="How many neurons this layer has. More can learn more complex patterns but "
        "also memorise noise.",
        json_schema_extra=_meta("Neurons", "basic"),
    )
    activation: literal_of(ACTIVATIONS) = _choice(
        ACTIVATIONS, "relu", "The bend each neuron applies.", "Activation", "advanced"
    )
    dropout: float = Field(
        0.3,
        ge=0.0,
        le=0.9,
        description="Share of neurons switched off at random while learning, so the network cannot "
        "rely on any single one. Helps against memorising the training rows.",
        json_schema_extra=_meta("Dropout", "advanced"),
    )


# The default network: two hidden layers (128, 64) with dropout 0.3, plus a direct path from the
# inputs to the answer (wide & deep). Measured with bench/quality.py over 5 seeds: the direct path
# and the stronger dropout close most of the gap to a plain linear model on small, noisy data
# (sklearn diabetes R2 0.468 -> 0.491, wine accuracy 0.963 -> 0.978) and change nothing
# measurable on telco churn, penguins or diamonds.
def _default_layers() -> tuple[LayerConfig, ...]:
    return (LayerConfig(units=128), LayerConfig(units=64))


class ModelConfig(_Section):
    """The shape of the network. Its output layer follows from the task."""

    hidden_layers: tuple[LayerConfig, ...] = Field(
        default_factory=_default_layers,
        max_length=10,
        description="The layers between the inputs and the answer. Two layers suit most business "
        "data; no hidden layer at all gives a plain linear model.",
        json_schema_extra=_meta("Hidden layers", "basic"),
    )
    linear_shortcut: bool = Field(
        True,
        description="Also feed the inputs straight to the answer, beside the hidden layers, so "
        'simple straight-line effects are easy to learn (a "wide and deep" network). Helps most '
        "on small or mostly simple data.",
        json_schema_extra=_meta("Direct path from inputs to the answer", "advanced"),
    )
    number_embedding: literal_of(NUMBER_EMBEDDINGS) = _choice(
        NUMBER_EMBEDDINGS,
        # Chosen on data (docs/benchmarks/levers_sweep.md): the learned ranges from 700 training
        # rows on (+2.2% R² where trees led, computers), the numbers as they are below that.
        "auto",
        "How number columns enter the network: as they are, or also as learned features of "
        "the range each value falls in (piecewise-linear encoding, Gorishniy et al. 2022).",
        "How numbers enter the network",
        "advanced",
    )
    batch_norm: bool = Field(
        False,
        description="Re-centre each layer's values during training. Can speed up learning in deep "
        "networks.",
        json_schema_extra=_meta("Batch normalisation", "advanced"),
    )
    l1: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Penalty that pushes unimportant weights to exactly zero. Usually 0 or very "
        "small (0.0001).",
        json_schema_extra=_meta("L1 weight penalty", "advanced"),
    )
    l2: float = Field(
        1e-5,
        ge=0.0,
        le=1.0,
        description="Penalty that keeps weights small, against memorising the training rows. "
        "Usually very small (0.00001 to 0.001).",
        json_schema_extra=_meta("L2 weight penalty", "advanced"),
    )


class TrainingConfig(_Section):
    """How the network learns."""

    optimizer: literal_of(OPTIMIZERS) = _choice(
        OPTIMIZERS,
        "adam",
        "The method that adjusts the weights after each batch of rows.",
        "Learning method (optimizer)",
        "basic",
    )
    learning_rate: float | None = Field(
        None,
        gt=0.0,
        le=10.0,
        description="How big each adjustment is. Leave empty for the learning method's own "
        "default. Too high and training blows up; too low and it crawls.",
        json_schema_extra=_meta("Learning rate (empty = automatic)", "basic"),
    )
    momentum: float = Field(
        0.9,
        ge=0.0,
        lt=1.0,
        description="For small-batch gradient descent (SGD) only: how much of the previous step "
        "carries into the next.",
        json_schema_extra=_meta("Momentum (SGD only)", "advanced"),
    )
    batch_size: int | None = Field(
        None,
        ge=1,
        le=65536,
        description="How many rows the network looks at before each adjustment. Leave empty to "
        "choose automatically from the size of your data. Plain gradient descent always looks "
        "at all training rows.",
        json_schema_extra=_meta("Batch size (empty = automatic)", "advanced"),
    )
    max_epochs: int = Field(
        200,
        ge=1,
        le=5000,
        description="An epoch is one pass over all training rows. Training usually stops earlier, "
        "as soon as it stops improving.",
        json_schema_extra=_meta("Most passes over the data (epochs)", "basic"),
    )
    early_stopping: bool = Field(
        True,
        description="Stop when the validation score has not improved for a while, and keep the "
        "best version of the model. Protects against memorising the training rows.",
        json_schema_extra=_meta("Stop when it stops improving", "basic"),
    )
    patience: int = Field(
        15,
        ge=1,
        le=500,
        description="How many passes without improvement to wait before stopping.",
        json_schema_extra=_meta("Patience (epochs)", "advanced"),
    )
    reduce_lr_on_plateau: bool = Field(
        True,
        description="Halve the learning rate when progress stalls, to fine-tune the last details.",
        json_schema_extra=_meta("Slow down when progress stalls", "advanced"),
    )
    class_weight: literal_of(CLASS_WEIGHTS) = _choice(
        CLASS_WEIGHTS,
        "off",
        "For categories to predict: make rare outcomes count more while learning. Raises how "
        "often rare outcomes are caught, at the cost of more false alarms.",
        "Balance rare outcomes",
        "advanced",
    )

    label_smoothing: float = Field(
        0.0,
        ge=0.0,
        le=0.3,
        description="For categories to predict: learn from slightly softened answers (with 0.1, "
        "90% sure of the right outcome instead of 100%), so the network is less overconfident. "
        "Ignored when predicting a number.",
        json_schema_extra=_meta("Soften the answers learned from (label smoothing)", "advanced"),
    )

    @property
    def effective_learning_rate(self) -> float:
        """The learning rate to use: the recipe's, or the optimizer's own default."""
        if self.learning_rate is not None:
            return self.learning_rate
        return OPTIMIZERS[self.optimizer].learning_rate

    def effective_batch_size(self, n_train_rows: int) -> int:
        """The batch size to use for ``n_train_rows`` training rows.

        All of them for a full-batch optimizer (plain gradient descent); else the recipe's
        value when set; otherwise about one batch per ``AUTO_BATCH_ROWS_PER_STEP`` rows,
        rounded to a power of two and kept within [``AUTO_BATCH_MIN``, ``AUTO_BATCH_MAX``].
        """
        if OPTIMIZERS[self.optimizer].full_batch:
            return max(1, n_train_rows)
        if self.batch_size is not None:
            return self.batch_size
        target = max(1, n_train_rows // AUTO_BATCH_ROWS_PER_STEP)
        power = 1 << max(0, round(target).bit_length() - 1)
        if target - power > power // 2:  # round to the nearer power of two
            power *= 2
        return int(min(AUTO_BATCH_MAX, max(AUTO_BATCH_MIN, power)))


class Recipe(_Section):
    """Everything that describes a training run, apart from the data itself."""

    target: str | None = Field(
        None,
        description="The column the model learns to predict.",
        json_schema_extra=_meta("Column to predict", "basic"),
    )
    drop_columns: tuple[str, ...] = Field(
        (),
        description="Columns the model should not see: identifiers, free text, or anything only "
        "known after the outcome (which would be cheating).",
        json_schema_extra=_meta("Columns to leave out", "basic"),
    )
    seed: int = Field(
        42,
        ge=0,
        le=2**31 - 1,
        description="Fixes every random choice, so the same recipe on the same data gives the same "
        "model.",
        json_schema_extra=_meta("Random seed", "advanced"),
    )
    preprocessing: PreprocessingConfig = Field(default_factory=PreprocessingConfig)
    split: SplitConfig = Field(default_factory=SplitConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)

    @model_validator(mode="after")
    def _target_is_not_dropped(self) -> Recipe:
        if self.target is not None and self.target in self.drop_columns:
            raise ValueError(
                f"the column to predict ('{self.target}') is also in the columns to leave out: "
                "remove it from one of them"
            )
        return self

    # --- construction and round trip ---------------------------------------------------

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recipe:
        """Build a recipe from plain data, raising :class:`RecipeError` in plain words."""
        if not isinstance(data, dict):
            raise RecipeError("A recipe must be a JSON object (a set of named settings).")
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            raise RecipeError(explain_validation_error(error)) from None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible data; ``Recipe.from_dict(r.to_dict()) == r``."""
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, text: str) -> Recipe:
        """Parse a recipe from JSON text."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise RecipeError(
                f"The recipe is not valid JSON (line {error.lineno}, column {error.colno}): "
                f"{error.msg}. Fix the file or start from the default recipe."
            ) from None
        return cls.from_dict(data)

    def to_json(self, indent: int | None = 2) -> str:
        """JSON text of the recipe."""
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    def with_changes(self, **changes: Any) -> Recipe:
        """A validated copy with some settings changed.

        Nested sections are changed with dotted names,
        e.g. ``recipe.with_changes(**{"training.optimizer": "sgd"})``.
        """
        data = self.to_dict()
        for dotted, value in changes.items():
            node = data
            *parents, leaf = dotted.split(".")
            for part in parents:
                if part not in node or not isinstance(node[part], dict):
                    raise RecipeError(f"'{dotted}' is not a recipe setting.")
                node = node[part]
            if leaf not in node:
                raise RecipeError(f"'{dotted}' is not a recipe setting.")
            if isinstance(value, BaseModel):
                value = value.model_dump(mode="json")
            elif isinstance(value, (list, tuple)):
                value = [
                    v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value
                ]
            node[leaf] = value
        return Recipe.from_dict(data)
