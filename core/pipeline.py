"""One training run, start to finish: data → split → preprocessing → network → evaluation.

The stages read in order, as in Keras' structured-data examples: load, profile,
split, fit the preprocessing on the training split only, build, fit, evaluate.
Everything random is seeded from the recipe, so the same recipe on the same data
gives the same metrics.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd
from sklearn.utils.class_weight import compute_class_weight

from core.data.profiling import DataProfile, TaskInfo
from core.evaluation import metrics as evaluation
from core.evaluation.baselines import baseline_outputs, score_outputs
from core.evaluation.decisions import DecisionCurve
from core.evaluation.error_ranges import error_by_range
from core.evaluation.importance import block_importance, column_blocks
from core.evaluation.intervals import measure_uncertainty
from core.evaluation.test_outputs import TEST_OUTPUTS_FILE, TestOutputs
from core.evaluation.verdict import verdict_message
from core.files import write_atomically
from core.i18n import DEFAULT_LANGUAGE
from core.jobs.states import JobPhase
from core.model.choices import CLASS_WEIGHTS
from core.model.diagnosis import diagnose_run
from core.model.embeddings import number_embedding
from core.model.network import build_model, compile_model, export_model
from core.model.preparation import PreparedData, prepare
from core.model.recipe import Recipe
from core.model.training import TrainingOutcome, fit
from core.portable import outputs as portable_outputs
from core.portable.preprocess import Preprocessor
from core.portable.reading import read_table
from core.portable.target import TargetEncoder
from core.results import ColumnImportance, DataSummary, EpochReport, RunResult, texts_of

PREVIEW_ROWS = 64  # raw test rows kept with a run, to verify every exported artifact
# The verdict of a run trained with evaluate_on_test=False (a settings search's trial).
UNTESTED_VERDICT = (
    "Not tested: this run was one try of a settings search, judged on its validation rows only. "
    "The test rows are kept for the best settings, which are trained again as a run of their own."
)

# Told which tail step starts (a JobPhase after training) and, where it can be counted,
# how far it is: (phase, done, total), e.g. (PACKAGING, 2, 4). The job process writes it
# to status.json so pages say what happens between the last pass and the result.
PhaseCallback = Callable[[JobPhase, int | None, int | None], None]


def _no_phase(phase: JobPhase, done: int | None = None, total: int | None = None) -> None:
    return None


@dataclass
class TrainedRun:
    """Everything a finished run produced; what the export bundle is written from.

    ``result`` is what the run reports (scores, verdict, history, the data summary);
    the other fields are the fitted objects an export needs.
    """

    recipe: Recipe
    task: TaskInfo
    preprocessor: Preprocessor
    target_encoder: TargetEncoder
    model: keras.Model | None  # export-ready (real units for numbers); None if training failed
    outcome: TrainingOutcome
    result: RunResult
    column_profiles: dict[str, dict[str, Any]]
    preview_frame: pd.DataFrame  # raw test rows, to check every exported artifact on
    # The test rows' actual values and outputs, so runs on the same rows compare paired.
    test_outputs: TestOutputs | None = None


def model_outputs(model: keras.Model, features: np.ndarray, task: TaskInfo) -> np.ndarray:
    """What evaluation reads: class probabilities ``(n, k)``, or values ``(n,)`` for numbers.

    Values are in the units the model gives (the exported model: the target's own units).
    """
    out = portable_outputs.model_outputs(model, features)
    spec = task.spec
    if spec.predicts_class:
        return spec.outputs.class_probabilities(out, len(task.class_labels))
    return out[:, 0]


def train_run(
    frame: pd.DataFrame,
    recipe: Recipe,
    *,
    data_name: str | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
    stop_event: threading.Event | None = None,
    profile: DataProfile | None = None,
    on_phase: PhaseCallback | None = None,
    evaluate_on_test: bool = True,
) -> TrainedRun:
    """Train and evaluate one model on a clean table (as returned by ``read_table``).

    With ``evaluate_on_test=False`` (a settings search's trial) the test rows are never
    scored: the result holds the training history and how it ended, nothing more.
    """
    started = time.perf_counter()
    keras.utils.set_random_seed(recipe.seed)
    data = prepare(frame, recipe, profile)
    task = data.task
    n_classes = len(task.class_labels)
    embedding = number_embedding(data.preprocessor, data.x_train, recipe.model.number_embedding)
    network = build_model(
        data.preprocessor.n_features, recipe.model, task.task, n_classes, recipe.seed, embedding
    )
    compile_model(network, recipe.training, task.task)
    batch_size = recipe.training.effective_batch_size(len(data.x_train))
    class_weight = None
    if task.spec.predicts_class and CLASS_WEIGHTS[recipe.training.class_weight].balanced:
        present = np.unique(data.y_train)
        weights = compute_class_weight("balanced", classes=present, y=data.y_train)
        class_weight = {int(c): float(w) for c, w in zip(present, weights, strict=False)}
    y_train = data.y_train
    y_val = data.y_val
    outcome = fit(
        network,
        (data.x_train, y_train, data.x_val, y_val),
        recipe.training,
        task.task,
        batch_size=batch_size,
        class_weight=class_weight,
        on_epoch=on_epoch,
        stop_event=stop_event,
        # Numbers are learned scaled: report the live error in the target's units (the
        # encoder's scale is 1 for classes).
        metric_scale=data.target_encoder.std,
    )
    model = None
    if outcome.has_model:
        model = export_model(network, task.task, data.target_encoder)
    summary = DataSummary(
        name=data_name,
        rows=int(data.profile.n_rows),
        columns=int(data.profile.n_columns),
        n_train=int(len(data.x_train)),
        n_validation=int(len(data.x_val)),
        n_test=int(len(data.x_test)),
        trained_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    if evaluate_on_test:
        evaluated = _evaluate(model, data, recipe, outcome, on_phase or _no_phase)
    else:
        evaluated = _untested(data, outcome)
    result = replace(
        evaluated,
        seconds=round(time.perf_counter() - started, 3),
        batch_size=batch_size,
        data=summary,
    )
    # The training doctor reads the finished run (curves, how it ended, the baselines).
    diagnosis = diagnose_run(result.to_dict(), recipe)
    result = replace(result, diagnosis=[d.to_dict() for d in diagnosis])
    return TrainedRun(
        recipe=recipe,
        task=task,
        preprocessor=data.preprocessor,
        target_encoder=data.target_encoder,
        model=model,
        outcome=outcome,
        result=result,
        column_profiles={c.name: c.to_dict() for c in data.profile.columns},
        preview_frame=data.test_frame.head(PREVIEW_ROWS).copy(),
        test_outputs=_test_outputs(model, data) if evaluate_on_test else None,
    )


def _untested(data: PreparedData, outcome: TrainingOutcome) -> RunResult:
    """A trial's result: how training went, with no score on the test rows (never looked at)."""
    task = data.task
    return RunResult(
        task=task.task,
        target=task.target,
        class_labels=list(task.class_labels),
        primary_metric=task.spec.headline_metric,
        metrics={},
        baselines={},
        verdict=UNTESTED_VERDICT,
        feature_importance=[],
        epochs_run=outcome.epochs_run,
        best_epoch=outcome.best_epoch,
        stopped_because=outcome.stopped_because,
        message=outcome.message,
        warnings=list(data.warnings),
        history=list(outcome.history),
    )


def _test_outputs(model: keras.Model | None, data: PreparedData) -> TestOutputs | None:
    """The test outputs as the evaluation scored them (numbers in the target's units)."""
    if model is None:
        return None
    task, labels = data.task.task, list(data.task.class_labels)
    outputs = model_outputs(model, data.x_test, data.task)
    y_test = data.y_test
    if not data.task.spec.predicts_class:  # scored in the target's own units
        y_test = data.target_encoder.to_target_units(y_test)
    return TestOutputs(task, labels, np.asarray(y_test), np.asarray(outputs))


def _evaluate(
    model: keras.Model | None,
    data: PreparedData,
    recipe: Recipe,
    outcome: TrainingOutcome,
    on_phase: PhaseCallback,
) -> RunResult:
    """Test metrics and importance, then baselines on the same split, and a plain verdict."""
    task = data.task
    spec = task.spec
    labels = list(task.class_labels)
    y_train, y_test = data.y_train, data.y_test
    if not spec.predicts_class:  # the baselines and metrics work in the target's own units
        y_train = data.target_encoder.to_target_units(y_train)
        y_test = data.target_encoder.to_target_units(y_test)

    def compare() -> tuple[dict[str, Any], dict[str, dict[str, float]]]:
        on_phase(JobPhase.COMPARING, None, None)
        outputs = baseline_outputs(
            task.task, data.x_train, y_train, data.x_test, labels, recipe.seed
        )
        scores = {
            name: score_outputs(task.task, y_test, out, labels) for name, out in outputs.items()
        }
        return outputs, scores

    ended = outcome.text.render(DEFAULT_LANGUAGE) if outcome.text else outcome.message
    result = RunResult(
        task=task.task,
        target=task.target,
        class_labels=labels,
        primary_metric=spec.headline_metric,
        metrics={},
        baselines={},
        # Sentences are stored in English and, in ``texts``, as messages for any reader.
        verdict=ended,  # no model: how training ended is all there is to say
        feature_importance=[],
        epochs_run=outcome.epochs_run,
        best_epoch=outcome.best_epoch,
        stopped_because=outcome.stopped_because,
        message=ended,
        warnings=[note.render(DEFAULT_LANGUAGE) for note in data.notes],
        history=list(outcome.history),
        texts=texts_of(verdict=outcome.text, message=outcome.text, warnings=list(data.notes)),
    )
    if model is None:
        return replace(result, baselines=compare()[1])
    on_phase(JobPhase.TESTING, None, None)
    outputs = model_outputs(model, data.x_test, task)
    if spec.predicts_class:
        metrics = evaluation.classification_metrics(y_test, outputs, labels)
        charts = {"curves": evaluation.classification_curves(y_test, outputs, labels)}
        if spec.yes_no:  # what the decision threshold does (bounded, for the pages)
            charts["decisions"] = DecisionCurve.from_scores(y_test, outputs[:, 1]).to_dict()
    else:
        metrics = evaluation.regression_metrics(y_test, outputs)
        charts = {
            "plots": evaluation.regression_plots(y_test, outputs, seed=recipe.seed),
            "error_by_range": error_by_range(y_test, outputs),
        }

    # Shuffled in the prepared matrix, by each raw column's block of features: the same
    # numbers as shuffling the raw column, without preparing the table per column and repeat.
    importance = block_importance(
        lambda features: model_outputs(model, features, task),
        data.x_test,
        y_test,
        task.task,
        column_blocks(data.preprocessor),
        seed=recipe.seed,
    )
    simple_outputs, baselines = compare()
    # The same resamples of the test rows score the network and the baselines (paired).
    uncertainty = measure_uncertainty(
        task.task,
        y_test,
        outputs,
        simple_outputs,
        labels,
        seed=recipe.seed,
    )
    said = verdict_message(task.task, metrics, baselines, labels, uncertainty)
    return replace(
        result,
        metrics=metrics,
        baselines=baselines,
        evaluation=charts,
        feature_importance=[ColumnImportance.from_dict(row) for row in importance.rows],
        warnings=[*result.warnings, *([importance.note] if importance.note else [])],
        intervals=uncertainty.intervals,
        uncertainty=uncertainty.to_dict(),
        verdict=said.render(DEFAULT_LANGUAGE),
        texts={**result.texts, **texts_of(verdict=said)},
    )


def load_table(data_path: Path | str, sheet: str | None = None) -> pd.DataFrame:
    """Read a CSV or Excel sheet the way the whole app does (see :func:`read_table`)."""
    return read_table(Path(data_path), name=Path(data_path).name, sheet=sheet)


def export_run(
    run: TrainedRun,
    bundle_path: Path,
    on_phase: PhaseCallback | None = None,
    language: str | None = None,
) -> RunResult:
    """Write the run's bundle (when it has a usable model) and return its result.

    ``language`` is the model card's ("en", "zh"; default: the current language).

    The model card is also written beside the bundle, named after it (see
    :func:`core.bundle.layout.model_card_beside`). The result names the bundle written
    (``bundle``) and what went into it (``export``).
    """
    from core.bundle.layout import model_card_beside
    from core.bundle.writer import write_bundle  # TensorFlow export code, needed only here

    if run.model is None:
        return run.result
    bundle_path = Path(bundle_path)
    report_phase = on_phase or _no_phase
    report_phase(JobPhase.PACKAGING, None, None)
    report = write_bundle(
        run,
        bundle_path,
        on_step=lambda part, total: report_phase(JobPhase.PACKAGING, part, total),
        language=language,
    )
    if report.model_card:
        write_atomically(model_card_beside(bundle_path), report.model_card)
    return replace(run.result, bundle=str(bundle_path), export=report.to_dict())


def train_and_export(
    data_path: Path,
    recipe: Recipe,
    out_dir: Path,
    *,
    on_epoch: Callable[[EpochReport], None] | None = None,
    stop_event: threading.Event | None = None,
    data_name: str | None = None,
    on_phase: PhaseCallback | None = None,
) -> RunResult:
    """Train on a CSV file, write ``bundle.zip`` and its model card into ``out_dir``.

    Returns the run's result; its ``bundle`` is the path written, or None when
    training produced no usable model.
    """
    frame = load_table(data_path)
    run = train_run(
        frame,
        recipe,
        data_name=data_name or Path(data_path).name,
        on_epoch=on_epoch,
        stop_event=stop_event,
        on_phase=on_phase,
    )
    return save_run(run, Path(out_dir) / "bundle.zip", on_phase)


def save_run(
    run: TrainedRun, bundle_path: Path, on_phase: PhaseCallback | None = None
) -> RunResult:
    """Write a trained run's files: its test outputs beside the bundle, then the bundle.

    The job process and :func:`train_and_export` both end here, so a job folder and a CLI
    output folder hold the same files.
    """
    if run.test_outputs is not None:
        run.test_outputs.save(bundle_path.parent / TEST_OUTPUTS_FILE)
    return export_run(run, bundle_path, on_phase)
