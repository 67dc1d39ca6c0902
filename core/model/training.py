"""Fitting the network, with live progress, a stop button, and a guard against blow-ups.

One callback (:class:`TrainingMonitor`) does the work the app needs around
``keras.Model.fit``: it reports each epoch, keeps the best weights seen on the
validation rows (restored at the end, whatever the reason training ended), stops
after ``patience`` epochs without improvement, stops within one batch when asked
to from another thread, and stops at once when the loss turns NaN or explodes.
Its per-batch work is a flag check, so training runs at the speed of a bare
``fit`` (measured by ``bench/overhead.py``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import keras
import numpy as np

from core.i18n import Message, Texts
from core.model.recipe import TrainingConfig
from core.model.tasks import task_spec
from core.results import EpochReport

COMPLETED = "completed"
EARLY_STOPPED = "early_stopped"
STOPPED_BY_USER = "stopped_by_user"
DIVERGED = "diverged"

# A loss this many times above the first one means the weights are blowing up.
EXPLODING_FACTOR = 1e4

# How a run ended, one sentence per reason: keys of the catalog "core.model.training"
# (training.po). No figures in the blow-up sentence ("rose from 0.69 to 2.72e+06" means
# nothing to a product manager): the log keeps them (TrainingOutcome.divergence).
MESSAGES = Texts("core.model.training")


class StopSignal(Protocol):
    """What the trainer checks before each batch: a ``threading.Event`` or anything alike
    (the job process checks its stop marker file directly, so no poll delay adds up)."""

    def is_set(self) -> bool: ...


@dataclass
class TrainingOutcome:
    """How a training run ended, and what it produced."""

    stopped_because: str
    message: str  # ``text`` in the language of the process that trained (English in a job)
    epochs_run: int
    best_epoch: int | None
    history: list[EpochReport] = field(default_factory=list)
    seconds: float = 0.0
    batches: int = 0  # training batches started, in all passes
    # Stopped on request: batches that ran once the request was seen (the one it interrupted).
    batches_after_stop: int | None = None
    divergence: str = ""  # what blew up, with the figures (for the log, not the message)
    text: Message | None = None  # the message as data, shown later in the reader's language

    @property
    def has_model(self) -> bool:
        """Whether the network holds usable weights (at least one healthy finished pass)."""
        return self.stopped_because != DIVERGED and self.best_epoch is not None


class TrainingMonitor(keras.callbacks.Callback):
    """Reports epochs, keeps the best weights, and stops on patience, request or divergence."""

    def __init__(
        self,
        task: str,
        patience: int | None,
        on_epoch: Callable[[EpochReport], None] | None,
        stop_event: StopSignal | None,
        metric_scale: float = 1.0,
    ) -> None:
        super().__init__()
        self.task = task
        spec = task_spec(task)
        self.metric_key, self.metric_name = spec.live_metric, spec.live_metric_name
        self.patience = patience
        self.on_epoch = on_epoch
        self.stop_event = stop_event or threading.Event()
        self.metric_scale = metric_scale  # regression: report the error in the target's units
        self.history: list[EpochReport] = []
        self.best_loss = math.inf
        self.best_epoch: int | None = None
        self.best_weights: list[np.ndarray] | None = None
        self.first_loss: float | None = None
        self.stopped_because = COMPLETED
        self.divergence = ""
        self._epoch_started = 0.0
        self.batches = 0
        self.stop_seen_at: int | None = None  # batches started before the request was seen

    # The stop request is checked before each batch; Keras checks stop_training after the
    # batch it is about to run, so at most one more batch runs after the request. No per-batch
    # logs are read here, so Keras keeps dispatching batch-end callbacks asynchronously.
    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        if self.stop_event.is_set():
            self._stop_on_request()
        self.batches += 1  # this batch runs either way: Keras checks stop_training after it

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch_started = time.perf_counter()
        if self.stop_event.is_set():
            self._stop_on_request()

    def _stop_on_request(self) -> None:
        if self.stop_seen_at is None:
            self.stop_seen_at = self.batches
        if self.stopped_because != DIVERGED:
            self.stopped_because = STOPPED_BY_USER
        self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.stopped_because == DIVERGED:
            return  # flagged mid-epoch by the batch guard: this pass's scores are garbage
        logs = logs or {}
        loss = float(logs.get("loss", math.nan))
        val_loss = float(logs.get("val_loss", math.nan))
        if self.first_loss is None and math.isfinite(loss):
            self.first_loss = loss
        if not (math.isfinite(loss) and math.isfinite(val_loss)):
            self._diverge("the error became not-a-number")
            return
        if self.first_loss is not None and loss > EXPLODING_FACTOR * max(self.first_loss, 1e-8):
            self._diverge(f"the error rose from {self.first_loss:.3g} to {loss:.3g}")
            return
        if self.stopped_because == STOPPED_BY_USER:
            # The epoch was cut short: its scores describe part of the data only.
            return
        report = EpochReport(
            epoch=epoch + 1,
            loss=loss,
            val_loss=val_loss,
            metric=float(logs.get(self.metric_key, math.nan)) * self.metric_scale,
            val_metric=float(logs.get(f"val_{self.metric_key}", math.nan)) * self.metric_scale,
            metric_name=self.metric_name,
            seconds=time.perf_counter() - self._epoch_started,
            learning_rate=float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)),
        )
        self.history.append(report)
        if val_loss < self.best_loss:
            self.best_loss = val_loss
            self.best_epoch = epoch + 1
            self.best_weights = self.model.get_weights()
        elif self.patience is not None and epoch + 1 - (self.best_epoch or 0) >= self.patience:
            if self.stopped_because == COMPLETED:
                self.stopped_because = EARLY_STOPPED
            self.model.stop_training = True
        if self.on_epoch is not None:
            self.on_epoch(report)

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)

    def _diverge(self, why: str) -> None:
        self.stopped_because = DIVERGED
        self.divergence = why
        self.model.stop_training = True


class _DivergenceGuard(keras.callbacks.Callback):
    """Stops at the first non-finite or exploding batch loss, without slowing training.

    ``async_safe`` lets Keras run this check off the training thread, so reading
    the loss does not make every step wait.
    """

    async_safe = True

    def __init__(self, monitor: TrainingMonitor) -> None:
        super().__init__()
        self.monitor = monitor
        self.first: float | None = None

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = float(loss)
        if self.first is None and math.isfinite(loss):
            self.first = loss
        if not math.isfinite(loss):
            self.monitor._diverge("the error became not-a-number")
        elif self.first is not None and loss > EXPLODING_FACTOR * max(self.first, 1e-8):
            self.monitor._diverge(f"the error rose from {self.first:.3g} to {loss:.3g}")


def fit(
    model: keras.Model,
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    config: TrainingConfig,
    task: str,
    *,
    batch_size: int,
    class_weight: dict[int, float] | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
    stop_event: StopSignal | None = None,
    metric_scale: float = 1.0,
) -> TrainingOutcome:
    """Train a compiled model on ``(x_train, y_train, x_val, y_val)``.

    The model ends up holding the weights of its best validation epoch.
    """
    x_train, y_train, x_val, y_val = data
    monitor = TrainingMonitor(
        task,
        patience=config.patience if config.early_stopping else None,
        on_epoch=on_epoch,
        stop_event=stop_event,
        metric_scale=metric_scale,
    )
    callbacks: list[keras.callbacks.Callback] = [monitor, _DivergenceGuard(monitor)]
    if config.reduce_lr_on_plateau:
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor="val_loss",
                factor=0.5,
                patience=max(2, config.patience // 3),
                min_lr=config.effective_learning_rate / 64,
            )
        )
    started = time.perf_counter()
    model.fit(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        batch_size=batch_size,
        epochs=config.max_epochs,
        class_weight=class_weight,
        shuffle=True,
        verbose=0,
        callbacks=callbacks,
    )
    seconds = time.perf_counter() - started
    return _outcome(monitor, config, seconds)


def _outcome(monitor: TrainingMonitor, config: TrainingConfig, seconds: float) -> TrainingOutcome:
    epochs = len(monitor.history)
    reason = monitor.stopped_because
    best = monitor.best_epoch
    if reason == DIVERGED:
        rate = config.effective_learning_rate
        figures = {"epochs": epochs + 1, "new": f"{rate / 10:g}", "old": f"{rate:g}"}
        text = Message(MESSAGES.key(DIVERGED), figures)
        best = None
    elif reason == STOPPED_BY_USER and best is None:
        text = Message(MESSAGES.key(STOPPED_BY_USER + "_empty"))
    else:
        text = Message(
            MESSAGES.key(reason), {"epochs": epochs, "best": best, "patience": config.patience}
        )
    return TrainingOutcome(
        stopped_because=reason,
        message=text.render(),
        text=text,
        epochs_run=epochs,
        best_epoch=best,
        history=monitor.history,
        seconds=seconds,
        batches=monitor.batches,
        divergence=monitor.divergence,
        batches_after_stop=None
        if monitor.stop_seen_at is None
        else monitor.batches - monitor.stop_seen_at,
    )
