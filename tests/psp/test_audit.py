import importlib
import io
import json
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from apprentices.models import Evidence
from psp import audit
from psp.models import AuditEntry, Organisation
from psp.roles import Role
from tests.factories import make_apprentice, make_evidence, make_staff, make_user


def entries(table, object_id=None):
    found = AuditEntry.objects.filter(object_type=table)
    if object_id is not None:
        found = found.filter(object_id=str(object_id))
    return list(found.order_by("id"))


def test_a_review_decision_is_recorded_with_who_when_before_after_and_from_where(client, db):
    apprentice = make_apprentice()
    evidence = make_evidence(apprentice=apprentice, status="submitted")
    reviewer = make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)
    client.force_login(reviewer)
    client.post(
        reverse("apprentices:evidence_review", args=[evidence.pk]),
        {"decision": "accept"},
        REMOTE_ADDR="203.0.113.9",
    )
    update = [e for e in entries("apprentices_evidence", evidence.pk) if e.action == "update"][-1]
    assert (update.actor_id, update.ip, update.source) == (reviewer.pk, "203.0.113.9", "db")
    assert json.loads(update.before)["status"] == "submitted"
    assert json.loads(update.after)["status"] == "accepted"
    assert update.hash
    assert update.prev_hash


def test_bulk_updates_and_raw_sql_are_not_blind_spots(db):
    organisation = Organisation.objects.create(name="Imaginary Ltd", kind="employer")
    Organisation.objects.filter(pk=organisation.pk).update(name="Renamed Ltd")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE psp_organisation SET name = %s WHERE id = %s", ["Raw Ltd", organisation.pk]
        )
    names = [json.loads(e.after)["name"] for e in entries("psp_organisation", organisation.pk)]
    assert names == ["Imaginary Ltd", "Renamed Ltd", "Raw Ltd"]


def test_passwords_never_enter_the_trail(db):
    user = make_user(password="a-secret-passphrase")
    [entry] = entries("psp_user", user.pk)
    assert "password" not in json.loads(entry.after)


def test_role_grants_are_recorded(db):
    user = make_user(role=Role.ASSESSOR)
    assert entries("psp_user_groups")[-1].action == "insert"
    assert json.loads(entries("psp_user_groups")[-1].after)["user_id"] == user.pk


def test_entries_cannot_be_changed_or_deleted(db):
    Organisation.objects.create(name="Imaginary Ltd", kind="employer")
    entry = AuditEntry.objects.latest("id")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(summary="edited")
    audit.ALLOW_PURGE = False
    try:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk).delete()
    finally:
        audit.ALLOW_PURGE = True


def test_verify_audit_passes_on_an_intact_trail(db):
    for n in range(5):
        Organisation.objects.create(name=f"Imaginary {n}", kind="employer")
    call_command("verify_audit", stdout=(out := io.StringIO()))
    assert "Audit trail intact" in out.getvalue()


