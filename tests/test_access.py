"""Runs kept apart (core/jobs/access.py): who may list, open and act on which runs.

Core tests use the real runner over real job folders (planted as a finished job leaves them,
with an ``owner.json``); a submit holds the only concurrency slot so its job process waits,
queued, and never loads TensorFlow. Page tests drive the app with AppTest and the fake runner
of ``test_pages`` (which records the owner note exactly as the real runner does), in each of
the three modes: personal, shared without sign-in, and signed in (``AppTest.user`` stands in
for the identity provider; the browser suite signs in through a real one).
"""

from __future__ import annotations

import inspect
import json
import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import churn_csv_bytes, jid, tiny_recipe
from streamlit.testing.v1 import AppTest
from test_jobs import hold_lock, wait_for
from test_pages import (
    APP,
    FakeRunner,
    classification_result,
    finished_run,
    go,
    no_exception,
    with_sample,
)
from test_runs_page import make_finished_job

import core.jobs.runner
from core.errors import TrainboardError, TrainingError
from core.files import write_json_atomic
from core.jobs.access import (
    ACCESS_VARIABLE,
    ADMINS_VARIABLE,
    OWNER_FILE,
    AccessMode,
    AccessSettingError,
    Owner,
    Viewer,
    ViewerRunner,
    access_mode,
    admin_names,
    is_admin,
    is_loopback,
    read_owner,
    user_owner,
)
from core.jobs.runner import BUNDLE_FILE, LocalJobRunner
from core.jobs.status import JobRunner
from core.model.recipe import Recipe

ALICE = user_owner("https://idp.example", "alice", "alice@example.com")
BOB = user_owner("https://idp.example", "bob", "bob@example.com")
BROWSER_A = Owner(kind="browser", id="a" * 32)
BROWSER_B = Owner(kind="browser", id="b" * 32)
NO_SUCH_RUN = "There is no training run with the id"


# --- the mode and the rule ---------------------------------------------------------------------


@pytest.mark.parametrize("address", ["localhost", "127.0.0.1", "127.0.0.2", "::1", "[::1]"])
def test_a_server_on_a_loopback_address_is_personal(address: str) -> None:
    assert is_loopback(address)
    assert access_mode(address, sign_in=False, setting="") == AccessMode.PERSONAL


@pytest.mark.parametrize("address", ["", None, "0.0.0.0", "::", "192.168.1.20", "trainboard"])
def test_a_server_reachable_from_a_network_is_shared(address: str | None) -> None:
    assert not is_loopback(address)
    assert access_mode(address, sign_in=False, setting="auto") == AccessMode.SHARED


def test_sign_in_always_wins_and_the_setting_overrides_the_address() -> None:
    assert access_mode("localhost", sign_in=True, setting="personal") == AccessMode.SIGNED_IN
    assert access_mode("0.0.0.0", sign_in=False, setting="personal") == AccessMode.PERSONAL
    assert access_mode("localhost", sign_in=False, setting=" Shared ") == AccessMode.SHARED


def test_the_setting_is_read_from_the_environment_and_a_bad_one_is_refused(monkeypatch) -> None:
    monkeypatch.setenv(ACCESS_VARIABLE, "shared")
    assert access_mode("localhost", sign_in=False) == AccessMode.SHARED
    monkeypatch.setenv(ACCESS_VARIABLE, "public")
    with pytest.raises(AccessSettingError, match="TRAINBOARD_ACCESS is 'public'.*auto"):
        access_mode("localhost", sign_in=False)
    assert issubclass(AccessSettingError, TrainboardError)  # pages show it as a plain error


def test_who_may_list_and_open_in_each_mode() -> None:
    personal = Viewer(AccessMode.PERSONAL, BROWSER_A)
    assert personal.may_list(BROWSER_B) and personal.may_list(None) and personal.may_open(None)
    assert personal.listing_note() is None

    shared = Viewer(AccessMode.SHARED, BROWSER_A)
    assert shared.may_list(BROWSER_A)
    assert not shared.may_list(BROWSER_B) and not shared.may_list(None)
    assert shared.may_open(BROWSER_B) and shared.may_open(None)  # the link is the key
    assert "only the runs started from this browser" in shared.listing_note()

    alice = Viewer(AccessMode.SIGNED_IN, ALICE)
    assert alice.may_list(ALICE) and alice.may_open(ALICE)
    assert not alice.may_list(BOB) and not alice.may_open(BOB)
    assert not alice.may_open(None)  # a run from before sign-in: only an admin
    assert "the runs you started" in alice.listing_note()

    admin = Viewer(AccessMode.SIGNED_IN, BOB, is_admin=True)
    assert admin.may_list(ALICE) and admin.may_open(ALICE) and admin.may_open(None)
    assert "everyone's runs" in admin.listing_note()


