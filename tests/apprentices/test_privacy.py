"""Data protection: the personal data map, subject access, the retention schedule, erasure."""

import datetime
import io
import json
import tempfile
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import models
from django.urls import reverse
from django.utils import timezone

from apprentices import privacy
from apprentices.models import (
    Apprentice,
    BreakInLearning,
    Evidence,
    EvidenceFile,
    EvidenceKSB,
    KsbTally,
)
from apprentices.portfolio import create_evidence, set_mappings
from apprentices.uploads import check_upload
from epa import gateway, grading
from epa.models import Epa, EpaResult, MethodAssessment
from progress.models import OffTheJobEntry, ProgressReview, ReviewTarget
from psp import audit
from psp.models import AuditEntry, Notification, Organisation, User
from psp.roles import Role
from tests.apprentices import samples
from tests.factories import (
    make_apprentice,
    make_full_plan,
    make_organisation,
    make_staff,
    make_user,
    make_version,
)

# Distinctive personal data, searched for everywhere after erasure.
FIRST, LAST, EMAIL = "Zelda", "Quixotic", "zelda.quixotic@example.org"
TITLE = "Zelda's anonymised supervision notes"
REFLECTION = "What Zelda Quixotic learned"
NOTE = "Shows Zelda can fix widgets"
FILE_NAME = "zelda-quixotic-report.pdf"
ADJUSTMENT = "Zelda needs extra time (dyslexia)"
NEEDLES = [FIRST, LAST, EMAIL, "Quixotic", "dyslexia", "zelda-quixotic"]


def record_for(assessment, passes=True):
    decisions = [
        grading.Decision(
            c, pass_met=passes, distinction_met=False if c.distinction_descriptor else None
        )
        for c in assessment.method.grading_criteria.all()
    ]
    return grading.AssessmentRecord(
        assessed_on=datetime.date(2031, 4, 17),
        duration_minutes=60,
        questions=[(f"Question {n} for Zelda", "Zelda answered well") for n in range(3)],
        evidence_referred="Zelda's report",
        judgement="Zelda Quixotic was sound",
        decisions=decisions,
    )


def finished_apprentice(*, result: bool, final: bool = True) -> Apprentice:
    """An apprentice with a portfolio, reviews, gateway and (if result) a final EPA result;
    otherwise withdrawn before EPA."""
    version = make_version(ksbs={"K": ["Knows widgets"], "S": ["Fixes widgets"]})
    make_full_plan(version=version)
    epao = make_organisation(kind=Organisation.Kind.EPAO)
    user = make_user(role=Role.APPRENTICE, first_name=FIRST, last_name=LAST, email=EMAIL)
    apprentice = make_apprentice(version=version, epao=epao, user=user)
    provider = make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)
    employer = make_staff(role=Role.EMPLOYER, organisation=apprentice.employer)
    evidence = create_evidence(
        apprentice,
        by=user,
        files=[check_upload(SimpleUploadedFile(FILE_NAME, samples.PDF))],
        title=TITLE,
        activity_date=datetime.date(2030, 2, 14),
        evidence_type=Evidence.Type.WORK_PRODUCT,
        reflection=REFLECTION,
        personal_data_removed=True,
    )
    set_mappings(evidence, {ksb: NOTE for ksb in version.ksbs.all()}, by=user)
    evidence.submit(by=user)
    evidence.accept(by=provider, comment="Well done, Zelda")
    OffTheJobEntry.objects.create(
        apprentice=apprentice,
        date=datetime.date(2030, 3, 1),
        hours=Decimal("3.5"),
        activity=OffTheJobEntry.Activity.TEACHING,
        description="Zelda shadowed a colleague",
    )
    BreakInLearning.objects.create(
        apprentice=apprentice,
        starts_on=datetime.date(2030, 5, 1),
        ends_on=datetime.date(2030, 6, 1),
        reason="Zelda's operation",
        recorded_by=provider,
    )
    review = ProgressReview.objects.create(
        apprentice=apprentice,
        due_on=datetime.date(2030, 7, 1),
        scheduled_by=provider,
        summary="Zelda is doing well",
    )
    ReviewTarget.objects.create(review=review, text="Zelda to finish the report")
    Notification.objects.create(
        user=user, kind=Notification.Kind.EVIDENCE_REVIEWED, subject=f"{TITLE} was accepted"
    )
    TOTP.activate(user, generate_totp_secret())
    if not result:
        Apprentice.objects.filter(pk=apprentice.pk).update(status=Apprentice.Status.WITHDRAWN)
        apprentice.refresh_from_db()
        return apprentice
    epao_admin = make_staff(role=Role.EPAO_ADMIN, organisation=epao)
    assessor = make_staff(role=Role.ASSESSOR, organisation=epao)
    attempt = gateway.start_gateway(apprentice, by=provider)
    for item in attempt.items.all():
        fields = (
            {"english_maths": "level_2", "details": "Zelda's GCSEs, certificate 123"}
            if item.kind == "english_maths"
            else {}
        )
        gateway.confirm_item(item, by=employer if item.kind == "employer" else provider, **fields)
    gateway.submit_gateway(attempt, by=provider)
    decisions = {item.pk: ("accepted", "") for item in attempt.items.all()}
    epa = gateway.decide_gateway(
        attempt, decisions, by=epao_admin, gateway_date=datetime.date(2031, 3, 3)
    )
    grading.assign_assessor(epa, assessor, by=epao_admin)
    MethodAssessment.objects.filter(epa=epa).update(adjustments=ADJUSTMENT)
    for assessment in epa.assessments.all():
        grading.record_assessment(
            assessment, record_for(assessment), by=assessor, seen_version=assessment.version
        )
    if final:
        grading.submit_for_moderation(epa, by=assessor)
        epa.refresh_from_db()
        grading.moderate(epa, by=epao_admin, confirm=True)
    apprentice.refresh_from_db()
    return apprentice


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def personal_data_left(needles: list[str] = NEEDLES) -> list[str]:
    """Every row of every table, the audit trail included, that still holds a needle."""
    found = []
    for model in apps.get_models():
        if model._meta.app_label in ("sessions", "contenttypes"):
            continue
        for row in model._default_manager.all().values():
            text = json.dumps(row, default=str, ensure_ascii=False).lower()
            found += [
                f"{model.__name__}.{row['id']}: {needle}"
                for needle in needles
                if needle.lower() in text
            ]
    return found


