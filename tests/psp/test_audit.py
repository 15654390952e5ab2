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
