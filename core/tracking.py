"""Log finished runs to MLflow, for teams that already track their experiments there.

Opt-in twice over: nothing happens unless ``MLFLOW_TRACKING_URI`` is set, and mlflow is an
optional extra (``pip install -e ".[mlflow]"``). Without the variable this module never
imports mlflow, so Trainboard neither needs it nor pays its import time.

With it, :func:`log_finished_run` (called by the job process and the CLI once ``result.json``
and the bundle are written) records one MLflow run in the experiment named after the data
file (or ``TRAINBOARD_MLFLOW_EXPERIMENT``): the recipe as flattened params and as
``recipe.json``, every epoch's scores with ``step`` = the epoch, the test scores and the
baselines' scores, the bundle, and tags that tie it back to Trainboard (job id, data
fingerprint, target, task). Logging is a courtesy to the team, never a condition of the run:
any failure (mlflow missing, server down, store refused) comes back as one plain note.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from core.files import file_sha256
from core.model.recipe import Recipe

TRACKING_URI_VARIABLE = "MLFLOW_TRACKING_URI"
EXPERIMENT_VARIABLE = "TRAINBOARD_MLFLOW_EXPERIMENT"
INSTALL_COMMAND = 'pip install -e ".[mlflow]"'
DEFAULT_EXPERIMENT = "Trainboard"
# Stripped from the data file's name to name the experiment ("sales.csv.gz" -> "sales").
DATA_SUFFIXES = (".gz", ".csv", ".tsv", ".txt", ".xlsx")

# Artifact names inside the MLflow run (the bundle keeps its own file name).
RECIPE_ARTIFACT = "recipe.json"
RESULT_ARTIFACT = "result.json"

# Tags Trainboard sets on every run it logs: one prefix, so a team can filter on them.
TAG_PREFIX = "trainboard."
# MLflow's documented system tags: the run's description and where it came from.
DESCRIPTION_TAG = "mlflow.note.content"
SOURCE_NAME_TAG = "mlflow.source.name"
SOURCE_NAME = "trainboard"

# MLflow rejects longer param values (and whole batches holding one); the full recipe is
# in recipe.json anyway.
MAX_PARAM_LENGTH = 6000
# MLflow's per-request limits for log_batch.
MAX_PARAMS_PER_BATCH = 100
MAX_METRICS_PER_BATCH = 1000

# mlflow's own defaults retry an unreachable server for minutes (7 retries, backoff 2 s);
# a finished run should not wait that long to say it could not log. Applied only while
# logging, and only for variables the team has not set itself.
HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
}

NOTES = {
    "logged": "Logged to MLflow at {where}: experiment '{experiment}', run {run_id}.",
    "not_installed": "MLFLOW_TRACKING_URI is set, but MLflow is not installed, so this run was "
    "not logged to MLflow. Install it from the Trainboard folder with: " + INSTALL_COMMAND,
    "not_logged": "This run was not logged to MLflow at {where}: {reason}. "
    "The training itself is not affected.",
    "partly_logged": "This run was only partly logged to MLflow at {where} (run {run_id}): "
    "{reason}. The training itself is not affected.",
}
# Plain reasons for the failures a team is likely to meet; anything else is quoted from mlflow.
REASONS = {
    "unreachable": "the tracking server did not answer (check that it is running and that "
    "the address is right)",
    "file_store": "this MLflow version writes to a folder store only when "
    "MLFLOW_ALLOW_FILE_STORE=true is set; set it, or use a database such as sqlite:///mlflow.db",
}
MAX_REASON_LENGTH = 300


@dataclass(frozen=True)
class TrackedRun:
    """What logging one run to MLflow did.

    ``run_id`` is the MLflow run (None when none was created); ``note`` is a plain sentence
    when the run was not logged, or only partly (None when everything was logged).
    """

    where: str  # the tracking URI, without any password in it
    experiment: str
    run_id: str | None
    note: str | None

    @property
    def summary(self) -> str:
        """One line for the job's log or the CLI's stderr."""
        if self.note is not None:
            return self.note
        return NOTES["logged"].format(
            where=self.where, experiment=self.experiment, run_id=self.run_id
        )


def tracking_uri(environ: Mapping[str, str] | None = None) -> str | None:
    """The MLflow tracking URI from ``MLFLOW_TRACKING_URI``, or None when tracking is off."""
    value = (os.environ if environ is None else environ).get(TRACKING_URI_VARIABLE, "")
    return value.strip() or None


def experiment_name(data_name: str | None, environ: Mapping[str, str] | None = None) -> str:
    """``TRAINBOARD_MLFLOW_EXPERIMENT`` if set, else the data file's name without its suffixes."""
    configured = (os.environ if environ is None else environ).get(EXPERIMENT_VARIABLE, "").strip()
    if configured:
        return configured
    name = Path(data_name or "").name
    while name.lower().endswith(DATA_SUFFIXES):
        name = name[: name.rfind(".")]
    return name.strip() or DEFAULT_EXPERIMENT


