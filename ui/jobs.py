"""The Train, Evaluate, Export and Predict pages' access to the job runner.

The runner is looked up on every call (``core.jobs.runner.get_runner()``), never kept in a
module global: tests replace ``core.jobs.runner.get_runner`` at this boundary, and each
job's state lives on disk, not in this process. What a job is doing (waiting, starting,
training...) is decided in ``core.jobs``; pages only say it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the runner module is imported lazily: pages that never train skip it
    from core.jobs.status import JobRunner, JobStatus
    from core.results import RunResult


def runner() -> JobRunner:
    """The job runner as this person may use it (imported lazily: pages that never train
    do not load it). Which runs they may list and open is decided in ``core.jobs.access``."""
    import core.jobs.runner
    from core.jobs.access import ViewerRunner
    from ui.sign_in import current_viewer

    return ViewerRunner(core.jobs.runner.get_runner(), current_viewer())


def listing_note() -> str | None:
    """Why the list of runs shows what it shows, in plain words (None on a personal server)."""
    from ui.sign_in import current_viewer

    return current_viewer().listing_note()


def job_status(job_id: str | None) -> JobStatus | None:
    """The status of ``job_id``, or None when there is no current run.

    Raises the runner's TrainboardError when the id names no run (e.g. an old link).
    """
    if not job_id:
        return None
    return runner().status(job_id)


def is_active(status: JobStatus | None) -> bool:
    """Whether there is a run and it is waiting or training (so the page keeps polling it)."""
    return status is not None and status.is_active


def finished_result(job_id: str | None) -> tuple[JobStatus, RunResult] | None:
    """The status and result of ``job_id`` once it finished, else None."""
    status = job_status(job_id)
    if status is None or status.result is None:
        return None
    return status, status.result
