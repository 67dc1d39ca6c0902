"""Keeping the workspace from growing without bound: old runs removed, oldest first.

A run that has ended (finished, failed, cancelled or interrupted) is removed when it ended
more than :data:`KEEP_DAYS_VARIABLE` days ago, and, while the runs together take more than
:data:`MAX_GB_VARIABLE` gigabytes, the oldest ended runs go until they fit. A run that is
queued or training is never removed, nor a run someone pinned (``pinned`` in its
``meta.json``, the Runs page's toggle). Both limits are declared here, once, with their
defaults; 0 turns a limit off.

When: :func:`sweep_if_due` runs when a job runner starts (at most every
:data:`SWEEP_INTERVAL_SECONDS`, so page loads stay quick) and :func:`sweep` after each job
ends (its bundle may have just crossed the size cap). Removing uses the same hidden rename
as deleting a run, so no list ever shows a half-removed run.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import TrainboardError
from core.files import read_json, write_json_atomic
from core.i18n import Texts
from core.jobs.catalog import read_meta
from core.jobs.job_files import mtime, settled_state
from core.jobs.process import JOB_FILE, STATUS_FILE, as_float, job_folders
from core.jobs.run_files import remove_run_folder

KEEP_DAYS_VARIABLE = "TRAINBOARD_KEEP_DAYS"
MAX_GB_VARIABLE = "TRAINBOARD_MAX_WORKSPACE_GB"
DEFAULT_KEEP_DAYS = 90.0
DEFAULT_MAX_GB = 20.0
SWEEP_INTERVAL_SECONDS = 600.0
# When the workspace last swept (a small JSON file beside jobs/).
SWEEP_FILE = "retention.json"
# A folder half-made by a submit that crashed, left this long, is debris.
STAGING_GRACE_SECONDS = 3600.0
GIGABYTE = 1024**3

TEXT = Texts("core.jobs.retention")


class RetentionSettingError(TrainboardError):
    """A retention variable holds something that is not a number of 0 or more."""


@dataclass(frozen=True)
class RetentionPolicy:
    """How long ended runs are kept and how much room runs may take (None: no limit)."""

    keep_days: float | None = DEFAULT_KEEP_DAYS
    max_bytes: int | None = int(DEFAULT_MAX_GB * GIGABYTE)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RetentionPolicy:
        """The policy the environment sets (:data:`KEEP_DAYS_VARIABLE`, :data:`MAX_GB_VARIABLE`).

        Raises
        ------
        RetentionSettingError
            Naming the variable and what to write instead.
        """
        env = os.environ if environ is None else environ
        days = _limit(env, KEEP_DAYS_VARIABLE, DEFAULT_KEEP_DAYS)
        gigabytes = _limit(env, MAX_GB_VARIABLE, DEFAULT_MAX_GB)
        return cls(
            keep_days=days or None,
            max_bytes=int(gigabytes * GIGABYTE) if gigabytes else None,
        )

    def describe(self) -> str:
        """The policy in one plain sentence, for the Runs page."""
        if self.keep_days is None and self.max_bytes is None:
            return TEXT["keep_all"]
        parts = []
        if self.keep_days is not None:
            parts.append(TEXT["by_age"].format(days=f"{self.keep_days:g}"))
        if self.max_bytes is not None:
            parts.append(TEXT["by_size"].format(gigabytes=f"{self.max_bytes / GIGABYTE:g}"))
        return TEXT["policy"].format(limits=TEXT["and"].join(parts))


def _limit(env: Mapping[str, str], name: str, default: float) -> float:
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise RetentionSettingError(TEXT["bad_setting"].format(variable=name, value=text))
    return value


@dataclass(frozen=True)
class EndedRun:
    """An ended run as the sweep weighs it."""

    job_dir: Path
    ended_at: float
    size: int
    pinned: bool


@dataclass
class SweepReport:
    """What one sweep did: the runs removed, the bytes freed, what the runs take now."""

    removed: list[str] = field(default_factory=list)
    freed_bytes: int = 0
    total_bytes: int = 0
    over_cap: bool = False  # still above the size cap: only active or pinned runs are left


def folder_size(folder: Path) -> int:
    """Bytes of the files under ``folder`` (files vanishing meanwhile count as 0)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def _ended_at(job_dir: Path, raw: dict) -> float:
    info = read_json(job_dir / JOB_FILE)
    created = as_float(info.get("created_at"), mtime(job_dir)) if isinstance(info, dict) else 0.0
    finished = raw.get("finished_at")
    if isinstance(finished, (int, float)):
        return float(finished)
    # Interrupted or damaged: its last sign of life, else when it was made.
    return max(created, mtime(job_dir / STATUS_FILE))


def sweep(jobs_dir: Path, policy: RetentionPolicy, now: float | None = None) -> SweepReport:
    """Remove ended, unpinned runs past the age limit, then the oldest beyond the size cap."""
    now = time.time() if now is None else now
    report = SweepReport()
    _remove_debris(jobs_dir, now)
    ended: list[EndedRun] = []
    for job_dir in job_folders(jobs_dir):
        size = folder_size(job_dir)
        report.total_bytes += size
        raw, state = settled_state(job_dir, read_json(job_dir / STATUS_FILE))
        if state.is_active:
            continue  # queued or training: its process owns the folder
        meta = read_meta(job_dir)
        ended.append(EndedRun(job_dir, _ended_at(job_dir, raw), size, bool(meta and meta.pinned)))
    ended.sort(key=lambda run: (run.ended_at, run.job_dir.name))  # oldest first
    for run in ended:
        if run.pinned:
            continue
        too_old = policy.keep_days is not None and now - run.ended_at > policy.keep_days * 86400
        too_big = policy.max_bytes is not None and report.total_bytes > policy.max_bytes
        if not (too_old or too_big):
            continue
        try:
            remove_run_folder(run.job_dir)
        except OSError:
            continue  # already gone, or not ours to remove: the next sweep tries again
        report.removed.append(run.job_dir.name)
        report.freed_bytes += run.size
        report.total_bytes -= run.size
    report.over_cap = policy.max_bytes is not None and report.total_bytes > policy.max_bytes
    return report


def _remove_debris(jobs_dir: Path, now: float) -> None:
    """Folders a deletion or a crashed submit left behind (hidden, never listed)."""
    try:
        entries = list(jobs_dir.iterdir())
    except OSError:
        return
    for entry in entries:
        stale_new = entry.name.startswith(".new-") and now - mtime(entry) > STAGING_GRACE_SECONDS
        if entry.is_dir() and (entry.name.startswith(".deleted-") or stale_new):
            shutil.rmtree(entry, ignore_errors=True)


def sweep_if_due(workspace: Path, now: float | None = None) -> SweepReport | None:
    """Sweep ``workspace`` with the environment's policy unless it swept recently.

    Never raises: a bad setting or an unwritable workspace is reported on stderr (the Runs
    page states the setting's problem in words), and the runs are simply kept.
    """
    now = time.time() if now is None else now
    marker = workspace / SWEEP_FILE
    last = read_json(marker)
    if isinstance(last, dict) and 0 <= now - as_float(last.get("at")) < SWEEP_INTERVAL_SECONDS:
        return None
    try:
        policy = RetentionPolicy.from_env()
        write_json_atomic(marker, {"at": now})
        return sweep(workspace / "jobs", policy, now)
    except (RetentionSettingError, OSError) as error:
        print(f"Old runs were not cleaned up: {error}", file=sys.stderr)
        return None
