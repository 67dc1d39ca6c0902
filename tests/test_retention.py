"""Old runs removed oldest first (core/jobs/retention.py), and a full disk said plainly.

Real job folders on disk: ended runs planted as a finished job leaves them, a queued or
training run holding its lock from this process (as a live job process would). The full
disk is a real one: a tiny tmpfs mounted for the test (the suite runs as root in CI); where
mounting is not allowed, the disk's answer is injected at the OS call that reports it
(``os.fsync`` raising ENOSPC, as a full disk does for delayed writes; a job then runs in the
test's own process, where that answer is injected).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import churn_csv_bytes, jid, tiny_recipe
from test_jobs import hold_lock, wait_for
from test_pages import FakeRunner, go, no_exception, open_app
from test_runs_page import add_run, make_finished_job, select, table_of

import core.jobs.runner
from core.errors import TrainboardError, TrainingError
from core.files import disk_full_message, write_json_atomic
from core.jobs import process
from core.jobs.catalog import read_meta
from core.jobs.retention import (
    GIGABYTE,
    KEEP_DAYS_VARIABLE,
    MAX_GB_VARIABLE,
    SWEEP_FILE,
    RetentionPolicy,
    RetentionSettingError,
    folder_size,
    sweep,
    sweep_if_due,
)
from core.jobs.runner import LocalJobRunner
from core.model.recipe import Recipe

DAY = 86400.0
NOW = 1_000 * DAY


def ended_run(workspace: Path, label: str, days_ago: float, size: int = 0) -> str:
    """A finished run that ended ``days_ago`` before NOW, with ``size`` bytes of bundle."""
    job_id = make_finished_job(
        workspace, label, Recipe(target="churn"), created_at=NOW - days_ago * DAY - 31
    )
    if size:
        (workspace / "jobs" / job_id / "bundle.zip").write_bytes(b"x" * size)
    return job_id


def active_run(workspace: Path, label: str, state: str, days_ago: float) -> tuple[str, int]:
    """A run whose process is alive (its lock held here): queued or running."""
    job_id = ended_run(workspace, label, days_ago)
    folder = workspace / "jobs" / job_id
    write_json_atomic(folder / "status.json", {"state": state, "epoch": 0, "history_length": 0})
    return job_id, hold_lock(folder / "lock")


def left(workspace: Path) -> set[str]:
    return {path.name for path in (workspace / "jobs").iterdir()}


# --- the policy --------------------------------------------------------------------------------


def test_the_policy_comes_from_the_environment_with_defaults() -> None:
    default = RetentionPolicy.from_env({})
    assert default == RetentionPolicy(keep_days=90.0, max_bytes=20 * GIGABYTE)
    custom = RetentionPolicy.from_env({KEEP_DAYS_VARIABLE: "7", MAX_GB_VARIABLE: "0.5"})
    assert custom == RetentionPolicy(keep_days=7.0, max_bytes=GIGABYTE // 2)
    off = RetentionPolicy.from_env({KEEP_DAYS_VARIABLE: "0", MAX_GB_VARIABLE: "0"})
    assert off == RetentionPolicy(keep_days=None, max_bytes=None)
    assert off.describe() == "Runs are kept until you delete them."
    assert "more than 7 days ago" in custom.describe()
    assert "more than 0.5 GB" in custom.describe()


@pytest.mark.parametrize("value", ["-1", "ten", "nan", "inf"])
def test_a_bad_setting_is_refused_with_what_to_write(value: str) -> None:
    with pytest.raises(
        RetentionSettingError, match=f"{KEEP_DAYS_VARIABLE} is '{value}'.*0 or more"
    ):
        RetentionPolicy.from_env({KEEP_DAYS_VARIABLE: value})
    assert issubclass(RetentionSettingError, TrainboardError)


# --- the sweep ---------------------------------------------------------------------------------


def test_runs_older_than_the_limit_go_and_newer_ones_stay(workspace: Path) -> None:
    old, recent = ended_run(workspace, "old", 40), ended_run(workspace, "recent", 10)
    report = sweep(workspace / "jobs", RetentionPolicy(keep_days=30, max_bytes=None), NOW)
    assert report.removed == [old]
    assert left(workspace) == {recent}


def test_beyond_the_size_cap_the_oldest_go_first_until_it_fits(workspace: Path) -> None:
    runs = [ended_run(workspace, f"r{i}", days_ago=10 - i, size=100_000) for i in range(5)]
    one = folder_size(workspace / "jobs" / runs[0])
    cap = 3 * one + one // 2  # room for three runs
    report = sweep(workspace / "jobs", RetentionPolicy(keep_days=None, max_bytes=cap), NOW)
    assert report.removed == runs[:2]  # oldest first
    assert left(workspace) == set(runs[2:])
    assert report.total_bytes <= cap and not report.over_cap
    assert report.freed_bytes == 2 * one


def test_queued_running_and_pinned_runs_are_never_removed(workspace: Path) -> None:
    queued, queued_lock = active_run(workspace, "queued", "queued", 400)
    running, running_lock = active_run(workspace, "running", "running", 400)
    pinned = ended_run(workspace, "pinned", 400, size=50_000)
    LocalJobRunner(workspace).pin(pinned, True)
    gone = ended_run(workspace, "gone", 1)
    try:
        report = sweep(workspace / "jobs", RetentionPolicy(keep_days=30, max_bytes=1), NOW)
    finally:
        os.close(queued_lock)
        os.close(running_lock)
    assert report.removed == [gone]  # over the cap, yet the young unpinned one is all it may take
    assert left(workspace) == {queued, running, pinned}
    assert report.over_cap
    assert read_meta(workspace / "jobs" / pinned).pinned


def test_an_interrupted_run_is_ended_and_may_go(workspace: Path) -> None:
    job_id = ended_run(workspace, "lost", 100)
    folder = workspace / "jobs" / job_id
    write_json_atomic(folder / "status.json", {"state": "running", "epoch": 2})  # lock free
    last_sign_of_life = NOW - 100 * DAY  # its last status write
    os.utime(folder / "status.json", (last_sign_of_life, last_sign_of_life))
    assert sweep(
        workspace / "jobs", RetentionPolicy(keep_days=30, max_bytes=None), NOW
    ).removed == [job_id]


def test_unpinning_lets_a_run_go_with_the_others(workspace: Path) -> None:
    job_id = ended_run(workspace, "kept", 100)
    runner = LocalJobRunner(workspace)
    assert runner.pin(job_id, True).pinned
    policy = RetentionPolicy(keep_days=30, max_bytes=None)
    assert sweep(workspace / "jobs", policy, NOW).removed == []
    assert not runner.pin(job_id, False).pinned
    assert sweep(workspace / "jobs", policy, NOW).removed == [job_id]


def test_leftovers_of_deletions_and_crashed_submits_are_cleaned(workspace: Path) -> None:
    jobs = workspace / "jobs"
    (jobs / f".deleted-{jid('x')}").mkdir(parents=True)
    stale = jobs / f".new-{jid('stale')}"
    fresh = jobs / f".new-{jid('fresh')}"
    stale.mkdir()
    fresh.mkdir()  # a submit in progress right now
    os.utime(stale, (NOW - 2 * 3600, NOW - 2 * 3600))
    os.utime(fresh, (NOW - 60, NOW - 60))
    sweep(jobs, RetentionPolicy(keep_days=None, max_bytes=None), NOW)
    assert {path.name for path in jobs.iterdir()} == {fresh.name}


def test_a_runner_starting_sweeps_at_most_every_few_minutes(workspace, monkeypatch) -> None:
    monkeypatch.setenv(KEEP_DAYS_VARIABLE, "30")
    old = ended_run(workspace, "old", 40)
    assert sweep_if_due(workspace, now=NOW).removed == [old]
    assert json.loads((workspace / SWEEP_FILE).read_text())["at"] == NOW
    again = ended_run(workspace, "again", 40)
    assert sweep_if_due(workspace, now=NOW + 60) is None  # swept a minute ago
    assert again in left(workspace)
    assert sweep_if_due(workspace, now=NOW + 3600).removed == [again]
    monkeypatch.setenv(KEEP_DAYS_VARIABLE, "soon")
    assert sweep_if_due(workspace, now=NOW + 7200) is None  # a bad setting keeps every run


def test_the_real_runner_removes_old_runs_when_it_starts(workspace, monkeypatch) -> None:
    monkeypatch.setenv(KEEP_DAYS_VARIABLE, "30")
    old = make_finished_job(workspace, "ancient", Recipe(target="churn"), created_at=1000.0)
    LocalJobRunner(workspace)
    assert old not in left(workspace)


# --- the Runs page: keeping a run, and saying the policy ---------------------------------------


def test_the_runs_page_keeps_a_run_and_says_how_long_runs_are_kept(monkeypatch, tmp_path) -> None:
    fake = FakeRunner()
    monkeypatch.setattr(core.jobs.runner, "get_runner", lambda: fake)
    monkeypatch.setenv(KEEP_DAYS_VARIABLE, "30")
    monkeypatch.setenv(MAX_GB_VARIABLE, "5")
    job_id = add_run(fake, tmp_path, "keep", Recipe(target="churn"))
    app = go(open_app(), "runs")
    assert any("more than 30 days ago" in c.value and "5 GB" in c.value for c in app.caption)
    assert list(table_of(app)["Kept"]) == [False]
    app = select(app, [0])
    assert app.toggle(key="runs_pin").value is False
    app.toggle(key="runs_pin").set_value(True).run()
    no_exception(app)
    assert fake.metas[job_id].pinned
    assert any("is kept" in s.value for s in app.success)
    assert list(table_of(app)["Kept"]) == [True]
    app.toggle(key="runs_pin").set_value(False).run()
    assert not fake.metas[job_id].pinned


def test_a_bad_retention_setting_is_said_on_the_runs_page(monkeypatch) -> None:
    monkeypatch.setattr(core.jobs.runner, "get_runner", FakeRunner)
    monkeypatch.setenv(MAX_GB_VARIABLE, "lots")
    app = go(open_app(), "runs")
    no_exception(app)
    shown = [w.value.replace("\\", "") for w in app.warning]  # markdown escapes removed
    assert any("TRAINBOARD_MAX_WORKSPACE_GB is 'lots'" in text for text in shown)


# --- a full disk -------------------------------------------------------------------------------


def test_a_full_disk_is_recognised_through_wrapping_errors() -> None:
    full = OSError(errno.ENOSPC, "No space left on device")
    assert disk_full_message(full).startswith("The disk is full")
    try:
        try:
            raise full
        except OSError as error:
            raise RuntimeError("writing the bundle failed") from error
    except RuntimeError as wrapped:
        assert disk_full_message(wrapped) is not None
    assert disk_full_message(OSError(errno.EACCES, "Permission denied")) is None


def no_space_left(fd: int) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


@contextlib.contextmanager
def tiny_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: str = "256k"
) -> Iterator[Path]:
    """A file system of its own of ``size`` (tmpfs), or, where mounting is not allowed, a
    folder whose disk answers ENOSPC to writes bigger than that."""
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:8]}"
    mount.mkdir()
    try:
        command = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)]
        mounted = subprocess.run(command, capture_output=True).returncode == 0
    except OSError:  # no mount command here
        mounted = False
    if not mounted:
        # Where mounting is not allowed, the disk's answer is injected where a full disk
        # reports it for a file Trainboard writes: flushing it (fsync) or, for files written
        # without a flush (a zipped bundle), completing it before the atomic rename.
        limit = int(size[:-1]) * {"k": 1024, "m": 1024**2}[size[-1]]
        real_fsync, real_replace = os.fsync, os.replace

        def fsync(fd: int) -> None:
            if os.fstat(fd).st_size > limit:
                no_space_left(fd)
            real_fsync(fd)

        def replace(source, target) -> None:
            if os.path.isfile(source) and os.path.getsize(source) > limit:
                no_space_left(-1)
            real_replace(source, target)

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "replace", replace)
    try:
        yield mount
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_run_submitted_to_a_full_disk_is_refused_plainly_and_leaves_nothing(
    tmp_path, monkeypatch
) -> None:
    with tiny_disk(tmp_path, monkeypatch) as disk:
        runner = LocalJobRunner(disk / "workspace", max_concurrent=1)
        too_big = churn_csv_bytes(20) + b"0" * (400 * 1024)
        with pytest.raises(TrainingError, match="The disk is full") as caught:
            runner.submit(too_big, "big.csv", tiny_recipe())
        assert "Nothing was half-written" in str(caught.value)
        assert "Errno" not in str(caught.value)  # plain words, not the system's
        assert list((disk / "workspace" / "jobs").iterdir()) == []  # no run, no hidden half
        assert runner.list_jobs() == []
        # What was freed is really free: a small run fits now (it waits, queued: no TF).
        slot = hold_lock(disk / "workspace" / "slots" / "slot-0.lock")
        try:
            job_id = runner.submit(churn_csv_bytes(20), "small.csv", tiny_recipe())
            runner.stop(job_id)
            assert wait_for(runner, job_id, lambda s: not s.is_active, 60).state == "cancelled"
        finally:
            os.close(slot)


def test_renaming_on_a_full_disk_keeps_the_old_name_whole(tmp_path, monkeypatch) -> None:
    with tiny_disk(tmp_path, monkeypatch) as disk:
        workspace = disk / "workspace"
        job_id = make_finished_job(workspace, "named", Recipe(target="churn"))
        runner = LocalJobRunner(workspace)
        before = runner.rename(job_id, "Before the disk filled")
        folder = workspace / "jobs" / job_id
        meta_bytes = (folder / "meta.json").read_bytes()
        filler = disk / "filler"
        if os.path.ismount(disk):
            with contextlib.suppress(OSError), open(filler, "wb") as out:
                while True:
                    out.write(b"x" * 4096)
                    out.flush()
                    os.fsync(out.fileno())
        else:  # the injected disk: any fsync now answers "full"
            monkeypatch.setattr(os, "fsync", no_space_left)
        with pytest.raises(TrainingError, match="The disk is full"):
            runner.rename(job_id, "x" * 70)
        with pytest.raises(TrainingError, match="The disk is full"):
            runner.pin(job_id, True)
        assert (folder / "meta.json").read_bytes() == meta_bytes  # whole, and the old one
        assert runner.meta(job_id) == before
        assert not [p for p in folder.iterdir() if p.name.endswith(".partial")]


@pytest.mark.slow
def test_a_job_that_fills_the_disk_fails_plainly_without_a_half_written_bundle(
    tmp_path, monkeypatch
) -> None:
    """A real job on a 1 MB disk: it trains, then its bundle (megabytes) does not fit."""
    with tiny_disk(tmp_path, monkeypatch, size="1m") as disk:
        if not os.path.ismount(disk):
            # The injected disk lives in this process: run the job here, not in its own.
            monkeypatch.setattr(os, "nice", lambda increment: 0)
            monkeypatch.setattr(
                LocalJobRunner,
                "_start_process",
                lambda self, job_dir, lock_fd: process.run_job(job_dir, lock_fd=lock_fd),
            )
        runner = LocalJobRunner(disk / "workspace", max_concurrent=1)
        job_id = runner.submit(churn_csv_bytes(60), "churn.csv", tiny_recipe(epochs=2))
        ended = wait_for(runner, job_id, lambda s: not s.is_active, 600)
        assert ended.state == "failed", ended
        assert ended.error.startswith("The disk is full")
        folder = disk / "workspace" / "jobs" / job_id
        assert not (folder / "bundle.zip").exists()
        assert not [p.name for p in folder.iterdir() if p.name.endswith(".partial")]
