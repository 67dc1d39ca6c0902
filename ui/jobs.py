"""The Train, Evaluate, Export and Predict pages' access to the job runner.

The runner is looked up on every call (``core.jobs.runner.get_runner()``), never kept in a
module global: tests replace ``core.jobs.runner.get_runner`` at this boundary, and each
job's state lives on disk, not in this process.
"""

from __future__ import annotations

from typing import Any

ACTIVE_STATES = ("queued", "running")


def runner() -> Any:
    """The job runner (imported lazily: pages that never train do not load it)."""
    import core.jobs.runner

    return core.jobs.runner.get_runner()


def job_status(job_id: str | None) -> Any | None:
    """The :class:`core.jobs.runner.JobStatus` of ``job_id``, or None when there is no current run.

    Raises the runner's TrainboardError when the id names no run (e.g. an old link).
    """
    if not job_id:
        return None
    return runner().status(job_id)


def is_active(status: Any | None) -> bool:
    """Whether the run is waiting or training (so the page keeps polling it)."""
    return status is not None and status.state in ACTIVE_STATES


def is_waiting_for_others(status: Any, jobs: list[Any] | None = None) -> bool:
    """Whether a queued run really waits for other runs (rather than just starting).

    A new run reads as queued for a moment while its process takes a training slot; it
    only waits when the runs queued ahead of it and the runs training fill every slot.

    Parameters
    ----------
    status : core.jobs.runner.JobStatus or None
        The run in question.
    jobs : list of core.jobs.runner.JobStatus, optional
        Every run, when the caller has just listed them (else they are listed here).
    """
    if status is None or status.state != "queued":
        return False
    if jobs is None:
        jobs = runner().list_jobs()
    # How many runs may train at once (the local runner's setting; other runners: one).
    slots = max(1, int(runner().max_concurrent))
    ahead = max(0, (status.queue_position or 1) - 1)
    training = sum(1 for job in jobs if job.state == "running" and job.job_id != status.job_id)
    return ahead + training >= slots


def finished_result(job_id: str | None) -> tuple[Any, dict] | None:
    """The status and result dict of ``job_id`` when it produced a model, else None."""
    status = job_status(job_id)
    if status is None or status.result is None:
        return None
    return status, status.result
