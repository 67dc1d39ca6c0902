"""Importance in the prepared matrix: the same numbers as shuffling raw columns, bounded work.

A run shuffles each raw column's block of prepared features (core.evaluation.importance's
``block_importance``) instead of preparing the raw table again per column and repeat; wide
tables are measured in groups first and say so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.evaluation import importance
from core.evaluation.importance import block_importance, column_blocks, permutation_importance
from core.model.recipe import Recipe
from core.portable.preprocess import Preprocessor


def mixed_frame(n: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "noise": rng.normal(size=n),
            "city": pd.Series(rng.choice(["Oslo", "Rome", "Lima"], n), dtype="str"),
            "signal": rng.normal(size=n),
        }
    )
    frame.loc[rng.random(n) < 0.1, "noise"] = np.nan  # a missing-value indicator: two features
    return frame


def fitted(frame: pd.DataFrame) -> Preprocessor:
    kinds = {c: "categorical" if c == "city" else "numeric" for c in frame.columns}
    return Preprocessor.fit(frame, kinds, Recipe().preprocessing.model_dump())


def test_blocks_follow_the_preparations_features() -> None:
    preprocessor = fitted(mixed_frame())
    blocks = column_blocks(preprocessor)
    assert [name for name, _ in blocks] == preprocessor.input_columns
    widths = [part.stop - part.start for _, part in blocks]
    # "noise" has empty cells: its value and an "is empty" input; one input per city slot.
    city = preprocessor.categorical[0]
    assert widths == [2, len(city.slots), 1] and len(city.slots) >= 3
    assert sum(widths) == preprocessor.n_features
    names = preprocessor.feature_names
    for name, part in blocks:
        assert all(feature.startswith(name) for feature in names[part])


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_shuffling_a_block_equals_shuffling_the_raw_column(task: str) -> None:
    frame = mixed_frame()
    preprocessor = fitted(frame)
    features, _ = preprocessor.transform(frame)
    weights = np.random.default_rng(0).normal(size=(features.shape[1], 3))
    signal = frame["signal"].to_numpy()
    y = {
        "binary": (signal > 0).astype(int),
        "multiclass": np.digitize(signal, [-0.5, 0.5]),
        "regression": 2 * signal,
    }[task]

    def predict_matrix(x: np.ndarray) -> np.ndarray:
        z = x.astype(np.float64) @ weights
        if task == "regression":
            return z[:, 0]
        if task == "binary":
            p = 1 / (1 + np.exp(-z[:, :1]))
            return np.hstack([1 - p, p])
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    raw = permutation_importance(
        lambda rows: predict_matrix(preprocessor.transform(rows)[0]),
        frame,
        y,
        task,
        preprocessor.input_columns,
        seed=7,
        max_rows=300,
    )
    prepared = block_importance(
        predict_matrix, features, y, task, column_blocks(preprocessor), seed=7, max_rows=300
    )
    assert prepared.note is None and prepared.columns_scored == 3
    assert [r["column"] for r in prepared.rows] == [r["column"] for r in raw]
    for mine, theirs in zip(prepared.rows, raw, strict=True):
        assert mine["importance"] == pytest.approx(theirs["importance"], abs=1e-9)
        assert mine["std"] == pytest.approx(theirs["std"], abs=1e-9)


def test_a_wide_table_is_measured_in_groups_first_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(1)
    n_rows, n_columns, key = 300, 400, 123
    features = rng.normal(size=(n_rows, n_columns)).astype(np.float32)
    y = (features[:, key] > 0).astype(int)
    calls: list[int] = []

    def predict(x: np.ndarray) -> np.ndarray:
        calls.append(len(x))
        p = 1 / (1 + np.exp(-4 * x[:, key].astype(np.float64)))
        return np.column_stack([1 - p, p])

    # Small batches of copies, so the count of predicted rows is checked, not one big call.
    monkeypatch.setattr(importance, "COPIES_CELLS", n_rows * n_columns * 7)
    blocks = [(f"c{i}", slice(i, i + 1)) for i in range(n_columns)]
    found = block_importance(predict, features, y, "binary", blocks, n_repeats=2, seed=0)
    assert found.rows[0]["column"] == f"c{key}" and found.rows[0]["importance"] > 0.3
    assert found.columns_total == n_columns
    assert found.columns_scored == len(found.rows) <= importance.MAX_SCORED
    assert all(row["importance"] == 0.0 for row in found.rows[1:])
    assert found.note and f"{n_columns:,} input columns" in found.note
    assert f"{n_columns - found.columns_scored:,} columns are not listed" in found.note
    # Bounded: the base score, the groups and the chosen columns, each repeat once.
    shuffled_rows = sum(calls) - n_rows
    assert shuffled_rows == 2 * n_rows * (importance.GROUPS + found.columns_scored)
    assert max(calls) <= 7 * n_rows
