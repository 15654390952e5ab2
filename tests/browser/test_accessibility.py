"""Accessibility of every page, checked by three independent tools on every page in its
empty, error and populated states (tests/browser/pages.py says how each is reached), on the
test world's records and on the demo's (ST0494 as loaded from the fixtures):

- axe-core (WCAG 2.0, 2.1 and 2.2, levels A and AA): all its rules at 320 px wide as the
  page is with JavaScript and at 1280 px as the same HTML is without it, and the rules whose
  outcome depends on the layout (LAYOUT_RULES) again at 640 and 1280 px with JavaScript;
- HTML_CodeSniffer (WCAG2AA, errors only), the engine of pa11y's default runner, at the
  same widths;
- the W3C Nu HTML checker (vnu.jar from the vnu-jar npm package, on Debian's Java) over
  every HTML document the server sent, in one run at the end.

Beyond those: at 320 px the page never scrolls sideways (WCAG 1.4.10: wide tables stack
or scroll in a region of their own); the cumulative layout shift while loading is below
0.05; every page shows a main heading, every error summary's links lead to an input that
can take focus, and the title of a page with errors starts "Error:" (GOV.UK Design System
patterns). (That the pages also work without JavaScript is for the journeys, which run
with JavaScript turned off.) Findings shown to be wrong are listed in FALSE_POSITIVES,
VNU_FALSE_POSITIVES and HTMLCS_FALSE_POSITIVES, each with its reason, which the
accessibility statement repeats.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.template.loader import render_to_string
from django.test import Client, override_settings
from django.test.signals import template_rendered
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import get_converters

from tests.browser.conftest import recently_signed_in
from tests.browser.pages import (
    DEMO_PAGES,
    DOWNLOADS,
    EXCLUDED,
    EXCLUDED_NAMESPACES,
    OTHER_PAGES,
    PAGES,
    POST_ONLY,
    STATES,
    NotApplicable,
    Visit,
)
from tests.browser.world import World, bare, populate, populate_demo
from tests.factories import make_user

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ROOT = Path(django_settings.BASE_DIR)
TEMPLATES = ROOT / "templates"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
WIDTHS = (320, 640, 1280)  # a phone (and 400% zoom of 1280), a small tablet, a laptop
# The axe rules whose outcome changes with the layout: checked again at each width.
LAYOUT_RULES = [
    "target-size",
    "color-contrast",
    "scrollable-region-focusable",
    "link-in-text-block",
    "avoid-inline-spacing",
]
MAX_LAYOUT_SHIFT = 0.05


def url_patterns(
    patterns: list[Any] | None = None, namespace: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    """Every named URL pattern as (namespace:name, pattern), namespaces excluded above left out."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or ""
            if inner in EXCLUDED_NAMESPACES:
                continue
            full = f"{namespace}:{inner}" if namespace and inner else inner or namespace
            yield from url_patterns(entry.url_patterns, full)
        elif entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


# Whole documents that are not web pages: the HTML that WeasyPrint turns into PDF reports.
NOT_WEB_PAGES = ("reports/pdf/",)
# The layouts a page extends: the service's, and the one of pages about background work.
PAGE_LAYOUTS = ('{% extends "base.html" %}', '{% extends "work_status_page.html" %}')


def page_templates() -> set[str]:
    """Templates that are whole pages: they extend a page layout, or are a document
    themselves."""
    found = set()
    for path in TEMPLATES.rglob("*.html"):
        if str(path.relative_to(TEMPLATES)).startswith(NOT_WEB_PAGES):
            continue
        text = path.read_text()
        if any(layout in text for layout in PAGE_LAYOUTS) or text.lstrip().startswith("<!DOCTYPE"):
            found.add(str(path.relative_to(TEMPLATES)))
    return found


def test_every_url_pattern_has_an_accessibility_check():
    names = {name for name, _ in url_patterns()}
    downloads = {name for name, reason in EXCLUDED.items() if "download" in reason}
    assert downloads == DOWNLOADS.keys(), "say in DOWNLOADS how to reach each download"
    unchecked = sorted(names - PAGES.keys() - EXCLUDED.keys())
    assert not unchecked, (
        f"Pages without an accessibility check: {unchecked}. Say in tests/browser/pages.py "
        "how to reach each in its empty, error and populated states (or exclude it, saying why)."
    )
    assert not sorted((PAGES.keys() | EXCLUDED.keys()) - names), "stale entries in pages.py"
    assert not PAGES.keys() & EXCLUDED.keys()
    for name, states in PAGES.items():
        assert set(states) == set(STATES), name
        for state, visits in states.items():
            assert isinstance(visits, NotApplicable) or visits, (name, state)