def _without_guards(sql, params=(), *, many=False):
    """Tamper as someone with direct database access would: drop the guards first."""
    with connection.cursor() as cursor:
        run = cursor.executemany if many else cursor.execute
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE psp_auditentry DISABLE TRIGGER USER")
            run(sql, params)
            cursor.execute("ALTER TABLE psp_auditentry ENABLE TRIGGER USER")
        else:
            for name in ("psp_audit_refuse_update", "psp_audit_refuse_delete", "psp_audit_chain"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            run(sql, params)
    audit.install_triggers()


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "UPDATE psp_auditentry SET after = replace(after, 'Imaginary 2', 'Forged') "
            "WHERE id = %s",
            "its content does not match its digest",
        ),
        (
            "UPDATE psp_auditentry SET content_hash = replace(content_hash, "
            "substr(content_hash, 1, 1), 'x') WHERE id = %s",
            "its columns differ from its payload",
        ),
        (
            "UPDATE psp_auditentry SET payload = replace(payload, 'psp_organisation', 'psp_user') "
            "WHERE id = %s",
            "its content does not match its hash",
        ),
        (
            "UPDATE psp_auditentry SET action = 'delete' WHERE id = %s",
            "its columns differ from its payload",
        ),
        (
            "UPDATE psp_auditentry SET at = '2001-01-01 00:00:00+00:00' WHERE id = %s",
            "its columns differ from its payload",
        ),
        (
            "UPDATE psp_auditentry SET before = '', after = '', summary = '', actor_label = '', "
            "ip = '' WHERE id = %s",
            "its content was removed outside a redaction",
        ),
        (
            "DELETE FROM psp_auditentry WHERE id = %s",
            "the entry before it is missing or was altered",
        ),
    ],
    ids=[
        "altered-content",
        "altered-digest",
        "altered-payload",
        "altered-column",
        "altered-time",
        "blanked-content",
        "removed",
    ],
)
def test_verify_audit_detects_a_removed_or_altered_entry(db, sql, message):
    for n in range(5):
        Organisation.objects.create(name=f"Imaginary {n}", kind="employer")
    target = AuditEntry.objects.filter(after__contains="Imaginary 2").get()
    _without_guards(sql, [target.pk])
    with pytest.raises(CommandError, match="problem"):
        call_command("verify_audit", stderr=(err := io.StringIO()))
    assert f"Entry {target.pk if 'DELETE' not in sql else target.pk + 1}: {message}" in (
        err.getvalue()
    )


def test_the_chain_covers_a_digest_of_the_content_not_the_content(db):
    organisation = Organisation.objects.create(name="Imaginary Ltd", kind="employer")
    [entry] = entries("psp_organisation", organisation.pk)
    assert "Imaginary" not in entry.payload
    assert json.loads(entry.payload)["content_hash"] == entry.content_hash
    assert entry.content_hash == audit.content_digest(
        [getattr(entry, name) for name in audit.CONTENT_FIELDS]
    )
    assert entry.hash == audit.entry_hash(entry.prev_hash, entry.payload)


# Redaction: erasure and retention remove personal data from the trail too.


def _three_organisations():
    made = [Organisation.objects.create(name=f"Imaginary {n}", kind="employer") for n in range(3)]
    return [entries("psp_organisation", o.pk)[0] for o in made]


def test_a_redaction_blanks_the_content_keeps_the_digest_and_the_chain_still_verifies(db):
    _, second, third = _three_organisations()
    admin = make_user(role=Role.ADMIN, first_name="Ada", last_name="Admin")
    count = audit.redact(
        AuditEntry.objects.filter(pk=second.pk), second, by=admin, reason="erasure of someone"
    )
    assert count == 1
    redacted = AuditEntry.objects.get(pk=second.pk)
    assert [getattr(redacted, name) for name in audit.CONTENT_FIELDS] == [""] * 5
    assert (redacted.content_hash, redacted.hash, redacted.payload) == (
        second.content_hash,
        second.hash,
        second.payload,
    )
    assert redacted.is_redacted
    # Who redacted it, when and why, recorded as an entry of its own.
    record = redacted.redaction
    assert (record.action, record.actor_id, record.actor_label) == ("redact", admin.pk, "Ada Admin")
    assert "erasure of someone" in record.summary
    assert json.loads(record.after) == {"entries": [second.pk]}
    assert AuditEntry.objects.get(pk=third.pk).after == third.after
    call_command("verify_audit", stdout=(out := io.StringIO()))
    assert "Audit trail intact" in out.getvalue()
    # Redacting again changes nothing; redaction entries are never redacted.
    again = AuditEntry.objects.filter(pk__in=[second.pk, record.pk])
    assert audit.redact(again, second, by=admin, reason="again") == 0
    assert AuditEntry.objects.get(pk=record.pk).after == record.after


