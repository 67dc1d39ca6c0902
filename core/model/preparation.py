"""Preparing one run's data: split the rows, then fit the preprocessing on the training rows only.

The stages read in order, as in Keras' structured-data examples: split first, fit the
preparation on the training split only (no statistics leak from the validation or test
rows), then transform all three. Everything random is seeded from the recipe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from core.data.profiling import DataProfile, TaskInfo, profile_table
from core.errors import RecipeError, UnusableDataError
from core.i18n import Message, Texts
from core.model.recipe import Recipe
from core.portable.preprocess import USABLE_KINDS, Preprocessor
from core.portable.reading import MIN_ROWS
from core.portable.target import TargetEncoder

# Every sentence of this module: keys of the catalog "core.model.preparation" (data.po).
NOTES = Texts("core.model.preparation")


_SETTING_VALIDATION = Message("core.data.health.setting_validation")
_SETTING_TEST = Message("core.data.health.setting_test")


def _note(name: str, /, **params: Any) -> Message:
    NOTES[name]  # an unknown name fails here, where it is written
    return Message(NOTES.key(name), params)


@dataclass
class PreparedData:
    """The split, preprocessed arrays of one run, and the raw test rows they came from."""

    task: TaskInfo
    preprocessor: Preprocessor
    target_encoder: TargetEncoder
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    test_frame: pd.DataFrame  # raw test rows (usable ones), for importance and verification
    profile: DataProfile
    notes: list[Message] = field(default_factory=list)  # the data's warnings, as messages

    @property
    def warnings(self) -> list[str]:
        """The data's warnings in the current language."""
        return [note.render() for note in self.notes]


def prepare(
    frame: pd.DataFrame, recipe: Recipe, profile: DataProfile | None = None
) -> PreparedData:
    """Split the rows and fit the preprocessing on the training split only.

    Raises
    ------
    RecipeError
        If no target is chosen.
    UnusableDataError
        If the target or the remaining rows cannot be used.
    """
    if recipe.target is None:
        raise RecipeError(_note("no_target").render())
    target = recipe.target
    if profile is None:
        profile = profile_table(frame, target, test_fraction=recipe.split.test_fraction)
    task = profile.task
    notes = [w.text for w in profile.warnings]
    if frame[target].isna().any():  # a copy of the table only when rows must go
        frame = frame[frame[target].notna()].reset_index(drop=True)

    dropped = set(recipe.drop_columns) | {target}
    kinds = {
        c.name: c.kind
        for c in profile.columns
        if c.name not in dropped and c.kind in USABLE_KINDS and c.name in frame.columns
    }
    encoder = TargetEncoder.fit(frame[target], task.task, task.class_labels)
    y_all = encoder.encode(frame[target]) if task.spec.predicts_class else None

    train_idx, val_idx, test_idx, stratified = _split(len(frame), y_all, recipe)
    if task.spec.predicts_class and recipe.split.stratify and not stratified:
        notes.append(_note("stratify_off", target=target))
    train_raw, val_raw, test_raw = (
        frame.iloc[i].reset_index(drop=True) for i in (train_idx, val_idx, test_idx)
    )

    preprocessor = Preprocessor.fit(train_raw, kinds, recipe.preprocessing.model_dump())
    target_encoder = TargetEncoder.fit(train_raw[target], task.task, task.class_labels)
    arrays = []
    for part, raw in (("train", train_raw), ("val", val_raw), ("test", test_raw)):
        x, usable = preprocessor.transform(raw)
        y = target_encoder.encode(raw[target])
        if part == "train" and not usable.all():
            notes.append(_note("dropped_rows", n=int((~usable).sum())))
        if usable.all():  # the usual case: no copies (a million rows: hundreds of MB)
            arrays.append((x, y, raw))
        else:
            arrays.append((x[usable], y[usable], raw[usable].reset_index(drop=True)))
    (x_train, y_train, _), (x_val, y_val, _), (x_test, y_test, test_frame) = arrays
    if len(x_train) < MIN_ROWS or len(x_val) == 0 or len(x_test) == 0:
        any_dropped = len(x_train) + len(x_val) + len(x_test) < len(frame)
        note = "few_left" if any_dropped else "too_small"
        settings = {"validation": _SETTING_VALIDATION, "test": _SETTING_TEST}
        text = _note(note, n=len(x_train), minimum=MIN_ROWS, **settings)
        raise UnusableDataError(text.render())
    return PreparedData(
        task=task,
        preprocessor=preprocessor,
        target_encoder=target_encoder,
        x_train=x_train,
        y_train=y_train,
        x_val=x_val,
        y_val=y_val,
        x_test=x_test,
        y_test=y_test,
        test_frame=test_frame,
        profile=profile,
        notes=notes,
    )


def _split(
    n_rows: int, y: np.ndarray | None, recipe: Recipe
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Row indices of the training, validation and test sets (stratified when possible)."""
    split = recipe.split
    holdout = split.validation_fraction + split.test_fraction

    def three_way(labels: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        train, rest = train_test_split(
            np.arange(n_rows), test_size=holdout, random_state=recipe.seed, stratify=labels
        )
        val, test = train_test_split(
            rest,
            test_size=split.test_fraction / holdout,
            random_state=recipe.seed,
            stratify=None if labels is None else labels[rest],
        )
        return train, val, test

    if y is not None and split.stratify:
        try:
            return (*three_way(y), True)
        except ValueError:
            pass  # a class too rare to appear in every set: fall back to a plain random split
    return (*three_way(None), False)
