"""Found by clicking through the demo at 320 px: two tables that pushed the whole page
sideways (WCAG 1.4.10) with the demo's own records, longer than the test records."""

import datetime

import pytest

from apprentices import onboarding
from epa.models import ConflictOfInterest
from psp.models import Organisation
from psp.roles import Role
from tests.factories import make_organisation, make_staff, make_version, valid_uln

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def overflow(page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_recent_onboarding_uploads_fit_a_320_px_screen(new_page):
    make_version(earliest_start_date=datetime.date(2030, 1, 1))
    provider = make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)
    employer = make_organisation(kind=Organisation.Kind.EMPLOYER, name="Eastmoor Probation Unit")
    staff = make_staff(role=Role.PROVIDER, organisation=provider, first_name="Priya")
    row = [valid_uln(7001), "Quinn", "Tester", "quinn@example.org", employer.name, "ST9990"]
    row += ["1.0", "", "2030-09-01", "2032-03-01", "37.5", "0"]
    data = ",".join(onboarding.COLUMN_NAMES) + "\r\n" + ",".join(row) + "\r\n"
    onboarding.start_batch(provider, by=staff, filename="onboard.csv", data=data.encode())

    page = new_page(user=staff, width=320)
    page.goto("/apprentices/onboarding/")
    assert page.get_by_text("onboard.csv").is_visible()
    assert overflow(page) == 0


def test_declared_conflicts_of_interest_fit_a_320_px_screen(new_page):
    epao = make_organisation(kind=Organisation.Kind.EPAO)
    assessor = make_staff(role=Role.ASSESSOR, organisation=epao)
    ConflictOfInterest.objects.create(
        assessor=assessor,
        kind="employer",
        organisation=make_organisation(
            kind=Organisation.Kind.EMPLOYER, name="Westbrook Probation Unit"
        ),
        starts_on=datetime.date(2016, 9, 1),
        ends_on=datetime.date(2021, 3, 31),
        details="Worked there as a case administrator in the courts team.",
    )

    page = new_page(user=assessor, width=320)
    page.goto("/epa/conflicts/")
    # The first: the End and Withdraw links name it again, for screen readers.
    assert page.get_by_text("Westbrook Probation Unit").first.is_visible()
    assert overflow(page) == 0
