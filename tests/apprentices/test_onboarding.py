"""Bulk onboarding: a CSV of apprentices checked, previewed and applied once."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from apprentices import onboarding
from apprentices.models import Apprentice, OnboardingBatch, validate_uln
from psp.models import AccountEmail, Organisation, User
from psp.roles import Role
from tests.factories import (
    make_apprentice,
    make_organisation,
    make_staff,
    make_user,
    make_version,
    put_in_status,
    valid_uln,
)

Outcome = onboarding.Outcome


@pytest.fixture
def version(db):
    return make_version(
        earliest_start_date=datetime.date(2030, 1, 1),
        latest_start_date=datetime.date(2031, 12, 31),
    )


@pytest.fixture
def provider(db):
    return make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER, name="Good Training Ltd")


@pytest.fixture
def employer(db):
    return make_organisation(kind=Organisation.Kind.EMPLOYER, name="North Probation Region")


def row(number: int, **values: str) -> dict[str, str]:
    data = {
        "uln": valid_uln(1000 + number),
        "given_name": "Sam",
        "family_name": f"Example{number}",
        "email": f"sam{number}@example.org",
        "employer": "North Probation Region",
        "standard_reference": "ST9990",
        "standard_version": "1.0",
        "option": "",
        "start_date": "2030-02-01",
        "planned_end_date": "2031-08-01",
        "contracted_hours_per_week": "37.5",
        "prior_learning_hours": "0",
    }
    data.update(values)
    return data


def csv_bytes(rows: list[dict[str, str]], columns: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns or onboarding.COLUMN_NAMES)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def records(rows: list[dict[str, str]]) -> list[Any]:
    found, problems = onboarding.read_csv(csv_bytes(rows))
    assert problems == []
    return found


def problems_of(result: onboarding.Plan) -> list[tuple[int, str, str]]:
    return [(r.line, p.column, p.message) for r in result.refused for p in r.problems]


def test_template_has_every_column_and_an_example_that_reads(version):
    records, problems = onboarding.read_csv(onboarding.template_csv().encode())
    assert problems == []
    assert list(records[0][1]) == onboarding.COLUMN_NAMES
    assert records[0][0] == 2


def test_templates_example_uln_is_a_valid_uln():
    # A new user who uploads the template unchanged must not be told its ULN is mistyped.
    records, _ = onboarding.read_csv(onboarding.template_csv().encode())
    validate_uln(records[0][1]["uln"])


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"", "empty"),
        (b"uln,given_name\n1,2\n", "Missing: family_name, email"),
        (csv_bytes([row(1)]).replace(b"option", b"pathway"), "Unknown columns: pathway"),
        (csv_bytes([]), "no apprentices"),
        (
            b"uln,given_name,family_name,email,employer,standard_reference,standard_version,"
            b'start_date,planned_end_date\n"1,2\n',
            "not valid CSV",
        ),
    ],
)
def test_a_file_that_cannot_be_read_says_what_to_fix(data, says):
    records, problems = onboarding.read_csv(data)
    assert records == []
    assert says in " ".join(problems)


def test_every_row_is_checked_and_refusals_name_line_and_column(version, provider, employer):
    other_provider = make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)
    elsewhere = make_apprentice(version=version, training_provider=other_provider)
    make_user(email="taken@example.org")
    bad_check_digit = valid_uln(1)[:9] + str((int(valid_uln(1)[9]) + 1) % 10)
    rows = [
        row(1),
        row(2, uln=bad_check_digit),
        row(3, start_date="2031-09-01", planned_end_date="2031-08-01"),
        row(4, start_date="2029-06-01", planned_end_date="2030-08-01"),
        row(5, standard_version="9.9"),
        row(6, uln=valid_uln(1001)),  # the same ULN as row 1
        row(7, email="TAKEN@example.org"),
        row(8, uln=elsewhere.uln),
        row(9, start_date="31/02/2030"),
        row(10, contracted_hours_per_week="200"),
        row(11, option="Community"),
        row(12, given_name=""),
        row(13, email="sam1@example.org"),
    ]
    result = onboarding.plan(records(rows), provider=provider)
    found = problems_of(result)
    assert next(r.outcome for r in result.rows) == Outcome.NEW
    assert result.counts == {"new": 1, "updated": 0, "unchanged": 0, "refused": 12}
    lines = {line: (column, message) for line, column, message in found}
    assert lines[3] == (
        "uln",
        "This ULN's last digit does not match the rest: check it for a typing mistake",
    )
    assert lines[4] == ("planned_end_date", "The planned gateway date must be after the start date")
    assert lines[5][0] == "standard_version"
    assert "not open for starts on 1 June 2029" in lines[5][1]
    assert lines[6] == ("standard_version", "psp has no version 9.9 of ST9990: it has 1.0")
    assert lines[7] == ("uln", "This ULN is also on line 2")
    assert lines[8] == ("email", "Another account already uses this email address")
    assert lines[9][0] == "uln"
    assert "another training provider" in lines[9][1]
    assert lines[10][0] == "start_date"
    assert "is not a date" in lines[10][1]
    assert lines[11] == ("contracted_hours_per_week", "Hours a week must be between 0 and 168")
    assert lines[12][0] == "option"
    assert "ST9990 version 1.0 has no options: leave this empty" in lines[12][1]
    assert lines[13] == ("given_name", "Enter the given name")
    assert lines[14] == ("email", "This EMAIL is also on line 2")


def test_applying_adds_apprentices_with_accounts_and_welcome_and_twice_changes_nothing(
    version, provider, employer
):
    staff = make_staff(role=Role.PROVIDER, organisation=provider)
    file = records([row(n) for n in range(1, 4)])

    result = onboarding.apply(file, provider=provider, by=staff)

    assert result.counts["new"] == 3
    added = Apprentice.objects.filter(training_provider=provider).select_related("user")
    assert {a.user.email for a in added} == {
        "sam1@example.org",
        "sam2@example.org",
        "sam3@example.org",
    }
    first = added.get(uln=valid_uln(1001))
    assert first.user.role == Role.APPRENTICE
    assert not first.user.has_usable_password()
    assert first.employer == employer
    assert first.planned_gateway_date == datetime.date(2031, 8, 1)
    assert str(first.contracted_hours_per_week) == "37.5"
    welcomes = AccountEmail.objects.filter(kind=AccountEmail.Kind.WELCOME)
    assert welcomes.count() == 3
    assert welcomes.filter(email_status=AccountEmail.Email.QUEUED).count() == 3
    assert all("reset" not in w.detail for w in welcomes)  # no password link is kept

    again = onboarding.apply(file, provider=provider, by=staff)

    assert again.counts == {"new": 0, "updated": 0, "unchanged": 3, "refused": 0}
    assert Apprentice.objects.count() == 3
    assert welcomes.count() == 3


def test_a_changed_row_updates_that_apprentice_only(version, provider, employer):
    staff = make_staff(role=Role.PROVIDER, organisation=provider)
    onboarding.apply(records([row(1), row(2)]), provider=provider, by=staff)

    result = onboarding.apply(
        records([row(1, family_name="Renamed", contracted_hours_per_week="30"), row(2)]),
        provider=provider,
        by=staff,
    )

    assert [r.outcome for r in result.rows] == [Outcome.UPDATED, Outcome.UNCHANGED]
    assert result.rows[0].changes == ["family_name", "contracted_hours_per_week"]
    apprentice = Apprentice.objects.get(uln=valid_uln(1001))
    assert apprentice.user.last_name == "Renamed"
    assert str(apprentice.contracted_hours_per_week) == "30.0"
    assert AccountEmail.objects.filter(kind=AccountEmail.Kind.WELCOME).count() == 2


def test_a_file_with_a_refused_row_changes_nothing(version, provider, employer):
    staff = make_staff(role=Role.PROVIDER, organisation=provider)
    with pytest.raises(onboarding.OnboardingError, match="1 apprentice cannot be added"):
        onboarding.apply(records([row(1), row(2, uln="123")]), provider=provider, by=staff)
    assert Apprentice.objects.count() == 0
    assert AccountEmail.objects.count() == 0


def test_a_new_employer_is_added_only_when_confirmed(version, provider):
    staff = make_staff(role=Role.PROVIDER, organisation=provider)
    file = records([row(1, employer="Brand New Employer"), row(2, employer="brand new employer")])
    result = onboarding.plan(file, provider=provider)
    assert result.new_employers == ["Brand New Employer"]
    with pytest.raises(onboarding.OnboardingError, match="Confirm the new employers"):
        onboarding.apply(file, provider=provider, by=staff)
    assert not Organisation.objects.filter(name="Brand New Employer").exists()

    onboarding.apply(
        file, provider=provider, by=staff, new_employers_confirmed=["brand NEW employer"]
    )

    new = Organisation.objects.get(name="Brand New Employer", kind=Organisation.Kind.EMPLOYER)
    assert set(new.employed_apprentices.values_list("uln", flat=True)) == {
        valid_uln(1001),
        valid_uln(1002),
    }


def test_an_apprentice_past_gateway_or_on_another_version_is_not_changed_by_upload(
    version, provider, employer
):
    staff = make_staff(role=Role.PROVIDER, organisation=provider)
    onboarding.apply(records([row(1), row(2)]), provider=provider, by=staff)
    put_in_status(Apprentice.objects.get(uln=valid_uln(1001)), Apprentice.Status.AT_GATEWAY)
    make_version(
        standard=version.standard, version="2.0", earliest_start_date=datetime.date(2030, 1, 1)
    )

    result = onboarding.plan(
        records([row(1, family_name="New"), row(2, standard_version="2.0")]), provider=provider
    )

    found = problems_of(result)
    assert found[0][:2] == (2, "")
    assert "at gateway" in found[0][2]
    assert found[1][:2] == (3, "standard_version")
    assert "Move to another version" in found[1][2]


def test_the_command_checks_dry_runs_and_applies(tmp_path, version, provider, employer):
    path = tmp_path / "apprentices.csv"
    path.write_bytes(csv_bytes([row(1), row(2, employer="Other Employer")]))
    out = io.StringIO()

    call_command("import_apprentices", str(path), provider=provider.name, dry_run=True, stdout=out)
    assert "Dry run: 2 new" in out.getvalue()
    assert "New employer: Other Employer" in out.getvalue()
    assert Apprentice.objects.count() == 0

    with pytest.raises(CommandError, match="--create-employers"):
        call_command("import_apprentices", str(path), provider=provider.name, stdout=out)
    call_command(
        "import_apprentices",
        str(path),
        provider=str(provider.pk),
        create_employers=True,
        stdout=out,
    )
    assert Apprentice.objects.filter(training_provider=provider).count() == 2

    path.write_bytes(csv_bytes([row(3, uln="12")]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("import_apprentices", str(path), provider=provider.name, stderr=err)
    assert "Line 2, column uln: Enter a ULN of exactly 10 digits" in err.getvalue()
    with pytest.raises(CommandError, match="No single training provider"):
        call_command("import_apprentices", str(path), provider="Nobody")


@pytest.mark.django_db
def test_the_database_refuses_an_applied_batch_that_keeps_its_file(provider):
    staff = make_staff(role=Role.PROVIDER, organisation=provider)
    batch = OnboardingBatch.objects.create(
        provider=provider, uploaded_by=staff, filename="a.csv", content="uln\n", sha256="0" * 64
    )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE apprentices_onboardingbatch SET status = 'applied', applied_at = %s, "
            "applied_by_id = %s WHERE id = %s",
            [datetime.datetime.now(tz=datetime.UTC), staff.pk, batch.pk],
        )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE apprentices_onboardingbatch SET rows_checked = 5, rows_total = 2 WHERE id = %s",
            [batch.pk],
        )


# --- the pages -----------------------------------------------------------------------


def upload(client: Any, rows: list[dict[str, str]], name: str = "apprentices.csv") -> Any:
    return client.post(
        reverse("apprentices:onboarding_upload"),
        {"file": SimpleUploadedFile(name, csv_bytes(rows), content_type="text/csv")},
    )


def test_pages_need_sign_in_and_a_training_provider(client, provider):
    url = reverse("apprentices:onboarding_upload")
    assert client.get(url).status_code == 302
    client.force_login(make_staff(role=Role.EMPLOYER, organisation=make_organisation()))
    assert client.get(url).status_code == 403
    client.force_login(make_user(role=Role.ADMIN))
    assert client.get(url).status_code == 403
    client.force_login(make_staff(role=Role.PROVIDER, organisation=provider))
    assert client.get(url).status_code == 200
    template = client.get(reverse("apprentices:onboarding_template"))
    assert template["Content-Type"].startswith("text/csv")
    assert template["Content-Disposition"] == 'attachment; filename="psp-apprentices-template.csv"'
    assert template["X-Content-Type-Options"] == "nosniff"
    assert template.getvalue().decode().startswith(",".join(onboarding.COLUMN_NAMES))


def test_upload_preview_and_confirm_once(
    client, version, provider, employer, django_assert_max_num_queries
):
    staff = make_staff(role=Role.PROVIDER, organisation=provider)
    client.force_login(staff)
    response = upload(client, [row(n) for n in range(1, 31)] + [row(31, employer="New Co")])
    batch = OnboardingBatch.objects.get()
    assert response["Location"] == batch.get_absolute_url()

    with django_assert_max_num_queries(12):
        page = client.get(batch.get_absolute_url())
    html = page.content.decode()
    assert "Confirm: add 31 and update 0" in html
    assert "Add the employer “New Co”" in html

    refused = client.post(reverse("apprentices:onboarding_confirm", args=[batch.pk]))
    assert refused.status_code == 302
    assert Apprentice.objects.count() == 0
    batch.refresh_from_db()
    assert "Confirm the new employers first: New Co" in batch.error

    client.post(
        reverse("apprentices:onboarding_confirm", args=[batch.pk]), {"new_employer": "New Co"}
    )
    batch.refresh_from_db()
    assert batch.status == OnboardingBatch.Status.APPLIED
    assert batch.content == ""
    assert Apprentice.objects.filter(training_provider=provider).count() == 31
    again = client.post(reverse("apprentices:onboarding_confirm", args=[batch.pk]))
    assert again.status_code == 302
    assert Apprentice.objects.count() == 31


def test_a_bad_file_keeps_nothing_and_says_what_to_fix(client, provider):
    client.force_login(make_staff(role=Role.PROVIDER, organisation=provider))
    response = client.post(
        reverse("apprentices:onboarding_upload"),
        {"file": SimpleUploadedFile("a.csv", b"name,email\nx,y\n", content_type="text/csv")},
    )
    assert response.status_code == 400
    assert "Missing: uln" in response.content.decode()
    assert OnboardingBatch.objects.count() == 0


def test_refused_rows_are_listed_first_and_block_confirmation(client, version, provider, employer):
    client.force_login(make_staff(role=Role.PROVIDER, organisation=provider))
    upload(client, [row(1), row(2, start_date="2030-13-01")])
    batch = OnboardingBatch.objects.get()
    html = client.get(batch.get_absolute_url()).content.decode()
    assert "1 row cannot be added as it is" in html
    assert "Line 3, column start_date" in html
    assert "Confirm:" not in html
    client.post(reverse("apprentices:onboarding_confirm", args=[batch.pk]))
    assert Apprentice.objects.count() == 0


def test_another_providers_upload_is_404(client, version, provider, employer):
    client.force_login(make_staff(role=Role.PROVIDER, organisation=provider))
    upload(client, [row(1)])
    batch = OnboardingBatch.objects.get()
    other = make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)
    client.force_login(make_staff(role=Role.PROVIDER, organisation=other))
    assert client.get(batch.get_absolute_url()).status_code == 404
    confirm = client.post(reverse("apprentices:onboarding_confirm", args=[batch.pk]))
    assert confirm.status_code == 404
    assert Apprentice.objects.count() == 0


def test_a_large_file_is_checked_and_applied_by_the_worker(
    client, settings, monkeypatch, version, provider, employer, django_capture_on_commit_callbacks
):
    from apprentices import tasks

    settings.PSP_ONBOARDING_INLINE_ROWS = 2
    for task in (tasks.check_onboarding, tasks.apply_onboarding):
        monkeypatch.setattr(
            task, "apply_async", lambda args=(), task=task, **kw: task.apply(args=args)
        )
    client.force_login(make_staff(role=Role.PROVIDER, organisation=provider))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        upload(client, [row(n) for n in range(1, 6)])
    batch = OnboardingBatch.objects.get()
    assert batch.status == OnboardingBatch.Status.CHECKING
    assert "Checked 0 of 5 rows" in client.get(batch.get_absolute_url()).content.decode()
    for callback in queued:
        callback()
    batch.refresh_from_db()
    assert batch.status == OnboardingBatch.Status.READY

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("apprentices:onboarding_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == OnboardingBatch.Status.APPLIED
    assert Apprentice.objects.count() == 5


def test_the_welcome_email_carries_a_fresh_link_to_choose_a_password(
    version, provider, employer, send_emails_inline, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        onboarding.apply(records([row(1)]), provider=provider, by=None)

    (email,) = mailoutbox
    assert email.to == ["sam1@example.org"]
    assert email.subject == "Your psp account"
    assert "Your training provider has set up your apprenticeship portfolio" in email.body
    link = next(line for line in email.body.splitlines() if "/accounts/reset/" in line)
    assert link.startswith("http")
    welcome = AccountEmail.objects.get(kind=AccountEmail.Kind.WELCOME)
    assert welcome.email_status == AccountEmail.Email.SENT
    assert "/accounts/reset/" not in welcome.detail


def test_an_upload_confirmed_while_psp_changed_keeps_nothing_and_says_so(
    client, monkeypatch, version, provider, employer
):
    client.force_login(make_staff(role=Role.PROVIDER, organisation=provider))
    upload(client, [row(1), row(2)])
    batch = OnboardingBatch.objects.get()
    # Someone adds the same apprentice between the check inside apply() and its insert.
    monkeypatch.setattr(Apprentice, "save", lambda *a, **k: (_ for _ in ()).throw(IntegrityError))

    response = client.post(reverse("apprentices:onboarding_confirm", args=[batch.pk]), follow=True)

    assert "psp changed while this was applied" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == OnboardingBatch.Status.READY
    assert batch.content
    assert Apprentice.objects.count() == 0
    assert AccountEmail.objects.count() == 0
    assert not User.objects.filter(email="sam1@example.org").exists()


@pytest.fixture
def plasterer(db):
    from standards.importing import import_standard, parse_official
    from standards.models import StandardVersion
    from tests.standards.official import payload

    import_standard(parse_official(payload("ST0096_2.1.json")))
    version = StandardVersion.objects.get(standard__reference="ST0096")
    # The official record opens no start dates: let the rows' start on it.
    version.earliest_start_date = datetime.date(2030, 1, 1)
    version.latest_start_date = None
    version.save()
    return version


def test_the_option_is_read_by_title_or_number_on_a_core_and_options_version(
    plasterer, provider, employer
):
    on_plasterer = {"standard_reference": "ST0096", "standard_version": "2.1"}
    rows = [
        row(1, **on_plasterer, option="Solid plasterer"),
        row(2, **on_plasterer, option="2"),
        row(3, **on_plasterer, option=""),
        row(4, **on_plasterer, option="Ornamental"),
    ]
    result = onboarding.plan(records(rows), provider=provider)
    assert [r.outcome for r in result.rows] == [
        Outcome.NEW,
        Outcome.NEW,
        Outcome.REFUSED,
        Outcome.REFUSED,
    ]
    listed = "1 solid Plasterer; 2 fibrous Plasterer"
    assert problems_of(result) == [
        (4, "option", f"Enter the option: ST0096 version 2.1 is core and options ({listed})"),
        (5, "option", f"ST0096 version 2.1 has no option “Ornamental”: enter one of {listed}"),
    ]
    onboarding.apply(records(rows[:2]), provider=provider, by=None)
    assert dict(Apprentice.objects.values_list("user__last_name", "option__title")) == {
        "Example1": "solid Plasterer",
        "Example2": "fibrous Plasterer",
    }
    # The same file again changes nothing; another option is an update.
    again = onboarding.plan(records(rows[:2]), provider=provider)
    assert [r.outcome for r in again.rows] == [Outcome.UNCHANGED, Outcome.UNCHANGED]
    switched = onboarding.plan(records([row(1, **on_plasterer, option="2")]), provider=provider)
    assert switched.rows[0].changes == ["option"]


def test_checking_options_costs_the_same_queries_for_2_rows_or_40(plasterer, provider, employer):
    from django.test.utils import CaptureQueriesContext

    on_plasterer = {"standard_reference": "ST0096", "standard_version": "2.1", "option": "1"}
    counts = []
    for size in (2, 40):
        with CaptureQueriesContext(connection) as queries:
            result = onboarding.plan(
                records([row(n, **on_plasterer) for n in range(size)]), provider=provider
            )
        assert result.counts["new"] == size
        counts.append(len(queries))
    assert counts[0] == counts[1]
