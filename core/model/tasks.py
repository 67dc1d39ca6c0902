"""What each kind of prediction means, declared once per task.

The task follows from the column to predict (see :mod:`core.data.profiling`): a yes/no
outcome ("binary"), one of several categories ("multiclass") or a number ("regression").
Everything that depends on it — the output layer, the loss and its plain name, the metric
shown while training, the headline test metric, the simple baselines, the columns of a
predictions table — is one :class:`TaskSpec` in :data:`TASKS`, read by every module
instead of comparing task names. The part a bundle needs at prediction time lives in
:mod:`core.portable.tasks` and is referred to by ``TaskSpec.outputs``.

This module imports no TensorFlow, so pages can read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.i18n import gettext
from core.portable.tasks import TASK_OUTPUTS, TaskOutputs


@dataclass(frozen=True)
class TaskSpec:
    """Everything that follows from the kind of prediction."""

    name: str  # "binary" | "multiclass" | "regression"
    outputs: TaskOutputs  # output count, probability widening, prediction columns
    description: str  # plain words; "{n}" is the number of classes
    outcome_words: str  # what is predicted, without a count: "a yes/no outcome"
    output_activation: str  # of the output layer (Keras name)
    loss: str  # Keras loss name
    loss_name: str  # the loss in plain words
    live_metric: str  # Keras metric shown while training
    live_metric_name: str
    headline_metric: str  # the test metric that decides "how good" (see core.evaluation)
    constant_metric: str  # the fair yardstick against always giving the same answer
    importance_metric: str  # what permutation importance measures the drop of
    constant_baseline: str  # name of the baseline that always gives the same answer
    simple_baseline: str  # name of the simple model the network must beat
    output_meaning: str  # what the network's output is; "{positive}" is the yes label

    @property
    def predicts_class(self) -> bool:
        """True for categories (probabilities out), False for a number."""
        return self.outputs.predicts_class

    @property
    def yes_no(self) -> bool:
        """True for a yes/no outcome: the share of its second ("yes") label is what is shown."""
        return self.outputs.single_probability

    @property
    def several_classes(self) -> bool:
        """True for one of several (three or more) categories."""
        return self.predicts_class and not self.yes_no

    @property
    def baselines(self) -> tuple[str, str]:
        """The two baseline names, constant first."""
        return (self.constant_baseline, self.simple_baseline)

    def describe(self, n_classes: int) -> str:
        """Plain words for the task in the current language, e.g. ``"predicting one of 4
        categories"`` (``description`` is the English text, catalog key
        ``core.model.tasks.describe_<name>``)."""
        return gettext(f"core.model.tasks.describe_{self.name}", n=n_classes)

    def output_units(self, n_classes: int) -> int:
        """Units of the network's output layer."""
        return self.outputs.n_outputs(n_classes)

    def meaning_of_output(self, class_labels: list[str]) -> str:
        """What the network's output means, for the bundle's description."""
        positive = class_labels[-1] if class_labels else ""
        return self.output_meaning.format(positive=positive)


_CLASSIFICATION = {
    "loss_name": "cross-entropy",
    "live_metric": "accuracy",
    "live_metric_name": "accuracy",
    "constant_metric": "accuracy",
    "constant_baseline": "majority class",
    "simple_baseline": "logistic regression",
}

TASKS: dict[str, TaskSpec] = {
    "binary": TaskSpec(
        name="binary",
        outputs=TASK_OUTPUTS["binary"],
        description="predicting a yes/no outcome",
        outcome_words="a yes/no outcome",
        output_activation="sigmoid",
        loss="binary_crossentropy",
        headline_metric="roc_auc",
        importance_metric="roc_auc",
        output_meaning="the probability that the outcome is '{positive}' (0 to 1)",
        **_CLASSIFICATION,
    ),
    "multiclass": TaskSpec(
        name="multiclass",
        outputs=TASK_OUTPUTS["multiclass"],
        description="predicting one of {n} categories",
        outcome_words="one of several categories",
        output_activation="softmax",
        loss="sparse_categorical_crossentropy",
        headline_metric="accuracy",
        # Log loss, not accuracy: accuracy only moves when a shuffle flips the top class, so on
        # a few thousand rows many columns score exactly 0; log loss reacts to every change of
        # confidence and is what the network was trained to minimise.
        importance_metric="log_loss",
        output_meaning="one probability per class, in the order of class_labels (they add up to 1)",
        **_CLASSIFICATION,
    ),
    "regression": TaskSpec(
        name="regression",
        outputs=TASK_OUTPUTS["regression"],
        description="predicting a number",
        outcome_words="a number",
        output_activation="linear",
        loss="mean_squared_error",
        loss_name="mean squared error",
        live_metric="mae",
        live_metric_name="typical error (mean absolute error)",
        headline_metric="r2",
        constant_metric="mae",
        importance_metric="r2",
        constant_baseline="average value",
        simple_baseline="linear regression",
        output_meaning="the predicted value, in the target's own units",
    ),
}


def task_spec(name: str) -> TaskSpec:
    """The :class:`TaskSpec` of a task name.

    Raises
    ------
    ValueError
        If ``name`` is not a task (a programming error, not a user one).
    """
    try:
        return TASKS[name]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown task {name!r}; expected one of {tuple(TASKS)}.") from None


def number_task() -> TaskSpec:
    """The task of a target whose values are numbers to predict."""
    return next(spec for spec in TASKS.values() if not spec.predicts_class)


def classification_task(n_classes: int) -> TaskSpec:
    """The classification task whose class count fits ``n_classes`` (2: yes/no)."""
    for spec in TASKS.values():
        if spec.predicts_class and spec.outputs.fits_classes(n_classes):
            return spec
    raise ValueError(f"No task predicts {n_classes} classes.")


def loss_name_for_metric(metric_name: str) -> str | None:
    """The plain loss name of the tasks whose live metric is ``metric_name`` (None if unsure).

    A training history records its live metric's plain name, not its task; the chart of
    its loss is titled with the loss those tasks minimise.
    """
    names = {spec.loss_name for spec in TASKS.values() if spec.live_metric_name == metric_name}
    return names.pop() if len(names) == 1 else None
