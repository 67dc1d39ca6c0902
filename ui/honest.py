"""Honest evaluation in the app: scores with their ranges, leaks named, and an offer to fix them.

* :func:`scores_table`: every test measure of the network and the baselines with its
  uncertainty range, "0.842 (0.811–0.871)" (ranges from :mod:`core.evaluation.intervals`,
  stored in the run's ``intervals`` and ``uncertainty``).
* :func:`show_uncertainty`: the small-test-set warning in plain words, and whether the
  network is really better than each simple model on the main measure.
* :func:`leave_out_offer`: a keyed button "Leave 'X' out" that adds a column to the recipe's
  columns to leave out (the Data page beside a leak warning, the Evaluate page beside a
  suspiciously high score).
* :func:`show_suspicious_score`: the Evaluate page's warning of a score that is too good
  to be true (:func:`core.data.leaks.suspicious_score`), with the same offer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from core.data.health import LEAKAGE
from core.data.leaks import suspicious_score
from core.evaluation.intervals import Uncertainty
from core.evaluation.measures import LOWER_IS_BETTER, METRIC_LABELS, format_metric
from core.i18n import Texts
from core.results import RunResult
from ui.data import profile_dataset
from ui.state import current_dataset, current_recipe, set_recipe
from ui.text import escape_markdown

TEXT = Texts("ui.honest")
LEFT_OUT_KEY = "honest_left_out"  # the column the last "Leave 'X' out" click added


def format_score(value: Any, key: str) -> str:
    """A test measure as the app writes it (MAPE, a share, as a percentage)."""
    return format_metric(value, key)


def with_range(value: Any, interval: Sequence[float] | None, key: str) -> str:
    """ "0.842 (0.811–0.871)"; the value alone when it has no range."""
    text = format_score(value, key)
    if not interval or text == format_score(None, key):
        return text
    low, high = interval
    return TEXT["with_range"].format(
        value=text, low=format_score(low, key), high=format_score(high, key)
    )


def uncertainty_of(result: RunResult) -> Uncertainty | None:
    """The run's stored :class:`Uncertainty`, or None (a run from before ranges existed)."""
    return Uncertainty.from_dict(result.uncertainty) if result.uncertainty else None


def scores_table(result: RunResult) -> pd.DataFrame:
    """One row per measure: the network's test score and range beside each baseline's."""
    noise = uncertainty_of(result)
    baseline_ranges = noise.baseline_intervals if noise else {}
    rows = []
    for key, (label, meaning) in METRIC_LABELS.items():
        if not isinstance(result.metrics.get(key), (int, float)):
            continue
        row = {
            TEXT["measure"]: label + (TEXT["lower"] if key in LOWER_IS_BETTER else ""),
            TEXT["ours"]: with_range(result.metrics[key], result.intervals.get(key), key),
        }
        for name, metrics in result.baselines.items():
            ranges = baseline_ranges.get(name) or {}
            row[name.capitalize()] = with_range(metrics.get(key), ranges.get(key), key)
        row[TEXT["meaning"]] = meaning
        rows.append(row)
    return pd.DataFrame(rows)


def _signed(value: float, key: str) -> str:
    """A difference with its sign ("+0.031", "-0.012"), and a plain "0.000" when it rounds to 0."""
    # Differences of the main measure (a 0-1 score) below a thousandth are noise: written
    # to three decimals, not in tiny scientific digits ("1e-05").
    value = round(value, 3)
    text = format_score(value, key)
    return text if value <= 0 else f"+{text}"


def comparison_lines(result: RunResult) -> list[str]:
    """On the main measure, whether the network is really better than each simple model."""
    noise = uncertainty_of(result)
    if noise is None:
        return []
    key = result.primary_metric
    lines = []
    for baseline in result.baselines:
        found = noise.comparisons.get(baseline, {}).get(key)
        if found is None:
            continue
        low, high = _signed(found.low, key), _signed(found.high, key)
        lines.append(
            TEXT["compare"].format(
                metric=METRIC_LABELS.get(key, (key,))[0],
                baseline=baseline,
                difference=_signed(found.difference, key),
                # Every resample agreeing (a perfect score) gives a range of one value: say none.
                range="" if low == high else TEXT["compare_range"].format(low=low, high=high),
                outcome=TEXT["outcomes"].get(found.outcome, found.outcome),
            )
        )
    return lines


def show_uncertainty(result: RunResult) -> None:
    """What the ranges mean, the network against each baseline, and the small-test warning."""
    noise = uncertainty_of(result)
    if noise is None:
        return
    lines = [
        TEXT["ranges"].format(
            confidence=noise.confidence, resamples=noise.resamples, n=noise.n_test
        ),
        *comparison_lines(result),
    ]
    st.caption("  \n".join(escape_markdown(line) for line in lines))
    if noise.advice:
        st.warning(
            TEXT["small_test_line"].format(advice=escape_markdown(noise.advice)),
            icon=":material/warning:",
        )


# --- leaving a column out ------------------------------------------------------------------


def leave_out(column: str) -> None:
    """Add ``column`` to the columns to leave out of the session's recipe.

    Also updates the Data page's widget list when it is in the session, so that page shows
    the column as left out. Safe to call from a widget callback: it only stores values.
    """
    recipe = current_recipe()
    if column not in recipe.drop_columns:
        set_recipe(recipe.with_changes(drop_columns=[*recipe.drop_columns, column]))
    chosen = st.session_state.get("drop_columns")
    if isinstance(chosen, list) and column not in chosen:
        st.session_state["drop_columns"] = [*chosen, column]
    st.session_state[LEFT_OUT_KEY] = column


def leave_out_key(key_prefix: str, column: str) -> str:
    """The key of a "Leave 'X' out" button (tests find the buttons by it)."""
    return f"{key_prefix}_leave_out_{column}"


def leave_out_offer(column: str, key_prefix: str, *, next_page: str | None = None) -> None:
    """A "Leave 'X' out" button, or, once it is left out, a sentence saying so.

    ``next_page``, when given, is linked after the sentence (to start a new run).
    """
    if column in current_recipe().drop_columns:
        said = TEXT["left_out" if next_page else "left_out_plain"].format(column=column)
        st.success(escape_markdown(said), icon=":material/check:")
        if next_page:
            st.page_link(next_page, label=TEXT["to_train"], icon=":material/arrow_forward:")
        return
    st.button(
        TEXT["leave_out"].format(column=column),
        key=leave_out_key(key_prefix, column),
        help=TEXT["leave_out_help"].format(column=column),
        icon=":material/block:",
        on_click=leave_out,
        args=(column,),
    )


def leak_columns_for(result: RunResult) -> list[str]:
    """Columns the data check flagged as possible leaks, for the run's data and target.

    Read from the session's dataset profile (cached) when it is the run's file; empty
    otherwise (the Evaluate page then relies on the importance of the columns alone).
    """
    dataset = current_dataset()
    if dataset is None or result.data is None or dataset.name != result.data.name:
        return []
    profile = profile_dataset(dataset, result.target, current_recipe().split.test_fraction)
    return [w.column for w in profile.warnings if w.code == LEAKAGE and w.column]


def show_suspicious_score(result: RunResult, train_page: str) -> None:
    """A warning beside a score that is too good to be true, naming the column behind it."""
    found = suspicious_score(result.to_dict(), leak_columns_for(result))
    if found is None:
        return
    st.warning(escape_markdown(found.message), icon=":material/report:")
    for column in found.drop_columns:
        leave_out_offer(column, "evaluate", next_page=train_page)