def test_the_admin_list_matches_addresses_or_subjects_in_any_case(monkeypatch) -> None:
    monkeypatch.setenv(ADMINS_VARIABLE, " Carol@Example.com, sub-42 ,, ")
    assert admin_names() == {"carol@example.com", "sub-42"}
    assert is_admin("x", ["carol@example.COM"])
    assert is_admin("SUB-42", [])
    assert not is_admin("alice", ["alice@example.com"])
    monkeypatch.delenv(ADMINS_VARIABLE)
    assert not is_admin("carol", ["carol@example.com"])


def test_an_owner_round_trips_and_a_damaged_one_reads_as_none(tmp_path: Path) -> None:
    assert Owner.from_dict(ALICE.to_dict()) == ALICE
    assert ALICE.id == "https://idp.example|alice"
    for bad in (None, [], {"kind": "robot", "id": "x"}, {"kind": "user", "id": ""}):
        assert Owner.from_dict(bad) is None
    (tmp_path / OWNER_FILE).write_text("{not json", encoding="utf-8")
    assert read_owner(tmp_path) is None


# --- the runner as one viewer may use it -------------------------------------------------------


def plant(workspace: Path, label: str, owner: Owner | None) -> str:
    """A finished run on disk, started by ``owner`` (None: before owners were recorded)."""
    job_id = make_finished_job(workspace, label, Recipe(target="churn"))
    if owner is not None:
        write_json_atomic(workspace / "jobs" / job_id / OWNER_FILE, owner.to_dict())
    return job_id


@pytest.fixture
def three_runs(workspace: Path) -> dict[str, str]:
    return {
        "alice": plant(workspace, "alice", ALICE),
        "bob": plant(workspace, "bob", BOB),
        "old": plant(workspace, "old", None),
    }


def test_every_public_runner_method_decides_its_access() -> None:
    """A runner method added without a check here would let a link bypass the rule."""
    wrapped = {name for name, _ in inspect.getmembers(ViewerRunner) if not name.startswith("_")}
    protocol = {name for name in vars(JobRunner) if not name.startswith("_")}
    local = {
        name
        for name, member in inspect.getmembers(LocalJobRunner)
        if not name.startswith("_") and callable(member)
    }
    assert protocol - {"max_concurrent"} <= wrapped
    assert local <= wrapped, f"decide the access of {sorted(local - wrapped)} in ViewerRunner"
    for name in wrapped - {"max_concurrent"}:
        assert name in vars(ViewerRunner), name  # defined there, not inherited or delegated


def test_a_personal_server_lists_and_opens_every_run(workspace, three_runs) -> None:
    runs = ViewerRunner(LocalJobRunner(workspace), Viewer(AccessMode.PERSONAL, BROWSER_A))
    assert {job.job_id for job in runs.list_jobs()} == set(three_runs.values())
    assert runs.status(three_runs["bob"]).owner == BOB


def test_a_shared_server_lists_this_browsers_runs_and_opens_any_by_its_link(
    workspace, three_runs
) -> None:
    write_json_atomic(workspace / "jobs" / three_runs["alice"] / OWNER_FILE, BROWSER_A.to_dict())
    runs = ViewerRunner(LocalJobRunner(workspace), Viewer(AccessMode.SHARED, BROWSER_A))
    assert [job.job_id for job in runs.list_jobs()] == [three_runs["alice"]]
    other = three_runs["bob"]
    assert runs.status(other).state == "finished"  # the id is a capability
    assert runs.artifact(other, BUNDLE_FILE) is not None
    assert runs.meta(other).name


def test_signed_in_others_cannot_list_open_stop_download_or_delete_a_run(
    workspace, three_runs
) -> None:
    runs = ViewerRunner(LocalJobRunner(workspace), Viewer(AccessMode.SIGNED_IN, ALICE))
    assert [job.job_id for job in runs.list_jobs()] == [three_runs["alice"]]
    assert runs.status(three_runs["alice"]).owner == ALICE
    bobs = three_runs["bob"]
    folder = workspace / "jobs" / bobs
    before = {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}
    attempts = {
        "status": lambda: runs.status(bobs),
        "stop": lambda: runs.stop(bobs),
        "restart": lambda: runs.restart(bobs),
        "artifact": lambda: runs.artifact(bobs, BUNDLE_FILE),
        "recipe": lambda: runs.recipe(bobs),
        "run_inputs": lambda: runs.run_inputs(bobs),
        "meta": lambda: runs.meta(bobs),
        "rename": lambda: runs.rename(bobs, "mine now"),
        "pin": lambda: runs.pin(bobs, True),
        "delete": lambda: runs.delete(bobs),
    }
    for name, attempt in attempts.items():
        with pytest.raises(TrainingError, match=NO_SUCH_RUN):  # as if it did not exist
            attempt()
        after = {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}
        assert after == before, name  # nothing written, nothing removed
    with pytest.raises(TrainingError, match=NO_SUCH_RUN):
        runs.status(three_runs["old"])  # made before sign-in: no owner, not Alice's
    assert len(list((workspace / "jobs").iterdir())) == 3


