"""What a person does in the browser, in the words of the page (labels, roles, buttons)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import expect

PASSWORD = "correct-horse-battery"  # tests.factories.make_user's default


# What has focus, and whether it shows: GOV.UK Frontend focuses with a yellow outline or
# box-shadow; radios and checkboxes show it on their label's ::before (the input itself is
# transparent).
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const label = el.labels && el.labels[0];
  const name = (el.getAttribute("aria-label") || (label && label.innerText)
    || (el.tagName === "INPUT" && el.type === "submit" ? el.value : el.innerText) || "").trim();
  const transparent = (colour) => colour === "transparent" || /rgba\\(.*,\\s*0\\)$/.test(colour);
  let shown;
  if (el.type === "checkbox" || el.type === "radio") {
    shown = getComputedStyle(label, "::before").boxShadow !== "none";
  } else {
    shown = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0
             && !transparent(style.outlineColor)) || style.boxShadow !== "none";
  }
  const inView = box.bottom > 0 && box.top < window.innerHeight;
  return {tag: el.tagName, id: el.id, name: name.split("\\n")[0].slice(0, 60),
          shown: shown && box.width > 0 && box.height > 0 && inView};
}"""


def focused(page: Any) -> dict[str, Any]:
    return page.evaluate(FOCUSED)


def tab(page: Any, key: str = "Tab") -> dict[str, Any]:
    page.keyboard.press(key)
    stop = focused(page)
    if stop["tag"] != "BODY":  # the browser's own controls, between the page's last and first
        assert stop["shown"], f"no visible focus on {stop}"
    return stop


def upload_ready(page: Any) -> None:
    """Wait until GOV.UK Frontend has set up any file upload on the page (it marks the
    component ``data-govuk-file-upload-init``). Under load the page can be in use before its
    script has run: Tab then reaches the plain input, the script replaces it under the focus,
    and Space opens nothing."""
    expect(
        page.locator("[data-module=govuk-file-upload]:not([data-govuk-file-upload-init])")
    ).to_have_count(0)


def tab_to(page: Any, name: str | re.Pattern[str], *, limit: int = 40) -> list[str]:
    """Press Tab until the named element has focus; the names of every stop on the way."""
    wanted = name if isinstance(name, re.Pattern) else re.compile(re.escape(name))
    stops = []
    for _ in range(limit):
        stops.append(tab(page)["name"])
        if wanted.fullmatch(stops[-1]):
            return stops
    raise AssertionError(f"{name!r} never received focus; the stops were {stops}")


@dataclass(frozen=True)
class Person:
    """How the person in a journey uses the browser: the mouse, with JavaScript on or off,
    or only the keyboard (JavaScript on). With the keyboard, every control is reached by
    pressing Tab from wherever focus is, so the focus order must lead there, and every stop
    on the way must show a visible focus indicator; links and buttons are activated with
    Enter, checkboxes with Space, radios with the arrow keys, and text is typed."""

    js: bool
    keyboard: bool = False

    def click(self, target: Any) -> None:
        if not self.keyboard:
            target.click()
            return
        focus_by_tab(target)
        # The locator's press (on the element Tab reached), unlike page.keyboard's, waits
        # for a navigation it starts, as click() does: the test must not write to the
        # database while the live server still answers.
        target.press("Enter")

    def check(self, target: Any) -> None:
        if not self.keyboard:
            target.check()
            return
        page = target.page
        if target.get_attribute("type") == "radio":
            name = target.get_attribute("name")
            focus_by_tab(page.locator(f'input[type="radio"][name="{name}"]'))
            for _ in range(page.locator(f'input[type="radio"][name="{name}"]').count()):
                if has_focus(target):
                    break
                page.keyboard.press("ArrowDown")  # moves to the next radio and chooses it
                assert focused(page)["shown"], f"no visible focus on {focused(page)}"
            if not target.is_checked():  # Tab only moves focus to a group's first radio
                page.keyboard.press("Space")
        else:
            focus_by_tab(target)
            page.keyboard.press("Space")
        expect(target).to_be_checked()

    def fill(self, target: Any, text: str) -> None:
        if not self.keyboard:
            target.fill(text)
            return
        focus_by_tab(target)
        target.page.keyboard.press("Control+A")
        target.page.keyboard.press("Delete")
        target.page.keyboard.type(text)
        expect(target).to_have_value(text)

    def sign_in(self, page: Any, username: str, password: str = PASSWORD) -> None:
        """Sign in through the sign-in form, starting from the home page."""
        page.goto("/")
        expect(page).to_have_url(re.compile(r"/accounts/login/"))
        self.fill(page.get_by_label("Username"), username)
        self.fill(page.get_by_label("Password"), password)
        self.click(page.get_by_role("button", name="Sign in"))
        expect(page).not_to_have_url(re.compile(r"/accounts/login/"))

    def fill_date(self, page: Any, legend: str, day: datetime.date) -> None:
        group = page.get_by_role("group", name=legend)
        self.fill(group.get_by_label("Day"), str(day.day))
        self.fill(group.get_by_label("Month"), str(day.month))
        self.fill(group.get_by_label("Year"), str(day.year))

    def choose_files(self, page: Any, control: str, files: list[tuple[str, str, bytes]]) -> None:
        """Choose files (name, type, content) through the file chooser, as a person would:
        the plain file input without JavaScript, GOV.UK Frontend's drop zone button with
        it; from the keyboard, Space on whichever of them Tab reaches."""
        if self.js:
            upload_ready(page)
        with page.expect_file_chooser() as chooser:
            if self.keyboard:
                focus_by_tab(page.locator(control), within_group=True)
                page.keyboard.press("Space")
            else:
                page.locator(control).click()
        chooser.value.set_files(
            [{"name": name, "mimeType": kind, "buffer": content} for name, kind, content in files]
        )

    def click_nav(self, page: Any, label: str) -> None:
        self.click(page.get_by_role("navigation", name="Menu").get_by_role("link", name=label))


def has_focus(target: Any, *, within_group: bool = False) -> bool:
    """Whether the target (any element of it, if it matches several) has focus; with
    within_group, any button in the same form group (a control JavaScript replaced)."""
    return bool(
        target.evaluate_all(
            """(elements, withinGroup) => elements.some((el) => {
                const active = document.activeElement;
                if (el === active) return true;
                const group = el.closest(".govuk-form-group");
                return withinGroup && group !== null && group.contains(active)
                    && active.tagName === "BUTTON";
            })""",
            within_group,
        )
    )


def focus_by_tab(target: Any, *, within_group: bool = False, limit: int = 200) -> None:
    """Press Tab until the target has focus, checking that every stop shows it."""
    expect(target.first).to_be_attached()
    stops = []
    for _ in range(limit):
        if has_focus(target, within_group=within_group):
            return
        stops.append(tab(target.page)["name"])
    raise AssertionError(f"{target} never received focus by Tab; the stops were {stops}")


def success_banner(page: Any) -> Any:
    return page.locator(".govuk-notification-banner--success")


def error_summary(page: Any) -> Any:
    return page.locator(".govuk-error-summary")
