"""Browser tests: Playwright for Python drives Debian's chromium against pytest-django's
live server (127.0.0.1, a transactional test database).

No browser is ever downloaded: `playwright install` is never run; the tests start
/usr/bin/chromium (Debian packages chromium, chromium-driver, fonts-dejavu-core, which
.ci/run installs). Without it, or without the built static files, every test here is
skipped with the reason, so `make test` stays green on a machine without chromium.

The tests run last in the session: Playwright's sync API keeps an event loop running in
the main thread, which Django would otherwise refuse to run database calls beside
(DJANGO_ALLOW_ASYNC_UNSAFE is set only while the browser is open), and which makes the
main thread's database connections new objects (see _keep_serialized_contents).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
BUILT_CSS = ROOT / "static" / "build" / "app.css"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# HTML_CodeSniffer, the engine of pa11y's default runner (tests/browser/test_accessibility.py).
HTMLCS = ROOT / "node_modules" / "html_codesniffer" / "build" / "HTMLCS.js"
# How long to wait for a condition (an element, a URL) before failing.
TIMEOUT_MS = 10_000


def unavailable() -> str:
    """Why browser tests cannot run here, or "" when they can."""
    if not CHROMIUM.exists():
        return (
            f"no chromium at {CHROMIUM}: apt-get install chromium chromium-driver "
            "fonts-dejavu-core (the browser tests never download a browser)"
        )
    if not BUILT_CSS.exists():
        return "static/build/ is not built: run `make test`, which builds the CSS and JavaScript"
    for package in (AXE, HTMLCS):
        if not package.exists():
            return f"{package} is missing: run `npm ci` (or `make test`)"
    return ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    browser = [item for item in items if item.get_closest_marker("browser")]
    reason = unavailable()
    for item in browser:
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
    # Last, after pytest-django's own ordering (see the module docstring).
    items[:] = [item for item in items if not item.get_closest_marker("browser")] + browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless chromium for the whole session."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        serialized = _serialized_contents()
        with sync_playwright() as playwright:
            _keep_serialized_contents(serialized)
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()


def _serialized_contents() -> dict[str, str]:
    from django.db import connections

    return {
        connection.alias: connection._test_serialized_contents
        for connection in connections.all()
        if hasattr(connection, "_test_serialized_contents")
    }


def _keep_serialized_contents(serialized: dict[str, str]) -> None:
    """With Playwright's event loop running in this thread, asgiref hands Django new database
    connection objects here, which lack what the test database setup serialized for
    serialized_rollback: without this, the role groups (from a data migration) would be gone
    after the first transactional test."""
    from django.db import connections

    for alias, contents in serialized.items():
        connections[alias]._test_serialized_contents = contents


class PageProblems:
    """JavaScript errors, CSP refusals and failed sub-resources seen by a page."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def watch(self, page: Any) -> None:
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: {error}"))
        page.on("console", self._console(page))
        page.on("response", self._response)

    def _console(self, page: Any) -> Callable[[Any], None]:
        def record(message: Any) -> None:
            # A 4xx document (the 404 page) is logged like this too; sub-resources are
            # checked by _response instead.
            if message.type == "error" and not message.text.startswith("Failed to load"):
                self.problems.append(f"{page.url}: console error: {message.text}")

        return record

    def _response(self, response: Any) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            self.problems.append(f"{response.url}: HTTP {response.status}")


@pytest.fixture
def new_page(browser: Any, live_server: Any) -> Iterator[Callable[..., Any]]:
    """new_page(user=None, js=True, axe=False, width=1280): a page in a fresh browser
    context, signed in as user (by session cookie) if given. Several contexts play several
    people at once. axe=True adds axe-core and HTML_CodeSniffer to every document."""
    from django.contrib.auth.models import Group

    assert Group.objects.exists(), "the role groups are gone: see _keep_serialized_contents"
    contexts = []
    problems = PageProblems()

    def make(*, user: Any = None, js: bool = True, axe: bool = False, width: int = 1280) -> Any:
        context = browser.new_context(
            base_url=live_server.url,
            java_script_enabled=js,
            locale="en-GB",
            timezone_id="Europe/London",
            viewport={"width": width, "height": 900},
        )
        context.set_default_timeout(TIMEOUT_MS)
        if axe:
            # An init script runs in every document before the page's own scripts and is
            # not subject to the page's Content-Security-Policy.
            context.add_init_script(path=str(AXE))
            context.add_init_script(path=str(HTMLCS))
        contexts.append(context)
        if user is not None:
            sign_in_by_cookie(context, user, live_server.url)
        page = context.new_page()
        problems.watch(page)
        # Playwright asks the browser to intercept file choosers only when the first
        # listener is added, and does not wait for the answer: with expect_file_chooser
        # around a key press, the press can reach the page first and the chooser is never
        # reported (puppeteer#6040 describes the same race). A listener from the start
        # keeps interception on, so every expect_file_chooser finds it already set.
        page.on("filechooser", lambda chooser: None)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems.problems, "\n".join(problems.problems)


def sign_in_by_cookie(context: Any, user: Any, url: str) -> None:
    """Sign in without the form (it is exercised by the journeys that start signed out)."""
    client = Client()
    client.force_login(user)
    recently_signed_in(client, user)
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": url}])


@pytest.fixture(autouse=True)
def _memory_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Background tasks the pages queue (emails, reports) go to kombu's in-process memory
    transport, never to a real broker or to var/celery/; tests run them when they need to."""
    from psp.celery import app

    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery prefers it to its conf
    monkeypatch.setitem(app.conf, "broker_url", "memory://")
    monkeypatch.setitem(app.conf, "broker_transport_options", {})
    monkeypatch.setitem(app.conf, "broker_connection_timeout", 1)


@pytest.fixture(params=["js", "no-js", "keyboard"])
def person(request: pytest.FixtureRequest) -> Any:
    """Run a journey three times: with the mouse and JavaScript, with the mouse and
    JavaScript turned off, and with only the keyboard (tests.browser.actions.Person)."""
    from tests.browser.actions import Person

    return Person(js=request.param != "no-js", keyboard=request.param == "keyboard")


@pytest.fixture
def js(person: Any) -> bool:
    """Whether the journey's pages run JavaScript."""
    return bool(person.js)


def recently_signed_in(client: Client, user: Any) -> None:
    """The session as if the user had just typed their password (allauth's record of it), so
    allauth's pages for changing authenticators do not ask for it again."""
    import time

    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "reauthenticated": True}
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
