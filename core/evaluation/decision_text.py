"""Decisions of a yes/no model in sentences a product manager reads.

"Of every 100 customers flagged as churn “Yes”, about 62 really are." The counts come from
:mod:`core.evaluation.decisions`; numbers are written with :func:`format_number`. Every
sentence is in ``TEXT``, for translation. Plain text: the page and the card escape it.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.evaluation.decisions import PER_ROWS, BestThreshold, ThresholdOutcome
from core.evaluation.formatting import format_number

TEXT = {
    "precision": "Of every 100 {noun} flagged as {target} {positive}, about {n} really are.",
    "precision_none": "At this threshold the model flags none of the {noun} as {target} "
    "{positive}.",
    "recall": "You catch {share} of the {noun} whose {target} is {positive} "
    "({caught:,} of {positives:,} in the test rows).",
    "recall_none": "The test rows hold no {noun} whose {target} is {positive}, so there is "
    "nothing to catch.",
    "flagged": "You flag {share} of all {noun} ({flagged:,} of {total:,}); {false_alarms} "
    "among them, and you miss {missed} whose {target} is {positive}.",
    "false_alarm": ("false alarm", "false alarms"),
    "best": "With a right catch worth {value} and a false alarm costing {cost}, the best "
    "threshold is {threshold}: about {per_rows} per {rows:,} {noun} scored.",
    "no_gain": "With a right catch worth {value} and a false alarm costing {cost}, no threshold "
    "pays off on the test rows: acting on nobody is best. Check the amounts.",
}


def outcome_sentences(
    outcome: ThresholdOutcome, target: str, class_labels: Sequence[str], noun: str = "rows"
) -> list[str]:
    """What the decision at one threshold means, in three plain sentences.

    Parameters
    ----------
    outcome
        The decision (from :func:`outcome_at` or :meth:`DecisionCurve.at`).
    target
        The column predicted (e.g. "churn").
    class_labels
        The two outcomes; the second is the one flagged.
    noun
        What a row is, in the plural ("customers"); "rows" by default.
    """
    names = {
        "noun": noun,
        "target": target,
        "positive": f"“{class_labels[1]}”",
    }
    sentences = []
    if outcome.precision is None:
        sentences.append(TEXT["precision_none"].format(**names))
    else:
        sentences.append(TEXT["precision"].format(n=round(100 * outcome.precision), **names))
    if outcome.recall is None:
        sentences.append(TEXT["recall_none"].format(**names))
    else:
        sentences.append(
            TEXT["recall"].format(
                share=format_number(outcome.recall, kind="percent"),
                caught=outcome.true_positives,
                positives=outcome.positives,
                **names,
            )
        )
    sentences.append(
        TEXT["flagged"].format(
            share=format_number(outcome.flagged_share, kind="percent"),
            flagged=outcome.flagged,
            total=outcome.total,
            false_alarms=_count(outcome.false_positives, *TEXT["false_alarm"]),
            missed=f"{outcome.false_negatives:,}",
            **names,
        )
    )
    return sentences


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n:,} {singular if n == 1 else plural}"


def best_sentence(
    best: BestThreshold, value_of_catch: float, cost_of_false_alarm: float, noun: str = "rows"
) -> str:
    """The best threshold for these amounts, or that none pays off, in one sentence."""
    amounts = {
        "value": format_number(value_of_catch, "amount"),
        "cost": format_number(cost_of_false_alarm, "amount"),
    }
    if not best.pays_off:
        return TEXT["no_gain"].format(**amounts)
    return TEXT["best"].format(
        threshold=f"{best.threshold:.2f}",
        per_rows=format_number(best.per_rows, "amount"),
        rows=PER_ROWS,
        noun=noun,
        **amounts,
    )
