import datetime
import hashlib
import io
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from apprentices.models import Apprentice, EvidenceFile
from epa import grading
from psp.celery import app
from psp.models import Notification, Organisation
from psp.roles import Role
from reports import building
from reports.models import Report
from reports.pdf import PdfError, html_to_pdf
from reports.tasks import ReportSweep, build_report
from tests.epa.test_grading import grade_all
from tests.factories import make_apprentice, make_evidence, make_organisation, make_staff, make_user

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once


@pytest.fixture(autouse=True)
def memory_broker(monkeypatch):
    """Tasks go to kombu's in-process memory transport, never to a real broker."""
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery reads it before its conf
    monkeypatch.setitem(app.conf, "broker_url", "memory://")
    monkeypatch.setitem(app.conf, "broker_transport_options", {})
    monkeypatch.setitem(app.conf, "broker_connection_timeout", 1)
    # A producer pool made by an earlier test is bound to that test's broker: start afresh,
    # and give the earlier pool back afterwards.
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    sent_tasks()  # start from an empty queue
    return app


def sent_tasks() -> list[tuple[str, list]]:
    """Take every message off the memory broker's default queue: (task name, args)."""
    taken = []
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue(app.conf.task_default_queue)
        while True:
            try:
                message = queue.get_nowait()
            except queue.Empty:
                break
            taken.append((message.headers["task"], message.payload[0]))
            message.ack()
        queue.close()
    return taken