def test_the_database_refuses_a_redaction_made_any_other_way(db):
    first, second, _ = _three_organisations()
    blank = dict.fromkeys(audit.CONTENT_FIELDS, "")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=second.pk).update(redaction_id=second.pk + 10, **blank)
    audit.redact(AuditEntry.objects.filter(pk=first.pk), first, by=None, reason="test")
    record = AuditEntry.objects.get(action="redact")
    # Even while a redaction runs, nothing but the content may change, and only to blank.
    for changes in (
        {"redaction_id": record.pk, **blank, "object_id": "999"},
        {"redaction_id": record.pk, **blank, "content_hash": "0" * 64},
        {"redaction_id": record.pk, **blank, "before": "something else"},
        {"redaction_id": record.pk + 1, **blank},
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            audit._redacting(record.pk),
        ):
            AuditEntry.objects.filter(pk=second.pk).update(**changes)
    assert AuditEntry.objects.get(pk=second.pk).after == second.after


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "UPDATE psp_auditentry SET content_hash = %s WHERE id = %s",
            "its columns differ from its payload",
        ),
        (
            "UPDATE psp_auditentry SET object_id = '999' WHERE id = %s",
            "its columns differ from its payload",
        ),
        (
            "UPDATE psp_auditentry SET after = '{\"entries\": [1, 2, 3]}' WHERE id = %s",
            "its content does not match its digest",
        ),
    ],
    ids=["redacted-digest", "redacted-object", "redaction-list"],
)
def test_verify_audit_still_detects_tampering_around_a_redaction(db, sql, message):
    _, second, _ = _three_organisations()
    audit.redact(AuditEntry.objects.filter(pk=second.pk), second, by=None, reason="test")
    record = AuditEntry.objects.get(action="redact")
    target = record.pk if "entries" in sql else second.pk
    _without_guards(sql, ["0" * 64, target] if "%s WHERE" in sql else [target])
    with pytest.raises(CommandError, match="problem"):
        call_command("verify_audit", stderr=(err := io.StringIO()))
    assert f"Entry {target}: {message}" in err.getvalue()


def test_a_blanked_entry_pointing_at_a_redaction_that_does_not_list_it_is_reported(db):
    first, second, _ = _three_organisations()
    audit.redact(AuditEntry.objects.filter(pk=first.pk), first, by=None, reason="test")
    record = AuditEntry.objects.get(action="redact")
    _without_guards(
        "UPDATE psp_auditentry SET before = '', after = '', redaction_id = %s WHERE id = %s",
        [record.pk, second.pk],
    )
    with pytest.raises(CommandError, match="problem"):
        call_command("verify_audit", stderr=(err := io.StringIO()))
    assert f"Entry {second.pk}: its content was removed outside a redaction" in err.getvalue()


def test_the_migration_reseals_an_old_trail_and_still_reports_earlier_tampering(db):
    from django.apps import apps

    migration = importlib.import_module("psp.migrations.0007_audit_content_digest")
    for n in range(4):
        Organisation.objects.create(name=f"Imaginary {n}", kind="employer")
    # The trail as it was before: each hash over the whole content, no digest.
    previous, rows = "", []
    for entry in AuditEntry.objects.order_by("id"):
        names = ("id", "actor_id", "source", "action", "object_type", "object_id")
        old = {name: getattr(entry, name) for name in (*names, *audit.CONTENT_FIELDS)}
        payload = json.dumps({**old, "at": entry.at.isoformat()})
        rows.append((payload, previous, audit.entry_hash(previous, payload), entry.pk))
        previous = rows[-1][2]
    _without_guards(
        "UPDATE psp_auditentry SET payload = %s, prev_hash = %s, hash = %s, content_hash = '' "
        "WHERE id = %s",
        rows,
        many=True,
    )
    # A change the old check could not see: the columns, not the payload.
    target = AuditEntry.objects.filter(after__contains="Imaginary 2").get()
    _without_guards(
        "UPDATE psp_auditentry SET after = replace(after, 'Imaginary 2', 'Forged') WHERE id = %s",
        [target.pk],
    )
    migration.reseal(apps, SimpleNamespace(connection=connection))
    Organisation.objects.create(name="After the migration", kind="employer")
    count, problems = audit.verify_chain()
    assert count == len(rows) + 1
    assert problems == [
        audit.ChainProblem(
            target.pk, "before the chain was resealed, its columns differed from its payload"
        )
    ]
    assert all("Imaginary" not in e.payload and e.content_hash for e in AuditEntry.objects.all())


