"""The network and training choices a recipe can make, each declared once.

Every optimizer, activation and class-weight setting is one entry of a table below: its
value (what a recipe stores), its plain label and short help (what the Design page and
the model card show) and what it does (for an optimizer: its Keras class, its own default
learning rate, which extra settings apply, whether a batch is all training rows). The
recipe's allowed values (:mod:`core.model.recipe`), its form (:mod:`core.model.fields`),
the network builder (:mod:`core.model.network`) and the model card all read these tables,
so adding a choice is one entry here.

The preparation choices (empty cells, scaling, encoding) live in
:mod:`core.portable.choices`, because a bundle applies them without the rest of ``core``.
This module imports no TensorFlow: pages read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.i18n import DEFAULT_LANGUAGE, catalog, gettext
from core.portable.choices import Choice


@dataclass(frozen=True)
class OptimizerChoice(Choice):
    """A learning method: how the weights are adjusted after each batch."""

    keras_class: str  # the class in keras.optimizers
    name: str  # its short name, for titles ("SGD", "Gradient descent")
    learning_rate: float  # its own sensible default, used when the recipe leaves it empty
    # Training settings that apply to it besides the learning rate. Without "batch_size" a
    # batch is all training rows (plain gradient descent: one adjustment per pass).
    settings: tuple[str, ...] = ("batch_size",)

    @property
    def full_batch(self) -> bool:
        """Whether every adjustment looks at all training rows at once."""
        return "batch_size" not in self.settings


@dataclass(frozen=True)
class ClassWeightChoice(Choice):
    """Whether rare outcomes count more while learning."""

    balanced: bool


def _table(*choices: Choice) -> dict:
    return {choice.value: choice for choice in choices}


OPTIMIZERS: dict[str, OptimizerChoice] = _table(
    OptimizerChoice(
        "adam",
        "Adam (recommended)",
        "Adapts the step size for each weight; works well almost everywhere.",
        "Adam",
        "Adam",
        1e-3,
    ),
    OptimizerChoice(
        "adamw",
        "AdamW",
        "Adam that also shrinks the weights a little at every step.",
        "AdamW",
        "AdamW",
        1e-3,
    ),
    OptimizerChoice(
        "sgd",
        "Small-batch gradient descent (SGD)",
        "Adjusts after every small batch of rows, carrying some of the previous step along "
        "(momentum). Simple and reliable, usually slower than Adam.",
        "SGD",
        "SGD",
        1e-2,
        settings=("batch_size", "momentum"),
    ),
    OptimizerChoice(
        "gradient_descent",
        "Plain gradient descent (all rows at once)",
        "The textbook method: one adjustment per pass over all training rows. Smooth but slow; "
        "needs more passes, and the whole training set in memory at once.",
        "SGD",
        "Gradient descent",
        1e-1,
        settings=(),
    ),
    OptimizerChoice(
        "rmsprop",
        "RMSprop",
        "Adapts the step size for each weight from recent steps.",
        "RMSprop",
        "RMSprop",
        1e-3,
    ),
    OptimizerChoice(
        "adagrad",
        "Adagrad",
        "Takes smaller steps for weights that have already moved a lot.",
        "Adagrad",
        "Adagrad",
        1e-2,
    ),
)

ACTIVATIONS: dict[str, Choice] = _table(
    Choice("relu", "ReLU (recommended)", "Passes positive values, zeroes negative ones."),
    Choice("gelu", "GELU", "A smooth ReLU."),
    Choice("elu", "ELU", "Like ReLU, but negative values bend smoothly instead of stopping."),
    Choice("tanh", "Tanh", "An S-curve from -1 to 1."),
    Choice("sigmoid", "Sigmoid", "An S-curve from 0 to 1; slow to learn in hidden layers."),
    Choice("linear", "Linear (no bend)", "No bend at all: the layer only mixes its inputs."),
)

CLASS_WEIGHTS: dict[str, ClassWeightChoice] = _table(
    ClassWeightChoice("off", "Off", "Every row counts the same.", balanced=False),
    ClassWeightChoice(
        "balanced", "Balanced", "Rare outcomes count more while learning.", balanced=True
    ),
)


@dataclass(frozen=True)
class NumberEmbeddingChoice(Choice):
    """How each number column reaches the first hidden layer (:mod:`core.model.embeddings`)."""

    bins: int  # ranges each number is split into (0: the number goes in as it is)
    size: int  # numbers the network learns per column from those ranges
    min_training_rows: int = 0  # fewer training rows than this: the numbers go in as they are

    def ranges_for(self, n_training_rows: int) -> int:
        """Ranges per number column for a network learning from ``n_training_rows`` rows."""
        return self.bins if n_training_rows >= self.min_training_rows else 0


# "auto": the learned ranges only from this many training rows on (about 1,000 rows in a file
# split 70/15/15). Below it they cost small tables accuracy (carseats, 280 training rows: -1%
# over 10 seeds); from 1,182 rows on they gained (computers +2.2%): docs/benchmarks/levers_sweep.md.
AUTO_EMBEDDING_MIN_TRAINING_ROWS = 700


NUMBER_EMBEDDINGS: dict[str, NumberEmbeddingChoice] = _table(
    NumberEmbeddingChoice(
        "auto",
        "Automatic (recommended)",
        "Learned per range when the network learns from at least "
        f"{AUTO_EMBEDDING_MIN_TRAINING_ROWS} rows (about 1,000 rows in the file); on a smaller "
        "table each number goes in as it is, because the extra weights would learn more noise "
        "than pattern.",
        bins=16,
        size=8,
        min_training_rows=AUTO_EMBEDDING_MIN_TRAINING_ROWS,
    ),
    NumberEmbeddingChoice(
        "none",
        "As they are",
        "Each number column is one input: simplest and fastest.",
        bins=0,
        size=0,
    ),
    NumberEmbeddingChoice(
        "piecewise",
        "Learned per range (piecewise)",
        "Each number is also split into 16 ranges of the training values, from which the "
        "network learns 8 features of its own: helps with sharp thresholds (an effect that "
        "starts above a certain value), costs some speed.",
        bins=16,
        size=8,
    ),
)


def literal_of(table: dict[str, Choice]) -> object:
    """The ``Literal`` type of a table's values, so a recipe accepts exactly those."""
    return Literal[tuple(table)]  # type: ignore[valid-type]


def labels_of(table: dict[str, Choice]) -> dict[str, str]:
    """Value -> plain label, in table order: the choices a form shows."""
    return {value: choice.label for value, choice in table.items()}


def helps_of(table: dict[str, Choice]) -> dict[str, str]:
    """Value -> one-sentence help, in table order: what each choice does."""
    return {value: choice.help for value, choice in table.items()}


def optimizers_using(setting: str) -> tuple[str, ...]:
    """The optimizers a training setting ("batch_size", "momentum") applies to."""
    return tuple(value for value, choice in OPTIMIZERS.items() if setting in choice.settings)


def choice_label(setting: str, value: str, english: str) -> str:
    """A choice's plain label in the current language: the catalog text
    ``core.choices.<setting>.<value>`` (choices.po), or ``english`` (the table's label) when
    it has none. ``core.portable.choices`` ships in bundles without the catalogs, so the
    translation is looked up here, by the table entry's value."""
    key = f"core.choices.{setting}.{value}"
    return gettext(key) if key in catalog(DEFAULT_LANGUAGE) else english
