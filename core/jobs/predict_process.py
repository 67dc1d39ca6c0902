"""The body of a prediction job's process: a large file predicted outside the web server.

Started like a training job (``python -m core.jobs run <folder>``; :func:`core.jobs.process.run_job`
hands a folder whose ``job.json`` says ``"kind": "predict"`` to :func:`run_prediction`), on
whichever runner is configured. It reads the rows first (a file that cannot be read fails
before TensorFlow loads), then loads the bundle, predicts the usable rows a chunk at a time
(``status.json``: ``rows_done`` of ``rows_total``, the ``stop`` marker checked between chunks)
and writes ``predictions.csv`` and ``summary.json``.

The numbers are exactly :func:`core.portable.predicting.predict_rows`'s: the same reading,
preparation, notes and output table, and chunks that are whole multiples of
:data:`core.portable.outputs.PREDICT_BATCH_ROWS`, so the network sees the same batches.
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from core.errors import TrainboardError
from core.jobs.predictions import (
    BUNDLE_FILE,
    CANCELLED_PREDICTION,
    CHUNK_ROWS,
    PREDICT_KIND,
    PREDICTIONS_FILE,
    ROWS_FILE,
    SUMMARY_FILE,
    PredictionStep,
)
from core.jobs.process import STOP_FILE, UNEXPECTED_FAILURE_MESSAGE, write_job_json
from core.jobs.states import JobState
from core.portable.outputs import model_outputs, predictions_frame
from core.portable.predicting import (
    Predictions,
    input_notes,
    read_rows_to_predict,
    write_predictions,
)
from core.quiet_tensorflow import import_tensorflow_quietly

__all__ = ["PREDICT_KIND", "run_prediction"]


class StatusWriter(Protocol):
    """What the job process gives this module to record its status (``status.json``)."""

    def update(self, **changes: Any) -> None: ...


def run_prediction(job_dir: Path, info: dict[str, Any], status: StatusWriter) -> int:
    """Predict the job's rows with its bundle; returns the process's exit code."""
    status.update(state=JobState.RUNNING, started_at=time.time(), step=PredictionStep.READING)
    try:
        rows = read_rows_to_predict(
            (job_dir / ROWS_FILE).read_bytes(), name=str(info.get("data_name") or "rows.csv")
        )
        status.update(step=PredictionStep.LOADING)
        # Imported here, in the job's own process: this is what loads TensorFlow.
        import_tensorflow_quietly()
        from core.bundle.loading import load_bundle

        bundle = load_bundle(job_dir / BUNDLE_FILE)
        threshold = info.get("threshold")
        if not isinstance(threshold, (int, float)):
            threshold = bundle.decision_threshold
        preprocessor = bundle.preprocessor
        preprocessor.check_columns(rows.values)
        features, usable = preprocessor.transform(rows.values)
        outputs = _chunked_outputs(bundle.model, features, usable, job_dir, status)
        if outputs is None:
            status.update(
                state=JobState.CANCELLED, error=CANCELLED_PREDICTION, finished_at=time.time()
            )
            print("Stopped on request.", file=sys.stderr)
            return 0
        status.update(step=PredictionStep.WRITING)
        labels = bundle.class_labels
        frame = predictions_frame(rows.text, outputs, bundle.task, labels, usable, threshold)
        notes = input_notes(preprocessor, rows, usable)
        predictions = Predictions(frame=frame, task=bundle.task, class_labels=labels, notes=notes)
        write_predictions(predictions, job_dir / PREDICTIONS_FILE)
        write_job_json(
            job_dir / SUMMARY_FILE,
            {
                "headline": predictions.headline(bundle.target),
                "notes": [[note.level, note.message] for note in notes],
                "task": bundle.task,
                "target": bundle.target,
                "class_labels": labels,
                "threshold": threshold,
                "rows": predictions.rows,
                "predicted": predictions.predicted,
            },
        )
    except TrainboardError as error:
        print(f"Prediction could not finish: {error}", file=sys.stderr)
        status.update(state=JobState.FAILED, error=str(error), finished_at=time.time())
        return 1
    except Exception:
        traceback.print_exc()  # for engineers (log.txt); the person sees a plain sentence
        status.update(
            state=JobState.FAILED, error=UNEXPECTED_FAILURE_MESSAGE, finished_at=time.time()
        )
        return 1
    status.update(state=JobState.FINISHED, finished_at=time.time())
    print(f"Finished: {predictions.rows} rows.", file=sys.stderr)
    return 0


def _chunked_outputs(
    model: Any, features: np.ndarray, usable: np.ndarray, job_dir: Path, status: StatusWriter
) -> np.ndarray | None:
    """The network's outputs for every row (NaN where unusable), or None if stopped.

    Only the usable rows are predicted, in chunks of ``CHUNK_ROWS`` usable rows: the same
    batches :func:`core.portable.outputs.model_outputs` makes in one call.
    """
    positions = np.nonzero(usable)[0]
    total = len(positions)
    status.update(step=PredictionStep.PREDICTING, rows_done=0, rows_total=total)
    out: np.ndarray | None = None
    stop = job_dir / STOP_FILE
    for start in range(0, total, CHUNK_ROWS):
        if stop.exists():
            return None
        chosen = positions[start : start + CHUNK_ROWS]
        part = model_outputs(model, features[chosen])
        if out is None:
            out = np.full((len(features), part.shape[1]), np.nan)
        out[chosen] = part
        status.update(rows_done=start + len(chosen))
    if stop.exists():
        return None
    if out is None:  # no usable row: model_outputs' own answer for that case
        out = model_outputs(model, features, usable)
    return out