def pdf_text(report: Report) -> str:
    with report.file.open("rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def portfolio_report(apprentice, provider_user):
    return Report.objects.create(
        kind=Report.Kind.PORTFOLIO, requested_by=provider_user, apprentice=apprentice
    )


@pytest.fixture
def quick_pdf(monkeypatch):
    """For tests about the workflow, not the PDF: a one-page PDF at once, different each time."""
    import itertools

    from demo.seeding import DEMO_PDF

    builds = itertools.count(1)
    monkeypatch.setattr(
        building, "render_pdf", lambda report: DEMO_PDF + f"% build {next(builds)}\n".encode()
    )


def report_files(settings) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "reports"
    return sorted(folder.iterdir()) if folder.exists() else []


# Asking for a report: the outbox


def test_asking_commits_a_queued_report_and_sends_the_task_after_the_commit(
    client, apprentice, provider_user, django_capture_on_commit_callbacks
):
    client.force_login(provider_user)
    url = reverse("reports:report_request_portfolio", args=[apprentice.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url)
        report = Report.objects.get()
        assert (report.status, report.dispatched_at) == ("queued", None)
        assert sent_tasks() == []  # nothing is sent before the commit
    assert response["Location"] == report.get_absolute_url()
    for callback in callbacks:
        callback()
    report.refresh_from_db()
    assert report.dispatched_at is not None
    assert sent_tasks() == [("reports.tasks.build_report", [report.pk])]


def test_the_request_succeeds_when_the_broker_is_down_and_the_sweeper_sends_it_later(
    client, apprentice, provider_user, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setitem(app.conf, "broker_url", CLOSED_PORT_BROKER)
    client.force_login(provider_user)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:report_request_portfolio", args=[apprentice.pk]))
    assert time.monotonic() - started < 5
    report = Report.objects.get()
    assert response.status_code == 302
    assert (report.status, report.dispatched_at) == ("queued", None)
    Report.objects.filter(pk=report.pk).update(
        requested_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    page = client.get(report.get_absolute_url()).content.decode()
    assert "cannot be reached at the moment" in page

    with pytest.raises(CommandError, match="1 report could not be sent"):
        call_command("dispatch_reports")
    report.refresh_from_db()
    assert report.dispatched_at is None

    monkeypatch.setitem(app.conf, "broker_url", "memory://")  # the broker is back
    call_command("dispatch_reports")
    report.refresh_from_db()
    assert report.dispatched_at is not None
    assert sent_tasks() == [("reports.tasks.build_report", [report.pk])]


def test_the_sweeper_resends_lost_and_abandoned_reports_only(apprentice, provider_user):
    now = timezone.now()
    long_ago = now - datetime.timedelta(hours=1)

    def report(**fields):
        return Report.objects.create(
            kind="portfolio", requested_by=provider_user, apprentice=apprentice, **fields
        )

    never_sent = report()
    lost = report(dispatched_at=long_ago)
    abandoned = report(status="running", dispatched_at=long_ago, started_at=long_ago)
    report(dispatched_at=now)  # sent just now: a worker will get it
    report(status="running", dispatched_at=now, started_at=now)
    report(status="failed", failure_reason="No", dispatched_at=long_ago)
    assert building.reports_to_dispatch() == [never_sent.pk, lost.pk, abandoned.pk]
    assert building.dispatch_pending() == (3, 0)
    assert sorted(args[0] for _, args in sent_tasks()) == [never_sent.pk, lost.pk, abandoned.pk]


def test_each_worker_sweeps_through_the_broker(apprentice, provider_user):
    ReportSweep(SimpleNamespace()).sweep()
    assert sent_tasks() == [("reports.tasks.dispatch_reports", [])]


def test_asking_again_while_one_is_pending_gives_the_same_report(
    apprentice, provider_user, django_capture_on_commit_callbacks
):
    first = building.request_report(apprentice, requested_by=provider_user)
    Report.objects.filter(pk=first.pk).update(dispatched_at=timezone.now())
    with django_capture_on_commit_callbacks() as callbacks:
        assert building.request_report(apprentice, requested_by=provider_user) == first
    assert callbacks == []  # with a worker already: not sent again
    lost = timezone.now() - building.REDISPATCH_AFTER - datetime.timedelta(minutes=1)
    Report.objects.filter(pk=first.pk).update(dispatched_at=lost)
    with django_capture_on_commit_callbacks(execute=True):
        assert building.request_report(apprentice, requested_by=provider_user) == first
    assert sent_tasks() == [("reports.tasks.build_report", [first.pk])]
    Report.objects.filter(pk=first.pk).update(
        status="failed", failure_reason="The PDF could not be built: test"
    )
    assert building.request_report(apprentice, requested_by=provider_user) != first


def test_a_gateway_pack_report_needs_a_submitted_gateway(apprentice, provider_user):
    from epa import gateway

    attempt = gateway.start_gateway(apprentice, by=provider_user)
    with pytest.raises(building.ReportError, match="no gateway pack yet"):
        building.request_report(attempt, requested_by=provider_user)


# Building: idempotent, retried, failing with a reason


def test_building_twice_makes_one_file_with_the_same_hash(portfolio_report, settings):
    building.build(portfolio_report.pk)
    portfolio_report.refresh_from_db()
    first = (portfolio_report.file.name, portfolio_report.sha256)
    assert portfolio_report.status == "ready"
    assert portfolio_report.file.name == f"reports/report-{portfolio_report.pk}.pdf"
    assert building.build(portfolio_report.pk) is None  # already built: nothing to do
    portfolio_report.refresh_from_db()
    assert (portfolio_report.file.name, portfolio_report.sha256) == first
    assert [f.name for f in report_files(settings)] == [f"report-{portfolio_report.pk}.pdf"]


def test_a_rebuild_replaces_the_file_in_place(portfolio_report, settings, quick_pdf):
    first = building.build(portfolio_report.pk)
    Report.objects.filter(pk=portfolio_report.pk).update(status="queued")
    rebuilt = building.build(portfolio_report.pk)
    assert rebuilt is not None
    assert rebuilt.status == "ready"
    assert rebuilt.attempts == 2
    assert rebuilt.sha256 != first.sha256
    assert [f.name for f in report_files(settings)] == [f"report-{portfolio_report.pk}.pdf"]
    with rebuilt.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == rebuilt.sha256


def test_the_person_who_asked_is_told_once_when_the_report_is_ready(
    portfolio_report, provider_user, quick_pdf
):
    building.build(portfolio_report.pk)
    assert building.build(portfolio_report.pk) is None  # already built: nothing more to say
    told = Notification.objects.get(kind=Notification.Kind.REPORT_READY)
    assert told.user == provider_user
    assert told.subject == "Your report is ready: Portfolio and KSB coverage"
    assert portfolio_report.apprentice.name in told.body
    assert told.url == reverse("reports:report_detail", args=[portfolio_report.pk])


def test_a_report_that_failed_tells_no_one(portfolio_report, monkeypatch):
    monkeypatch.setattr(building, "render_pdf", lambda report: 1 / 0)
    assert building.build(portfolio_report.pk).status == "failed"
    assert not Notification.objects.filter(kind=Notification.Kind.REPORT_READY).exists()


def test_a_report_another_worker_is_building_is_left_alone(portfolio_report, settings):
    Report.objects.filter(pk=portfolio_report.pk).update(
        status="running", started_at=timezone.now(), attempts=1
    )
    assert building.build(portfolio_report.pk) is None
    assert report_files(settings) == []


def test_a_pdf_that_cannot_be_built_fails_with_a_readable_reason(
    portfolio_report, monkeypatch, settings
):
    def missing_stylesheet(report, **kwargs):
        return '<html lang="en"><head><title>x</title><link rel="stylesheet" href="gone.css">'

    monkeypatch.setattr(building, "render_html", missing_stylesheet)
    report = building.build(portfolio_report.pk)
    assert report.status == "failed"
    assert report.failure_reason.startswith(
        "The PDF could not be built: a file the report links to could not be read"
    )
    assert report_files(settings) == []


def test_transient_database_errors_are_retried_then_the_report_is_built(
    portfolio_report, monkeypatch, quick_pdf
):
    real_render = building.render_pdf
    calls = []

    def flaky(report):
        calls.append(report.pk)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_render(report)

    monkeypatch.setattr(building, "render_pdf", flaky)
    monkeypatch.setattr(build_report, "retry_backoff", False)
    build_report.apply(args=[portfolio_report.pk])
    portfolio_report.refresh_from_db()
    assert (portfolio_report.status, portfolio_report.attempts, len(calls)) == ("ready", 2, 2)


def test_when_retries_run_out_the_report_says_the_database_was_unreachable(
    portfolio_report, monkeypatch
):
    def down(report):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(building, "render_pdf", down)
    build_report.apply(args=[portfolio_report.pk])
    portfolio_report.refresh_from_db()
    assert portfolio_report.status == "failed"
    assert "database could not be reached" in portfolio_report.failure_reason
    assert portfolio_report.attempts == build_report.max_retries + 1


def test_the_build_task_survives_a_killed_worker_and_is_time_limited():
    assert build_report.acks_late is True
    assert build_report.reject_on_worker_lost is True
    assert build_report.soft_time_limit < build_report.time_limit
    assert OperationalError in build_report.autoretry_for
    assert build_report.retry_backoff


def test_pdf_module_fetches_nothing_outside_its_folder(tmp_path):
    (tmp_path / "ok.css").write_text("p { color: red }")
    html = '<html lang="en"><head><title>t</title><link rel="stylesheet" href="{}"></head>'
    assert html_to_pdf(html.format("ok.css"), base_url=tmp_path).startswith(b"%PDF-1.7")
    for outside in ("../secret.css", "http://example.org/x.css", "/etc/passwd"):
        with pytest.raises(PdfError):
            html_to_pdf(html.format(outside), base_url=tmp_path)


# The PDFs


def test_the_content_hash_changes_with_the_records_not_with_the_time(portfolio_report):
    def footer_hash(**kwargs):
        html = building.render_html(portfolio_report, **kwargs)
        return html.split('Content SHA-256</th><td class="hash">')[1][:64]

    now = timezone.now()
    first = footer_hash(generated_at=now)
    assert footer_hash(generated_at=now + datetime.timedelta(days=3)) == first
    make_evidence(apprentice=portfolio_report.apprentice, title="Something new")
    assert footer_hash(generated_at=now) != first


def test_portfolio_report_lists_coverage_and_every_file_with_its_hash(
    apprentice, provider_user, settings
):
    item = make_evidence(apprentice=apprentice, status="submitted", title="Widget inspection log")
    EvidenceFile.objects.create(
        evidence=item,
        file="evidence/x",
        original_name="inspection-log.pdf",
        content_type="application/pdf",
        size=2048,
        sha256="ab" * 32,
        uploaded_by=apprentice.user,
    )
    report = building.build(building.request_report(apprentice, requested_by=provider_user).pk)
    text = pdf_text(report)
    for expected in (
        "Portfolio and KSB coverage",
        apprentice.name,
        "ST9990 Imaginary widget inspector, version",
        "KSB coverage matrix",
        "K1",
        "Knows widgets",
        "Coverage by assessment method",
        "Imaginary interview",
        "Evidence index",
        "Widget inspection log",
        "inspection-log.pdf",
        "ab" * 32,
        "Page 1 of",
        "Content SHA-256",
    ):
        assert expected in text, expected
    with report.file.open("rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    assert reader.metadata.title == f"Portfolio and KSB coverage: {apprentice.name}"
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged (PDF/UA)


def test_gateway_pack_report_has_the_pack_hash_checklist_and_declarations(
    submitted_attempt, provider_user
):
    report = building.build(
        building.request_report(submitted_attempt, requested_by=provider_user).pk
    )
    text = pdf_text(report)
    for expected in (
        "Gateway pack",
        f"Gateway attempt {submitted_attempt.number}",
        submitted_attempt.pack_hash,
        "the frozen pack below still has this hash",
        "Checklist",
        "English and maths",
        "Level 2 English and maths achieved",
        "Declarations",
        "Employer confirms the apprentice is ready",
        "Training provider confirms the apprentice is ready",
        "The frozen pack",
    ):
        assert expected in text, expected


def test_epa_result_report_has_methods_grades_people_and_amendments(epa, epao_admin):
    grade_all(epa)
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    result = grading.moderate(epa, by=epao_admin, confirm=True)
    second = make_staff(role=Role.EPAO_ADMIN, organisation=epa.apprentice.epao)
    grading.amend_result(
        result,
        by=second,
        method_grades={1: "pass", 2: "pass"},
        overall_after="pass",
        reason="Clerical error",
    )
    report = building.build(building.request_report(epa, requested_by=epa.apprentice.user).pk)
    text = pdf_text(report)
    for expected in (
        "End-point assessment result",
        "Overall grade: Pass",
        "amended from merit",
        "M1: Imaginary interview",
        "M2: Imaginary demonstration",
        "Questions asked",
        "M1A",
        "Explains widgets",
        "Not met",
        str(epa.assessor),
        str(epao_admin),
        "Clerical error",
        "merit → pass",
        "M1: pass, M2: pass",  # the corrected method grades, not only the overall one
    ):
        assert expected in text, expected


def test_epa_result_report_hides_provisional_grades_from_the_apprentice(epa):
    grade_all(epa)
    apprentices_copy = building.build(
        building.request_report(epa, requested_by=epa.apprentice.user).pk
    )
    assert "Distinction" not in pdf_text(apprentices_copy)
    assessors_copy = building.build(building.request_report(epa, requested_by=epa.assessor).pk)
    assert "Provisional overall grade: Merit" in pdf_text(assessors_copy)


def test_cohort_report_shows_the_organisations_apprentices_by_ksb(
    apprentice, provider_user, version
):
    provider, employer = apprentice.training_provider, apprentice.employer
    other = make_apprentice(version=version, training_provider=provider, employer=employer)
    make_evidence(apprentice=other, status="submitted", ksbs=list(version.ksbs.all()[:1]))
    elsewhere = make_apprentice(version=version)  # another provider's: not in the report
    report = building.build(
        building.request_report(
            apprentice.training_provider, version=version, requested_by=provider_user
        ).pk
    )
    text = pdf_text(report)
    for expected in (
        "Cohort KSB coverage",
        apprentice.training_provider.name,
        apprentice.name,
        other.name,
        "2 apprentices × 2 KSBs",
        "Knowledge",
        "Skills",
        "(1)",
    ):
        assert expected in text, expected
    assert elsewhere.name not in text


# Pages: asking, following, downloading, listing


def test_report_pages_need_sign_in(client, portfolio_report):
    for url in (
        portfolio_report.get_absolute_url(),
        reverse("reports:report_download", args=[portfolio_report.pk]),
        reverse("reports:report_list"),
    ):
        assert client.get(url)["Location"].startswith(reverse("login"))


def test_asking_needs_a_post_and_a_role(client, apprentice):
    url = reverse("reports:report_request_portfolio", args=[apprentice.pk])
    client.force_login(apprentice.user)
    assert client.get(url).status_code == 405
    client.force_login(make_user())  # no role, so no permission
    assert client.post(url).status_code == 403


def test_asking_about_an_apprentice_you_cannot_see_is_a_404(client, apprentice):
    stranger = make_staff(
        role=Role.PROVIDER, organisation=make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)
    )
    client.force_login(stranger)
    url = reverse("reports:report_request_portfolio", args=[apprentice.pk])
    assert client.post(url).status_code == 404
    assert not Report.objects.exists()


def test_status_page_keeps_itself_up_to_date_until_the_report_is_ready(
    client, portfolio_report, quick_pdf
):
    # static/js/report-status.js re-fetches the page while the status is pending and swaps
    # in this part; no timed reload (WCAG 2.2.1), and a "Check now" link without JavaScript.
    client.force_login(portfolio_report.requested_by)
    page = client.get(portfolio_report.get_absolute_url()).content.decode()
    assert 'data-report-status="queued"' in page
    assert "Waiting for the report builder to start" in page
    assert f'href="{portfolio_report.get_absolute_url()}">Check now</a>' in page
    assert 'http-equiv="refresh"' not in page
    building.build(portfolio_report.pk)
    page = client.get(portfolio_report.get_absolute_url()).content.decode()
    assert 'data-report-status="ready"' in page
    assert 'data-report-announcement="Your PDF is ready to download"' in page
    assert "Check now" not in page
    assert reverse("reports:report_download", args=[portfolio_report.pk]) in page


def test_status_page_of_a_failed_report_says_why(client, portfolio_report):
    building.fail(portfolio_report.pk, reason="The PDF could not be built: no fonts")
    client.force_login(portfolio_report.requested_by)
    page = client.get(portfolio_report.get_absolute_url()).content.decode()
    assert "The PDF could not be built: no fonts" in page
    assert 'http-equiv="refresh"' not in page
    retry = reverse("reports:report_request_portfolio", args=[portfolio_report.apprentice_id])
    assert f'<form method="post" action="{retry}">' in page


@pytest.mark.parametrize("kind", ["portfolio", "gateway_pack", "epa_result", "cohort"])
def test_the_status_page_names_its_subject_with_a_fixed_number_of_queries(
    client, epa, provider_user, django_assert_num_queries, kind
):
    """Session, user, the report with its apprentice and gateway attempt, the reports queued
    ahead of it, the unread count; a cohort's organisation, version and standard after the
    report (only for that kind: three tables more in the report's query cost every kind's
    planning)."""
    apprentice = epa.apprentice
    version = apprentice.standard_version
    subject, extra = {
        "portfolio": (apprentice, 0),
        "gateway_pack": (epa.gateway, 0),
        "epa_result": (epa, 0),
        "cohort": (apprentice.training_provider, 3),
    }[kind]
    report = building.request_report(subject, requested_by=provider_user, version=version)
    assert report.kind == kind
    client.force_login(provider_user)
    client.get(report.get_absolute_url())  # the user's role and permissions, now cached
    with django_assert_num_queries(5 + extra):
        page = client.get(report.get_absolute_url()).content.decode()
    name = {
        "portfolio": apprentice.name,
        "gateway_pack": f"{apprentice.name}, gateway attempt {epa.gateway.number}",
        "epa_result": apprentice.name,
        "cohort": f"{apprentice.training_provider}, {version.standard.reference} version "
        f"{version.version}",
    }[kind]
    assert f'<span class="govuk-caption-l">{name}</span>' in page


def test_download_is_a_private_pdf_attachment(client, portfolio_report, quick_pdf):
    building.build(portfolio_report.pk)
    client.force_login(portfolio_report.requested_by)
    response = client.get(reverse("reports:report_download", args=[portfolio_report.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="portfolio-')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_report_not_ready_has_no_download(client, portfolio_report):
    client.force_login(portfolio_report.requested_by)
    url = reverse("reports:report_download", args=[portfolio_report.pk])
    assert client.get(url).status_code == 404


def test_another_users_report_is_a_404_even_in_the_same_organisation(
    client, portfolio_report, apprentice, quick_pdf
):
    building.build(portfolio_report.pk)
    colleague = make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)
    for user in (colleague, apprentice.user):
        client.force_login(user)
        for name in ("reports:report_detail", "reports:report_download"):
            assert client.get(reverse(name, args=[portfolio_report.pk])).status_code == 404


def test_a_report_is_gone_once_its_subject_is_out_of_sight(
    client, portfolio_report, apprentice, quick_pdf
):
    building.build(portfolio_report.pk)
    requester = portfolio_report.requested_by
    requester.organisation = make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)
    requester.save()
    client.force_login(requester)
    assert (
        client.get(reverse("reports:report_download", args=[portfolio_report.pk])).status_code
        == 404
    )


def test_each_page_offers_its_pdf(client, epa, provider_user, epao_admin):
    apprentice = epa.apprentice
    client.force_login(provider_user)
    pages = {
        apprentice.get_absolute_url(): "reports:report_request_portfolio",
        reverse("apprentices:apprentice_coverage", args=[apprentice.pk]): (
            "reports:report_request_portfolio"
        ),
        reverse("epa:gateway", args=[apprentice.pk]): "reports:report_request_gateway",
        epa.get_absolute_url(): "reports:report_request_epa",
        reverse("apprentices:cohort"): "reports:report_request_cohort",
    }
    for page_url, name in pages.items():
        args = {
            "reports:report_request_portfolio": [apprentice.pk],
            "reports:report_request_gateway": [apprentice.pk, epa.gateway.number],
            "reports:report_request_epa": [epa.pk],
            "reports:report_request_cohort": [],
        }[name]
        assert f'action="{reverse(name, args=args)}"' in client.get(page_url).content.decode()


def test_each_page_queues_its_report(client, epa, provider_user):
    apprentice = epa.apprentice
    client.force_login(provider_user)
    version = apprentice.standard_version
    for url, data in (
        (reverse("reports:report_request_portfolio", args=[apprentice.pk]), {}),
        (reverse("reports:report_request_gateway", args=[apprentice.pk, epa.gateway.number]), {}),
        (reverse("reports:report_request_epa", args=[epa.pk]), {}),
        (
            reverse("reports:report_request_cohort"),
            {"version": f"{version.standard.reference}-{version.version}"},
        ),
    ):
        response = client.post(url, data)
        assert response["Location"] == Report.objects.first().get_absolute_url()
    assert sorted(Report.objects.values_list("kind", flat=True)) == [
        "cohort",
        "epa_result",
        "gateway_pack",
        "portfolio",
    ]
    cohort = Report.objects.get(kind="cohort")
    assert (cohort.organisation, cohort.standard_version) == (
        apprentice.training_provider,
        version,
    )


def test_an_administrator_picks_the_employer_of_a_cohort_report(client, apprentice, version):
    admin = make_user(role=Role.ADMIN)
    client.force_login(admin)
    key = f"{version.standard.reference}-{version.version}"
    response = client.post(reverse("reports:report_request_cohort"), {"version": key})
    assert response["Location"] == reverse("apprentices:cohort")
    assert not Report.objects.exists()
    client.post(
        reverse("reports:report_request_cohort"),
        {"version": key, "employer": apprentice.employer_id},
    )
    assert Report.objects.get().organisation == apprentice.employer


def test_a_cohort_report_is_seen_while_its_organisation_has_an_apprentice_you_see(
    apprentice, provider_user, version
):
    """A provider's report on an employer's cohort (or their own) is theirs while they train
    an apprentice the employer employs (or any apprentice); then it is gone."""
    employer, provider = apprentice.employer, apprentice.training_provider
    on_employer = building.request_report(employer, requested_by=provider_user, version=version)
    on_provider = building.request_report(provider, requested_by=provider_user, version=version)
    other = make_organisation(kind=Organisation.Kind.EMPLOYER)
    Report.objects.create(  # on an organisation with none of their apprentices
        kind="cohort", requested_by=provider_user, organisation=other, standard_version=version
    )
    visible = Report.objects.visible_to(provider_user)
    assert set(visible) == {on_employer, on_provider}
    Apprentice.objects.filter(pk=apprentice.pk).update(
        training_provider=make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)
    )
    assert not Report.objects.visible_to(provider_user).exists()


def test_your_reports_lists_only_yours_with_a_fixed_number_of_queries(
    client, apprentice, provider_user, django_assert_max_num_queries
):
    for _ in range(30):
        Report.objects.create(kind="portfolio", requested_by=provider_user, apprentice=apprentice)
    Report.objects.create(kind="portfolio", requested_by=apprentice.user, apprentice=apprentice)
    client.force_login(provider_user)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("reports:report_list")).content.decode()
    assert "30 reports" in page
    assert page.count("Portfolio and KSB coverage") == 25
    assert "1 of 2" in page
    assert "?page=2" in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks across connections")
def test_identical_requests_at_the_same_time_make_one_report(apprentice, provider_user):
    # Issue 15, finding 7: 40 identical requests at once built 5 reports.
    import threading

    barrier = threading.Barrier(20)
    made: list[int] = []

    def ask():
        from django.db import connection as thread_connection

        barrier.wait()
        try:
            made.append(building.request_report(apprentice, requested_by=provider_user).pk)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 20
    assert len(set(made)) == 1
    assert Report.objects.filter(requested_by=provider_user).count() == 1


def test_epa_result_report_has_each_methods_moderation_and_the_plan_revision(epa, epao_admin):
    from standards.exporting import export_epa_plan
    from standards.plan_importing import import_epa_plan

    grade_all(epa)
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    one, two = epa.assessments.order_by("method__number")
    returned = {one.pk: (False, "Say which answer met M1A"), two.pk: (True, "")}
    grading.moderate(epa, by=epao_admin, confirm=False, comment="See M1", methods=returned)
    epa.refresh_from_db()
    grading.submit_for_moderation(epa, by=epa.assessor)
    epa.refresh_from_db()
    grading.moderate(epa, by=epao_admin, confirm=True)
    revised = export_epa_plan(epa.plan)
    for row in revised["gradeCombinations"]:
        if row["methodGrades"] == {"1": "distinction", "2": "pass"}:
            row["overall"] = "distinction"
    import_epa_plan(revised)
    report = building.build(building.request_report(epa, requested_by=epao_admin).pk)
    text = " ".join(pdf_text(report).split())
    for expected in (
        "Graded under revision 1 of the EPA plan (the plan is now at revision 2",
        "How the overall grade was worked out:",
        "Moderation",
        "Not agreed",
        "Say which answer met M1A",
        "Agreed",
        "Plan revision",
    ):
        assert expected in text, expected
    assert text.count("Not agreed") == 1
    assert text.count(str(epao_admin)) >= 4  # moderator of each decision and of the result


def test_one_report_is_visible_to_exactly_whom_visible_to_gives_it(epa, provider_user, version):
    """Report.is_visible_to (the status page and the download ask it of the one report)
    against Report.objects.visible_to: reports of every kind, asked for by every role, on
    subjects they see and do not see, a progress review by someone who may not see it."""
    from tests.factories import make_progress_review

    apprentice = epa.apprentice
    other = make_apprentice(version=version)
    review = make_progress_review(apprentice=apprentice)
    requesters = [
        provider_user,
        make_staff(role=Role.EMPLOYER, organisation=apprentice.employer),
        make_staff(role=Role.EPAO_ADMIN, organisation=apprentice.epao),
        epa.assessor,
        make_staff(role=Role.ASSESSOR, organisation=apprentice.epao),  # not theirs
        apprentice.user,
        other.user,
        make_user(role=Role.ADMIN),
    ]
    elsewhere = make_organisation(kind=Organisation.Kind.EMPLOYER)
    for user in requesters:
        for subject in (apprentice, other):
            Report.objects.create(kind="portfolio", requested_by=user, apprentice=subject)
            Report.objects.create(
                kind="review", requested_by=user, apprentice=subject, review=review
            )
        Report.objects.create(
            kind="gateway_pack", requested_by=user, apprentice=apprentice, gateway=epa.gateway
        )
        Report.objects.create(kind="epa_result", requested_by=user, apprentice=apprentice, epa=epa)
        for organisation in (apprentice.employer, apprentice.training_provider, elsewhere):
            Report.objects.create(
                kind="cohort",
                requested_by=user,
                organisation=organisation,
                standard_version=version,
            )
    every = list(Report.objects.select_related("apprentice"))
    sizes = []
    for user in requesters:
        visible = set(Report.objects.visible_to(user))
        assert {r for r in every if r.is_visible_to(user)} == visible, user.role
        sizes.append(len(visible))
    assert sizes == [6, 6, 3, 3, 0, 4, 2, 8]


def test_the_reports_queued_ahead_are_the_orms_count(apprentice, provider_user):
    """building.queued_ahead's SQL against the ORM's count: other reports queued earlier,
    not those queued later, running, ready or failed, nor the report itself."""
    now = timezone.now()
    reports = [
        Report.objects.create(
            kind="portfolio",
            requested_by=provider_user,
            apprentice=apprentice,
            status=status,
            requested_at=now + datetime.timedelta(seconds=seconds),
            failure_reason="No fonts" if status == "failed" else "",
        )
        for seconds, status in [
            (-30, "queued"),
            (-20, "running"),
            (-10, "failed"),
            (0, "queued"),
            (0, "queued"),
            (10, "queued"),
        ]
    ]
    counts = []
    for report in reports:
        expected = (
            Report.objects.filter(status="queued", requested_at__lt=report.requested_at)
            .exclude(pk=report.pk)
            .count()
        )
        assert building.queued_ahead(report) == expected
        counts.append(expected)
    assert counts == [0, 1, 1, 1, 1, 3]


def test_the_status_page_follows_raw_sql(client, epa, provider_user):
    """The report's row is kept in the cache under the report revision (every write to
    reports) and the EPA revision (the apprentice's row and name, the gateway attempt):
    each raw write shows on the next request, and whom the report is visible to follows."""
    apprentice = epa.apprentice
    report = building.request_report(epa.gateway, requested_by=provider_user)
    url = report.get_absolute_url()
    client.force_login(provider_user)

    def caption() -> str:
        page = client.get(url).content.decode()
        return page.split('<span class="govuk-caption-l">')[1].split("</span>")[0]

    assert caption() == f"{apprentice.name}, gateway attempt {epa.gateway.number}"
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE psp_user SET first_name = 'Ottoline' WHERE id = %s", [apprentice.user_id]
        )
        cursor.execute("UPDATE epa_gatewayattempt SET number = 7 WHERE id = %s", [epa.gateway_id])
    assert caption() == f"Ottoline {apprentice.user.last_name}, gateway attempt 7"
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE epa_report SET status = 'failed', failure_reason = 'No fonts' WHERE id = %s",
            [report.pk],
        )
    assert "No fonts" in client.get(url).content.decode()
    elsewhere = make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE apprentices_apprentice SET training_provider_id = %s WHERE id = %s",
            [elsewhere.pk, apprentice.pk],
        )
    assert client.get(url).status_code == 404
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE apprentices_apprentice SET training_provider_id = %s WHERE id = %s",
            [provider_user.organisation_id, apprentice.pk],
        )
    assert client.get(url).status_code == 200
    colleague = make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE epa_report SET requested_by_id = %s WHERE id = %s", [colleague.pk, report.pk]
        )
    assert client.get(url).status_code == 404
    client.force_login(colleague)
    assert client.get(url).status_code == 200
