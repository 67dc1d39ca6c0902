"""Reading learning curves: the measurements behind the training doctor's rules.

:class:`Curves` holds one run's per-pass training and validation error; the
functions below each measure one sign (memorising, zigzag, plateau...) and return
the figures a message needs, or ``None`` when the sign is absent. The thresholds
are declared once here, with why. :mod:`core.model.diagnosis` turns the signs into
plain-language diagnoses with fixes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.evaluation.verdict import _compare, _fmt_pair, metric_message
from core.model.recipe import Recipe
from core.model.tasks import TASKS, task_spec

# How a run ended; the same strings as core.model.training (which imports Keras, so they
# cannot be imported from there; tests check they agree).
COMPLETED = "completed"
DIVERGED = "diverged"

# The first passes always drop steeply and noisily: before this many, the shape of a
# curve says nothing (live diagnosis stays silent; a blow-up is still reported).
MIN_EPOCHS_TO_JUDGE = 5
# "Now" is the average of the last few passes, which damps the pass-to-pass noise of a
# small validation set without hiding a trend.
RECENT_WINDOW = 3
# A loss this many times above the first one means the weights are blowing up
# (the trainer's own guard uses the same factor).
EXPLODING_FACTOR = 1e4

# Overfitting: at least 3 passes after its best, the validation error sits 10% above it
# while the training error fell at least 3% since then. A rise of 3-10% is within the
# noise of a few hundred validation rows, so it counts only with a wide gap as well: the
# validation error 25% or more above the training error (on a 600-row table, a network
# without dropout showed a 4.5% rise with a 46% gap; a healthy one, 5% with a 5% gap).
OVERFIT_MIN_EPOCHS_AFTER_BEST = 3
OVERFIT_VAL_RISE = 0.10
OVERFIT_MIN_RISE = 0.03
OVERFIT_WIDE_GAP = 0.25
OVERFIT_TRAIN_DROP = 0.03
# Memorising: the training error is at least 10% below the validation error.
MEMORISING_GAP = 0.10

# Underfitting, high and flat: both errors at least 85% of the error of always giving
# the same answer (the network has learned less than 15% of what there is to learn over
# a constant guess) and each moved less than 2% over the last 5 passes.
UNDERFIT_LOSS_SHARE = 0.85
FLAT_WINDOW = 5
FLAT_CHANGE = 0.02
# Still improving: the run used all its passes and its validation error fell more than
# 1% over the last 5, with the best pass among the last 2.
IMPROVING_WINDOW = 5
STILL_IMPROVING = 0.01
# Regression trains on the standardised target, so always predicting the average has a
# mean squared error of its variance: 1.
REGRESSION_CONSTANT_LOSS = 1.0

# Zigzag: over the last 10 passes (at least 8 run), the error changed direction on at
# least 60% of the steps, each step moved it 8% or more on average, and the net trend is
# at most half the back-and-forth. Noise stays well below 8%: the default network on a
# 600-row table moved 4% per pass (training) and 2% (validation) once it had settled.
OSC_MIN_EPOCHS = 8
OSC_WINDOW = 10
OSC_MIN_REVERSAL_SHARE = 0.6
OSC_MIN_SWING = 0.08
OSC_MAX_TREND = 0.5

# Plateau: "settled" is the first pass within 1% of the best validation error; early
# stopping with the recipe's patience would have stopped that many passes later. Worth
# saying when it saves at least 10 passes and at least 20% of the run.
PLATEAU_TOLERANCE = 0.01
PLATEAU_MIN_SAVED = 10
PLATEAU_MIN_SHARE = 0.2

# Validation below training: at least 3% lower, on the recent average.
VAL_BELOW_TRAIN_MARGIN = 0.03


def fmt(value: float | None) -> str:
    """An error value as people read it: three significant digits."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.3g}"


