"""Journey 5 of issue 8: a report is requested, shows its progress, becomes ready and
downloads as a PDF whose text is checked.

The test plays the Celery worker: the page queues the build on an in-memory broker
(tests/browser/conftest.py), and the test builds the PDF (WeasyPrint) while the page waits.
"""

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from reports import building
from reports.models import Report
from tests.browser.actions import success_banner
from tests.browser.people import add_evidence, make_cast

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_report_is_requested_shows_progress_and_downloads_as_a_pdf(new_page, person, js):
    cast = make_cast()
    add_evidence(cast, title="Anonymised risk assessment", codes=["K1", "S1"], outcome="accepted")
    page = new_page(user=cast.provider, js=js)

    page.goto("/")
    person.click_nav(page, "Apprentices")
    person.click(page.get_by_role("link", name=cast.apprentice.name))
    person.click(page.get_by_role("button", name="Download as PDF"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Portfolio and KSB coverage PDF")
    expect(success_banner(page)).to_contain_text("Your PDF is being built")
    progress = page.locator(".govuk-task-list")
    expect(progress.locator(".govuk-task-list__item").first).to_contain_text("Asked for")
    expect(progress.locator(".govuk-task-list__item").last).to_contain_text("Not yet")
    expect(page.get_by_role("link", name="Check now")).to_be_visible()
    report = Report.objects.get()
    assert report.status == Report.Status.QUEUED

    building.build(report.pk)  # what the worker does with the queued task

    if js:  # the page updates itself and says so, without reloading
        expect(page.get_by_role("heading", name="Your PDF is ready")).to_be_visible()
        expect(page.locator("[data-report-announcer]")).to_have_text(
            "Your PDF is ready to download"
        )
        expect(success_banner(page)).to_have_count(0)  # "being built" is no longer true
    else:
        person.click(page.get_by_role("link", name="Check now"))
        expect(page.get_by_role("heading", name="Your PDF is ready")).to_be_visible()
    expect(progress.locator(".govuk-task-list__item").last).to_contain_text("Done")
    with page.expect_download() as download:
        person.click(page.get_by_role("link", name=re.compile(r"^Download the PDF")))

    content = download.value.path().read_bytes()
    assert download.value.suggested_filename.endswith(".pdf")
    assert content.startswith(b"%PDF")
    text = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(content)).pages
    )
    assert cast.apprentice.name in text
    assert "Anonymised risk assessment" in text
    assert "ST9990" in text
