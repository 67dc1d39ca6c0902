"""Shared test environment for Trainboard's suite.

Kept deliberately small: it quiets TensorFlow's C++ start-up chatter, gives every test its own
empty workspace folder and offers the one small CSV file on disk that several suites train on
(``churn_csv``; the data and recipes themselves are in ``helpers.py``). It patches no function
and skips nothing, so a test behaves here as it would in the app. It changes one default: old
runs are not removed automatically (many tests plant runs dated months ago), except in the tests
of that removal, which set their own limits (``tests/test_retention.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import churn_table, write_csv

from core.jobs.access import ACCESS_VARIABLE, ADMINS_VARIABLE
from core.jobs.retention import KEEP_DAYS_VARIABLE, MAX_GB_VARIABLE
from core.tracking import EXPERIMENT_VARIABLE, TRACKING_URI_VARIABLE

# TensorFlow reads this once, when it is first imported, so it must be set before any test module
# imports it. Level 2 hides INFO and WARNING lines from the C++ runtime (CPU feature notices, oneDNN
# banners); Python-level warnings and all errors still show. setdefault: a developer who wants the
# full log can still run `TF_CPP_MIN_LOG_LEVEL=0 pytest ...`.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The app keeps a warm worker (core.jobs.warm: a process loading TensorFlow for the next job) in
# its workspace. Pages opened by tests would each start one in their own workspace, loading
# TensorFlow on the shared cores for nothing; tests/test_warm.py starts its workers itself.
os.environ.setdefault("TRAINBOARD_WARM_WORKER", "0")


@pytest.fixture(autouse=True)
def workspace(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``TRAINBOARD_WORKSPACE`` at a fresh, empty folder for each test.

    Why autouse: the app's default workspace is ``./workspace`` in the repository, and a test that
    forgets to isolate itself would leave jobs there and see jobs left by other tests. The variable
    is set in ``os.environ``, so job processes started by a test inherit it. Request this fixture
    by name to get the folder's path; a test that needs the real default can remove the variable
    with ``monkeypatch.delenv("TRAINBOARD_WORKSPACE")``.

    Returns
    -------
    Path
        The test's workspace folder (it exists and is empty).
    """
    folder = tmp_path_factory.mktemp("workspace")
    monkeypatch.setenv("TRAINBOARD_WORKSPACE", str(folder))
    return folder


@pytest.fixture(autouse=True)
def no_experiment_tracking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ignore a developer's own ``MLFLOW_TRACKING_URI``: tests never log to a team's MLflow.

    Only ``tests/test_tracking.py`` logs to MLflow, into stores it makes in temporary folders.
    """
    monkeypatch.delenv(TRACKING_URI_VARIABLE, raising=False)
    monkeypatch.delenv(EXPERIMENT_VARIABLE, raising=False)


@pytest.fixture(autouse=True)
def keep_every_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """No automatic removal of old runs (0 = no limit), and no access setting of the developer's.

    Tests plant finished runs with fixed dates in the past; a runner starting would otherwise
    remove them as too old. The retention tests pass their own limits.
    """
    monkeypatch.setenv(KEEP_DAYS_VARIABLE, "0")
    monkeypatch.setenv(MAX_GB_VARIABLE, "0")
    monkeypatch.delenv(ACCESS_VARIABLE, raising=False)
    monkeypatch.delenv(ADMINS_VARIABLE, raising=False)


@pytest.fixture
def churn_csv(tmp_path: Path) -> Path:
    """A 240-row yes/no table (``churn``, with numbers, categories and empty cells) on disk."""
    return write_csv(churn_table(240), tmp_path / "churn.csv")
