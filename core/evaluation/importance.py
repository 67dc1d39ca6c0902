"""Which raw columns the model relies on: the score drop when one column is shuffled.

The score follows from the task (:attr:`core.model.tasks.TaskSpec.importance_metric`).
A run measures it in the prepared matrix (:func:`block_importance`): the fitted preparation
works row by row, so shuffling a raw column's rows and preparing the table again gives
exactly the matrix with that column's block of features shuffled the same way, without
preparing the table once per column and repeat. Wide tables are bounded: beyond
``MAX_SCORED`` columns, columns are first measured in groups and only the columns of the
groups that matter most one by one (:class:`Importance` says so in plain words).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from core.evaluation.metrics import finite_or_none, normalised_probabilities
from core.i18n import Texts
from core.model.tasks import task_spec


def _importance_scorer(task: str, y: np.ndarray) -> Callable[[np.ndarray], float]:
    """A higher-is-better score of predictions on ``y`` (the task's importance metric).

    Where that metric is undefined on ``y`` (R² of all-equal values, ROC AUC of a
    single outcome) the scorer falls back to minus squared error or minus log loss.
    """
    spec = task_spec(task)
    metric = spec.importance_metric
    if not spec.predicts_class:
        if metric == "r2" and np.ptp(y) > 0:
            return lambda pred: skm.r2_score(y, np.asarray(pred, dtype=np.float64).reshape(-1))
        return lambda pred: -skm.mean_squared_error(y, np.asarray(pred).reshape(-1))
    y = y.astype(np.int64)
    if metric == "roc_auc" and len(np.unique(y)) == 2:
        return lambda proba: skm.roc_auc_score(y, normalised_probabilities(proba, 2)[:, 1])

    def minus_log_loss(proba: np.ndarray) -> float:
        # A yes/no model's single probability is widened to two columns.
        k = 2 if spec.outputs.single_probability else np.shape(proba)[1]
        p = normalised_probabilities(proba, k)
        return -skm.log_loss(y, p, labels=range(p.shape[1]))

    return minus_log_loss


def permutation_importance(
    predict: Callable[[pd.DataFrame], np.ndarray],
    frame: pd.DataFrame,
    y_true: np.ndarray,
    task: str,
    columns: list[str],
    *,
    n_repeats: int = 3,
    seed: int = 0,
    max_rows: int = 5000,
) -> list[dict[str, Any]]:
    """How much the score drops when one raw input column is shuffled.

    Works on the raw columns a person knows (not the one-hot inputs of the network):
    for each column and repeat, that column's values are shuffled in a copy of a
    seeded sample of at most ``max_rows`` rows and ``predict`` is called once on it.
    The score is the task's importance metric: ROC AUC (binary), minus log loss
    (multiclass) or R² (regression); where that is undefined on the sample (a single outcome, or
    all-equal values) minus log loss or minus squared error is used instead.

    Parameters
    ----------
    predict : callable
        Raw rows -> probabilities ``(n, k)`` (classification) or values ``(n,)``.
    frame : pandas.DataFrame
        Raw rows (e.g. the test split), aligned with ``y_true``.

    Returns
    -------
    list of dict
        ``[{"column", "importance", "std"}]``, largest mean drop first; a drop near 0
        or below means the model does not rely on that column.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"Columns not in the frame: {missing}.")
    y = np.asarray(y_true).reshape(-1)
    if len(y) != len(frame):
        raise ValueError(f"frame has {len(frame)} rows but y_true has {len(y)}.")
    rng = np.random.default_rng(seed)
    rows = np.arange(len(frame))
    if len(rows) > max_rows:
        rows = np.sort(rng.choice(len(rows), max_rows, replace=False))
    sample = frame.iloc[rows].reset_index(drop=True)
    y = y[rows] if task_spec(task).predicts_class else y[rows].astype(np.float64)
    score = _importance_scorer(task, y)
    base = score(predict(sample))
    results = []
    for column in columns:
        drops = []
        for _ in range(n_repeats):
            shuffled = sample.copy()
            # set_axis keeps the column's dtype (category, str, datetime...) intact.
            shuffled[column] = (
                sample[column].iloc[rng.permutation(len(sample))].set_axis(sample.index)
            )
            drops.append(base - score(predict(shuffled)))
        results.append(
            {
                "column": str(column),
                "importance": finite_or_none(np.mean(drops)) or 0.0,
                "std": finite_or_none(np.std(drops)) or 0.0,
            }
        )
    return sorted(results, key=lambda r: r["importance"], reverse=True)


# --- in the prepared matrix, by raw column's block of features ----------------------------------

MAX_SCORED = 60  # columns measured one by one; beyond it, groups first (bounds wide tables)
GROUPS = 30  # groups a wide table's columns are measured in first
MAX_CELLS = 2_000_000  # sample rows x features shuffled at once: bounds the rows of wide tables
MIN_ROWS = 500  # ... but never fewer sample rows than this (or the test rows, if fewer)
COPIES_CELLS = 8_000_000  # shuffled copies predicted together, in cells (about 32 MB of float32)

# User-facing text in the gettext catalogs (core/i18n/locales/*/speed.po).
TEXT = Texts("evaluation.importance")


@dataclass(frozen=True)
class Importance:
    """What :func:`block_importance` measured: one row per column scored, and a note."""

    rows: list[dict[str, Any]]  # [{"column", "importance", "std"}], largest drop first
    note: str | None = None  # set when a wide table was measured in groups first
    columns_scored: int = 0
    columns_total: int = 0
    groups: list[dict[str, Any]] = field(default_factory=list)


