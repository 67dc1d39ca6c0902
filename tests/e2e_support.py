"""Fixtures and helpers for the end-to-end browser tests (tests/test_e2e.py).

The app runs as a real ``streamlit run app.py`` server with its own empty workspace, and a
headless Debian Chromium drives it through Playwright, the way a person would: clicking the
sidebar links (so the Streamlit session, i.e. the chosen data and recipe, survives page changes),
typing into widgets found by their stable keys (Streamlit gives each keyed widget's container the
CSS class ``st-key-<key>``) and downloading files.

Everything here waits with Playwright's auto-retrying ``expect(...)`` and explicit timeouts, never
with sleeps: the machine is small and shared, so fixed sleeps would be either flaky or slow.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from core.i18n import DEFAULT_LANGUAGE, gettext

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# --no-sandbox: CI runs as root. The background-networking flags stop Chromium from calling home
# (updates, sync, field trials), which on an offline machine only fills the log with refused
# connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
SERVER_START_TIMEOUT = 60.0
# Streamlit's ending of every rerun is asynchronous; widgets and texts appear within a few
# seconds even on a busy 2-core machine. Training waits use their own, longer bounds.
UI_TIMEOUT_MS = 20_000
# Playwright's expect() waits 5 s by default, independently of the context's action timeout.
expect.set_options(timeout=UI_TIMEOUT_MS)

# Sidebar link titles, as routed in app.py; each step page's heading is its title too.
# The pages the journeys visit; their titles (sidebar links and headings) come from the catalog.
NAV = ("data", "design", "train", "evaluate", "export", "predict")


# --- the server ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AppServer:
    """A running Trainboard server: where to reach it, its workspace and its log file."""

    base_url: str
    workspace: Path
    log_path: Path

    def log_tail(self, n_chars: int = 6000) -> str:
        """The end of the server's log (stdout and stderr), for failure reports."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            return f"(server log unreadable: {error})"
        return text[-n_chars:]


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"streamlit exited with code {process.returncode} before it was ready"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200 and answer.read().strip() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)  # polling a socket, not waiting for the UI
    raise RuntimeError(f"streamlit did not answer {url} within {timeout:.0f} s")


