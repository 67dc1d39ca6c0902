"""Shared small data and recipes for the core unit tests (tiny, so training stays fast)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from core.model.recipe import LayerConfig, Recipe
from core.portable.reading import read_table

TARGETS = {"binary": "churn", "multiclass": "tier", "regression": "price"}
# One small layer: fast to train, still a real hidden layer.
TINY_LAYERS = (LayerConfig(units=4, dropout=0.0),)


def raw_mixed_frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """A synthetic business table with numbers, categories, a yes/no column and empty cells.

    Holds one column to predict per task (``TARGETS``); each depends on ``tenure`` and ``plan``,
    so a network can learn it. ``spend`` has about 8% empty cells, ``plan`` about 5%, and ``plan``
    has a rare category (``"legacy"``) that the default preprocessing folds into "(other)".
    """
    rng = np.random.default_rng(seed)
    tenure = rng.normal(24.0, 8.0, n)
    spend = rng.lognormal(4.0, 0.5, n)
    plan = rng.choice(["basic", "plus", "pro", "legacy"], n, p=[0.45, 0.3, 0.23, 0.02]).astype(
        object
    )
    member = rng.choice(["yes", "no"], n).astype(object)
    plan_effect = (
        pd.Series(plan).map({"basic": -1.0, "plus": 0.0, "pro": 1.0, "legacy": 0.5}).to_numpy()
    )
    signal = (tenure - 24.0) / 8.0 + plan_effect + rng.normal(0.0, 0.3, n)
    churn = np.where(signal > 0.0, "yes", "no").astype(object)
    tier = np.select([signal < -0.6, signal < 0.6], ["bronze", "silver"], "gold").astype(object)
    price = 1000.0 + 200.0 * signal
    spend[rng.random(n) < 0.08] = np.nan
    plan[rng.random(n) < 0.05] = None
    return pd.DataFrame(
        {
            "tenure": tenure.round(2),
            "spend": spend.round(2),
            "plan": plan,
            "member": member,
            "churn": churn,
            "tier": tier,
            "price": price.round(2),
        }
    )


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def mixed_frame(n: int = 300, seed: int = 0, task: str = "binary") -> pd.DataFrame:
    """``raw_mixed_frame`` read back the way the app reads a CSV, keeping one target column."""
    raw = raw_mixed_frame(n, seed)
    others = [name for t, name in TARGETS.items() if t != task]
    return read_table(csv_bytes(raw.drop(columns=others)), name="mixed.csv")


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    path.write_bytes(csv_bytes(frame))
    return path


def churn_table(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """``raw_mixed_frame`` with ``churn`` as its only column to predict (yes/no)."""
    return raw_mixed_frame(n, seed).drop(columns=["tier", "price"])


def churn_csv_bytes(n: int = 240, seed: int = 0) -> bytes:
    """:func:`churn_table` as the bytes of a CSV file, as a user would upload it."""
    return csv_bytes(churn_table(n, seed))


def tiny_recipe(
    task: str = "binary", *, epochs: int = 2, exact_epochs: bool = False, **changes: object
) -> Recipe:
    """The default recipe with a tiny network and ``epochs`` passes, then ``changes``.

    ``exact_epochs`` turns early stopping and learning-rate reduction off, so a run trains
    exactly ``epochs`` passes (tests that count epochs or need a long run to stop need it).
    ``changes`` use dotted names, e.g. ``**{"training.batch_size": 4}``.
    """
    settings: dict[str, object] = {
        "model.hidden_layers": TINY_LAYERS,
        "training.max_epochs": epochs,
    }
    if exact_epochs:
        settings |= {"training.early_stopping": False, "training.reduce_lr_on_plateau": False}
    return Recipe(target=TARGETS[task]).with_changes(**{**settings, **changes})


def jid(label: str) -> str:
    """A well-formed job id standing for ``label`` (the same label always gives the same id)."""
    return "20260101T000000Z-" + hashlib.md5(label.encode()).hexdigest()
