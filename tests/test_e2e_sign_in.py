"""End to end: a team server with sign-in, against a real OpenID Connect provider; a shared
server without sign-in.

A local identity provider (the ``oidc-provider-mock`` package: real OpenID Connect discovery,
authorization, token and ID-token signing, with one-click test users) runs in this process;
a real ``streamlit run app.py`` server is started with a ``secrets.toml`` whose ``[auth]``
section points at it, and with ``TRAINBOARD_ADMINS`` naming one user. In headless Chromium,
each person has their own browser context (own cookies) and signs in through the provider's
page, as they would through a company's:

- nothing is shown before signing in, not even through a run's link;
- Alice signs in and trains a tiny run;
- Bob signs in: Alice's run is not in his lists, and its links (train, evaluate, export)
  say there is no such run, with no Stop or download button;
- Carol, an admin, sees Alice's run and opens it;
- Alice signs out (at the provider too) and her run's link asks her to sign in again.

Without sign-in, a server reachable from a network lists only the runs of the browser looking
(known by its own XSRF cookie, so a refresh keeps them), and a run's link still opens it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from oidc_provider_mock import User, run_server_in_thread
from playwright.sync_api import Browser, Page, expect

from core.files import write_json_atomic
from core.jobs.access import OWNER_FILE, Owner
from core.model.recipe import Recipe
from ui.state import XSRF_COOKIE, browser_id

pytest.register_assert_rewrite("e2e_support")
from e2e_support import (  # noqa: E402
    PROJECT_ROOT,
    UI_TIMEOUT_MS,
    VIEWPORT,
    AppServer,
    free_port,
    go_to,
    job_id_from_url,
    keyed,
    keyed_button,
    report_failures,
    run_streamlit,
    screenshot,
    set_number,
    stop_leftover_jobs,
    upload_and_choose_target,
    wait_idle,
)
from test_runs_page import make_finished_job  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
pytest_plugins = ["e2e_support"]

USERS = {
    name: User(sub=name, claims={"email": f"{name}@example.com", "email_verified": True})
    for name in ("alice", "bob", "carol")
}
ADMIN = "carol@example.com"
NO_SUCH_RUN = "There is no training run with the id"
SHARED_NOTE = "only the runs started from this browser"
# Importing TensorFlow, 3 short passes, testing and packaging, on a busy 2-core machine.
RUN_END_TIMEOUT_MS = 240_000


@pytest.fixture(scope="module")
def identity_provider() -> Iterator[str]:
    """A real OpenID Connect provider on a free local port; returns its base URL."""
    with run_server_in_thread(port=free_port(), user_claims=list(USERS.values())) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture(scope="module")
def team_server(
    tmp_path_factory: pytest.TempPathFactory, identity_provider: str
) -> Iterator[AppServer]:
    """Trainboard with sign-in through ``identity_provider`` and one admin."""
    folder = tmp_path_factory.mktemp("team_server")
    workspace = folder / "workspace"
    workspace.mkdir()
    port = free_port()
    secrets = folder / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "an-end-to-end-test-secret-that-is-long-enough"\n'
        'client_id = "trainboard"\n'
        'client_secret = "trainboard-secret"\n'
        f'server_metadata_url = "{identity_provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    with run_streamlit(
        workspace,
        folder / "streamlit.log",
        port=port,
        secrets=secrets,
        env_vars={"TRAINBOARD_ADMINS": ADMIN},
    ) as server:
        try:
            yield server
        finally:
            stop_leftover_jobs(workspace)


def new_person(browser: Browser) -> Page:
    """A browser of one's own: a fresh context, so no cookie of anyone else's."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(UI_TIMEOUT_MS)
    return context.new_page()


def sign_in(page: Page, server: AppServer, user: str) -> None:
    """Open the app, press Sign in, pick ``user`` on the provider's page, come back signed in."""
    page.goto(server.base_url + "/")
    expect(page.get_by_role("heading", name="Sign in to Trainboard")).to_be_visible()
    keyed_button(page, "sign_in").click()
    page.get_by_role("button", name=user, exact=True).click()  # the provider's test user
    expect(page.locator('[data-testid="stSidebarNav"]')).to_be_visible(timeout=UI_TIMEOUT_MS * 2)
    expect(page.get_by_text(f"Signed in as {user}@example.com")).to_be_visible()


def open_link(page: Page, server: AppServer, path: str) -> None:
    page.goto(f"{server.base_url}/{path}")
    expect(page.locator('[data-testid="stSidebarNav"]')).to_be_visible(timeout=UI_TIMEOUT_MS * 2)
    wait_idle(page)


def runs_listed(page: Page) -> int:
    """Rows in the Runs page's table (0 when it says there are none)."""
    if page.get_by_text("No runs yet.").count():
        return 0
    grid = keyed(page, "runs_table_0").locator('[data-testid="stDataFrame"]')
    expect(grid).to_be_visible()
    return int(grid.locator('[role="grid"]').get_attribute("aria-rowcount")) - 1


@pytest.fixture()
def small_churn(tmp_path: Path) -> Path:
    rows = pd.read_csv(
        PROJECT_ROOT / "sample_data" / "telco_churn.csv", dtype=str, keep_default_na=False
    ).head(300)
    path = tmp_path / "alice_churn.csv"
    rows.to_csv(path, index=False)
    return path