# The personal data map


# Derived rows that hold nothing of their own: counts and dates the database recomputes
# from the evidence (which is in the map), so erasing the evidence's text leaves them as
# they are and they need no copy in a subject access export.
NO_PERSONAL_DATA: set[type[models.Model]] = {KsbTally}
OUR_APPS = ("psp", "apprentices", "progress", "epa", "reports", "standards")


def _reaches(model: type[models.Model], target: type[models.Model], depth: int = 4) -> bool:
    if model is target:
        return True
    if depth == 0:
        return False
    return any(
        f.many_to_one or f.one_to_one
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model is not None
        if _reaches(f.related_model, target, depth - 1)
    )


def test_every_table_that_refers_to_an_apprentice_is_in_the_personal_data_map():
    mapped = {holding.model for holding in privacy.HOLDINGS}
    missing = [
        model.__name__
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS
        and _reaches(model, Apprentice)
        and model not in mapped | NO_PERSONAL_DATA
    ]
    assert missing == [], "Add these to apprentices.privacy.HOLDINGS"


def test_every_table_a_user_owns_is_in_the_personal_data_map():
    # A row deleted with its user (CASCADE) belongs to that user.
    mapped = {holding.model for holding in privacy.HOLDINGS}
    owned = [
        model.__name__
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS
        for f in model._meta.concrete_fields
        if f.is_relation
        and f.related_model is User
        and f.remote_field.on_delete is models.CASCADE
        and model not in mapped
    ]
    assert owned == [], "Add these to apprentices.privacy.HOLDINGS"


def test_every_audited_table_of_the_personal_data_map_is_redacted_with_it():
    """Erasure and retention find the audit trail's entries through AUDIT_LINKS."""
    roots = {"apprentices_apprentice", "psp_user"}
    mapped = {holding.model._meta.db_table for holding in privacy.HOLDINGS} | {"psp_user_groups"}
    missing = [
        table
        for table in audit.AUDITED_TABLES
        if table in mapped - roots and table not in privacy.AUDIT_LINKS
    ]
    assert missing == [], "Add these to apprentices.privacy.AUDIT_LINKS"
    seen = set(roots)
    for table, (_, parent) in privacy.AUDIT_LINKS.items():
        assert parent in seen, f"{table}: its parent {parent} must come first"
        seen.add(table)


