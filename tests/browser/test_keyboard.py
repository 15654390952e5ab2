"""Keyboard-only use: sign in with an error, add evidence with errors, map it and submit it,
with nothing but Tab, Shift+Tab, Enter, Space and typing. Every stop must show a visible
focus indicator, and GOV.UK Frontend must move focus to the error summary, then to the field
an error links to."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from apprentices.models import Evidence
from tests.apprentices import samples
from tests.browser.actions import (
    PASSWORD,
    error_summary,
    focused,
    success_banner,
    tab,
    tab_to,
    upload_ready,
)
from tests.browser.people import make_cast

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_keyboard_only_sign_in_and_evidence_with_errors(new_page):
    cast = make_cast()
    page = new_page()
    page.goto("/accounts/login/")

    # Django's sign-in form focuses the username; one full cycle of Tab from there.
    assert focused(page)["id"] == "id_username"
    cycle = [stop["name"] for stop in (tab(page) for _ in range(9)) if stop["tag"] != "BODY"]
    assert cycle[:8] == [
        "Password",
        "Sign in",
        "Forgotten your password?",
        "Accessibility statement",
        "Open Government Licence v3.0",
        "Skip to main content",
        "psp",
        "Username",
    ], cycle

    # The skip link moves focus to the main content, and Tab continues from there.
    tab(page, "Shift+Tab")
    tab(page, "Shift+Tab")
    assert focused(page)["name"] == "Skip to main content"
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main-content"
    assert tab(page)["id"] == "id_username"

    page.keyboard.type("alex")
    page.keyboard.press("Enter")  # no password
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    expect(error_summary(page)).to_be_focused()
    tab(page)  # the error's link
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "id_password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your portfolio")

    stops = tab_to(page, "Add evidence")
    order = ["Skip to main content", "psp", "Home", "Sign out", "Add evidence"]
    assert [stops.index(name) for name in order] == sorted(stops.index(name) for name in order)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add evidence")

    # A first go with the date missing and a postcode in the reflection.
    tab_to(page, "Title")
    page.keyboard.type("Anonymised risk assessment")
    tab_to(page, "Work product")
    page.keyboard.press("Space")
    tab_to(page, "Reflection")
    page.keyboard.type("Home visit near LS6 2QA.")
    choose_files_by_keyboard(page, [("notes.txt", "text/plain", samples.TEXT)])
    tab_to(page, re.compile(r"I have removed names.*"))
    page.keyboard.press("Space")
    tab_to(page, "Save and continue")
    page.keyboard.press("Enter")

    expect(error_summary(page)).to_be_focused()
    expect(error_summary(page)).to_contain_text("Enter the date of the activity")
    expect(error_summary(page)).to_contain_text("a postcode (LS6 2QA)")
    assert tab(page)["name"] == "Enter the date of the activity"
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "id_activity_date_0"
    for part in ("14", "5", "2025"):
        page.keyboard.type(part)
        page.keyboard.press("Tab")
    assert focused(page)["name"] == "Work product"  # still chosen, and where Tab enters
    tab_to(page, "Reflection")
    page.keyboard.press("Control+A")
    page.keyboard.type("A home visit to assess risk.")
    choose_files_by_keyboard(
        page,
        [
            ("risk-assessment.pdf", "application/pdf", samples.PDF),
            ("notes.txt", "text/plain", samples.TEXT),
        ],
    )
    tab_to(page, "Save and continue")
    page.keyboard.press("Enter")

    # Mapping: the live filter, a checkbox with Space, the note it reveals.
    expect(success_banner(page)).to_contain_text("Evidence saved as a draft")
    tab_to(page, "Find a KSB by code or words")
    page.keyboard.type("inspect")
    assert tab(page)["name"] == "K3 How to record an inspection"  # filtered-out ones skipped
    page.keyboard.press("Space")
    assert tab(page)["name"] == "How the evidence shows K3"
    page.keyboard.type("I recorded it")
    tab_to(page, "Save KSB mapping")
    page.keyboard.press("Enter")

    expect(success_banner(page)).to_contain_text("Mapped to 1 KSB")
    tab_to(page, "Submit for review")
    page.keyboard.press("Enter")
    expect(success_banner(page)).to_contain_text("Evidence submitted")
    evidence = Evidence.objects.get()
    assert evidence.status == Evidence.Status.SUBMITTED
    assert evidence.apprentice == cast.apprentice
    assert evidence.files.count() == 2
    assert [m.ksb.code for m in evidence.mappings.select_related("ksb")] == ["K3"]


def choose_files_by_keyboard(page: Any, files: list[tuple[str, str, bytes]]) -> None:
    """Tab to GOV.UK Frontend's file upload button, once it is set up, and open the file
    chooser with Space."""
    upload_ready(page)
    tab_to(page, "Files")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(
        [{"name": name, "mimeType": kind, "buffer": content} for name, kind, content in files]
    )