def test_an_admin_sees_and_opens_every_run(workspace, three_runs) -> None:
    runs = ViewerRunner(LocalJobRunner(workspace), Viewer(AccessMode.SIGNED_IN, ALICE, True))
    assert {job.job_id for job in runs.list_jobs()} == set(three_runs.values())
    assert runs.pin(three_runs["bob"], True).pinned
    runs.delete(three_runs["old"])
    assert not (workspace / "jobs" / three_runs["old"]).exists()


def test_a_submitted_run_records_its_owner_and_keeps_its_files_private(workspace) -> None:
    runs = ViewerRunner(
        LocalJobRunner(workspace, max_concurrent=1), Viewer(AccessMode.SIGNED_IN, ALICE)
    )
    slot = hold_lock(workspace / "slots" / "slot-0.lock")  # the job waits, queued: no TF
    try:
        data = churn_csv_bytes(40)
        job_id = runs.submit(data, "churn.csv", tiny_recipe(epochs=2))
        folder = workspace / "jobs" / job_id
        assert json.loads((folder / OWNER_FILE).read_text()) == ALICE.to_dict()
        assert runs.status(job_id).owner == ALICE
        assert (folder / "data.csv").read_bytes() == data
        for name in ("data.csv", "recipe.json", "meta.json", OWNER_FILE, "job.json"):
            assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        others = ViewerRunner(LocalJobRunner(workspace), Viewer(AccessMode.SIGNED_IN, BOB))
        with pytest.raises(TrainingError, match=NO_SUCH_RUN):
            others.stop(job_id)
        assert not (folder / "stop").exists()
        runs.stop(job_id)
        assert wait_for(runs, job_id, lambda s: not s.is_active, 60).state == "cancelled"
        again = runs.restart(job_id)  # started again: still Alice's, kept private
        assert runs.status(again).owner == ALICE
        runs.stop(again)
        assert wait_for(runs, again, lambda s: not s.is_active, 60).state == "cancelled"
    finally:
        os.close(slot)


# --- the pages in each mode --------------------------------------------------------------------

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-test-cookie-secret-of-enough-length",
    "client_id": "trainboard",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeRunner:
    runner = FakeRunner()
    monkeypatch.setattr(core.jobs.runner, "get_runner", lambda: runner)
    return runner


def owned_run(fake: FakeRunner, tmp_path: Path, label: str, owner: Owner | None) -> str:
    job_id = finished_run(fake, classification_result(), tmp_path, jid(label))
    fake.statuses[job_id] = replace(fake.statuses[job_id], owner=owner)
    return job_id


def app_for(user: dict | None = None, browser: str | None = None, query=None) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=60)
    if user is not None:
        app.secrets["auth"] = AUTH
        app.user = user
    if browser is not None:  # AppTest sends no cookies: the session's own id stands in
        app.session_state["browser_id"] = browser
    app.query_params.update(query or {})
    return app.run()


def listed(app: AppTest) -> int:
    return len(app.dataframe[0].value) if app.dataframe else 0


def alice_user(**changes) -> dict:
    return {"is_logged_in": True, "iss": "https://idp.example", "sub": "alice",
            "email": "alice@example.com", **changes}  # fmt: skip


def test_with_sign_in_nothing_is_drawn_before_signing_in(fake, tmp_path) -> None:
    owned_run(fake, tmp_path, "alice", ALICE)
    app = app_for(user={}, query={"job": jid("alice")})
    no_exception(app)
    assert [title.value for title in app.title] == ["Sign in to Trainboard"]
    assert app.button(key="sign_in").label == "Sign in"
    assert not app.dataframe and not app.metric  # no run, no page behind the gate