# Subject access


def read_zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_an_apprentice_downloads_everything_held_about_them_as_a_zip(client, db, monkeypatch):
    made = []
    original = tempfile.TemporaryFile

    def temporary_file():
        made.append(original())
        return made[-1]

    monkeypatch.setattr("apprentices.privacy.tempfile.TemporaryFile", temporary_file)
    apprentice = finished_apprentice(result=True)
    client.force_login(apprentice.user)
    page = client.get(reverse("apprentices:apprentice_data", args=[apprentice.pk]))
    assert page.status_code == 200
    response = client.get(reverse("apprentices:apprentice_data_download", args=[apprentice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    # Built in a temporary file on disk and streamed from it, not held in memory.
    assert response.streaming
    assert len(made) == 1
    archive = read_zip(response)
    data = json.loads(archive.read("data.json"))
    assert data["users"][0]["email"] == EMAIL
    assert "password" not in data["users"][0]
    assert data["evidence"][0]["title"] == TITLE
    assert data["evidence"][0]["reflection"] == REFLECTION
    assert {m["note"] for m in data["evidence KSB mappings"]} == {NOTE}
    assert [e["action"] for e in data["evidence events"]][:2] == ["created", "file_added"]
    assert data["off-the-job training entries"][0]["description"] == "Zelda shadowed a colleague"
    assert data["gateway attempts"][0]["pack"]
    assert data["epa results"][0]["overall_grade"] in ("pass", "merit", "distinction")
    assert data["method assessments"][0]["adjustments"] == ADJUSTMENT
    assert "data" not in data["authenticators"][0]  # the encrypted secret stays out
    [stored] = data["evidence files"]
    assert archive.read(stored["file_in_zip"]) == samples.PDF


def test_provisional_epa_records_are_withheld_until_the_result_is_final(client, db):
    apprentice = finished_apprentice(result=True, final=False)
    client.force_login(apprentice.user)
    response = client.get(reverse("apprentices:apprentice_data_download", args=[apprentice.pk]))
    data = json.loads(read_zip(response).read("data.json"))
    assert data["method assessments"] == (
        "Not included until your end-point assessment result is final."
    )
    assert data["epa results"] == []


def test_only_the_apprentice_and_administrators_get_the_copy(client, db):
    apprentice = make_apprentice()
    url = reverse("apprentices:apprentice_data_download", args=[apprentice.pk])
    assert client.get(url)["Location"].startswith(reverse("login"))
    client.force_login(make_apprentice().user)
    assert client.get(url).status_code == 404
    client.force_login(make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider))
    assert client.get(url).status_code == 403
    client.force_login(make_user(role=Role.ADMIN))
    assert client.get(url).status_code == 200


def test_subject_access_downloads_are_logged_in_the_audit_trail(client, db):
    apprentice = make_apprentice()
    url = reverse("apprentices:apprentice_data_download", args=[apprentice.pk])

    def downloads():
        return list(
            AuditEntry.objects.filter(
                action="download", object_type="apprentices_apprentice", object_id=apprentice.pk
            ).values_list("actor_id", "ip", "source", "summary")
        )

    client.force_login(make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider))
    assert client.get(url).status_code == 403
    assert downloads() == []
    client.force_login(apprentice.user)
    assert client.get(url, REMOTE_ADDR="198.51.100.7").status_code == 200
    admin = make_user(role=Role.ADMIN)
    client.force_login(admin)
    assert client.get(url, REMOTE_ADDR="203.0.113.9").status_code == 200
    summary = privacy.SUBJECT_ACCESS_SUMMARY
    assert downloads() == [
        (apprentice.user_id, "198.51.100.7", "app", summary),
        (admin.pk, "203.0.113.9", "app", summary),
    ]


# The retention schedule


def test_the_schedule_counts_from_the_end_of_the_apprenticeship(db, settings):
    settings.RETENTION_EVIDENCE_YEARS, settings.RETENTION_EPA_RESULTS_YEARS = 6, 10
    apprentice = finished_apprentice(result=True)
    plan = privacy.schedule_for(apprentice)
    assert plan.ended is not None
    assert plan.portfolio_due.year == plan.ended.year + 6
    assert plan.identity_due.year == plan.ended.year + 10
    assert privacy.schedule_for(make_apprentice()).ended is None  # still on programme


def test_dry_run_lists_what_would_go_and_changes_nothing(db, settings):
    settings.RETENTION_EVIDENCE_YEARS = 0
    settings.RETENTION_EPA_RESULTS_YEARS = 10
    apprentice = finished_apprentice(result=True)
    out = io.StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    text = out.getvalue()
    assert f"Apprentice {apprentice.pk} (portfolio): would remove" in text
    assert "1 evidence files" in text
    assert "1 stored files" in text
    assert "Dry run: nothing was changed" in text
    assert Evidence.objects.get().title == TITLE
    assert len(stored_files(settings)) == 1


def test_retention_removes_files_and_portfolio_text_first_and_keeps_the_epa_record(
    db, settings, django_capture_on_commit_callbacks
):
    settings.RETENTION_EVIDENCE_YEARS = 0
    settings.RETENTION_EPA_RESULTS_YEARS = 10
    apprentice = finished_apprentice(result=True)
    sha256 = EvidenceFile.objects.get().sha256
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("apply_retention", stdout=out)
    assert "Removed personal data of 1 apprentices" in out.getvalue()
    assert stored_files(settings) == []
    evidence = Evidence.objects.get()
    assert (evidence.title, evidence.reflection) == ("[removed]", "[removed]")
    stored = EvidenceFile.objects.get()
    assert (stored.file.name, stored.original_name, stored.sha256) == ("", "[removed]", sha256)
    assert set(evidence.mappings.values_list("note", flat=True)) == {"[removed]"}
    assert OffTheJobEntry.objects.get().description == "[removed]"
    # Identity and the EPA record stay until RETENTION_EPA_RESULTS_YEARS.
    apprentice.refresh_from_db()
    assert apprentice.user.email == EMAIL
    assert MethodAssessment.objects.filter(adjustments=ADJUSTMENT).exists()
    entry = AuditEntry.objects.get(action="retention")
    assert sha256 in entry.summary
    assert entry.object_id == str(apprentice.pk)
    assert "audit entries" in entry.summary
    # The audit trail's copies of the portfolio went too; those of the identity stay.
    portfolio = [TITLE, REFLECTION, NOTE, FILE_NAME, "Zelda's GCSEs"]
    assert [f for f in personal_data_left(portfolio) if f.startswith("AuditEntry")] == []
    assert any(found.startswith("AuditEntry") for found in personal_data_left([EMAIL]))
    call_command("verify_audit", stdout=io.StringIO())
    # Nothing more to do until the next stage is due.
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "Nothing is due for removal" in out.getvalue()


def test_after_the_result_period_only_anonymous_statistics_remain(
    db, settings, django_capture_on_commit_callbacks
):
    settings.RETENTION_EVIDENCE_YEARS = 0
    settings.RETENTION_EPA_RESULTS_YEARS = 0
    apprentice = finished_apprentice(result=True)
    result = EpaResult.objects.get()
    assert any("MethodAssessment" in found for found in personal_data_left())
    with django_capture_on_commit_callbacks(execute=True):
        removals = list(privacy.apply_retention())
    assert [r.stages for r in removals] == [["portfolio", "identity"]]
    assert personal_data_left() == []
    call_command("verify_audit", stdout=io.StringIO())
    assert stored_files(settings) == []
    kept = EpaResult.objects.get()
    assert (kept.overall_grade, kept.method_grades, kept.sitting) == (
        result.overall_grade,
        result.method_grades,
        result.sitting,
    )
    assert kept.confirmed_at.day == 1
    apprentice.refresh_from_db()
    assert apprentice.standard_version_id == result.epa.apprentice.standard_version_id
    assert apprentice.start_date.day == 1


def test_retention_leaves_apprentices_still_on_programme_alone(db, settings):
    settings.RETENTION_EVIDENCE_YEARS = 0
    settings.RETENTION_EPA_RESULTS_YEARS = 0
    make_apprentice()
    far_future = timezone.now() + datetime.timedelta(days=365 * 50)
    assert list(privacy.apply_retention(now=far_future)) == []


# Erasure


def test_erasure_is_refused_while_the_epa_result_must_be_kept(client, db, settings):
    settings.RETENTION_EPA_RESULTS_YEARS = 10
    apprentice = finished_apprentice(result=True)
    with pytest.raises(
        privacy.ErasureRefused,
        match="must be kept for 10 years after the apprenticeship ended, until ",
    ):
        privacy.erase(apprentice, by=make_user(role=Role.ADMIN))
    client.force_login(make_user(role=Role.ADMIN))
    page = client.get(reverse("apprentices:apprentice_erase", args=[apprentice.pk]))
    assert b"The end-point assessment result must be kept for 10 years" in page.content
    assert b"RETENTION_" not in page.content  # no setting names in what people read
    client.post(reverse("apprentices:apprentice_erase", args=[apprentice.pk]), {"confirm": "on"})
    assert User.objects.filter(email=EMAIL).exists()


def test_erasure_is_refused_while_the_apprentice_is_on_programme(db):
    apprentice = make_apprentice()
    with pytest.raises(privacy.ErasureRefused, match="on programme: the record is in use"):
        privacy.erase(apprentice, by=make_user(role=Role.ADMIN))


def test_an_administrator_erases_a_withdrawn_apprentice(
    client, db, settings, django_capture_on_commit_callbacks
):
    apprentice = finished_apprentice(result=False)
    file_url = EvidenceFile.objects.get().get_absolute_url()
    # Downloads by the apprentice: entries with their name (as who acted) and the file's.
    client.force_login(apprentice.user)
    client.get(file_url)
    client.get(reverse("apprentices:apprentice_data_download", args=[apprentice.pk]))
    assert len(personal_data_left()) > 10  # the search finds the data while it is there
    in_trail = [found for found in personal_data_left() if found.startswith("AuditEntry")]
    for needle in (FIRST, LAST, EMAIL, "zelda-quixotic"):  # no EPA, so no adjustments
        assert any(needle in found for found in in_trail), needle
    entries = AuditEntry.objects.count()
    admin = make_user(role=Role.ADMIN)
    client.force_login(admin)
    url = reverse("apprentices:apprentice_erase", args=[apprentice.pk])
    page = client.get(url)
    assert b"What will be removed" in page.content
    assert b"1 evidence files" in page.content
    response = client.post(url, {})
    assert b"Confirm you have checked" in response.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"confirm": "on"})
    assert response["Location"] == apprentice.get_absolute_url()
    assert personal_data_left() == []
    assert stored_files(settings) == []
    user = User.objects.get(pk=apprentice.user_id)
    assert not user.is_active
    assert not user.has_usable_password()
    assert not Authenticator.objects.filter(user=user).exists()
    assert not Notification.objects.filter(user=user).exists()
    assert AuditEntry.objects.filter(action="erasure", object_id=str(apprentice.pk)).exists()
    # The audit trail keeps every entry, without the personal data, and still verifies.
    assert AuditEntry.objects.count() > entries
    redaction = AuditEntry.objects.get(action="redact")
    assert (redaction.actor_id, redaction.object_id) == (admin.pk, str(apprentice.pk))
    assert redaction.redacted_entries.filter(object_type="apprentices_evidence").exists()
    assert redaction.redacted_entries.filter(action="download", actor=user).count() == 2
    call_command("verify_audit", stdout=io.StringIO())
    page = client.get(Evidence.objects.get().get_absolute_url()).content.decode()
    assert "Personal data removed" in page
    assert [needle for needle in NEEDLES if needle.lower() in page.lower()] == []
    # The erased file is gone for everyone, admins included.
    assert client.get(file_url).status_code == 404