def run_name(data_name: str | None, target: str, job_id: str | None = None) -> str:
    """The MLflow run's name: what was predicted from which file (and which Trainboard job)."""
    name = f"{target} from {Path(data_name).name if data_name else 'data'}"
    return f"{name} ({job_id})" if job_id else name


def redact_uri(uri: str) -> str:
    """The URI without a user name or password, safe to show in notes and logs."""
    try:
        parts = urlsplit(uri)
    except ValueError:  # e.g. an unclosed "[" of an IPv6 address: show nothing of it
        return "the address in MLFLOW_TRACKING_URI"
    if "@" not in parts.netloc:
        return uri
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=host))


def recipe_params(recipe: Recipe) -> dict[str, str]:
    """The recipe as flat MLflow params: ``seed``, ``model.hidden_layers.0.units``, ..."""
    params: dict[str, str] = {}

    def add(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                add(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            for index, inner in enumerate(value):  # one param per layer setting
                add(f"{prefix}.{index}", inner)
        else:
            text = json.dumps(value) if isinstance(value, list) else str(value)
            params[prefix] = _shorten(text, MAX_PARAM_LENGTH)

    add("", recipe.to_dict())
    return params


def run_metrics(result: Mapping[str, Any]) -> tuple[list[tuple[str, float, int]], dict[str, float]]:
    """Per-epoch scores as ``(key, value, epoch)`` and the run's final scores by key.

    Epochs: ``loss``, ``val_loss``, the task's progress metric under its Keras name
    (``accuracy``, ``mae``) and its ``val_`` twin, ``learning_rate`` and ``epoch_seconds``.
    Final: ``test_<metric>`` for each test score, ``baseline_<baseline>_<metric>`` for the
    baselines', ``epochs_run``, ``best_epoch``. Values that are not finite numbers (an
    undefined score) are left out.
    """
    from core.model.tasks import TASKS

    spec = TASKS.get(str(result.get("task")))
    per_epoch: list[tuple[str, float, int]] = []
    for row in result.get("history") or []:
        metric = spec.live_metric if spec else metric_key(str(row.get("metric_name") or "metric"))
        keys = {
            "loss": "loss",
            "val_loss": "val_loss",
            "metric": metric,
            "val_metric": f"val_{metric}",
            "learning_rate": "learning_rate",
            "seconds": "epoch_seconds",
        }
        for field, key in keys.items():
            value = _finite(row.get(field))
            if value is not None:
                per_epoch.append((key, value, int(row["epoch"])))
    final: dict[str, float] = {}
    for name, value in (result.get("metrics") or {}).items():
        if (number := _finite(value)) is not None:
            final[metric_key(f"test_{name}")] = number
    for baseline, scores in (result.get("baselines") or {}).items():
        for name, value in (scores or {}).items():
            if (number := _finite(value)) is not None:
                final[metric_key(f"baseline_{baseline}_{name}")] = number
    for name in ("epochs_run", "best_epoch"):
        if (number := _finite(result.get(name))) is not None:
            final[name] = number
    return per_epoch, final


def metric_key(name: str) -> str:
    """A name MLflow accepts as a metric key ("majority class" -> "majority_class")."""
    return re.sub(r"[^A-Za-z0-9_.\-/]+", "_", name.strip()).strip("_") or "metric"


def log_finished_run(
    result: Mapping[str, Any],
    recipe: Recipe,
    *,
    data_path: Path,
    data_name: str | None = None,
    job_id: str | None = None,
) -> TrackedRun | None:
    """Log one finished run to MLflow; None (and mlflow untouched) when tracking is off.

    Never raises: whatever goes wrong is the returned run's ``note``.

    Parameters
    ----------
    result
        The run's result dict (``result.json``); its ``bundle`` is the bundle written, if any.
    recipe
        The recipe the run trained with.
    data_path
        The data file the run read (fingerprinted for the ``trainboard.data_sha256`` tag).
    data_name
        The data's name as the user knows it (defaults to ``data_path``'s name).
    job_id
        The Trainboard job, when the run came from the job runner.
    """
    uri = tracking_uri()
    if uri is None:
        return None
    data_name = data_name or Path(data_path).name
    where = redact_uri(uri)
    experiment = experiment_name(data_name)
    try:
        from mlflow.tracking import MlflowClient  # the optional extra, imported only here
    except ImportError:
        return TrackedRun(where, experiment, None, NOTES["not_installed"])
    run_id: str | None = None
    try:
        with _http_defaults():
            client = MlflowClient(tracking_uri=uri)
            experiment_id = _experiment_id(client, experiment)
            run = client.create_run(
                experiment_id,
                start_time=_start_time(result),
                run_name=run_name(data_name, str(result.get("target")), job_id),
                tags=_tags(result, recipe, data_path, data_name, job_id),
            )
            run_id = run.info.run_id
            _log_content(client, run_id, result, recipe)
            client.set_terminated(run_id, "FINISHED")
    except Exception as error:  # noqa: BLE001 - any failure is a note, never a failed run
        reason = _reason(error)
        if run_id is None:
            note = NOTES["not_logged"].format(where=where, reason=reason)
            return TrackedRun(where, experiment, None, note)
        with contextlib.suppress(Exception):
            client.set_terminated(run_id, "FAILED")
        note = NOTES["partly_logged"].format(where=where, run_id=run_id, reason=reason)
        return TrackedRun(where, experiment, run_id, note)
    return TrackedRun(where, experiment, run_id, None)


def with_note(result: dict[str, Any], tracked: TrackedRun | None) -> dict[str, Any]:
    """``result`` with the tracking note added to its notes (``warnings``), when there is one."""
    if tracked is None or tracked.note is None:
        return result
    return {**result, "warnings": [*(result.get("warnings") or []), tracked.note]}


# --- the MLflow calls -------------------------------------------------------------------------


def _experiment_id(client: Any, name: str) -> str:
    """The id of the experiment ``name``, created when the team has none by that name yet."""
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    try:
        return client.create_experiment(name)
    except MlflowException:
        # Another run (a second job finishing at the same moment) created it first.
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id


def _tags(
    result: Mapping[str, Any],
    recipe: Recipe,
    data_path: Path,
    data_name: str,
    job_id: str | None,
) -> dict[str, str]:
    tags = {
        f"{TAG_PREFIX}data_sha256": file_sha256(data_path),
        f"{TAG_PREFIX}data_name": data_name,
        f"{TAG_PREFIX}target": str(result.get("target") or recipe.target),
        f"{TAG_PREFIX}task": str(result.get("task")),
        f"{TAG_PREFIX}stopped_because": str(result.get("stopped_because")),
        SOURCE_NAME_TAG: SOURCE_NAME,
        # The run's description in the MLflow UI: the verdict, then how training ended.
        DESCRIPTION_TAG: "\n\n".join(
            str(text) for text in (result.get("verdict"), result.get("message")) if text
        ),
    }
    if job_id:
        tags[f"{TAG_PREFIX}job_id"] = job_id
    # The training doctor's findings, by their stable codes, so a team can search on them.
    codes = [str(d.get("code")) for d in result.get("diagnosis") or [] if isinstance(d, Mapping)]
    if codes:
        tags[f"{TAG_PREFIX}diagnosis"] = ",".join(codes)
    return tags


def _log_content(client: Any, run_id: str, result: Mapping[str, Any], recipe: Recipe) -> None:
    from mlflow.entities import Metric, Param

    params = recipe_params(recipe)
    params.update(_data_params(result))
    items = [Param(key, value) for key, value in params.items()]
    for start in range(0, len(items), MAX_PARAMS_PER_BATCH):
        client.log_batch(run_id, params=items[start : start + MAX_PARAMS_PER_BATCH])
    # Each epoch's scores are stamped with when that epoch ended (from the run's start and
    # the epochs' durations), so MLflow's time axis shows the real pace of training.
    ended = _start_time(result)
    epoch_ended: dict[int, int] = {}
    for row in result.get("history") or []:
        ended += int(1000 * (_finite(row.get("seconds")) or 0.0))
        epoch_ended[int(row["epoch"])] = ended
    now = int(time.time() * 1000)
    per_epoch, final = run_metrics(result)
    metrics = [
        Metric(key, value, epoch_ended.get(step, now), step) for key, value, step in per_epoch
    ]
    metrics += [Metric(key, value, now, 0) for key, value in final.items()]
    for start in range(0, len(metrics), MAX_METRICS_PER_BATCH):
        client.log_batch(run_id, metrics=metrics[start : start + MAX_METRICS_PER_BATCH])
    client.log_text(run_id, recipe.to_json(), RECIPE_ARTIFACT)
    client.log_text(run_id, json.dumps(result, indent=1, default=str), RESULT_ARTIFACT)
    bundle = result.get("bundle")
    if bundle:
        client.log_artifact(run_id, str(bundle))


def _start_time(result: Mapping[str, Any]) -> int:
    """When the run started, in ms since 1970: now (it just finished) less its duration."""
    return int(1000 * (time.time() - (_finite(result.get("seconds")) or 0.0)))


def _data_params(result: Mapping[str, Any]) -> dict[str, str]:
    """What the recipe leaves open and the run settled: the rows used and the batch size."""
    params = {
        f"data.{key}": str(value)
        for key, value in (result.get("data") or {}).items()
        if key in ("rows", "columns", "n_train", "n_validation", "n_test")
    }
    if result.get("batch_size") is not None:
        params["training.effective_batch_size"] = str(result["batch_size"])
    return params


@contextlib.contextmanager
def _http_defaults() -> Iterator[None]:
    """Apply :data:`HTTP_DEFAULTS` for the variables not already set, then restore them."""
    added = [name for name in HTTP_DEFAULTS if name not in os.environ]
    for name in added:
        os.environ[name] = HTTP_DEFAULTS[name]
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def _reason(error: Exception) -> str:
    """A short, plain reason for a failure to log."""
    text = " ".join(str(error).split())
    if "MLFLOW_ALLOW_FILE_STORE" in text:
        return REASONS["file_store"]
    connection_words = ("Max retries exceeded", "Connection refused", "Failed to establish")
    if isinstance(error, ConnectionError) or any(word in text for word in connection_words):
        return REASONS["unreachable"]
    return _shorten(text or type(error).__name__, MAX_REASON_LENGTH).rstrip(".")


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