@dataclass(frozen=True)
class Curves:
    """One run's per-pass errors, cut at the first unusable pass."""

    epochs: np.ndarray  # 1-based pass numbers
    loss: np.ndarray
    val_loss: np.ndarray
    seconds: np.ndarray  # NaN where unknown
    best_index: int  # index of the kept pass (0 when there is none)
    stopped_because: str | None  # None while training
    diverged_at: int | None  # the pass where the errors blew up, if they did
    non_finite: bool  # the blow-up produced not-a-number values

    @property
    def n(self) -> int:
        return len(self.epochs)

    @property
    def finished(self) -> bool:
        return self.stopped_because is not None

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def best_epoch(self) -> int:
        return int(self.epochs[self.best_index])

    @classmethod
    def from_history(
        cls,
        history: Sequence[Mapping[str, Any]],
        stopped_because: str | None,
        best_epoch: int | None,
    ) -> Curves:
        """Read the trainer's per-pass reports; a non-finite or exploding pass ends the curves."""
        rows = list(history)
        epochs, loss, val_loss, seconds = [], [], [], []
        diverged_at, non_finite = None, False
        for position, row in enumerate(rows, start=1):
            epoch = int(row.get("epoch", position))
            train, val = _number(row.get("loss")), _number(row.get("val_loss"))
            if not (math.isfinite(train) and math.isfinite(val)):
                diverged_at, non_finite = epoch, True
                break
            if loss and train > EXPLODING_FACTOR * max(loss[0], 1e-8):
                diverged_at = epoch
                break
            epochs.append(epoch)
            loss.append(train)
            val_loss.append(val)
            seconds.append(_number(row.get("seconds")))
        if diverged_at is None and stopped_because == DIVERGED:
            # The trainer does not report the pass that blew up: it is the one after.
            diverged_at = (epochs[-1] if epochs else 0) + 1
        best_index = 0
        if val_loss:
            best_index = int(np.argmin(val_loss))
            if best_epoch is not None and best_epoch in epochs:
                best_index = epochs.index(best_epoch)
        return cls(
            epochs=np.asarray(epochs, dtype=int),
            loss=np.asarray(loss, dtype=float),
            val_loss=np.asarray(val_loss, dtype=float),
            seconds=np.asarray(seconds, dtype=float),
            best_index=best_index,
            stopped_because=stopped_because,
            diverged_at=diverged_at,
            non_finite=non_finite,
        )


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _recent(values: np.ndarray, start: int = 0) -> float:
    """Mean of the last ``RECENT_WINDOW`` values from index ``start`` on."""
    tail = values[start:][-RECENT_WINDOW:]
    return float(tail.mean())


@dataclass(frozen=True)
class OverfitSign:
    val_now: float
    train_now: float
    rise: float  # validation error now vs its best, as a share of the best
    gap: float  # validation vs training error now, as a share of the training error


def overfitting_sign(run: Curves) -> OverfitSign | None:
    """Validation error rising since the best pass while the training error keeps falling."""
    after = run.n - 1 - run.best_index
    if run.n < MIN_EPOCHS_TO_JUDGE or after < OVERFIT_MIN_EPOCHS_AFTER_BEST:
        return None
    best_val, best_train = run.val_loss[run.best_index], run.loss[run.best_index]
    val_now = _recent(run.val_loss, run.best_index + 1)
    train_now = _recent(run.loss, run.best_index + 1)
    rise = val_now / best_val - 1 if best_val > 0 else 0.0
    gap = val_now / train_now - 1 if train_now > 0 else math.inf
    rising = rise >= OVERFIT_VAL_RISE or (rise >= OVERFIT_MIN_RISE and gap >= OVERFIT_WIDE_GAP)
    if not rising or train_now > best_train * (1 - OVERFIT_TRAIN_DROP):
        return None
    return OverfitSign(val_now=val_now, train_now=train_now, rise=rise, gap=gap)


def memorising(run: Curves) -> bool:
    """Whether the training error is clearly below the validation error now."""
    if run.n == 0:
        return False
    return _recent(run.loss) < _recent(run.val_loss) * (1 - MEMORISING_GAP)


@dataclass(frozen=True)
class FlatSign:
    window: int
    train: float
    val: float


def _relative_change(values: np.ndarray) -> float:
    """Change across ``values`` along a fitted straight line, as a share of their mean."""
    if len(values) < 2 or values.mean() <= 0:
        return 0.0
    slope = np.polyfit(np.arange(len(values)), values, 1)[0]
    return float(abs(slope) * (len(values) - 1) / values.mean())


