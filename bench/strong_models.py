"""The strongest untuned models people reach for: CatBoost and RealMLP-TD, on raw columns.

Both are optional, bench-only dependencies (the ``bench`` extra of ``pyproject.toml``): when
one is not installed its column is skipped with a message (:func:`missing_package`).

They bring their own preprocessing (CatBoost's ordered target statistics for categories,
RealMLP's robust scaling with smooth clipping, one-hot/embeddings and numeric embeddings),
which is part of what makes them strong, so they get the RAW columns of the rows, not the
app's matrix. The rows are exactly the app's: :func:`raw_rows` repeats the split of
:func:`core.model.preparation.prepare` (same function, same seed), keeps the rows the
recipe keeps, and checks that its test rows are the ones the app's model was scored on. The
columns are the ones the app's preprocessor uses (identifiers and constant columns left
out), numbers as floats (empty = NaN), categories as text (empty = "(empty)").

Like the other models they are fitted on training + validation rows (see
:mod:`bench.competitors`); RealMLP-TD sets aside its own 20% of those to pick its best epoch.

- :func:`run_catboost`: ``CatBoostClassifier`` / ``CatBoostRegressor`` with their defaults
  (1,000 trees, automatic learning rate), ``cat_features`` = the category columns, seeded.
- :func:`run_realmlp`: pytabkit's ``RealMLP_TD_Classifier`` / ``RealMLP_TD_Regressor`` with
  their defaults (the pre-tuned "TD" settings), on the CPU with every core, seeded. It refuses
  empty numbers, so those get the training median plus a 0/1 "was empty" column.

``--quick`` smoke runs cap CatBoost's trees and RealMLP's epochs; full runs use the defaults.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from importlib.util import find_spec
from typing import Any

import numpy as np
import pandas as pd

EMPTY_CATEGORY = "(empty)"
# --quick smoke runs only: the full benchmark always uses the defaults.
QUICK_TREES = 50
QUICK_EPOCHS = 4


@dataclass(frozen=True)
class RunOptions:
    """How the competitors run: ``quick`` smoke runs; ``threads`` (None: the library's own)."""

    quick: bool = False
    threads: int | None = None


@dataclass
class RawRows:
    """Raw input columns of the app's training + validation rows and of its test rows."""

    x_fit: pd.DataFrame
    y_fit: np.ndarray  # class indices, or the target in its own units
    x_test: pd.DataFrame
    categorical: list[str]


def missing_package(package: str) -> str | None:
    """A plain sentence if ``package`` is not installed, else None."""
    if find_spec(package) is not None:
        return None
    return (
        f"'{package}' is not installed, so its column is skipped: "
        'pip install -e ".[bench]" to compare with it.'
    )


def raw_rows(frame: pd.DataFrame, recipe, data) -> RawRows:
    """The raw columns of the rows ``prepare(frame, recipe)`` gave ``data``.

    Raises
    ------
    RuntimeError
        If the test rows found are not the app's (a change in ``prepare`` to follow here).
    """
    from core.model.preparation import _split  # the app's split itself, not a copy of it
    from core.portable.preprocess import numbers_in

    target = recipe.target
    kept = frame[frame[target].notna()].reset_index(drop=True)
    y_all = data.target_encoder.encode(kept[target]) if data.task.spec.predicts_class else None
    train_idx, val_idx, test_idx, _ = _split(len(kept), y_all, recipe)
    columns = data.preprocessor.column_kinds()
    categorical = [name for name, kind in columns.items() if kind != "numeric"]

    def part(indices: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
        raw = kept.iloc[indices].reset_index(drop=True)
        _, usable = data.preprocessor.transform(raw)
        raw = raw[usable].reset_index(drop=True)
        x = pd.DataFrame(index=raw.index)
        for name, kind in columns.items():
            if kind == "numeric":
                x[name] = numbers_in(name, raw[name])
            else:
                x[name] = raw[name].astype("object").where(raw[name].notna(), EMPTY_CATEGORY)
                x[name] = x[name].astype(str)
        return x, raw

    (x_train, train), (x_val, val), (x_test, test) = (
        part(i) for i in (train_idx, val_idx, test_idx)
    )
    if not test.equals(data.test_frame):
        raise RuntimeError("raw_rows no longer finds the app's test rows: follow prepare()")
    y_raw = pd.concat([train[target], val[target]], ignore_index=True)
    if data.task.spec.predicts_class:
        y_fit = data.target_encoder.encode(y_raw)
    else:
        y_fit = y_raw.astype("float64").to_numpy()
    return RawRows(pd.concat([x_train, x_val], ignore_index=True), y_fit, x_test, categorical)


def run_catboost(data, rows: RawRows, seed: int, options: RunOptions) -> dict[str, Any]:
    """CatBoost with its defaults (``quick``: :data:`QUICK_TREES` trees, for smoke runs)."""
    from catboost import CatBoostClassifier, CatBoostRegressor

    from bench.competitors import widened_proba

    # allow_writing_files=False: no catboost_info/ folder of training logs in the working folder
    settings = {
        "random_seed": seed,
        "verbose": False,
        "cat_features": rows.categorical,
        "allow_writing_files": False,
        "thread_count": options.threads or -1,  # -1: every core, CatBoost's default
    }
    if options.quick:
        settings["iterations"] = QUICK_TREES
    started = time.perf_counter()
    if data.task.spec.predicts_class:
        model = CatBoostClassifier(**settings).fit(rows.x_fit, rows.y_fit)
        outputs = widened_proba(model, rows.x_test, len(data.task.class_labels))
    else:
        model = CatBoostRegressor(**settings).fit(rows.x_fit, rows.y_fit)
        outputs = model.predict(rows.x_test)
    seconds = time.perf_counter() - started
    return {"outputs": outputs, "epochs": int(model.tree_count_), "seconds": seconds}


def run_realmlp(data, rows: RawRows, seed: int, options: RunOptions) -> dict[str, Any]:
    """RealMLP-TD with its defaults (``quick``: :data:`QUICK_EPOCHS` epochs, for smoke runs)."""
    from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor

    from bench.competitors import widened_proba

    # pytabkit treats columns of pandas' category dtype as categorical, the rest as numbers;
    # one dtype per column for both parts, so a category means the same code in each.
    dtypes = {
        name: pd.CategoricalDtype(sorted(set(rows.x_fit[name]) | set(rows.x_test[name])))
        for name in rows.categorical
    }
    x_fit, x_test = (x.astype(dtypes) for x in (rows.x_fit, rows.x_test))
    # RealMLP refuses empty numbers: fill them with the training median, plus a 0/1 column
    # saying the cell was empty (the usual treatment, which keeps "empty" as information).
    for name in [c for c in x_fit.columns if c not in dtypes]:
        empty_fit, empty_test = x_fit[name].isna(), x_test[name].isna()
        if empty_fit.any() or empty_test.any():
            median = x_fit[name].median()
            median = 0.0 if pd.isna(median) else median
            x_fit[f"{name} is empty"] = empty_fit.astype("float64")
            x_test[f"{name} is empty"] = empty_test.astype("float64")
            x_fit[name], x_test[name] = x_fit[name].fillna(median), x_test[name].fillna(median)
    threads = options.threads or os.cpu_count() or 1
    settings = {"device": "cpu", "random_state": seed, "n_threads": threads}
    if options.quick:
        settings["n_epochs"] = QUICK_EPOCHS
    started = time.perf_counter()
    if data.task.spec.predicts_class:
        model = RealMLP_TD_Classifier(**settings).fit(x_fit, rows.y_fit)
        outputs = widened_proba(model, x_test, len(data.task.class_labels))
    else:
        model = RealMLP_TD_Regressor(**settings).fit(x_fit, rows.y_fit)
        outputs = np.asarray(model.predict(x_test), dtype="float64").reshape(-1)
    seconds = time.perf_counter() - started
    return {"outputs": outputs, "epochs": None, "seconds": seconds}
