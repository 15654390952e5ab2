"""Issue 20: a training provider onboards 200 apprentices from one CSV in one confirmation,
after fixing the one row psp refused and uploading the file again."""

import csv
import datetime
import io

import pytest
from playwright.sync_api import expect

from apprentices import onboarding
from apprentices.models import Apprentice
from psp.models import AccountEmail, Organisation
from psp.roles import Role
from tests.browser.actions import error_summary, success_banner
from tests.factories import make_organisation, make_staff, make_version, valid_uln

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
COUNT = 200
BAD_LINE = 58  # the header is line 1


def apprentices_csv(*, bad_uln: str | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(onboarding.COLUMN_NAMES)
    for number in range(1, COUNT + 1):
        uln = valid_uln(5000 + number)
        if bad_uln and number == BAD_LINE - 1:
            uln = bad_uln
        writer.writerow(
            [
                uln,
                "Learner",
                f"Number{number:03d}",
                f"learner{number}@example.org",
                "North Probation Region",
                "ST9990",
                "1.0",
                "",
                "2030-09-01",
                "2032-03-01",
                "37.5",
                "0",
            ]
        )
    return out.getvalue().encode()


def test_provider_onboards_200_apprentices_from_one_csv_after_fixing_a_row(new_page, person, js):
    make_version(earliest_start_date=datetime.date(2030, 1, 1))
    provider = make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER, name="Good Training")
    make_organisation(kind=Organisation.Kind.EMPLOYER, name="North Probation Region")
    staff = make_staff(role=Role.PROVIDER, organisation=provider, first_name="Pat")
    good = valid_uln(5000 + BAD_LINE - 1)
    typo = good[:9] + str((int(good[9]) + 1) % 10)  # a wrong check digit
    page = new_page(user=staff, js=js)

    page.goto("/apprentices/")
    person.click(page.get_by_role("link", name="Add apprentices from a file"))
    expect(page.get_by_role("link", name="Download the template (CSV)")).to_be_visible()
    person.choose_files(
        page, "#id_file", [("learners.csv", "text/csv", apprentices_csv(bad_uln=typo))]
    )
    person.click(page.get_by_role("button", name="Upload and check"))

    summary = error_summary(page)
    expect(summary).to_contain_text("1 row cannot be added as it is")
    expect(summary.get_by_role("link")).to_have_text(
        f"Line {BAD_LINE}, column uln: This ULN's last digit does not match the rest: check "
        "it for a typing mistake"
    )
    expect(page.get_by_role("button", name="Confirm", exact=False)).to_have_count(0)
    expect(page.locator("#onboarding-counts")).to_contain_text("New 199")
    assert Apprentice.objects.count() == 0

    person.click(page.get_by_role("link", name="Upload the corrected file"))
    person.choose_files(page, "#id_file", [("learners.csv", "text/csv", apprentices_csv())])
    person.click(page.get_by_role("button", name="Upload and check"))

    expect(error_summary(page)).to_have_count(0)
    expect(page.locator("#onboarding-counts")).to_contain_text(f"New {COUNT} apprentices")
    person.click(page.get_by_role("button", name=f"Confirm: add {COUNT} and update 0"))

    expect(success_banner(page)).to_contain_text(f"{COUNT} apprentices added and 0 updated")
    expect(page.get_by_text("Applied", exact=True)).to_be_visible()
    added = Apprentice.objects.filter(training_provider=provider)
    assert added.count() == COUNT
    assert added.filter(uln=good).exists()
    assert AccountEmail.objects.filter(kind=AccountEmail.Kind.WELCOME).count() == COUNT

    # The same file again changes nothing.
    page.goto("/apprentices/onboarding/")
    person.choose_files(page, "#id_file", [("learners.csv", "text/csv", apprentices_csv())])
    person.click(page.get_by_role("button", name="Upload and check"))
    expect(page.get_by_text("Nothing would change")).to_be_visible()
    expect(page.locator("#onboarding-counts")).to_contain_text(f"Unchanged {COUNT}")
    assert Apprentice.objects.count() == COUNT