def test_file_downloads_are_logged(client, db):
    from django.core.files.base import ContentFile

    apprentice = make_apprentice()
    evidence = make_evidence(apprentice=apprentice)
    record = evidence.files.model(
        evidence=evidence,
        original_name="a.txt",
        content_type="text/plain",
        size=5,
        sha256="a" * 64,
        uploaded_by=apprentice.user,
    )
    record.file.save("a" * 64, ContentFile(b"hello"), save=False)
    record.save()
    client.force_login(apprentice.user)
    client.get(record.get_absolute_url(), REMOTE_ADDR="198.51.100.7")
    [entry] = [e for e in entries("apprentices_evidencefile", record.pk) if e.action == "download"]
    assert (entry.actor_id, entry.ip, entry.source) == (apprentice.user.pk, "198.51.100.7", "app")


def test_staff_see_the_audit_history_on_the_evidence_page(client, db):
    apprentice = make_apprentice()
    evidence = make_evidence(apprentice=apprentice, status="submitted")
    reviewer = make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)
    evidence.accept(by=reviewer)
    Evidence.objects.filter(pk=evidence.pk).update(title="Changed by a bulk update")
    client.force_login(reviewer)
    page = client.get(evidence.get_absolute_url()).content.decode()
    assert "Audit trail" in page
    assert "Changed by a bulk update" in page
    client.force_login(apprentice.user)
    assert "Audit trail" not in client.get(evidence.get_absolute_url()).content.decode()


# Finding 1 of issue 15: the trail cannot be emptied, cut short or recomputed unnoticed.


def _checkpointed_trail():
    for n in range(5):
        Organisation.objects.create(name=f"Imaginary {n}", kind="employer")
    call_command("verify_audit", stdout=(out := io.StringIO()))
    assert "Checkpoint written" in out.getvalue()
    return AuditEntry.objects.count()


def _verify_fails():
    with pytest.raises(CommandError, match="problem"):
        call_command("verify_audit", stdout=io.StringIO(), stderr=(err := io.StringIO()))
    return err.getvalue()


def test_verify_audit_fails_on_an_emptied_trail(db):
    _checkpointed_trail()
    _without_guards("DELETE FROM psp_auditentry")
    assert AuditEntry.objects.count() == 0
    assert "the trail was emptied or its last entries removed" in _verify_fails()


def test_verify_audit_fails_when_the_last_entries_are_removed(db):
    count = _checkpointed_trail()
    last = AuditEntry.objects.latest("id")
    _without_guards("DELETE FROM psp_auditentry WHERE id >= %s", [last.pk - 1])
    assert AuditEntry.objects.count() == count - 2
    assert f"Entry {last.pk}, the last one at the checkpoint of" in _verify_fails()


def test_verify_audit_fails_on_an_altered_entry_with_the_chain_recomputed(db):
    _checkpointed_trail()
    target = AuditEntry.objects.filter(after__contains="Imaginary 2").get()
    forged = target.after.replace("Imaginary 2", "Forged")
    # The forger recomputes the digest, the payload and every hash from the entry on, as
    # the database's own trigger would.
    _without_guards("UPDATE psp_auditentry SET after = %s WHERE id = %s", [forged, target.pk])
    previous = AuditEntry.objects.filter(id__lt=target.pk).latest("id").hash
    for entry in AuditEntry.objects.filter(id__gte=target.pk).order_by("id"):
        digest = audit.content_digest([getattr(entry, f) for f in audit.CONTENT_FIELDS])
        payload = json.dumps({**json.loads(entry.payload), "content_hash": digest})
        new_hash = audit.entry_hash(previous, payload)
        _without_guards(
            "UPDATE psp_auditentry SET content_hash = %s, payload = %s, prev_hash = %s, "
            "hash = %s WHERE id = %s",
            [digest, payload, previous, new_hash, entry.pk],
        )
        previous = new_hash
    assert audit.verify_chain()[1] == []  # the chain alone is fooled
    assert "the trail was altered and its chain computed again" in _verify_fails()


