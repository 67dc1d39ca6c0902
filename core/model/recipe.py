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
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import RecipeError

# Choice tables: the plain-language label of every value a user can pick.
# Kept beside the fields so a translator finds all the wording in one place.
NUMERIC_MISSING_CHOICES = {
    "median": "Fill with the middle value (median)",
    "mean": "Fill with the average (mean)",
    "most_frequent": "Fill with the most common value",
    "constant": "Fill with a fixed number",
    "drop_rows": "Leave those rows out",
}
CATEGORICAL_MISSING_CHOICES = {
    "missing_category": 'Treat "missing" as its own category',
    "most_frequent": "Fill with the most common category",
    "drop_rows": "Leave those rows out",
}
SCALING_CHOICES = {
    "standard": "Standard (centre on the average, divide by the spread)",
    "minmax": "Min-max (squeeze into 0 to 1)",
    "robust": "Robust (centre on the median; resists extreme values)",
    "none": "None (use numbers as they are)",
}
ENCODING_CHOICES = {
    "onehot": "One yes/no input per category (recommended)",
    "ordinal": "One number per category (compact; implies an order)",
}
ACTIVATION_CHOICES = {
    "relu": "ReLU (recommended)",
    "gelu": "GELU (smooth ReLU)",
    "elu": "ELU",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "linear": "Linear (no bend)",
}
OPTIMIZER_CHOICES = {
    "adam": "Adam (recommended)",
    "adamw": "AdamW (Adam with weight decay)",
    "sgd": "SGD with momentum",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
}
# Each optimizer's own sensible default learning rate (used when the recipe leaves it empty).
DEFAULT_LEARNING_RATES = {
    "adam": 1e-3,
    "adamw": 1e-3,
    "sgd": 1e-2,
    "rmsprop": 1e-3,
    "adagrad": 1e-2,
}
CLASS_WEIGHT_CHOICES = {
    "off": "Off (every row counts the same)",
    "balanced": "Balanced (rare outcomes count more)",
}

# Automatic batch size: small data gets small batches (more updates per epoch),
# large data gets large ones (an epoch over 1M rows stays fast). Roughly 1 batch
# per 200 training rows, rounded to a power of two, within these bounds.
AUTO_BATCH_MIN = 32
AUTO_BATCH_MAX = 2048
AUTO_BATCH_ROWS_PER_STEP = 200


def _meta(label: str, group: str = "basic", choices: dict[str, str] | None = None) -> dict:
    extra: dict[str, Any] = {"label": label, "group": group}
    if choices is not None:
        extra["choices"] = choices
    return extra


class _Section(BaseModel):
    """Base of every recipe section: immutable, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class PreprocessingConfig(_Section):
    """How raw columns become numbers the network can learn from."""

    numeric_missing: Literal["median", "mean", "most_frequent", "constant", "drop_rows"] = Field(
        "median",
        description="What to do with empty cells in number columns. The median is safe when a few "
        "values are extreme.",
        json_schema_extra=_meta("Empty cells in number columns", "basic", NUMERIC_MISSING_CHOICES),
    )
    numeric_fill_value: float = Field(
        0.0,
        description='The number used for empty cells when you choose "Fill with a fixed number".',
        json_schema_extra=_meta("Fixed number for empty cells", "advanced"),
    )
    categorical_missing: Literal["missing_category", "most_frequent", "drop_rows"] = Field(
        "missing_category",
        description="What to do with empty cells in text/category columns. Keeping "
        '"missing" as its own category lets the model learn whether a blank answer means '
        "something.",
        json_schema_extra=_meta(
            "Empty cells in category columns", "basic", CATEGORICAL_MISSING_CHOICES
        ),
    )
    numeric_scaling: Literal["standard", "minmax", "robust", "none"] = Field(
        "standard",
        description="Networks learn best when every number column has a similar range. Standard "
        "scaling works for most data.",
        json_schema_extra=_meta("Scaling of number columns", "basic", SCALING_CHOICES),
    )
    categorical_encoding: Literal["onehot", "ordinal"] = Field(
        "onehot",
        description="How categories become numbers. One input per category is the safe choice; "
        "one number per category is compact but pretends the categories have an order.",
        json_schema_extra=_meta("How categories become numbers", "basic", ENCODING_CHOICES),
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
    activation: Literal["relu", "tanh", "sigmoid", "elu", "gelu", "linear"] = Field(
        "relu",
        description="The bend each neuron applies. ReLU is the standard choice.",
        json_schema_extra=_meta("Activation", "advanced", ACTIVATION_CHOICES),
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

    optimizer: Literal["adam", "adamw", "sgd", "rmsprop", "adagrad"] = Field(
        "adam",
        description="The method that adjusts the weights after each batch. Adam works well "
        "almost everywhere.",
        json_schema_extra=_meta("Learning method (optimizer)", "basic", OPTIMIZER_CHOICES),
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
        description="For SGD only: how much of the previous step carries into the next.",
        json_schema_extra=_meta("Momentum (SGD only)", "advanced"),
    )
    batch_size: int | None = Field(
        None,
        ge=1,
        le=65536,
        description="How many rows the network looks at before each adjustment. Leave empty to "
        "choose automatically from the size of your data.",
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
    class_weight: Literal["off", "balanced"] = Field(
        "off",
        description="For categories to predict: make rare outcomes count more while learning. "
        "Raises how often rare outcomes are caught, at the cost of more false alarms.",
        json_schema_extra=_meta("Balance rare outcomes", "advanced", CLASS_WEIGHT_CHOICES),
    )

    @property
    def effective_learning_rate(self) -> float:
        """The learning rate to use: the recipe's, or the optimizer's own default."""
        if self.learning_rate is not None:
            return self.learning_rate
        return DEFAULT_LEARNING_RATES[self.optimizer]

    def effective_batch_size(self, n_train_rows: int) -> int:
        """The batch size to use for ``n_train_rows`` training rows.

        The recipe's value when set; otherwise about one batch per
        ``AUTO_BATCH_ROWS_PER_STEP`` rows, rounded to a power of two and kept within
        [``AUTO_BATCH_MIN``, ``AUTO_BATCH_MAX``].
        """
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
            raise RecipeError(_explain_validation_error(error)) from None

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


def _explain_validation_error(error: ValidationError) -> str:
    """Turn pydantic's report into sentences that name the setting and the fix."""
    sentences = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "recipe"
        kind = problem["type"]
        context = problem.get("ctx") or {}
        if kind == "extra_forbidden":
            sentences.append(f"'{where}' is not a recipe setting: remove it or check its spelling.")
        elif kind == "literal_error":
            sentences.append(
                f"'{where}' must be one of {context.get('expected', 'the listed choices')}, "
                f"not {problem.get('input')!r}."
            )
        elif kind in ("greater_than_equal", "greater_than"):
            bound = context.get("ge", context.get("gt"))
            sentences.append(f"'{where}' must be at least {bound}, not {problem.get('input')!r}.")
        elif kind in ("less_than_equal", "less_than"):
            bound = context.get("le", context.get("lt"))
            sentences.append(f"'{where}' must be at most {bound}, not {problem.get('input')!r}.")
        elif kind == "too_long":
            sentences.append(
                f"'{where}' has too many entries (at most {context.get('max_length')})."
            )
        elif kind == "value_error":
            message = str(context.get("error", problem["msg"]))
            sentences.append(message[0].upper() + message[1:] + ".")
        else:
            sentences.append(
                f"'{where}' has an unusable value {problem.get('input')!r}: {problem['msg']}."
            )
    return "The recipe has a problem: " + " ".join(sentences)
