"""Journeys 1 and 2 of issue 8: evidence from upload to acceptance, with and without JavaScript."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from apprentices.models import Evidence
from tests.apprentices import samples
from tests.browser.actions import (
    error_summary,
    success_banner,
)
from tests.browser.people import add_evidence, make_cast

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FILES = [
    ("risk-assessment.pdf", "application/pdf", samples.PDF),
    ("notes.txt", "text/plain", samples.TEXT),
]


def test_apprentice_uploads_two_files_maps_three_ksbs_fixes_a_postcode_and_submits(
    new_page, person, js
):
    cast = make_cast()
    page = new_page(js=js)

    person.sign_in(page, "alex")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your portfolio")
    person.click(page.get_by_role("link", name="Add evidence"))

    person.fill(page.get_by_label("Title"), "Anonymised risk assessment")
    person.fill_date(page, "Date of the activity", datetime.date(2025, 5, 14))
    person.check(page.get_by_label("Work product"))
    person.fill(page.get_by_label("Reflection"), "Home visit near LS6 2QA to assess risk.")
    person.choose_files(page, "#id_uploads", FILES)
    if js:  # GOV.UK Frontend's drop zone says what was chosen
        expect(page.locator(".govuk-file-upload-button__status")).to_have_text("2 files chosen")
    person.check(page.get_by_label("I have removed names"))
    person.click(page.get_by_role("button", name="Save and continue"))

    expect(page).to_have_title(re.compile(r"^Error: Add evidence"))
    expect(error_summary(page)).to_contain_text("This may identify someone: a postcode (LS6 2QA)")
    if js:  # GOV.UK Frontend moves focus to the error summary
        expect(error_summary(page)).to_be_focused()
    assert Evidence.objects.count() == 0

    person.fill(page.get_by_label("Reflection", exact=True), "A home visit to assess risk.")
    person.choose_files(page, "#id_uploads", FILES)  # browsers never keep chosen files
    person.click(page.get_by_role("button", name="Save and continue"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Which KSBs does this evidence show?")
    expect(success_banner(page)).to_contain_text("Evidence saved as a draft")
    search = page.get_by_label("Find a KSB by code or words")
    person.fill(search, "inspect")
    if js:  # filtered as you type; the Find button is hidden
        expect(page.get_by_role("button", name="Find")).to_be_hidden()
    else:  # the server filters, keeping what was ticked
        person.click(page.get_by_role("button", name="Find"))
    expect(page.get_by_label("The law on imaginary widgets")).to_be_hidden()
    for text, note in [
        ("How to record an inspection", "I recorded it"),
        ("Inspects widgets for cracks", "Cracks found"),
        ("Writes inspection reports", "The report itself"),
    ]:
        person.check(page.get_by_label(text))
        code = page.locator(".psp-ksb-option", has_text=text).locator(".psp-ksb-code")
        person.fill(page.get_by_label(f"How the evidence shows {code.inner_text()}"), note)
    person.click(page.get_by_role("button", name="Save KSB mapping"))

    expect(success_banner(page)).to_contain_text("Mapped to 3 KSBs.")
    person.click(page.get_by_role("button", name="Submit for review"))
    expect(success_banner(page)).to_contain_text("Evidence submitted to your training provider")
    expect(page.locator("main .govuk-tag").first).to_have_text("Submitted")

    evidence = Evidence.objects.get()
    assert evidence.status == Evidence.Status.SUBMITTED
    assert evidence.apprentice == cast.apprentice
    assert sorted(f.original_name for f in evidence.files.all()) == [
        "notes.txt",
        "risk-assessment.pdf",
    ]
    assert {m.ksb.code: m.note for m in evidence.mappings.select_related("ksb")} == {
        "K3": "I recorded it",
        "S1": "Cracks found",
        "S2": "The report itself",
    }
    assert "LS6" not in evidence.reflection
    assert evidence.identifiers_confirmed == []


def test_provider_requests_changes_apprentice_resubmits_provider_accepts_coverage_shows_it(
    new_page, person, js
):
    cast = make_cast()
    evidence = add_evidence(cast, title="Anonymised risk assessment", codes=["K3", "S1", "S2"])
    provider = new_page(user=cast.provider, js=js)
    apprentice = new_page(user=cast.apprentice.user, js=js)

    provider.goto("/")
    person.click_nav(provider, "Reviews")
    person.click(provider.get_by_role("link", name="Anonymised risk assessment"))
    person.check(provider.get_by_label("Ask for changes"))
    person.fill(provider.get_by_label("Comment for the apprentice"), "Say what you did yourself.")
    person.click(provider.get_by_role("button", name="Save decision"))
    expect(success_banner(provider)).to_contain_text("Decision saved: changes requested.")
    expect(provider.get_by_text("Nothing is waiting for review.")).to_be_visible()

    apprentice.goto("/")
    person.click(apprentice.get_by_role("link", name="Anonymised risk assessment"))
    banner = apprentice.get_by_role("region", name="Changes requested")
    expect(banner).to_contain_text("Say what you did yourself.")
    person.click(apprentice.get_by_role("button", name="Resubmit for review"))
    expect(success_banner(apprentice)).to_contain_text("Evidence submitted")

    person.click_nav(provider, "Reviews")
    person.click(provider.get_by_role("link", name="Anonymised risk assessment"))
    person.check(provider.get_by_label("Accept the evidence"))
    person.click(provider.get_by_role("button", name="Save decision"))
    expect(success_banner(provider)).to_contain_text("Decision saved: accepted.")
    evidence.refresh_from_db()
    assert evidence.status == Evidence.Status.ACCEPTED

    person.click_nav(provider, "Apprentices")
    person.click(provider.get_by_role("link", name=cast.apprentice.name))
    person.click(provider.get_by_role("link", name="KSB coverage"))
    expect(provider.locator(".psp-stat").first).to_contain_text("50%")
    expect(provider.locator(".psp-stat").first).to_contain_text("(3 of 6)")
    for code, accepted in [("K1", "0"), ("K3", "1"), ("S1", "1"), ("S2", "1")]:
        row = provider.get_by_role("row", name=re.compile(rf"^{code} "))
        expect(row.get_by_role("cell").nth(1)).to_have_text(accepted)

    for page in (provider, new_page(user=cast.employer, js=js)):
        page.goto("/")
        person.click_nav(page, "Cohort")
        row = page.get_by_role("row", name=re.compile(cast.apprentice.name))
        expect(row.get_by_role("cell").nth(1)).to_have_text("3/6")
        cells = row.locator("td.psp-heat")
        expect(cells).to_have_count(6)
        expect(cells).to_have_text(["–", "–", "1", "1", "1", "–"])


def test_apprentice_home_buttons_are_full_width_on_a_phone(new_page):
    """At 320 px the GOV.UK button group stacks its buttons at full width: "Download as
    PDF", a button in a form, as wide as the links styled as buttons beside it."""
    cast = make_cast()
    page = new_page(user=cast.apprentice.user, width=320)
    page.goto(f"/apprentices/{cast.apprentice.pk}/")
    group = page.locator("main .govuk-button-group").first
    group_width = group.bounding_box()["width"]
    widths = {
        name: page.get_by_role(role, name=name).bounding_box()["width"]
        for role, name in (("link", "KSB coverage"), ("button", "Download as PDF"))
    }
    assert all(abs(width - group_width) < 1 for width in widths.values()), (group_width, widths)