def test_a_checkpoint_not_signed_with_the_key_is_reported(db, settings):
    _checkpointed_trail()
    settings.PSP_AUDIT_KEY = "another key"
    assert "Checkpoint line 1 is not signed with the audit key" in _verify_fails()


def test_the_worker_refuses_to_checkpoint_a_forged_trail(db):
    from psp import checkpoints

    _checkpointed_trail()
    _without_guards("DELETE FROM psp_auditentry")
    Organisation.objects.create(name="After the wipe", kind="employer")
    with pytest.raises(checkpoints.CheckpointRefused, match="emptied"):
        checkpoints.write()
    assert len(checkpoints.read_all()[0]) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's guards")
def test_postgres_refuses_truncate_and_ddl_on_the_trail(db):
    Organisation.objects.create(name="Imaginary Ltd", kind="employer")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('psp.test_purge', 'off', false)")
    try:
        for sql, message in [
            ("TRUNCATE psp_auditentry", "cannot be truncated"),
            ("TRUNCATE apprentices_evidence CASCADE", "cannot be truncated"),
            ("ALTER TABLE psp_auditentry DISABLE TRIGGER USER", "cannot be altered"),
            ("ALTER TABLE psp_organisation DISABLE TRIGGER psp_audit_capture", "altered"),
            ("DROP TRIGGER psp_audit_refuse ON psp_auditentry", "cannot be altered"),
            ("DROP TRIGGER psp_audit_capture ON psp_organisation", "cannot be altered"),
            (
                "CREATE OR REPLACE FUNCTION psp_audit_refuse() RETURNS trigger AS $$ "
                "BEGIN RETURN NEW; END $$ LANGUAGE plpgsql",
                "cannot be altered",
            ),
            ("DROP TABLE psp_auditentry", "cannot be altered"),
        ]:
            with (
                pytest.raises(DatabaseError, match=message),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('psp.test_purge', 'on', false)")
    assert AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("make", "table", "sql"),
    [
        (
            "signature",
            "apprentices_reviewsignature",
            "UPDATE {t} SET name = 'Forged' WHERE id = %s",
        ),
        ("review", "apprentices_progressreview", "UPDATE {t} SET summary = 'Forged' WHERE id = %s"),
        (
            "otj",
            "apprentices_offthejobentry",
            "UPDATE {t} SET description = 'Forged' WHERE id = %s",
        ),
        (
            "link",
            "apprentices_reviewsigninglink",
            "UPDATE {t} SET email = 'x@x.test' WHERE id = %s",
        ),
        ("epa_event", "epa_epaevent", "UPDATE {t} SET title = 'Forged' WHERE id = %s"),
        (
            "evidence_event",
            "apprentices_evidenceevent",
            "UPDATE {t} SET comment = 'Forged' WHERE id = %s",
        ),
        (
            "report",
            "epa_report",
            "UPDATE {t} SET requested_by_id = requested_by_id, "
            "failure_reason = 'Forged', status = 'failed' WHERE id = %s",
        ),
    ],
)
def test_raw_updates_of_what_people_did_leave_an_entry(db, make, table, sql):
    row = _make_row(make)
    with connection.cursor() as cursor:
        cursor.execute(sql.format(t=table), [row.pk])
    [*_, last] = entries(table, row.pk)
    assert last.action == "update"
    assert "Forged" in last.after or "x@x.test" in last.after