def test_runs_belong_to_the_person_who_signed_in(
    team_server: AppServer, browser: Browser, small_churn: Path
) -> None:
    alice, bob, carol = (new_person(browser) for _ in range(3))
    with report_failures(team_server, "sign_in_runs_kept_apart", alice, bob, carol):
        # Before signing in, not even a link shows anything but the sign-in page.
        open_runs = team_server.base_url + "/runs"
        bob.goto(open_runs)
        expect(bob.get_by_role("heading", name="Sign in to Trainboard")).to_be_visible()
        expect(bob.locator('[data-testid="stSidebarNav"]')).to_have_count(0)
        expect(keyed_button(bob, "sign_in")).to_be_visible()
        screenshot(bob, "sign_in_gate")

        # Alice signs in and trains a tiny run.
        sign_in(alice, team_server, "alice")
        go_to(alice, "data")
        upload_and_choose_target(
            alice,
            small_churn,
            "churn",
            read=alice.get_by_text(f"Using {small_churn.name}:", exact=False),
            chosen=alice.get_by_text("the model will be predicting a yes/no outcome"),
        )
        go_to(alice, "design")
        set_number(alice, "epochs", 3)
        wait_idle(alice)
        go_to(alice, "train")
        keyed_button(alice, "train_start").click()
        expect(alice).to_have_url(re.compile(r"[?&]job="))
        job_id = job_id_from_url(alice.url)
        expect(alice.get_by_text("the runs you started", exact=False).first).to_be_visible()
        expect(alice.get_by_text(re.compile(r"^Training finished"))).to_be_visible(
            timeout=RUN_END_TIMEOUT_MS
        )
        go_to(alice, "export")
        expect(keyed_button(alice, "download_bundle")).to_be_visible()

        # Bob signs in: Alice's run is not his to list, open, stop or download.
        sign_in(bob, team_server, "bob")
        open_link(bob, team_server, "runs")
        assert runs_listed(bob) == 0
        expect(bob.get_by_text("Other people's runs are theirs alone")).to_be_visible()
        for page_path in ("train", "evaluate", "export"):
            open_link(bob, team_server, f"{page_path}?job={job_id}")
            expect(bob.get_by_text(NO_SUCH_RUN).first).to_be_visible()
            expect(keyed(bob, "download_bundle")).to_have_count(0)
            expect(keyed(bob, "train_stop")).to_have_count(0)
        expect(bob.get_by_text("alice_churn.csv")).to_have_count(0)
        screenshot(bob, "sign_in_other_users_link")

        # Carol is an admin: she sees Alice's run and opens it.
        sign_in(carol, team_server, "carol")
        open_link(carol, team_server, "runs")
        expect(carol.get_by_text("you see everyone's runs", exact=False)).to_be_visible()
        assert runs_listed(carol) == 1
        open_link(carol, team_server, f"evaluate?job={job_id}")
        expect(carol.get_by_role("heading", name="In one sentence")).to_be_visible()
        screenshot(carol, "sign_in_admin_sees_all")

        # Signing out ends the session at the provider too, then asks for signing in again.
        keyed_button(alice, "sign_out").click()
        alice.get_by_role("button", name="End session").click()  # the provider's own page
        expect(alice.get_by_role("heading", name="Sign in to Trainboard")).to_be_visible()
        open_link_gated = team_server.base_url + f"/evaluate?job={job_id}"
        alice.goto(open_link_gated)
        expect(alice.get_by_role("heading", name="Sign in to Trainboard")).to_be_visible()
        expect(alice.get_by_role("heading", name="In one sentence")).to_have_count(0)


# --- a shared server without sign-in -----------------------------------------------------------


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """Trainboard as if reachable from a network, without sign-in."""
    folder = tmp_path_factory.mktemp("shared_server")
    workspace = folder / "workspace"
    workspace.mkdir()
    with run_streamlit(
        workspace, folder / "streamlit.log", env_vars={"TRAINBOARD_ACCESS": "shared"}
    ) as server:
        yield server


def owned_by_this_browser(page: Page) -> Owner:
    """The owner the app records for ``page``'s browser (from its own XSRF cookie)."""
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    found = browser_id(cookies.get(XSRF_COOKIE))
    assert found, f"no usable {XSRF_COOKIE} cookie in {sorted(cookies)}"
    return Owner(kind="browser", id=found)


def test_without_sign_in_a_shared_server_lists_this_browsers_runs_and_links_still_open(
    shared_server: AppServer, browser: Browser
) -> None:
    mine, theirs = new_person(browser), new_person(browser)
    with report_failures(shared_server, "shared_server_lists_own_runs", mine, theirs):
        open_link(mine, shared_server, "runs")
        workspace = shared_server.workspace
        recent = time.time() - 60  # not old enough for the server to clean it up
        own = make_finished_job(workspace, "mine", Recipe(target="churn"), created_at=recent)
        write_json_atomic(
            workspace / "jobs" / own / OWNER_FILE, owned_by_this_browser(mine).to_dict()
        )
        other = make_finished_job(workspace, "other", Recipe(target="churn"), created_at=recent)
        write_json_atomic(
            workspace / "jobs" / other / OWNER_FILE,
            Owner(kind="browser", id="0" * 32).to_dict(),
        )
        mine.reload()  # a refresh is a new Streamlit session: the browser is still known
        expect(mine.locator('[data-testid="stSidebarNav"]')).to_be_visible()
        wait_idle(mine)
        expect(mine.get_by_text(SHARED_NOTE, exact=False)).to_be_visible()
        assert runs_listed(mine) == 1
        screenshot(mine, "shared_server_own_runs")

        open_link(theirs, shared_server, "runs")
        assert runs_listed(theirs) == 0
        expect(theirs.get_by_text(SHARED_NOTE, exact=False)).to_be_visible()
        open_link(theirs, shared_server, f"evaluate?job={own}")  # the link is the key
        expect(theirs.get_by_role("heading", name="In one sentence")).to_be_visible()