def test_the_accessibility_statement_says_what_is_tested():
    statement = (TEMPLATES / "psp" / "accessibility_statement.html").read_text()
    lock = json.loads((Path(django_settings.BASE_DIR) / "package-lock.json").read_text())
    version = lock["packages"]["node_modules/axe-core"]["version"]
    assert f"axe-core version {version}" in statement
    assert all(f"<code>{tag}</code>" in statement for tag in AXE_TAGS)
    for package in ("vnu-jar", "html_codesniffer"):
        version = lock["packages"][f"node_modules/{package}"]["version"]
        assert f"{package} version {version}" in statement, package
    reasons = [
        *(check.__doc__ or "" for check in FALSE_POSITIVES.values()),
        *VNU_FALSE_POSITIVES.values(),
        *HTMLCS_FALSE_POSITIVES.values(),
    ]
    flat = plain(statement)
    for reason in reasons:
        assert plain(reason) in flat, f"say in the statement: {reason}"


def plain(text: str) -> str:
    """Text as read: entities decoded, typographic quotes straight, spaces collapsed."""
    text = unescape(text).translate(str.maketrans("‘’“”", "''\"\""))
    return " ".join(text.split())


def sample_args(pattern: URLPattern) -> dict[str, str]:
    """Any arguments the pattern accepts: the views answer GET before looking them up."""
    kinds = {type(converter): kind for kind, converter in get_converters().items()}
    samples = {"int": "1", "reference": "ST9990", "version": "1.0"}
    return {
        key: samples.get(kinds.get(type(converter), ""), "x")
        for key, converter in pattern.pattern.converters.items()
    }


@pytest.mark.django_db
def test_excluded_actions_only_accept_post(client):
    client.force_login(make_user())
    patterns = dict(url_patterns())
    for name, reason in EXCLUDED.items():
        if reason != POST_ONLY:
            continue
        path = reverse(name, kwargs=sample_args(patterns[name]))
        assert client.get(path).status_code == 405, name


@pytest.mark.django_db
def test_healthz_is_json_not_a_page():
    response = Client().get(reverse("healthz"))
    assert response["Content-Type"] == "application/json"


# The browser checks ----------------------------------------------------------------------

# One call: axe's violations, HTML_CodeSniffer's errors, the error summary's links (each
# must lead to something that takes focus), the title, whether the page shows a main
# heading, and how far the page scrolls sideways.
# With full=false, only the axe rules whose outcome depends on the width (the checks at
# 640 and 1280 px, after all of them at 320 px): half the time of the sweep otherwise.
CHECK_PAGE = """async (full) => {
  const result = await axe.run(document, {
    runOnly: full ? {type: "tag", values: AXE_TAGS} : {type: "rule", values: LAYOUT_RULES},
    resultTypes: ["violations"],
  });
  const violations = result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html, why: n.failureSummary})),
  }));
  // As pa11y's htmlcs runner: the WCAG2AA standard, errors only (no warnings or notices).
  const htmlcs = await new Promise((resolve, reject) => HTMLCS.process(
    "WCAG2AA", document,
    () => resolve(HTMLCS.getMessages().filter(m => m.type === HTMLCS.ERROR).map(m => ({
      code: m.code, msg: m.msg,
      html: m.element.outerHTML ? m.element.outerHTML.slice(0, 160) : m.element.nodeName,
    }))),
    () => reject(new Error("HTML_CodeSniffer failed")), "en"));
  const summary = document.querySelector(".govuk-error-summary");
  const links = [];
  for (const link of summary ? summary.querySelectorAll("a[href^='#']") : []) {
    const target = document.getElementById(link.hash.slice(1));
    const focusable = target && (target.matches("input, select, textarea, button")
                                 || target.tabIndex >= 0);
    if (!focusable) links.push(`"${link.textContent.trim()}" links to ${link.hash}`);
  }
  const h1 = document.querySelector("h1");
  const heading = h1 !== null && h1.getClientRects().length > 0;
  const root = document.documentElement;
  return {violations, htmlcs, errors: summary !== null, links, title: document.title, heading,
          overflow: root.scrollWidth - root.clientWidth};
}""".replace("AXE_TAGS", json.dumps(AXE_TAGS)).replace("LAYOUT_RULES", json.dumps(LAYOUT_RULES))