def test_erasure_finds_the_trail_of_rows_deleted_before_it(db, django_capture_on_commit_callbacks):
    apprentice = finished_apprentice(result=False)
    EvidenceKSB.objects.all().delete()  # the mappings' notes are left only in the trail
    assert any(f.startswith("AuditEntry") for f in personal_data_left([NOTE]))
    with django_capture_on_commit_callbacks(execute=True):
        privacy.erase(apprentice, by=make_user(role=Role.ADMIN))
    assert personal_data_left() == []
    call_command("verify_audit", stdout=io.StringIO())


def test_an_erased_apprentice_cannot_sign_in(
    client, db, settings, django_capture_on_commit_callbacks
):
    settings.AXES_ENABLED = False
    apprentice = finished_apprentice(result=False)
    username = apprentice.user.username
    with django_capture_on_commit_callbacks(execute=True):
        privacy.erase(apprentice, by=make_user(role=Role.ADMIN))
    assert not client.login(username=username, password="correct-horse-battery")


def test_only_administrators_can_erase(client, db):
    apprentice = finished_apprentice(result=False)
    url = reverse("apprentices:apprentice_erase", args=[apprentice.pk])
    client.force_login(make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider))
    assert client.get(url).status_code == 403
    client.force_login(apprentice.user)
    assert client.post(url, {"confirm": "on"}).status_code == 403
    assert Evidence.objects.get().title == TITLE


