"""A live server in a thread and Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


# The one console error allowed: Chromium logs every 4xx answer as "Failed to load resource", and
# 422 is how a form with errors comes back by design (the form again, with its errors, swapped in by
# htmx or shown as a page). Any other status (403, 404, 500) still fails the test.
ALLOWED_CONSOLE_ERRORS = re.compile(r"Failed to load resource: the server responded with a status of 422 ")


class ConsoleErrors(list):
    """A test's console errors; one that provokes an error on purpose (a 400 page) allows it by pattern."""

    def __init__(self) -> None:
        super().__init__()
        self.allowed: list[re.Pattern[str]] = []

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [error for error in self if not any(allowed.search(error) for allowed in self.allowed)]


def watch_console(page, errors: list[str]) -> None:
    """Collect the page's console errors and uncaught exceptions into ``errors``. Nothing else is
    allowed: a page that logs an error (htmx's own complaints included) fails its test."""

    def on_console(msg) -> None:
        if msg.type == "error" and not ALLOWED_CONSOLE_ERRORS.match(msg.text):
            errors.append(f"console: {msg.text} ({page.url})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc} ({page.url})"))


def fail_on_console_errors(errors: list[str]) -> None:
    unexpected = errors.unexpected() if isinstance(errors, ConsoleErrors) else errors
    if unexpected:
        pytest.fail("the browser logged errors:\n" + "\n".join(unexpected), pytrace=False)


@pytest.fixture
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


@pytest.fixture
def page(browser, live_server, console_errors):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 860}, locale="en-GB")
    errors = console_errors
    # Pages a test opens itself (context.new_page(), a popup) are watched too.
    context.on("page", lambda opened: watch_console(opened, errors))
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
    fail_on_console_errors(errors)


@pytest.fixture
def shot():
    """Save a full-page screenshot under test-artifacts/screenshots/ (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
