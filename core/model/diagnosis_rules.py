"""What each sign on the learning curves means: one rule per diagnosis code.

Each rule reads the measurements of :mod:`core.model.curves`, and when its sign is
present returns a :class:`Diagnosis` with the wording of
:mod:`core.model.diagnosis_text` and the fixes of :mod:`core.model.remedies`.
:mod:`core.model.diagnosis` runs them (after a run, or live with hysteresis).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from core.evaluation.verdict import baseline_message, metric_message
from core.i18n import Message
from core.model import curves, remedies
from core.model.curves import Curves
from core.model.diagnosis_text import message as _m
from core.model.recipe import Recipe
from core.model.remedies import Fix

DIVERGED = "diverged"
OVERFITTING = "overfitting"
UNDERFITTING = "underfitting"
OSCILLATING = "oscillating"
PLATEAU = "plateau"
NO_BETTER_THAN_BASELINE = "no_better_than_baseline"
HEALTHY = "healthy"
VALIDATION_BELOW_TRAINING = "validation_below_training"
CODES = (
    DIVERGED,
    OVERFITTING,
    UNDERFITTING,
    OSCILLATING,
    PLATEAU,
    NO_BETTER_THAN_BASELINE,
    HEALTHY,
    VALIDATION_BELOW_TRAINING,
)

Severity = Literal["problem", "warning", "info", "ok"]


@dataclass(frozen=True)
class Diagnosis:
    """One finding of the training doctor.

    Attributes
    ----------
    code : str
        One of ``CODES``; stable, for programs and tests.
    severity : {"problem", "warning", "info", "ok"}
        ``problem``: the model is unusable or a simpler one is better; ``warning``: it
        can be improved; ``info``: an explanation; ``ok``: healthy.
    headline : Message
        A short headline, e.g. "The network is memorising the training rows"; ``title``
        is it in the current language.
    text : Message
        Plain sentences for a product manager, with the figures behind the finding;
        ``message`` is it in the current language.
    since_epoch : int or None
        The pass (1-based) where the problem started, when it has one.
    fixes : tuple of Fix
        One-click recipe changes, most useful first (may be empty).
    """

    code: str
    severity: Severity
    headline: Message
    text: Message
    since_epoch: int | None = None
    fixes: tuple[Fix, ...] = field(default_factory=tuple)

    @property
    def title(self) -> str:
        """The headline in the current language."""
        return self.headline.render()

    @property
    def message(self) -> str:
        """The sentences in the current language."""
        return self.text.render()

    def summary(self) -> dict[str, str]:
        """``{"code": ..., "message": ...}``: what the CLI's JSON summary lists (the message
        in the current language: the CLI's ``--lang``)."""
        return {"code": self.code, "message": self.message}

    def to_dict(self) -> dict[str, Any]:
        """What a result stores: the English title and message (for readers that predate
        languages) and both as messages (``title_message``, ``text``)."""
        return {
            "code": self.code,
            "severity": self.severity,
            "title": self.headline.render("en"),
            "message": self.text.render("en"),
            "title_message": self.headline.to_dict(),
            "text": self.text.to_dict(),
            "since_epoch": self.since_epoch,
            "fixes": [fix.to_dict() for fix in self.fixes],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Diagnosis:
        """Read a stored finding; one stored before languages keeps its English text."""
        return cls(
            code=str(data["code"]),
            severity=data.get("severity", "warning"),
            headline=_stored_message(data.get("title_message"), data.get("title", "")),
            text=_stored_message(data.get("text"), data["message"]),
            since_epoch=data.get("since_epoch"),
            fixes=tuple(Fix.from_dict(f) for f in data.get("fixes") or ()),
        )


def _stored_message(stored: Any, fallback: Any) -> Message:
    if isinstance(stored, Mapping) and stored.get("key"):
        return Message.from_dict(stored)
    return Message.verbatim(str(fallback))


def _joined(*parts: Message | None) -> Message:
    """Sentences written one after the other (English parts carry their leading space)."""
    return Message(JOINED_KEY, {"parts": [p for p in parts if p is not None]})


JOINED_KEY = "core.model.diagnosis.joined"


def findings(
    run: Curves,
    recipe: Recipe,
    batch_size: int | None,
    reference_loss: float | None,
    comparison: curves.BaselineComparison | None,
) -> list[Diagnosis]:
    """Every sign present on ``run``'s curves, most serious first (no ``healthy`` entry)."""
    overfit = _overfitting(run, recipe)
    underfit = _underfitting(run, recipe, reference_loss, comparison, overfit is not None)
    unsteady = _oscillating(run, recipe, batch_size)
    # A plateau is only worth its own line when the curve is otherwise sound: overfitting
    # already says what early stopping would have saved, and a flat or zigzag curve has no
    # meaningful "best" to settle at.
    flat = curves.high_and_flat(run, reference_loss) is not None
    idle = None if (overfit or unsteady or flat) else _plateau(run, recipe)
    found = [
        overfit,
        underfit,
        unsteady,
        idle,
        _no_better_than_baseline(comparison, recipe),
        _validation_below_training(run, recipe),
    ]
    return [d for d in found if d is not None]


def diverged(run: Curves, recipe: Recipe) -> Diagnosis:
    """The run blew up: a learning rate 10 times lower."""
    old = recipe.training.effective_learning_rate
    fix = remedies.learning_rate_fix(recipe, 1 / remedies.DIVERGED_LR_FACTOR)
    new = fix.changes["training.learning_rate"] if fix else old
    why = _m("diverged_nan") if run.non_finite else ""
    message = _m("diverged", epoch=run.diverged_at, why=why, new=f"{new:g}", old=f"{old:g}")
    return Diagnosis(
        DIVERGED,
        "problem",
        _m("diverged_title"),
        message,
        since_epoch=run.diverged_at,
        fixes=remedies.collect(fix),
    )


def _overfitting(run: Curves, recipe: Recipe) -> Diagnosis | None:
    sign = curves.overfitting_sign(run)
    if sign is None:
        return None
    first = _m(
        "overfitting",
        since=run.best_epoch + 1,
        best_val=curves.fmt(run.val_loss[run.best_index]),
        val=curves.fmt(sign.val_now),
        rise=f"{sign.rise * 100:.0f}",
        best_train=curves.fmt(run.loss[run.best_index]),
        train=curves.fmt(sign.train_now),
    )
    gap = _m("overfitting_gap", gap=f"{sign.gap * 100:.0f}") if sign.gap > 0 else None
    kept = _m("overfitting_kept", best=run.best_epoch)
    saved = curves.epochs_saved(run, recipe, run.best_index)
    early = None
    if not recipe.training.early_stopping and saved is not None:
        stop, n, seconds = saved
        early = _m("overfitting_saved", stop=stop, saved=n, time=_time(seconds))
    message = _joined(first, gap, kept, early)
    fixes = remedies.collect(
        remedies.dropout_fix(recipe),
        remedies.l2_fix(recipe),
        remedies.fewer_units_fix(recipe),
        remedies.early_stopping_fix(recipe),
    )
    return Diagnosis(
        OVERFITTING, "warning", _m("overfitting_title"), message, run.best_epoch + 1, fixes
    )


def _underfitting(
    run: Curves,
    recipe: Recipe,
    reference_loss: float | None,
    comparison: curves.BaselineComparison | None,
    overfitting: bool,
) -> Diagnosis | None:
    bigger = (
        remedies.more_units_fix(recipe)
        if recipe.model.hidden_layers
        else remedies.add_layer_fix(recipe)
    )
    faster = remedies.learning_rate_fix(recipe, remedies.FASTER_LR_FACTOR)
    more_epochs = remedies.more_epochs_fix(recipe) if run.stopped_because == "completed" else None
    flat = None if overfitting else curves.high_and_flat(run, reference_loss)
    if flat is not None:
        message = _m(
            "underfitting_flat",
            window=flat.window,
            train=curves.fmt(flat.train),
            val=curves.fmt(flat.val),
            reference=curves.fmt(reference_loss),
        )
        fixes = remedies.collect(bigger, remedies.add_layer_fix(recipe), faster, more_epochs)
        return Diagnosis(UNDERFITTING, "warning", _m("underfitting_title"), message, None, fixes)
    improving = curves.still_improving(run)
    if improving is not None and more_epochs is not None:
        start, end, window = improving
        message = _m(
            "underfitting_improving",
            limit=run.epochs[-1],
            start=curves.fmt(start),
            end=curves.fmt(end),
            passes=_last_passes(window),
        )
        return Diagnosis(
            UNDERFITTING, "warning", _m("underfitting_title"), message, None, (more_epochs,)
        )
    # Only a network *below* the simple model is underfitting: with its direct path from
    # the inputs it can express any straight-line model, so falling short means it has not
    # finished learning. Merely matching it is what no_better_than_baseline reports.
    if (
        comparison is not None
        and comparison.outcome == "worse"
        and recipe.model.hidden_layers
        and not overfitting
        and not curves.memorising(run)
    ):
        message = _m("underfitting_baseline", model=baseline_message(comparison.baseline_name))
        fixes = remedies.collect(bigger, faster, more_epochs)
        return Diagnosis(UNDERFITTING, "warning", _m("underfitting_title"), message, None, fixes)
    return None


def _oscillating(run: Curves, recipe: Recipe, batch_size: int | None) -> Diagnosis | None:
    swing = curves.zigzag(run)
    if swing is None:
        return None
    message = _m(
        "oscillating",
        which=_m(f"which_{swing.which}"),
        reversals=swing.reversals,
        steps=swing.steps,
        swing=f"{swing.size * 100:.0f}",
    )
    fixes = remedies.collect(
        remedies.learning_rate_fix(recipe, 1 / remedies.UNSTEADY_LR_FACTOR),
        remedies.larger_batch_fix(recipe, batch_size),
    )
    return Diagnosis(
        OSCILLATING, "warning", _m("oscillating_title"), message, swing.since_epoch, fixes
    )


def _plateau(run: Curves, recipe: Recipe) -> Diagnosis | None:
    found = curves.plateau(run, recipe)
    if found is None:
        return None
    settled, stop, saved, seconds = found
    message = _m(
        "plateau",
        tolerance=f"{curves.PLATEAU_TOLERANCE * 100:g}",
        settled=settled,
        saved=saved,
        time=_time(seconds),
    )
    fixes = remedies.collect(
        remedies.early_stopping_fix(recipe) or remedies.stop_sooner_fix(recipe, stop)
    )
    return Diagnosis(PLATEAU, "warning", _m("plateau_title"), message, settled, fixes)


def _no_better_than_baseline(
    comparison: curves.BaselineComparison | None, recipe: Recipe
) -> Diagnosis | None:
    # A network without hidden layers *is* the simple model: comparing them says nothing.
    if comparison is None or comparison.outcome == "better" or not recipe.model.hidden_layers:
        return None
    ours, theirs = comparison.formatted()
    values = {
        "model": baseline_message(comparison.baseline_name),
        "metric": metric_message(comparison.metric),
        "ours": ours,
        "theirs": theirs,
    }
    if comparison.outcome == "uncertain":
        low, high = comparison.formatted_interval()
        message = _m("no_better_uncertain", **values, low=low, high=high)
    else:
        message = _m(f"no_better_{comparison.outcome}", **values)
    severity: Severity = "problem" if comparison.outcome == "worse" else "warning"
    return Diagnosis(
        NO_BETTER_THAN_BASELINE,
        severity,
        _m("no_better_title"),
        message,
        None,
        remedies.collect(remedies.simple_model_fix(recipe)),
    )


def _validation_below_training(run: Curves, recipe: Recipe) -> Diagnosis | None:
    below = curves.validation_below_training(run)
    if below is None:
        return None
    train, val = below
    dropout = max((layer.dropout for layer in recipe.model.hidden_layers), default=0.0)
    if dropout > 0:
        message = _m(
            "below_dropout",
            val=curves.fmt(val),
            train=curves.fmt(train),
            share=f"{dropout * 100:.0f}",
        )
    else:
        message = _m("below_plain", val=curves.fmt(val), train=curves.fmt(train))
    return Diagnosis(VALIDATION_BELOW_TRAINING, "info", _m("below_title"), message)


def healthy(run: Curves, comparison: curves.BaselineComparison | None) -> Diagnosis:
    """Nothing wrong: say what went well, in figures."""
    key = "healthy" if run.finished else "healthy_live"
    message = _m(
        key,
        first=curves.fmt(run.val_loss[0]),
        best=curves.fmt(run.val_loss[run.best_index]),
        best_epoch=run.best_epoch,
    )
    if comparison is not None and comparison.outcome == "better":
        ours, theirs = comparison.formatted()
        beats = _m(
            "healthy_baseline",
            model=baseline_message(comparison.baseline_name),
            metric=metric_message(comparison.metric),
            ours=ours,
            theirs=theirs,
        )
        message = _joined(message, beats)
    return Diagnosis(HEALTHY, "ok", _m("healthy_title"), message)


def _last_passes(n: int) -> Message:
    return _m("last_pass") if n == 1 else _m("last_passes", n=n)


def _time(seconds: float | None) -> Message | str:
    if not seconds or not np.isfinite(seconds) or seconds < 1:
        return ""
    if seconds < 90:
        text = _m("seconds", n=f"{seconds:.0f}")
    else:
        text = _m("minutes", n=f"{seconds / 60:.0f}")
    return _m("time", seconds=text)