def high_and_flat(run: Curves, reference_loss: float | None) -> FlatSign | None:
    """Both errors close to the constant guess's and no longer moving."""
    if (
        reference_loss is None
        or reference_loss <= 0
        or run.n < max(MIN_EPOCHS_TO_JUDGE, FLAT_WINDOW)
    ):
        return None
    train, val = run.loss[-FLAT_WINDOW:], run.val_loss[-FLAT_WINDOW:]
    high = min(train.mean(), val.mean()) >= UNDERFIT_LOSS_SHARE * reference_loss
    flat = max(_relative_change(train), _relative_change(val)) < FLAT_CHANGE
    return FlatSign(FLAT_WINDOW, float(train.mean()), float(val.mean())) if high and flat else None


def still_improving(run: Curves) -> tuple[float, float, int] | None:
    """(error before, error now, passes) when the run hit its limit while still improving."""
    if run.stopped_because != COMPLETED or run.n < 2 or run.best_index < run.n - 2:
        return None
    window = min(IMPROVING_WINDOW, run.n - 1)
    start, end = float(run.val_loss[-window - 1]), float(run.val_loss[run.best_index])
    if start <= 0 or (start - end) / start <= STILL_IMPROVING:
        return None
    return start, end, window


@dataclass(frozen=True)
class ZigzagSign:
    which: str  # "training" or "validation"
    reversals: int
    steps: int
    size: float  # average step as a share of the error's level
    since_epoch: int


def zigzag(run: Curves) -> ZigzagSign | None:
    """An error going up and down from pass to pass instead of settling."""
    if run.n < OSC_MIN_EPOCHS:
        return None
    for which, series in (("training", run.loss), ("validation", run.val_loss)):
        window = series[-OSC_WINDOW:]
        steps = np.diff(window)
        moving = np.sign(steps[steps != 0])
        if len(moving) < 2 or window.mean() <= 0:
            continue
        reversals = int(np.count_nonzero(moving[1:] != moving[:-1]))
        size = float(np.abs(steps).mean() / window.mean())
        trend = float(abs(steps.sum()) / np.abs(steps).sum())
        if (
            reversals >= OSC_MIN_REVERSAL_SHARE * (len(steps) - 1)
            and size >= OSC_MIN_SWING
            and trend <= OSC_MAX_TREND
        ):
            since = int(run.epochs[-len(window)])
            return ZigzagSign(which, reversals, len(steps), size, since)
    return None


def _seconds_after(run: Curves, epoch: int) -> float | None:
    spent = run.seconds[run.epochs > epoch]
    if len(spent) == 0 or not np.isfinite(spent).all():
        return None
    return float(spent.sum())


def epochs_saved(
    run: Curves, recipe: Recipe, from_index: int
) -> tuple[int, int, float | None] | None:
    """(stop pass, passes saved, seconds saved) had early stopping counted from ``from_index``."""
    stop = int(run.epochs[from_index]) + recipe.training.patience
    saved = int(run.epochs[-1]) - stop
    if saved <= 0:
        return None
    return stop, saved, _seconds_after(run, stop)


def plateau(run: Curves, recipe: Recipe) -> tuple[int, int, int, float | None] | None:
    """(settled pass, stop pass, passes saved, seconds saved) when the run idled at its best."""
    if run.n < MIN_EPOCHS_TO_JUDGE:
        return None
    best = run.val_loss[run.best_index]
    settled_index = int(np.argmax(run.val_loss <= best * (1 + PLATEAU_TOLERANCE)))
    saved = epochs_saved(run, recipe, settled_index)
    if saved is None:
        return None
    stop, n_saved, seconds = saved
    if n_saved < PLATEAU_MIN_SAVED or n_saved < PLATEAU_MIN_SHARE * run.n:
        return None
    return int(run.epochs[settled_index]), stop, n_saved, seconds