def test_signed_in_the_runs_page_lists_only_ones_own_runs_and_links_to_others_fail(
    fake, tmp_path
) -> None:
    mine, theirs = owned_run(fake, tmp_path, "alice", ALICE), owned_run(fake, tmp_path, "bob", BOB)
    app = go(app_for(user=alice_user()), "runs")
    no_exception(app)
    assert listed(app) == 1
    assert any("the runs you started" in info.value for info in app.info)
    assert "alice@example" in app.sidebar.caption[-1].value
    for page in ("evaluate", "export", "predict"):
        other = go(app_for(user=alice_user(), query={"job": theirs}), page)
        no_exception(other)
        assert any(NO_SUCH_RUN in error.value for error in other.error), page
        assert not other.table and not other.get("download_button"), page
        own = go(app_for(user=alice_user(), query={"job": mine}), page)
        assert not any(NO_SUCH_RUN in error.value for error in own.error), page
    assert go(app_for(user=alice_user(), query={"job": mine}), "evaluate").table
    assert fake.stopped == [] and fake.deleted == []


def test_an_admin_sees_everyones_runs(fake, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(ADMINS_VARIABLE, "carol@example.com")
    owned_run(fake, tmp_path, "alice", ALICE)
    owned_run(fake, tmp_path, "bob", BOB)
    carol = alice_user(sub="carol", email="carol@example.com")
    app = go(app_for(user=carol), "runs")
    assert listed(app) == 2
    assert any("everyone's runs" in info.value for info in app.info)
    unverified = go(app_for(user={**carol, "email_verified": False}), "runs")
    assert listed(unverified) == 0  # an address the provider did not verify is not enough


def test_a_shared_server_lists_this_browsers_runs_and_says_why(fake, tmp_path, monkeypatch):
    monkeypatch.setenv(ACCESS_VARIABLE, "shared")
    owned_run(fake, tmp_path, "mine", BROWSER_A)
    theirs = owned_run(fake, tmp_path, "theirs", BROWSER_B)
    app = go(app_for(browser=BROWSER_A.id), "runs")
    no_exception(app)
    assert listed(app) == 1
    assert any("only the runs started from this browser" in info.value for info in app.info)
    train = go(app_for(browser=BROWSER_A.id), "train")
    assert any("only the runs started from this browser" in c.value for c in train.caption)
    linked = go(app_for(browser=BROWSER_A.id, query={"job": theirs}), "evaluate")
    no_exception(linked)
    assert not linked.error and linked.table  # the link itself opens the run's scores


def test_a_run_started_from_the_train_page_belongs_to_that_browser(fake, monkeypatch) -> None:
    monkeypatch.setenv(ACCESS_VARIABLE, "shared")
    app = go(with_sample(app_for(browser=BROWSER_A.id)), "train")
    app.button(key="train_start").click().run()
    no_exception(app)
    job_id = app.session_state["job_id"]
    assert fake.statuses[job_id].owner == BROWSER_A
    stranger = go(app_for(browser=BROWSER_B.id), "runs")
    assert listed(stranger) == 0
    assert listed(go(app_for(browser=BROWSER_A.id), "runs")) == 1


def test_a_browser_is_known_by_its_xsrf_token_whatever_the_mask() -> None:
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

    from ui.state import browser_id

    token = b"0123456789abcdef"
    first, second = generate_xsrf_token_string(token), generate_xsrf_token_string(token)
    assert first != second  # Streamlit masks the token anew on every page load
    assert browser_id(first) == browser_id(second) is not None
    assert browser_id(generate_xsrf_token_string(b"fedcba9876543210")) != browser_id(first)
    assert token.hex() not in browser_id(first)  # the token itself is never stored
    for garbage in (None, "", "2|zz|yy|1", "1|abc", "2||00|1"):
        assert browser_id(garbage) is None


def test_the_runs_of_a_settings_search_belong_to_whoever_started_it(fake, workspace) -> None:
    """A search submits its trials from its own process: it passes its starter on."""
    from types import SimpleNamespace

    from core.tuning import coordinator
    from core.tuning.launch import create_study
    from core.tuning.study_files import TuningNote, read_settings

    folder = create_study(churn_csv_bytes(40), "churn.csv", tiny_recipe(epochs=2), 1)
    write_json_atomic(folder / OWNER_FILE, ALICE.to_dict())  # as start_study(owner=...) does
    search = SimpleNamespace(settings=read_settings(folder), records=[])
    note = TuningNote(search.settings.study_id, 1, TuningNote.TRIAL)
    job_id = coordinator._submit(fake, folder, search, tiny_recipe(epochs=2), note, "Trial 1")
    assert fake.statuses[job_id].owner == ALICE
    mine = ViewerRunner(fake, Viewer(AccessMode.SIGNED_IN, ALICE))
    assert [job.job_id for job in mine.list_jobs()] == [job_id]
    assert ViewerRunner(fake, Viewer(AccessMode.SIGNED_IN, BOB)).list_jobs() == []
