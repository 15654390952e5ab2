import json

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
    call_command("verify_audit", stdout=(out := __import__("io").StringIO()))
    assert "Audit trail intact" in out.getvalue()


def _without_guards(sql, params=()):
    """Tamper as someone with direct database access would: drop the guards first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE psp_auditentry DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE psp_auditentry ENABLE TRIGGER USER")
        else:
            for name in ("psp_audit_refuse_update", "psp_audit_refuse_delete", "psp_audit_chain"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(sql, params)
    audit.install_triggers()


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "UPDATE psp_auditentry SET payload = replace(payload, 'Imaginary 2', 'Forged') "
            "WHERE id = %s",
            "does not match its hash",
        ),
        (
            "UPDATE psp_auditentry SET action = 'delete' WHERE id = %s",
            "columns differ from its payload",
        ),
        (
            "DELETE FROM psp_auditentry WHERE id = %s",
            "the entry before it is missing or was altered",
        ),
    ],
    ids=["altered-payload", "altered-column", "removed"],
)
def test_verify_audit_detects_a_removed_or_altered_entry(db, sql, message):
    for n in range(5):
        Organisation.objects.create(name=f"Imaginary {n}", kind="employer")
    target = AuditEntry.objects.filter(after__contains="Imaginary 2").get()
    _without_guards(sql, [target.pk])
    with pytest.raises(CommandError, match="problem"):
        call_command("verify_audit", stderr=(err := __import__("io").StringIO()))
    assert message in err.getvalue()


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
