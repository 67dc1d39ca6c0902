"""Starting a settings search: its folder, its own process, and the job kind that runs it.

:func:`create_study` makes the folder (the data, ``study.json``, a first ``state.json``);
:func:`start_study` also starts its process, ``python -m core.jobs tune <study_dir>``
(:func:`main`), in its own session like a training job, with the folder's lock handed
over so the search never looks interrupted, so closing the browser tab does not stop it.
Pages import this module: it loads neither Optuna nor TensorFlow until the search runs.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import shutil
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from core.errors import TrainboardError, TrainingError
from core.files import write_json_atomic
from core.i18n import Texts
from core.jobs.access import OWNER_FILE, Owner
from core.jobs.states import check_job_id, new_job_id
from core.model.recipe import Recipe
from core.tuning.study_files import (
    DATA_FILE,
    LOCK_FILE,
    LOG_FILE,
    SETTINGS_FILE,
    StudyPhase,
    StudySettings,
    StudyState,
    studies_dir,
    write_state,
)

TEXT = Texts("core.tuning.launch")
MIN_BUDGET_MINUTES, MAX_BUDGET_MINUTES = 0.1, 24 * 60
# Below the app, above its own trials (which run at niceness 10): it only polls files.
SEARCH_NICENESS = 5


def create_study(
    data: bytes | Path,
    data_name: str,
    recipe: Recipe,
    budget_minutes: float,
    *,
    seed: int | None = None,
    max_trials: int | None = None,
    workspace: Path | None = None,
) -> Path:
    """Make a new search's folder (data, settings, a first state) and return it.

    Raises
    ------
    TrainboardError
        With a plain sentence when the recipe has no column to predict or the budget is
        out of range; TrainingError when the folder cannot be written.
    """
    if recipe.target is None:
        raise TrainingError(TEXT["no_target"])
    if not MIN_BUDGET_MINUTES <= budget_minutes <= MAX_BUDGET_MINUTES:
        raise TrainingError(TEXT["budget"].format(low=MIN_BUDGET_MINUTES, high=MAX_BUDGET_MINUTES))
    study_id = new_job_id()
    root = studies_dir(workspace)
    staging, folder = root / f".new-{study_id}", root / study_id
    settings = StudySettings(
        study_id, str(data_name), recipe.to_dict(), float(budget_minutes),
        recipe.seed if seed is None else int(seed), time.time(), max_trials,
    )  # fmt: skip
    try:
        staging.mkdir(parents=True)
        if isinstance(data, (bytes, bytearray, memoryview)):
            (staging / DATA_FILE).write_bytes(bytes(data))
        else:
            shutil.copyfile(Path(data), staging / DATA_FILE)
        write_json_atomic(staging / SETTINGS_FILE, settings.to_dict(), private=True)
        first = StudyState(
            study_id, StudyPhase.STARTING, settings.data_name, recipe.target,
            settings.budget_minutes, settings.created_at,
            settings.created_at + settings.budget_minutes * 60,
        )  # fmt: skip
        write_state(staging, first)
        (staging / LOCK_FILE).touch()
        os.rename(staging, folder)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise TrainingError(TEXT["cannot_start"].format(error=error)) from error
    return folder


def start_study(
    data: bytes | Path,
    data_name: str,
    recipe: Recipe,
    budget_minutes: float,
    *,
    seed: int | None = None,
    workspace: Path | None = None,
    owner: Owner | None = None,
) -> str:
    """Create a search and start its own process (it outlives the page); return its id.

    ``owner`` (who started it, :mod:`core.jobs.access`) is kept in the search's folder and
    given to each of its runs, so they belong to that person like any run they start.
    """
    from core.jobs.runner import PROJECT_ROOT

    folder = create_study(data, data_name, recipe, budget_minutes, seed=seed, workspace=workspace)
    if owner is not None:
        write_json_atomic(folder / OWNER_FILE, owner.to_dict(), private=True)
    lock_fd = os.open(folder / LOCK_FILE, os.O_RDWR)
    try:
        # Held from now and handed to the process, so the search never looks interrupted.
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
        )
        env["PYTHONUNBUFFERED"] = "1"
        env["TRAINBOARD_WORKSPACE"] = str(folder.parent.parent)  # its trials go beside it
        command = [
            sys.executable,
            "-m",
            "core.jobs",
            "tune",
            str(folder),
            "--lock-fd",
            str(lock_fd),
        ]
        with open(folder / LOG_FILE, "ab") as log:
            process = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, pass_fds=(lock_fd,), start_new_session=True,
            )  # fmt: skip
        threading.Thread(target=process.wait, daemon=True).start()
    except (OSError, subprocess.SubprocessError) as error:
        shutil.rmtree(folder, ignore_errors=True)
        raise TrainingError(TEXT["cannot_start"].format(error=error)) from error
    finally:
        os.close(lock_fd)
    return folder.name


def hold_lock(folder: Path, lock_fd: int | None = None) -> int | None:
    """Take (or confirm) the search's exclusive lock; None if another process holds it."""
    fd = lock_fd if lock_fd is not None else os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return None
    return fd


def main(argv: Sequence[str]) -> int:
    """``python -m core.jobs tune <study_dir> [--lock-fd N]``: run one search to its end."""
    parser = argparse.ArgumentParser(prog="python -m core.jobs tune")
    parser.add_argument("study_dir", type=Path)
    parser.add_argument("--lock-fd", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    folder = args.study_dir.resolve()
    check_job_id(folder.name)  # only ever a folder create_study made
    if hold_lock(folder, args.lock_fd) is None:
        print(f"Another process is already running the search in {folder}.", file=sys.stderr)
        return 1
    from core.jobs.runner import get_runner
    from core.tuning.coordinator import run_study

    try:
        os.nice(SEARCH_NICENESS)
    except OSError:
        pass
    try:
        run_study(get_runner(), folder)
    except TrainboardError as error:
        print(f"The search could not finish: {error}", file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        return 1
    return 0
