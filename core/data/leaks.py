"""Columns that may leak the outcome: known only after it, so a model using them fails later.

A leak is rarely a perfect copy of the target. A column recorded after the outcome
usually explains most of what all columns together explain without being perfect:
spending that is zero for everyone refused a card, a loan grade that fixes the interest
rate. :func:`find_leaks` looks for that shape, on a seeded sample of at most
``SAMPLE_ROWS`` rows, with cross-validated (out-of-fold) scores only:

1. *Each column alone* (every candidate; a cheap screen that grows linearly with the
   table): rows are grouped by the column's value (``GROUPS`` quantile bins for numbers,
   the most frequent categories for the rest, one group for empty cells) and each row is
   predicted by its group's outcomes in the other folds.
2. *All columns together*: a small gradient-boosted tree model on the ``MODEL_COLUMNS``
   best columns alone.
3. *One by one* (at most ``CHECKED_COLUMNS``, best alone first, and only those that
   alone reach ``LEAK_SHARE`` of the full score): the same model without that column,
   which says whether the other columns can make up for it.

Scores share one "skill" scale where 0 is guessing and 1 is perfect: 2·AUC − 1 for
outcomes (macro one-vs-rest for several classes) and R² for numbers. A column is flagged
when, alone, it is near perfect (``NEAR_PERFECT``), or when the full model is very good
(``MIN_FULL_SKILL``), the column alone reaches ``LEAK_SHARE`` of its skill *and* the model
loses at least ``LEAK_UNIQUE`` of its skill without it: it towers over every other
column, which cannot replace it. A strong but ordinary column (carat for a diamond's
price) passes the second test but fails the third, because other columns (the diamond's
size) largely replace it; one that dominates a modest model (income for a loan) fails
the first.

Limits, measured by ``bench/leaks.py``: two leaked columns that copy each other hide
each other in step 3; a weak leak (alone well below the rest) is not flagged.
:func:`suspicious_score` is the Evaluate page's view: a headline score that is
suspiciously high, and the column that carries it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.data.profile_types import ColumnProfile, TaskInfo
from core.i18n import Message, Texts
from core.portable.reading import normalise_label, parse_numbers

SAMPLE_ROWS = 5000  # rows looked at: enough to tell a leak from noise, fast on any table
FOLDS = 3
GROUPS = 32  # value groups of one column (quantile bins or top categories)
SMOOTHING = 1.0  # rows' worth of the overall outcome mixed into each group's outcome
MODEL_COLUMNS = 40  # columns the full model sees (best alone first): bounds wide tables
CHECKED_COLUMNS = 3  # columns refitted one by one, at most
MODEL_ITERATIONS = 40  # boosting rounds of the cheap full model
MAX_MODEL_CATEGORIES = 250  # the tree model's categories per column (the rest are "other")
NEAR_PERFECT = 0.98  # skill alone at least this: flagged whatever the rest does
LEAK_SHARE = 0.75  # alone reaches this share of the full model's skill ...
LEAK_UNIQUE = 0.1  # ... and the full model loses this share of its skill without it
# A leak makes the model too good to be true; a column that dominates a modest model (skill
# below this) is an ordinary strong driver, such as income for a loan decision.
MIN_FULL_SKILL = 0.75
SEED = 0
# The Evaluate page: a headline score at least this high is suspicious for business data ...
SUSPICIOUS_SCORE = {"roc_auc": 0.97, "accuracy": 0.97, "r2": 0.95}
# ... when one column's importance is at least this many times the next one's ...
TOWER_RATIO = 3.0
# ... and beyond this many times the others are noise (shuffle drops of 1e-17): "no other".
ALONE_RATIO = 100.0

# All user-facing sentences of this module: keys of the catalog "core.data.leaks" (data.po).
MESSAGES = Texts("core.data.leaks")
# The setting that leaves a column out, as its catalog names it (the recipe's label).
DROP_SETTING_KEY = "core.data.health.setting_drop"


@dataclass(frozen=True)
class ColumnLeakCheck:
    """What the leak check found for one column (skills: 0 = guessing, 1 = perfect)."""

    column: str
    alone: float  # skill of the column alone, out of fold
    without: float | None  # skill of the full model without it (None: not checked)
    flagged: bool
    reason: str | None  # "near_perfect" | "dominant" | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LeakReport:
    """The leak check of one table and target (see :func:`find_leaks`)."""

    target: str
    full: float  # skill of the cheap model on all columns, out of fold
    rows: int  # rows looked at
    columns: list[ColumnLeakCheck] = field(default_factory=list)  # best alone first
    seconds: float = 0.0

    @property
    def leaks(self) -> list[ColumnLeakCheck]:
        """The flagged columns, best alone first."""
        return [c for c in self.columns if c.flagged]

    def message(self, check: ColumnLeakCheck) -> str:
        """The plain warning for a flagged column, in the current language."""
        return self.message_of(check).render()

    def message_of(self, check: ColumnLeakCheck) -> Message:
        """The plain warning for a flagged column: what it means and how to leave it out."""
        share = check.alone / self.full if self.full > 0 else 1.0
        drop = (self.full - check.without) / self.full if check.without is not None else 0.0
        params = {
            "column": check.column,
            "target": self.target,
            "share": float(min(share, 1.0)),
            "drop": float(drop),
            "setting": Message(DROP_SETTING_KEY),
        }
        return Message(MESSAGES.key(check.reason or "dominant"), params)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "full": self.full,
            "rows": self.rows,
            "columns": [c.to_dict() for c in self.columns],
            "seconds": self.seconds,
        }


def find_leaks(
    df: pd.DataFrame,
    task: TaskInfo,
    candidates: Sequence[ColumnProfile],
    usable: pd.Series,
    *,
    seed: int = SEED,
) -> LeakReport:
    """Check every candidate column for the shape of a leak (see the module docstring).

    Parameters
    ----------
    df : pandas.DataFrame
        The whole table.
    task : TaskInfo
        The task and the column to predict.
    candidates : sequence of ColumnProfile
        The input columns to check (numbers, categories, yes/no).
    usable : pandas.Series
        bool, True for rows that have a value in the target.
    seed : int
        Seeds the row sample and the folds.

    Returns
    -------
    LeakReport
        Every candidate's scores, best alone first, with the flagged ones marked.
    """
    started = time.perf_counter()
    rows = np.flatnonzero(usable.to_numpy())
    if len(rows) > SAMPLE_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(rows, SAMPLE_ROWS, replace=False))
    y, k = _outcomes(df[task.target].iloc[rows], task)
    known = y >= 0 if k else np.isfinite(y)
    rows, y = rows[known], y[known]
    if not candidates or len(rows) < 3 * FOLDS or len(np.unique(y)) < 2:
        return LeakReport(task.target, 0.0, len(rows), [], time.perf_counter() - started)
    folds = _folds(len(rows), seed)
    alone = {}
    for column in candidates:
        groups = _groups(df[column.name].iloc[rows], column.kind)
        alone[column.name] = _skill(y, _by_group(groups, y, k, folds), k)
    ranked = sorted(alone, key=lambda name: alone[name], reverse=True)[:MODEL_COLUMNS]
    kinds = {c.name: c.kind for c in candidates}
    features = {name: _model_feature(df[name].iloc[rows], kinds[name]) for name in ranked}
    full = _skill(y, _model(features, y, k, folds, seed), k)
    checks = []
    for name in sorted(alone, key=lambda name: alone[name], reverse=True):
        score, without, reason = alone[name], None, None
        if score >= NEAR_PERFECT:
            reason = "near_perfect"
        elif (
            full >= MIN_FULL_SKILL
            and score >= LEAK_SHARE * full
            and sum(c.without is not None for c in checks) < CHECKED_COLUMNS
        ):
            rest = {other: feature for other, feature in features.items() if other != name}
            without = _skill(y, _model(rest, y, k, folds, seed), k) if rest else 0.0
            if full - without >= LEAK_UNIQUE * full:
                reason = "dominant"
        checks.append(ColumnLeakCheck(name, score, without, reason is not None, reason))
    return LeakReport(task.target, full, len(rows), checks, time.perf_counter() - started)


def _outcomes(raw: pd.Series, task: TaskInfo) -> tuple[np.ndarray, int]:
    """Class indices (-1: not a known class) and the class count, or numbers and 0."""
    if not task.spec.predicts_class:
        return parse_numbers(raw)[0].to_numpy(dtype=np.float64), 0
    index = {normalise_label(label): i for i, label in enumerate(task.class_labels)}
    keys = _keys(raw)
    return keys.map(index).fillna(-1).to_numpy(dtype=np.int64), len(task.class_labels)


def _keys(values: pd.Series) -> pd.Series:
    """The comparison key of each value's label text (as the target encoder reads it)."""
    from core.portable.preprocess import label_text

    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    keys = np.array([*(normalise_label(label_text(u)) for u in uniques), ""], dtype=object)
    return pd.Series(keys[codes], index=values.index)