def test_erasure_keeps_anonymous_epa_statistics(db, settings, django_capture_on_commit_callbacks):
    settings.RETENTION_EPA_RESULTS_YEARS = 0
    apprentice = finished_apprentice(result=True)
    grades = list(EpaResult.objects.values_list("overall_grade", "method_grades"))
    with django_capture_on_commit_callbacks(execute=True):
        privacy.erase(apprentice, by=make_user(role=Role.ADMIN))
    assert list(EpaResult.objects.values_list("overall_grade", "method_grades")) == grades
    epa = Epa.objects.get()
    assert (epa.period_start.day, epa.period_end.day) == (1, 1)
    assert epa.period_end > epa.period_start
    assert personal_data_left() == []


def test_erasure_cuts_evidence_and_off_the_job_dates_to_the_first_of_their_month(
    db, django_capture_on_commit_callbacks
):
    # Issue 15, finding 8: erasure promised "first of their month" and left these exact.
    apprentice = finished_apprentice(result=False)
    entry = OffTheJobEntry.objects.get()
    OffTheJobEntry.objects.filter(pk=entry.pk).update(date=datetime.date(2030, 3, 17))
    with django_capture_on_commit_callbacks(execute=True):
        privacy.erase(apprentice, by=make_user(role=Role.ADMIN))
    evidence = Evidence.objects.get()
    assert evidence.activity_date == datetime.date(2030, 2, 1)
    moments = [evidence.submitted_at, evidence.reviewed_at, evidence.created_at]
    moments += list(EvidenceFile.objects.values_list("uploaded_at", flat=True))
    moments += list(evidence.events.values_list("at", flat=True))
    moments += [OffTheJobEntry.objects.get().created_at]
    assert {(timezone.localtime(m).day, timezone.localtime(m).hour) for m in moments} == {(1, 0)}
    assert OffTheJobEntry.objects.get().date == datetime.date(2030, 3, 1)
    call_command("verify_audit", stdout=io.StringIO())


