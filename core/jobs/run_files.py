"""A run's own files, as the Runs page uses them: name, recipe, data, and deleting the run.

:class:`RunFilesMixin` gives :class:`core.jobs.runner.LocalJobRunner` the runner methods of
the Runs page (``meta``, ``rename``, ``pin``, ``delete``, ``recipe``, ``run_inputs``). The
rules they apply (the default name, what a valid name is, which runs may be deleted) are in
:mod:`core.jobs.catalog`; this module only reads and writes the job folder.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from core.errors import TrainingError
from core.files import disk_full_message, read_json
from core.jobs.catalog import (
    RunMeta,
    check_deletable,
    clean_run_name,
    new_run_meta,
    read_meta,
    write_meta,
)
from core.jobs.job_files import read_recipe
from core.jobs.process import DATA_FILE, JOB_FILE
from core.jobs.states import no_such_run
from core.jobs.status import JobStatus
from core.model.recipe import Recipe

RESTART_NO_DATA = (
    "This run's copy of the data or of its settings is missing or damaged, so it cannot be "
    "started again. Upload the data again and start a new run."
)
SAVE_FAILED = (
    "The change could not be saved ({error}). Check that the workspace folder is writable, "
    "then try again."
)
DELETE_FAILED = (
    "The run could not be deleted ({error}). Check that the workspace folder is writable, "
    "then try again."
)


class RunFilesMixin:
    """The Runs page's runner methods, over the job folders under ``jobs_dir``."""

    jobs_dir: Path

    def _job_dir(self, job_id: str) -> Path:  # provided by the runner
        raise NotImplementedError

    def _read_status(self, job_dir: Path, allow_damaged: bool = False) -> JobStatus | None:
        raise NotImplementedError

    def recipe(self, job_id: str) -> Recipe | None:
        """The recipe a job trained with, or None if its ``recipe.json`` is missing or damaged."""
        return read_recipe(self._job_dir(job_id))

    def run_inputs(self, job_id: str) -> tuple[bytes, str, Recipe]:
        """A job's own data (bytes as uploaded), the data's file name and its recipe.

        What "try this again with..." loads into the session to start a new run from.

        Raises
        ------
        TrainingError
            If the job's data or recipe is missing or damaged.
        """
        job_dir = self._job_dir(job_id)
        recipe = read_recipe(job_dir)
        try:
            data = (job_dir / DATA_FILE).read_bytes()
        except OSError:
            data = None
        if recipe is None or data is None:
            raise TrainingError(RESTART_NO_DATA)
        info = read_json(job_dir / JOB_FILE)
        name = info.get("data_name") if isinstance(info, dict) else None
        return data, str(name or DATA_FILE), recipe

    # -- runs: names and deleting ------------------------------------------------------------

    def meta(self, job_id: str) -> RunMeta:
        """The run's name, data fingerprint and target (``meta.json``).

        A job made before runs had names gets its meta now, once, from its own files.
        """
        job_dir = self._job_dir(job_id)
        meta = read_meta(job_dir)
        if meta is None:
            info = read_json(job_dir / JOB_FILE)
            name = info.get("data_name") if isinstance(info, dict) else None
            meta = new_run_meta(job_dir / DATA_FILE, str(name or ""), read_recipe(job_dir))
            try:
                write_meta(job_dir, meta)
            except OSError:
                pass  # a read-only workspace still lists its runs
        return meta

    def rename(self, job_id: str, name: str) -> RunMeta:
        """Give a run a new name (trimmed); returns the meta as stored.

        Raises
        ------
        TrainingError
            If the name is empty or too long (a plain sentence says which).
        """
        cleaned = clean_run_name(name)
        return self._change_meta(job_id, name=cleaned)

    def pin(self, job_id: str, pinned: bool) -> RunMeta:
        """Keep the run from automatic removal (:mod:`core.jobs.retention`), or let it go."""
        return self._change_meta(job_id, pinned=bool(pinned))

    def _change_meta(self, job_id: str, **changes: object) -> RunMeta:
        job_dir = self._job_dir(job_id)
        meta = RunMeta(**{**self.meta(job_id).to_dict(), **changes})
        try:
            write_meta(job_dir, meta)
        except OSError as error:
            message = disk_full_message(error) or SAVE_FAILED.format(error=error)
            raise TrainingError(message) from error
        return meta

    def delete(self, job_id: str) -> None:
        """Remove a run that has ended, with every file it left.

        The id is checked before any path is built from it, and the folder is first renamed
        to a hidden name, so the list of runs never shows a half-deleted one.

        Raises
        ------
        TrainingError
            If the id names no run, or the run is queued or training (stop it first).
        """
        job_dir = self._job_dir(job_id)
        if job_dir.is_symlink() or job_dir.resolve().parent != self.jobs_dir.resolve():
            raise no_such_run(job_id)  # never follow a link out of the workspace
        check_deletable(self._read_status(job_dir, allow_damaged=True))
        try:
            remove_run_folder(job_dir)
        except OSError as error:
            raise TrainingError(DELETE_FAILED.format(error=error)) from error


def remove_run_folder(job_dir: Path) -> None:
    """Remove a run's folder: renamed to a hidden name first, so no list shows it half-gone.

    Raises
    ------
    OSError
        If the folder cannot be renamed (nothing was removed then).
    """
    doomed = job_dir.parent / f".deleted-{job_dir.name}"
    os.rename(job_dir, doomed)
    shutil.rmtree(doomed, ignore_errors=True)