def _folds(n: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    fold_of = np.random.default_rng(seed).permutation(n) % FOLDS
    return [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(FOLDS)]


def _groups(values: pd.Series, kind: str) -> np.ndarray:
    """Group index of each row: quantile bins or frequent categories, empty cells apart."""
    if kind == "numeric":
        numbers = parse_numbers(values)[0].to_numpy(dtype=np.float64)
        present = np.isfinite(numbers)
        edges = np.unique(np.quantile(numbers[present], np.linspace(0, 1, GROUPS + 1)[1:-1]))
        # Each bin is (previous edge, edge]: a value repeated in many rows (zero spending)
        # is the top of its bin, so it never shares a bin with the values just above it.
        groups = np.searchsorted(edges, numbers, side="left") if present.any() else numbers
        return np.where(present, groups, len(edges) + 1).astype(np.int64)
    codes, _ = pd.factorize(_keys(values).where(values.notna()), use_na_sentinel=True)
    frequent = pd.Series(codes[codes >= 0]).value_counts().index[: GROUPS - 1].to_numpy()
    lookup = np.full(codes.max() + 2, GROUPS - 1)  # the rest share one group ...
    lookup[frequent] = np.arange(len(frequent))
    return np.where(codes >= 0, lookup[codes], GROUPS).astype(np.int64)  # ... empty cells another


def _by_group(groups: np.ndarray, y: np.ndarray, k: int, folds: list) -> np.ndarray:
    """Out-of-fold prediction of each row from its group's outcomes, smoothed to the mean."""
    n_groups = int(groups.max()) + 1
    predicted = np.zeros((len(y), k)) if k else np.zeros(len(y))
    for train, test in folds:
        g = groups[train]
        sizes = np.bincount(g, minlength=n_groups)[:, None]
        if k:
            prior = np.bincount(y[train], minlength=k) / len(train)
            table = np.bincount(g * k + y[train], minlength=n_groups * k).reshape(n_groups, k)
            predicted[test] = ((table + SMOOTHING * prior) / (sizes + SMOOTHING))[groups[test]]
        else:
            prior = y[train].mean()
            sums = np.bincount(g, weights=y[train], minlength=n_groups)
            means = (sums + SMOOTHING * prior) / (sizes[:, 0] + SMOOTHING)
            predicted[test] = means[groups[test]]
    return predicted


def _model_feature(values: pd.Series, kind: str) -> tuple[np.ndarray, bool]:
    """A column as the tree model reads it: numbers, or category codes (empty cells: NaN)."""
    if kind == "numeric":
        return parse_numbers(values)[0].to_numpy(dtype=np.float64), False
    codes, _ = pd.factorize(_keys(values).where(values.notna()), use_na_sentinel=True)
    frequent = pd.Series(codes[codes >= 0]).value_counts().index[: MAX_MODEL_CATEGORIES - 1]
    lookup = np.full(codes.max() + 2, MAX_MODEL_CATEGORIES - 1, dtype=np.float64)
    lookup[frequent.to_numpy()] = np.arange(len(frequent))
    return np.where(codes >= 0, lookup[codes], np.nan), True


def _model(
    features: dict[str, tuple[np.ndarray, bool]], y: np.ndarray, k: int, folds: list, seed: int
) -> np.ndarray:
    """Out-of-fold predictions of a small gradient-boosted tree model on the features."""
    from threadpoolctl import threadpool_limits

    X = np.column_stack([values for values, _ in features.values()])
    categorical = np.array([is_category for _, is_category in features.values()])
    settings = {
        "max_iter": MODEL_ITERATIONS,
        "max_leaf_nodes": 15,
        "early_stopping": False,
        "categorical_features": categorical if categorical.any() else None,
        "random_state": seed,
    }
    predicted = np.zeros((len(y), k)) if k else np.zeros(len(y))
    # One thread: on small samples the threads mostly wait for each other, and on a busy
    # machine (several users, or training running) that waiting made it 7 times slower.
    with threadpool_limits(1):
        _fit_folds(X, y, k, folds, settings, predicted)
    return predicted


def _fit_folds(
    X: np.ndarray, y: np.ndarray, k: int, folds: list, settings: dict, predicted: np.ndarray
) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    for train, test in folds:
        if k:
            if len(np.unique(y[train])) < 2:
                predicted[test] = np.bincount(y[train], minlength=k) / len(train)
                continue
            model = HistGradientBoostingClassifier(**settings).fit(X[train], y[train])
            predicted[np.ix_(test, model.classes_)] = model.predict_proba(X[test])
        else:
            model = HistGradientBoostingRegressor(**settings).fit(X[train], y[train])
            predicted[test] = model.predict(X[test])


def _skill(y: np.ndarray, predicted: np.ndarray, k: int) -> float:
    """0 = guessing, 1 = perfect: 2·AUC − 1 for outcomes (macro over classes), R² for numbers.

    Computed with numpy (the same formulas as scikit-learn's ``roc_auc_score``, ties counted
    half, and ``r2_score``): called once per column, scikit-learn's input checks cost more
    than the scores on a wide table (2,000 columns: most of a minute).
    """
    if not k:
        y = np.asarray(y, dtype=np.float64)
        total = float(np.sum((y - y.mean()) ** 2))
        if not total > 0:
            return 0.0
        return 1.0 - float(np.sum((y - np.asarray(predicted, dtype=np.float64)) ** 2)) / total
    aucs = [
        _auc(y == c, predicted[:, c])
        for c in (range(k) if k > 2 else [1])
        if 0 < (y == c).sum() < len(y)
    ]
    return float(2 * np.mean(aucs) - 1) if aucs else 0.0


def _auc(positive: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC from ranks (Mann-Whitney U), tied scores sharing their average rank."""
    from scipy.stats import rankdata

    ranks = rankdata(score)
    n_positive = int(positive.sum())
    n_negative = len(positive) - n_positive
    u = float(ranks[positive].sum()) - n_positive * (n_positive + 1) / 2
    return u / (n_positive * n_negative)


@dataclass(frozen=True)
class ScoreSuspicion:
    """A headline score that looks too good, and the column that may explain it."""

    metric: str
    score: float
    column: str
    reason: str  # "data_check" (flagged when the data was checked) | "importance"
    message: str  # plain words, naming the column and how to leave it out

    @property
    def drop_columns(self) -> list[str]:
        """What to add to the recipe's columns to leave out, to follow the advice."""
        return [self.column]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "drop_columns": self.drop_columns}


def suspicious_score(
    result: Mapping[str, Any], leak_columns: Sequence[str] = ()
) -> ScoreSuspicion | None:
    """Whether a run's headline score is suspiciously high because of one column.

    For the Evaluate page, beside the score. The headline test score must reach
    ``SUSPICIOUS_SCORE`` and one column must stand out: a column the data check flagged
    (``leak_columns``, e.g. the columns of the profile's ``leakage`` warnings) that the
    model used, or a column whose shuffle importance is at least ``TOWER_RATIO`` times
    every other column's.

    Parameters
    ----------
    result : mapping
        The run's result (``primary_metric``, ``metrics``, ``feature_importance``: rows
        with ``column`` and ``importance``, as dicts or objects).
    leak_columns : sequence of str
        Columns the data check flagged as possible leaks.

    Returns
    -------
    ScoreSuspicion or None
        None when the score is not suspicious or no column stands out.
    """
    metric = result.get("primary_metric")
    score = (result.get("metrics") or {}).get(metric)
    if metric not in SUSPICIOUS_SCORE or score is None or score < SUSPICIOUS_SCORE[metric]:
        return None
    importance = []
    for row in result.get("feature_importance") or []:
        column = row["column"] if isinstance(row, Mapping) else row.column
        value = row["importance"] if isinstance(row, Mapping) else row.importance
        importance.append((str(column), float(value or 0.0)))
    importance.sort(key=lambda pair: pair[1], reverse=True)
    used = {column for column, value in importance if value > 0}
    flagged = [column for column in leak_columns if column in used or not importance]
    if flagged:
        column, reason, why = flagged[0], "data_check", MESSAGES["why_check"]
    elif importance and importance[0][1] > 0:
        top = importance[0][1]
        runner_up = max(importance[1][1], 0.0) if len(importance) > 1 else 0.0
        if top < TOWER_RATIO * runner_up:
            return None
        times = top / runner_up if runner_up > 0 else float("inf")
        column, reason = importance[0][0], "importance"
        why = (
            MESSAGES["why_importance"].format(times=times)
            if times < ALONE_RATIO
            else MESSAGES["why_alone"]
        )
    else:
        return None
    from core.evaluation.measures import format_metric, metric_label

    message = MESSAGES["suspicious"].format(
        metric=metric_label(metric),
        score=format_metric(float(score), metric),
        column=column,
        why=why,
        setting=Message(DROP_SETTING_KEY).render(),
    )
    return ScoreSuspicion(str(metric), float(score), column, reason, message)