def _stop_group(process: subprocess.Popen) -> None:
    # The server was started in its own process group (start_new_session), so the group id is
    # its pid: this ends the server and anything it spawned, and nothing else.
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@contextlib.contextmanager
def run_streamlit(
    workspace: Path,
    log_path: Path,
    *,
    port: int | None = None,
    secrets: Path | None = None,
    env_vars: dict[str, str] | None = None,
) -> Iterator[AppServer]:
    """Run ``streamlit run app.py`` on a free port (or ``port``) until the block ends.

    Training jobs are started by the server as detached processes in their own sessions; they
    write into ``workspace``, which the caller deletes afterwards (a pytest tmp folder), and the
    tests let every job end (finish or stop) before the server goes. ``secrets`` is a
    ``secrets.toml`` to read instead of the repository's (e.g. an ``[auth]`` section: sign-in),
    ``env_vars`` more settings for the server (e.g. ``TRAINBOARD_ADMINS``).
    """
    port = port or free_port()
    env = dict(os.environ)
    env.update(
        {
            "TRAINBOARD_WORKSPACE": str(workspace),
            "TRAINBOARD_MAX_JOBS": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONUNBUFFERED": "1",
            **(env_vars or {}),
        }
    )
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    if secrets is not None:
        command += ["--secrets.files", str(secrets)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    server = AppServer(base_url=base_url, workspace=workspace, log_path=log_path)
    try:
        try:
            _wait_healthy(f"{base_url}/_stcore/health", process, SERVER_START_TIMEOUT)
        except RuntimeError as error:
            raise RuntimeError(f"{error}\n--- server log ---\n{server.log_tail()}") from None
        yield server
    finally:
        _stop_group(process)


def stop_leftover_jobs(workspace: Path, timeout: float = 60.0) -> list[str]:
    """Stop training jobs still active in ``workspace`` and wait (bounded) for them to end.

    Job processes are detached from the server on purpose (a run survives a server restart),
    so stopping the server does not end them: after a failed journey one could otherwise keep
    training on the shared machine. Returns the ids of jobs still active at the deadline.
    """
    from core.jobs.runner import LocalJobRunner

    runner = LocalJobRunner(workspace)
    active = [job.job_id for job in runner.list_jobs() if job.is_active]
    for job_id in active:
        runner.stop(job_id)
    deadline = time.monotonic() + timeout
    while active and time.monotonic() < deadline:
        active = [job_id for job_id in active if runner.status(job_id).is_active]
        time.sleep(0.5)  # polling job files, not the UI
    return active


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """One Trainboard server per test module, with its own empty workspace."""
    folder = tmp_path_factory.mktemp("e2e_server")
    workspace = folder / "workspace"
    workspace.mkdir()
    with run_streamlit(workspace, folder / "streamlit.log") as server:
        try:
            yield server
        finally:
            stop_leftover_jobs(workspace)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium (Playwright cannot download its own browsers here)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _tab(browser: Browser, locale: str) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, locale=locale)
    context.set_default_timeout(UI_TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no shared cookies or storage) and one tab, 1280x800, whose
    browser prefers English (the app follows the browser's language)."""
    yield from _tab(browser, "en-US")


@pytest.fixture()
def zh_page(browser: Browser) -> Iterator[Page]:
    """The same, in a browser that prefers Simplified Chinese."""
    yield from _tab(browser, "zh-CN")


# --- failure reports and screenshots ------------------------------------------------------


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "page"


def save_failure_artifacts(pages: list[Page], name: str) -> list[Path]:
    """Screenshot and visible text of each open tab, into test-artifacts/ (best effort)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    saved = []
    for index, tab in enumerate(pages):
        stem = ARTIFACTS / f"failure_{_safe_name(name)}_{index}"
        with contextlib.suppress(Exception):  # a crashed tab must not hide the real failure
            full_page_screenshot(tab, Path(f"{stem}.png"))
            saved.append(Path(f"{stem}.png"))
        with contextlib.suppress(Exception):
            text = f"URL: {tab.url}\n\n" + tab.locator("body").inner_text(timeout=5000)
            Path(f"{stem}.txt").write_text(text, encoding="utf-8")
            saved.append(Path(f"{stem}.txt"))
    return saved


@contextlib.contextmanager
def report_failures(server: AppServer, name: str, *pages: Page) -> Iterator[None]:
    """On any failure inside the block, save screenshots and page text and print the server log.

    pytest shows captured stdout of a failed test, so the printed log appears in its report.
    """
    try:
        yield
    except BaseException:
        saved = save_failure_artifacts(list(pages), name)
        print(f"\n--- saved for debugging: {', '.join(str(p) for p in saved) or 'nothing'}")
        print(f"--- streamlit server log ({server.log_path}), last lines ---\n{server.log_tail()}")
        raise


def full_page_screenshot(page: Page, path: Path) -> Path:
    """Capture the whole page, not only the first 800 pixels.

    Streamlit scrolls inside its main element (``stMain``), not the document, so Playwright's
    ``full_page`` alone sees one screen. The window is made as tall as the content for the shot
    (the width, and so the layout, stays 1280) and then put back.
    """
    size = page.viewport_size or VIEWPORT
    height = page.evaluate(
        "() => Math.max(document.body.scrollHeight,"
        " document.querySelector('[data-testid=stMain]')?.scrollHeight || 0)"
    )
    page.set_viewport_size(
        {"width": size["width"], "height": max(size["height"], min(height, 12000))}
    )
    try:
        # Let the browser lay out and paint the taller window (two animation frames).
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)
    return path


def screenshot(page: Page, name: str, language: str = DEFAULT_LANGUAGE) -> Path:
    """A full-page screenshot of the current page into test-artifacts/screenshots/ (English)
    or test-artifacts/screenshots/<language>/ (any other language), so the sets sit side by side."""
    folder = SCREENSHOTS if language == DEFAULT_LANGUAGE else SCREENSHOTS / language
    folder.mkdir(parents=True, exist_ok=True)
    return full_page_screenshot(page, folder / f"{_safe_name(name)}.png")


# --- driving Streamlit --------------------------------------------------------------------


def keyed(page: Page, key: str) -> Locator:
    """The element container of the widget with this Streamlit key."""
    return page.locator(f".st-key-{key}")


def keyed_button(page: Page, key: str) -> Locator:
    """The button (or download button) with this Streamlit key.

    While a live fragment redraws, Streamlit can keep the previous copy of an element on the
    page for a moment (e.g. when a message above it disappears and it moves up); both copies
    belong to the same widget, so either may be clicked: take the first visible one.
    """
    return keyed(page, key).get_by_role("button").filter(visible=True).first


def wait_idle(page: Page, timeout_ms: int = UI_TIMEOUT_MS) -> None:
    """Wait until Streamlit has finished the current rerun (its "Running..." widget is gone).

    Pages with a live fragment never stay idle for long; use it only on pages without one.
    """
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=timeout_ms)
    expect(page.locator('[data-testid="stApp"]')).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=timeout_ms
    )


def open_app(page: Page, server: AppServer, query: str = "") -> None:
    """Open the app's start page (this creates the Streamlit session) and wait for it."""
    page.goto(server.base_url + "/" + query)
    expect(page.locator('[data-testid="stSidebarNav"]')).to_be_visible(timeout=UI_TIMEOUT_MS * 2)


def go_to(page: Page, name: str, language: str = DEFAULT_LANGUAGE) -> None:
    """Change page by clicking the sidebar link, which keeps the Streamlit session."""
    assert name in NAV, name
    title = gettext(f"pages.app.{name}", language)
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name=title, exact=True).first).to_be_visible()