def test_the_copy_holds_only_reports_the_apprentice_asked_for_and_no_provisional_result(client, db):
    # Issue 15, finding 4: the assessor's provisional result PDF and a provider's report
    # were in the apprentice's copy.
    from django.core.files.base import ContentFile

    from reports.models import Report

    apprentice = finished_apprentice(result=True, final=False)
    epa = Epa.objects.get(apprentice=apprentice)
    assessor = epa.assessor
    provider = make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)

    def ready(report, text):
        report.file.save("r.pdf", ContentFile(text.encode()), save=False)
        report.status, report.sha256 = Report.Status.READY, "0" * 64
        report.save()
        return report

    provisional = ready(
        Report.objects.create(
            kind="epa_result", requested_by=assessor, apprentice=apprentice, epa=epa
        ),
        "Pass - provisional",
    )
    theirs = ready(
        Report.objects.create(kind="portfolio", requested_by=provider, apprentice=apprentice),
        "the provider's",
    )
    own = ready(
        Report.objects.create(
            kind="portfolio", requested_by=apprentice.user, apprentice=apprentice
        ),
        "my own",
    )
    client.force_login(apprentice.user)
    response = client.get(reverse("apprentices:apprentice_data_download", args=[apprentice.pk]))
    archive = read_zip(response)
    data = json.loads(archive.read("data.json"))
    assert [r["id"] for r in data["reports"]] == [own.pk]
    contents = [archive.read(name) for name in archive.namelist() if name.startswith("report/")]
    assert contents == [b"my own"]
    assert Report.objects.filter(pk__in=[provisional.pk, theirs.pk]).count() == 2
