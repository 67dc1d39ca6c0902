"""The quality levers in every export: a bundle trained with them passes every format's check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import mixed_frame, tiny_recipe

from core.bundle.layout import MODEL_KERAS, MODEL_TFLITE, SAVED_MODEL, SAVED_MODEL_RAW
from core.bundle.writer import load_bundle, write_bundle
from core.pipeline import train_run

TOLERANCE = 1e-5  # as tests/test_bundle.py


@pytest.mark.slow
@pytest.mark.parametrize(
    ("task", "changes"),
    [
        (
            "multiclass",
            {"preprocessing.numeric_scaling": "quantile", "training.label_smoothing": 0.1},
        ),
        (
            "binary",
            {"preprocessing.numeric_scaling": "robust_clip", "training.label_smoothing": 0.1},
        ),
    ],
    ids=["multiclass-quantile-smoothed", "binary-robust_clip-smoothed"],
)
def test_every_format_carries_the_levers(task: str, changes: dict, tmp_path: Path) -> None:
    run = train_run(mixed_frame(200, task=task), tiny_recipe(task, epochs=3, **changes))
    report = write_bundle(run, tmp_path / "bundle.zip")
    assert report.left_out == {}
    assert set(report.checks) == {MODEL_KERAS, SAVED_MODEL, SAVED_MODEL_RAW, MODEL_TFLITE}
    assert max(report.checks.values()) <= TOLERANCE
    # The shipped network is plain Keras: no training-only loss inside it.
    bundle = load_bundle(tmp_path / "bundle.zip")
    rows = run.preview_frame
    features, _ = run.preprocessor.transform(rows)
    np.testing.assert_allclose(
        bundle.model.predict(features, verbose=0),
        run.model.predict(features, verbose=0),
        atol=1e-6,
    )