def _make_row(kind):
    import datetime

    from django.utils import timezone

    from apprentices.models import EvidenceEvent
    from epa.models import EpaEvent
    from progress.models import OffTheJobEntry, ProgressReview, ReviewSignature, ReviewSigningLink
    from reports.models import Report

    apprentice = make_apprentice()
    staff = make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)
    review = ProgressReview.objects.create(
        apprentice=apprentice,
        due_on=datetime.date(2026, 1, 1),
        scheduled_by=staff,
        status="awaiting_signatures",
        held_on=datetime.date(2026, 1, 1),
        recorded_by=staff,
        summary="Fine",
    )
    if kind == "review":
        return review
    if kind == "signature":
        return ReviewSignature.objects.create(
            review=review, party="provider", user=staff, name="Pat", content_hash="0" * 64
        )
    if kind == "link":
        return ReviewSigningLink.objects.create(
            review=review,
            name="Emma",
            email="emma@example.test",
            created_by=staff,
            expires_at=timezone.now(),
        )
    if kind == "otj":
        return OffTheJobEntry.objects.create(
            apprentice=apprentice, date=datetime.date(2026, 1, 1), hours=2, description="Course"
        )
    if kind == "evidence_event":
        evidence = make_evidence(apprentice=apprentice)
        return EvidenceEvent.objects.create(evidence=evidence, action="submitted", actor=staff)
    if kind == "epa_event":
        return EpaEvent.objects.create(apprentice=apprentice, actor=staff, title="Booked")
    if kind == "report":
        return Report.objects.create(kind="portfolio", requested_by=staff, apprentice=apprentice)
    raise AssertionError(kind)


def test_every_worker_checkpoints_the_trail_each_minute(db, caplog):
    from psp import checkpoints
    from psp.celery import app
    from psp.tasks import AuditCheckpointSweep, checkpoint_audit

    assert AuditCheckpointSweep in app.steps["worker"]
    assert AuditCheckpointSweep.seconds == 60
    Organisation.objects.create(name="Imaginary Ltd", kind="employer")
    checkpoint_audit.apply()
    [written] = checkpoints.read_all()[0]
    assert written.last_id == AuditEntry.objects.latest("id").pk
    checkpoint_audit.apply()  # nothing new: no new line
    assert len(checkpoints.read_all()[0]) == 1
    _without_guards("DELETE FROM psp_auditentry")
    Organisation.objects.create(name="After the wipe", kind="employer")
    checkpoint_audit.apply()  # refused and logged as an error, never raised
    assert "does not match its last checkpoint" in caplog.text
    assert len(checkpoints.read_all()[0]) == 1


def test_the_evidence_audit_trail_pages_beyond_50_entries(client, db):
    apprentice = make_apprentice()
    evidence = make_evidence(apprentice=apprentice, status="draft", title="Version 0")
    for n in range(1, 56):
        Evidence.objects.filter(pk=evidence.pk).update(title=f"Version {n}")
    reviewer = make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)
    client.force_login(reviewer)
    first = client.get(evidence.get_absolute_url()).content.decode()
    total = len(entries("apprentices_evidence", evidence.pk))
    assert total > 50
    assert f"newest first: {total} entries, 1 to 50 shown" in first
    assert "Changed evidence" in first
    assert "?audit_page=2#audit" in first
    second = client.get(evidence.get_absolute_url(), {"audit_page": 2}).content.decode()
    assert 'id="audit" open' in second
    assert "Version 0" in second  # the oldest change, on the second page


def test_an_audit_entry_says_what_changed_in_words():
    entry = AuditEntry(
        action="update",
        object_type="apprentices_evidence",
        object_id="3",
        before='{"id": 3, "title": "Old", "status": "draft"}',
        after='{"id": 3, "title": "New", "status": "draft"}',
    )
    assert entry.in_words() == "Changed evidence 3"
    assert entry.changed_fields() == [("title", "Old", "New")]