# The layout shift of the page's load so far (the layout-shift API, as CLS counts it).
LAYOUT_SHIFT = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
  }).observe({type: "layout-shift", buffered: true});
  setTimeout(() => resolve(total), 50);
})"""


def file_upload_button_is_named_by_its_visible_text(page: Any, target: str) -> bool:
    """GOV.UK Frontend's file upload button is labelled by its <label> and by itself
    (aria-labelledby), so its accessible name holds all its visible text. axe (4.14) joins
    the button's visible words "No file chosen" and "Choose file" without a space when it
    reads them, and then cannot find them in the name: checked here with the browser's
    own accessible name instead."""
    button = page.locator(target)
    name = " ".join(button.aria_snapshot().split())
    visible = [
        " ".join(button.locator(part).inner_text().split())
        for part in (
            ".govuk-file-upload-button__status",
            ".govuk-file-upload-button__pseudo-button-container",
        )
    ]
    return all(text and text in name for text in visible)


# axe findings shown to be wrong, each checked again on every node it is reported for:
# (rule, a class of the element) -> the check that the requirement is met.
FALSE_POSITIVES = {
    ("label-content-name-mismatch", "govuk-file-upload-button"): (
        file_upload_button_is_named_by_its_visible_text
    ),
}

# The Nu HTML checker's errors shown to be wrong: a pattern of the message -> the reason.
VNU_FALSE_POSITIVES: dict[str, str] = {}

# HTML_CodeSniffer's errors shown to be wrong: its code -> the reason.
HTMLCS_FALSE_POSITIVES: dict[str, str] = {}


class Sweep:
    """Visits every page with JavaScript, signed in as each person in turn, then shows the
    same HTML with JavaScript off, and collects the problems of both."""

    def __init__(self, new_page: Any, live_server: Any, world: World) -> None:
        self.origin = live_server.url
        self.world = world
        # Opened at the narrowest width, so that the layout shift measured is that of the
        # small screen (where the navigation collapses), then checked at each width.
        self.page = new_page(axe=True, width=WIDTHS[0])
        self.page.on("response", self._remember_document)
        # The server's HTML shown with no script of its own running: the DOM and CSS are
        # exactly as with JavaScript off, while axe (an init script) can still run.
        self.without_js = new_page(axe=True)
        self.without_js.route("**/static/**/*.js", lambda route: route.abort())
        self.without_js.goto(reverse("accessibility_statement"))
        self.signed_in: str | None = None
        self.document: Any = None
        self.problems: list[str] = []
        self.documents: list[tuple[str, str]] = []  # (where, HTML) for the Nu HTML checker

    def _remember_document(self, response: Any) -> None:
        if response.request.is_navigation_request() and response.frame == self.page.main_frame:
            self.document = response

    def sign_in(self, user: str | None) -> None:
        if user == self.signed_in:
            return
        context = self.page.context
        context.clear_cookies()
        if user is not None:
            # A new session each time: a visit may have ended the user's sessions (new
            # recovery codes, a two-factor reset), and what signs them stays in the database.
            account = type(self.world.users[user]).objects.get(pk=self.world.users[user].pk)
            account.end_sessions()  # the session of the user's last visits is left behind
            client = Client()
            client.force_login(account)
            recently_signed_in(client, account)  # allauth asks no password again
            cookie = client.cookies["sessionid"].value
            context.add_cookies([{"name": "sessionid", "value": cookie, "url": self.origin}])
        self.signed_in = user

    def visit(self, label: str, visit: Visit) -> None:
        where = f"{label} as {visit.user or 'nobody'}"
        try:
            html = self.open(visit)
            self.documents.append((f"{where} at {self.page.url}", html))
            self.without_js.set_content(html)
            # Both pages at once (a browser process each): the one without JavaScript at
            # 1280 px while the other is checked at each width.
            self.without_js.evaluate(f"() => {{ window.pspCheck = ({CHECK_PAGE})(true); }}")
            shift = self.page.evaluate(LAYOUT_SHIFT)
            if shift >= MAX_LAYOUT_SHIFT:
                self.problems.append(f"{where} at {self.page.url}: layout shift {shift:.3f}")
            for width in WIDTHS:
                self.page.set_viewport_size({"width": width, "height": 900})
                found = self.page.evaluate(CHECK_PAGE, width == WIDTHS[0])
                self.report(self.page, found, f"{where} at {self.page.url}, {width} px")
            self.report(
                self.without_js,
                self.without_js.evaluate("() => window.pspCheck"),
                f"{where} at {self.page.url}, without JavaScript",
            )
        except Exception as error:  # one page's failure must not hide the others'
            self.problems.append(f"{where}: {error}")
            self.signed_in = "?"  # the page is somewhere unknown: sign in afresh
        finally:
            self.page.set_viewport_size({"width": WIDTHS[0], "height": 900})

    def open(self, visit: Visit) -> str:
        """Go to the page (and do what the visit does there); its HTML."""
        self.sign_in(visit.user)
        address = visit.url(self.world)
        with override_settings(**visit.settings):
            if address.startswith("render:"):
                html = render_to_string(address.removeprefix("render:"))
                self.page.goto(reverse("accessibility_statement"))
                self.page.set_content(html)
                return html
            self.page.goto(address)
            if visit.then:
                visit.then(self.page, self.world)
        if self.document.status != visit.status:
            self.problems.append(f"{address}: HTTP {self.document.status}, expected {visit.status}")
        return self.document.text()

    def report(self, page: Any, found: dict[str, Any], where: str) -> None:
        for violation in found["violations"]:
            nodes = [
                f"{node['target']}: {node['why']}"
                for node in violation["nodes"]
                if not self.false_positive(page, violation["id"], node)
            ]
            if nodes:
                self.problems.append(
                    f"{where}: {violation['id']} ({violation['impact']}): {violation['help']}"
                    + "".join(f"\n      {node}" for node in nodes[:3])
                )
        self.problems += [
            f"{where}: HTML_CodeSniffer {error['code']}: {error['msg']}\n      {error['html']}"
            for error in found["htmlcs"]
            if error["code"] not in HTMLCS_FALSE_POSITIVES
        ]
        if found["overflow"] > 0 and where.endswith(f", {WIDTHS[0]} px"):
            self.problems.append(f"{where}: the page scrolls sideways by {found['overflow']} px")
        self.problems += [f"{where}: error summary {link}" for link in found["links"]]
        if found["errors"] and not found["title"].startswith("Error: "):
            self.problems.append(f"{where}: errors, but the title is {found['title']!r}")
        if not found["heading"]:
            self.problems.append(f"{where}: no main heading shown")

    def check_html(self, folder: Path) -> None:
        """Every document through the Nu HTML checker: one Java process for them all."""
        folder.mkdir()
        names = {}
        for number, (where, html) in enumerate(self.documents):
            path = folder / f"{number:04d}.html"
            path.write_text(html)
            names[path.name] = where
        run = subprocess.run(
            [
                shutil.which("java") or "java",
                "-jar",
                str(VNU),
                "--errors-only",
                "--format",
                "json",
                "--exit-zero-always",
                str(folder),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        for message in json.loads(run.stderr or run.stdout)["messages"]:
            text = message.get("message", "")
            if any(re.search(pattern, text) for pattern in VNU_FALSE_POSITIVES):
                continue
            name = message.get("url", "").rsplit("/", 1)[-1]
            self.problems.append(
                f"{names.get(name, name)}: Nu HTML checker, line {message.get('lastLine')}: "
                f"{text}\n      {message.get('extract', '').strip()[:160]}"
            )

    @staticmethod
    def false_positive(page: Any, rule: str, node: dict[str, str]) -> bool:
        for (rule_id, css_class), holds in FALSE_POSITIVES.items():
            if rule == rule_id and css_class in node["html"].split(">")[0]:
                return holds(page, node["target"])
        return False


def all_visits(*, bare: bool) -> Iterator[tuple[str, Visit]]:
    for name, states in PAGES.items():
        for state, visits in states.items():
            if isinstance(visits, NotApplicable):
                continue
            for visit in visits:
                if visit.bare == bare:
                    yield f"{name} ({state})", visit
    if not bare:
        for template, visit in OTHER_PAGES.items():
            yield template, visit


def java_unavailable() -> str:
    if shutil.which("java") is None:
        return "no java: apt-get install default-jre-headless (for the Nu HTML checker)"
    if not VNU.exists():
        return f"{VNU} is missing: run `npm ci` (or `make test`)"
    return ""


@pytest.fixture
def rendered_templates() -> Iterator[set[str]]:
    names: set[str] = set()

    def record(sender: Any, template: Any, **kwargs: Any) -> None:
        names.add(template.name)

    template_rendered.connect(record)
    yield names
    template_rendered.disconnect(record)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_page_in_every_state_passes_three_checkers_at_three_widths(
    new_page, live_server, rendered_templates, tmp_path
):
    assert not java_unavailable(), java_unavailable()
    world = bare()
    sweep = Sweep(new_page, live_server, world)
    for label, visit in all_visits(bare=True):
        sweep.visit(label, visit)
    populate(world)
    for label, visit in all_visits(bare=False):
        sweep.visit(label, visit)
    populate_demo(world)
    for label, visit in DEMO_PAGES.items():
        sweep.visit(f"demo: {label}", visit)
    sweep.check_html(tmp_path / "html")  # a folder of its own: uploads are in tmp_path too

    for name, visit in DOWNLOADS.items():
        sweep.sign_in(visit.user)
        response = sweep.page.request.get(visit.url(world))
        disposition = response.headers.get("content-disposition", "")
        if response.status != 200 or not disposition.startswith("attachment"):
            sweep.problems.append(f"{name}: HTTP {response.status}, {disposition!r}: no download")

    assert not sweep.problems, f"{len(sweep.problems)} problems:\n" + "\n".join(sweep.problems)
    unvisited = page_templates() - rendered_templates
    assert not unvisited, f"page templates no visit rendered: {sorted(unvisited)}"
