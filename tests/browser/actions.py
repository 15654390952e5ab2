"""What a person does in the browser, in the words of the page (labels, roles, buttons)."""

from __future__ import annotations

import datetime
import re
from typing import Any

from playwright.sync_api import expect

PASSWORD = "correct-horse-battery"  # tests.factories.make_user's default


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    """Sign in through the sign-in form, starting from the home page."""
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def fill_date(page: Any, legend: str, day: datetime.date) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def choose_files(page: Any, control: str, files: list[tuple[str, str, bytes]]) -> None:
    """Choose files (name, type, content) through the file chooser, as a person would:
    the plain file input without JavaScript, GOV.UK Frontend's drop zone button with it."""
    with page.expect_file_chooser() as chooser:
        page.locator(control).click()
    chooser.value.set_files(
        [{"name": name, "mimeType": kind, "buffer": content} for name, kind, content in files]
    )


def success_banner(page: Any) -> Any:
    return page.locator(".govuk-notification-banner--success")


def error_summary(page: Any) -> Any:
    return page.locator(".govuk-error-summary")


def click_nav(page: Any, label: str) -> None:
    page.get_by_role("navigation", name="Menu").get_by_role("link", name=label).click()