def validation_below_training(run: Curves) -> tuple[float, float] | None:
    """(training error, validation error) when validation is clearly the lower one."""
    if run.n == 0 or (not run.finished and run.n < MIN_EPOCHS_TO_JUDGE):
        return None
    train, val = _recent(run.loss), _recent(run.val_loss)
    return (train, val) if val < train * (1 - VAL_BELOW_TRAIN_MARGIN) else None


# --- the network against the simple baseline ----------------------------------------------


@dataclass(frozen=True)
class BaselineComparison:
    """The network's test score against the simple logistic/linear model's."""

    metric: str  # e.g. "roc_auc"
    network: float
    baseline: float
    baseline_name: str  # "logistic regression" or "linear regression"
    outcome: str  # "better", "same", "worse", or "uncertain" (better, within the range)
    interval: tuple[float, float] | None = None  # the network's uncertainty range

    @property
    def metric_label(self) -> str:
        """The measure's name as the verdict says it, in the current language."""
        return metric_message(self.metric).render()

    def formatted(self) -> tuple[str, str]:
        """(network, baseline) formatted as the verdict prints them."""
        shown = "same" if self.outcome == "same" else "better"
        return _fmt_pair(self.network, self.baseline, self.metric, shown)

    def formatted_interval(self) -> tuple[str, str]:
        low, high = self.interval or (math.nan, math.nan)
        return _fmt_pair(low, high, self.metric, "better")


def compare_with_baseline(
    task: str | None,
    metrics: Mapping[str, Any],
    baselines: Mapping[str, Mapping[str, Any]],
    intervals: Mapping[str, Sequence[float]] | None = None,
    uncertainty: Mapping[str, Any] | None = None,
) -> BaselineComparison | None:
    """The network against the simple baseline, on the verdict's metric and rule.

    ``intervals`` (``{"metric": [low, high]}``, the network's uncertainty ranges) makes
    a win count only when the range leaves out the baseline's score. ``uncertainty`` (a
    run's ``uncertainty``, see :mod:`core.evaluation.intervals`) decides instead when it
    holds the paired comparison, as the verdict does: a win within the noise is uncertain.
    """
    spec = TASKS.get(task) if task else None
    if spec is None:
        return None
    name = spec.simple_baseline
    simple = baselines.get(name) or {}
    for metric in (spec.headline_metric, spec.constant_metric):
        ours, theirs = metrics.get(metric), simple.get(metric)
        if ours is not None and theirs is not None:
            break
    else:
        return None
    outcome = _compare(float(ours), float(theirs), metric)
    interval = None
    if intervals and intervals.get(metric) is not None:
        low, high = (float(v) for v in intervals[metric])
        interval = (low, high)
        if outcome == "better" and low <= theirs <= high:
            outcome = "uncertain"
    paired = ((uncertainty or {}).get("comparisons") or {}).get(name, {}).get(metric)
    if paired and outcome in ("better", "uncertain"):
        outcome = "better" if paired.get("outcome") == "better" else "uncertain"
    return BaselineComparison(metric, float(ours), float(theirs), name, outcome, interval)


def constant_loss(task: str, class_shares: Sequence[float] | None = None) -> float | None:
    """The training error of always giving the same answer (the class shares, or the average).

    For classes: the cross-entropy of predicting each row's class with its share of
    the rows; for numbers: ``REGRESSION_CONSTANT_LOSS``. None when shares are unknown.
    """
    if not task_spec(task).predicts_class:
        return REGRESSION_CONSTANT_LOSS
    if not class_shares:
        return None
    shares = np.asarray(class_shares, dtype=float)
    shares = shares[shares > 0] / shares.sum()
    return float(-(shares * np.log(shares)).sum())


def reference_loss_from_baselines(
    task: str | None, baselines: Mapping[str, Mapping[str, Any]]
) -> float | None:
    """The constant guess's error from a run's baselines (its test log loss for classes)."""
    spec = TASKS.get(task) if task else None
    if spec is None:
        return None
    if not spec.predicts_class:
        return REGRESSION_CONSTANT_LOSS
    constant = baselines.get(spec.constant_baseline) or {}
    value = constant.get("log_loss")
    return float(value) if value is not None and math.isfinite(value) else None