def column_blocks(preprocessor: Any) -> list[tuple[str, slice]]:
    """Each raw input column and the slice of the prepared matrix its features fill.

    Read from the fitted preparation's columns in feature order (a number column is one
    or two features, a category column one per category or one); checked against its
    ``n_features``, so a preparation laid out otherwise is refused rather than misread.
    """
    widths = {spec.name: spec.width for spec in [*preprocessor.numeric, *preprocessor.categorical]}
    blocks, position = [], 0
    for name in preprocessor.input_columns:
        blocks.append((name, slice(position, position + widths[name])))
        position += widths[name]
    if position != preprocessor.n_features:
        raise ValueError("The preparation's columns do not add up to its features.")
    return blocks


def block_importance(
    predict: Callable[[np.ndarray], np.ndarray],
    features: np.ndarray,
    y_true: np.ndarray,
    task: str,
    blocks: Sequence[tuple[str, slice]],
    *,
    n_repeats: int = 3,
    seed: int = 0,
    max_rows: int = 5000,
) -> Importance:
    """How much the score drops when one raw column's block of prepared features is shuffled.

    Equal to shuffling the raw column and preparing the rows again (preparation is row by
    row), at a fraction of the cost. Several shuffled copies go to ``predict`` in one call.

    Parameters
    ----------
    predict : callable
        Prepared matrix -> probabilities ``(n, k)`` (classification) or values ``(n,)``.
    features : numpy.ndarray
        The prepared test rows, aligned with ``y_true``.
    blocks
        ``(column, slice)`` per raw column (:func:`column_blocks`).

    Returns
    -------
    Importance
        Rows as :func:`permutation_importance` gives them, for every column when there are
        at most ``MAX_SCORED``; otherwise for the columns of the groups that matter most,
        with ``note`` saying what was done.
    """
    y = np.asarray(y_true).reshape(-1)
    if len(y) != len(features):
        raise ValueError(f"features have {len(features)} rows but y_true has {len(y)}.")
    rng = np.random.default_rng(seed)
    width = max(1, features.shape[1])
    limit = min(max_rows, max(MIN_ROWS, MAX_CELLS // width))
    rows = np.arange(len(features))
    if len(rows) > limit:
        rows = np.sort(rng.choice(len(rows), limit, replace=False))
    sample = np.ascontiguousarray(features[rows], dtype=np.float32)
    y = y[rows] if task_spec(task).predicts_class else y[rows].astype(np.float64)
    score = _importance_scorer(task, y)
    base = score(predict(sample))

    def measure(units: list[tuple[str, list[slice]]]) -> list[dict[str, Any]]:
        drops = _shuffled_drops(predict, sample, score, base, units, n_repeats, rng)
        return [
            {
                "column": name,
                "importance": finite_or_none(np.mean(d)) or 0.0,
                "std": finite_or_none(np.std(d)) or 0.0,
            }
            for (name, _), d in zip(units, drops, strict=True)
        ]

    columns = [(str(name), [part]) for name, part in blocks]
    if len(columns) <= MAX_SCORED:
        found = measure(columns)
        return Importance(_ranked(found), None, len(found), len(columns))
    # Wide: neighbouring columns in groups first, then one by one in the groups that matter.
    bounds = np.linspace(0, len(columns), GROUPS + 1).round().astype(int)
    members = [columns[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]
    groups = measure(
        [(f"group {i + 1}", [p for _, parts in m for p in parts]) for i, m in enumerate(members)]
    )
    order = sorted(range(len(groups)), key=lambda i: groups[i]["importance"], reverse=True)
    chosen: list[int] = []
    for index in order:
        if sum(len(members[i]) for i in chosen) + len(members[index]) > MAX_SCORED:
            break
        chosen.append(index)
    found = measure([column for i in sorted(chosen) for column in members[i]])
    rest = [groups[i]["importance"] for i in range(len(groups)) if i not in chosen]
    note = TEXT["grouped"].format(
        columns=len(columns),
        groups=len(groups),
        scored=len(found),
        rest=len(columns) - len(found),
        rest_max=f"{max(0.0, max(rest, default=0.0)):.3g}",
    )
    return Importance(_ranked(found), note, len(found), len(columns), groups)


def _shuffled_drops(
    predict: Callable[[np.ndarray], np.ndarray],
    sample: np.ndarray,
    score: Callable[[np.ndarray], float],
    base: float,
    units: list[tuple[str, list[slice]]],
    n_repeats: int,
    rng: np.random.Generator,
) -> list[list[float]]:
    """Score drops per unit and repeat; the shuffled copies are predicted in batches."""
    n = len(sample)
    per_call = max(1, COPIES_CELLS // max(1, sample.size))
    jobs = [(u, r) for u in range(len(units)) for r in range(n_repeats)]
    drops: list[list[float]] = [[] for _ in units]
    for start in range(0, len(jobs), per_call):
        batch = jobs[start : start + per_call]
        copies = np.repeat(sample[np.newaxis], len(batch), axis=0)
        for copy, (unit, _) in zip(copies, batch, strict=True):
            order = rng.permutation(n)
            for part in units[unit][1]:  # one order for the whole unit: a group moves together
                copy[:, part] = sample[order, part]
        outputs = np.asarray(predict(copies.reshape(-1, sample.shape[1])))
        for index, (unit, _) in enumerate(batch):
            drops[unit].append(base - score(outputs[index * n : (index + 1) * n]))
    return drops


def _ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: r["importance"], reverse=True)
