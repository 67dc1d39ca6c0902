"""Decisions of a yes/no model in sentences a product manager reads.

"Of every 100 customers flagged as churn “Yes”, about 62 really are." The counts come from
:mod:`core.evaluation.decisions`; numbers are written with :func:`format_number`. Every
sentence is in ``TEXT``, for translation. Plain text: the page and the card escape it.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.evaluation.decisions import PER_ROWS, BestThreshold, ThresholdOutcome
from core.evaluation.formatting import format_number
from core.i18n import Texts

# Every sentence of this module: keys of the catalog "core.evaluation.decision_text".
TEXT = Texts("core.evaluation.decision_text")


def outcome_sentences(
    outcome: ThresholdOutcome,
    target: str,
    class_labels: Sequence[str],
    noun: str | None = None,
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
        What a row is, in the plural ("customers"); "rows" (in the current language) by default.
    """
    names = {
        "noun": noun or TEXT["rows"],
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
            false_alarms=_count(outcome.false_positives),
            missed=f"{outcome.false_negatives:,}",
            **names,
        )
    )
    return sentences


def _count(n: int) -> str:
    return TEXT["false_alarm_one" if n == 1 else "false_alarm_many"].format(n=f"{n:,}")


def best_sentence(
    best: BestThreshold,
    value_of_catch: float,
    cost_of_false_alarm: float,
    noun: str | None = None,
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
        noun=noun or TEXT["rows"],
        **amounts,
    )
