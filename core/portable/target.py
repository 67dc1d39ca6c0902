"""The column to predict, encoded for the network and decoded back, defined once.

:class:`TargetEncoder` is fitted on the training split only: class labels become
indices ``0..k-1`` for classification, and numbers are centred and scaled for
regression (the network learns faster, and a learning rate means the same on any
data). It ships inside every export bundle, like :mod:`.preprocess`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .preprocess import label_text, numbers_in
from .reading import is_missing, normalise_label
from .tasks import task_outputs


@dataclass
class TargetEncoder:
    """Fitted encoding of the target: class indices, or centring and scaling of numbers."""

    task: str  # a key of tasks.TASK_OUTPUTS
    class_labels: list[str] = field(default_factory=list)
    mean: float = 0.0
    std: float = 1.0

    @classmethod
    def fit(
        cls, values: pd.Series, task: str, class_labels: list[str] | None = None
    ) -> TargetEncoder:
        if not task_outputs(task).predicts_class:
            numbers = numbers_in(str(values.name), values).dropna().to_numpy(dtype="float64")
            std = float(numbers.std()) if numbers.size else 1.0
            return cls(
                task=task,
                mean=float(numbers.mean()) if numbers.size else 0.0,
                std=std if math.isfinite(std) and std > 1e-12 else 1.0,
            )
        if class_labels:
            return cls(task=task, class_labels=list(class_labels))
        # Spellings that differ only in case or spacing are one class; keep the most frequent.
        spellings = values[~is_missing(values)].map(label_text).value_counts(sort=True)
        by_key: dict[str, str] = {}
        for spelling in spellings.index:
            by_key.setdefault(normalise_label(spelling), str(spelling))
        return cls(task=task, class_labels=sorted(by_key.values()))

    def encode(self, values: pd.Series) -> np.ndarray:
        """Class indices (-1 where unknown or empty), or scaled numbers (NaN where empty)."""
        if not task_outputs(self.task).predicts_class:
            numbers = numbers_in(str(values.name), values).to_numpy(dtype="float64")
            return ((numbers - self.mean) / self.std).astype("float32")
        index = {normalise_label(label): i for i, label in enumerate(self.class_labels)}
        empty = is_missing(values).to_numpy()
        codes = np.full(len(values), -1, dtype=np.int64)
        present = values[~empty]
        code_of = {v: index.get(normalise_label(label_text(v)), -1) for v in pd.unique(present)}
        codes[~empty] = present.map(code_of).to_numpy(dtype=np.int64)
        return codes

    def to_target_units(self, scaled: np.ndarray) -> np.ndarray:
        """Undo :meth:`encode` for numbers: scaled values back in the target's own units."""
        return self.mean + self.std * np.asarray(scaled, dtype="float64")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TargetEncoder:
        encoder = cls(**data)
        task_outputs(encoder.task)  # an unknown task is a damaged description
        return encoder