def choose_option(page: Page, key: str, option: str, attempts: int = 5) -> None:
    """Pick ``option`` in the selectbox with this key.

    Streamlit 1.67 draws a selectbox as a react-aria combobox: a text box and an "Open" button
    that shows a listbox of ``option`` elements. The list closes itself when anything on the
    page scrolls or shifts (e.g. a table that finishes drawing above it), so opening it is
    retried a few times, each time with a short bound.
    """
    box = keyed(page, key).get_by_role("combobox")
    for _ in range(attempts):
        keyed(page, key).get_by_role("button", name="Open").click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=3000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    expect(box).to_have_value(option)


def set_number(page: Page, key: str, value: int) -> None:
    """Type ``value`` into the number box with this key and commit it (Enter).

    Returns once the rerun the change asked for has started (or was already over) and ended:
    the page builds the recipe from its boxes in that rerun, so leaving the page before it ran
    would lose the value (CI once trained 26 passes instead of 3).
    """
    box = keyed(page, key).locator("input")
    box.fill(str(value))
    box.press("Enter")
    expect(box).to_have_value(str(value))
    try:
        expect(page.locator('[data-testid="stApp"]')).to_have_attribute(
            "data-test-script-state", re.compile(r"^(rerunRequested|running)$"), timeout=3000
        )
    except AssertionError:
        pass  # the rerun was already over when we looked
    wait_idle(page)


def upload(page: Page, key: str, path: Path) -> None:
    """Give the file uploader with this key a file, as if chosen in the file dialog."""
    keyed(page, key).locator("input[type=file]").set_input_files(str(path))
    expect(keyed(page, key)).to_contain_text(path.name)


def upload_and_choose_target(
    page: Page, path: Path, target: str, *, read: Locator, chosen: Locator, attempts: int = 3
) -> None:
    """On the Data page: upload ``path``, wait until it is read, choose ``target`` to predict.

    ``read`` shows once the file is read; ``chosen`` once the column is chosen. A choice
    made while the upload's rerun is still drawing can be lost (CI once reached the Train
    page with no target), so the column is chosen again if a late rerun drew the box anew.
    """
    upload(page, "upload_csv", path)
    expect(read).to_be_visible()
    wait_idle(page)
    for _ in range(attempts):
        choose_option(page, "target_column", target)
        try:
            expect(chosen).to_be_visible(timeout=10_000)
            break
        except AssertionError:
            continue
    expect(chosen).to_be_visible()
    wait_idle(page)


def job_id_from_url(url: str) -> str:
    """The run id in a Trainboard URL's ``?job=`` query."""
    from urllib.parse import parse_qs, urlparse

    ids = parse_qs(urlparse(url).query).get("job")
    assert ids, f"no ?job= in {url}"
    return ids[0]


def shown_epoch(page: Page, max_epochs: int) -> int | None:
    """The epoch the Train page's progress text shows now ("Epoch 3 of at most 15"), or None.

    While the live part of the page redraws, the old and the new text can both be on the page
    for a moment; the newer is the larger.
    """
    pattern = re.compile(rf"^Epoch (\d+) of at most {max_epochs}$")
    texts = page.get_by_text(pattern).all_inner_texts()
    epochs = [int(m.group(1)) for text in texts if (m := pattern.match(text.strip()))]
    return max(epochs) if epochs else None
