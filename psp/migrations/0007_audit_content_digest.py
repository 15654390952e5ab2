"""The audit trail's hash covers a digest of each entry's personal content, not the content
itself, so that content can be redacted (see psp.audit). Existing entries are resealed: the
old chain is checked entry by entry, each entry gets its digest and a new payload, and the
chain is recomputed. An entry that failed the old check keeps saying so in its new payload,
so `verify_audit` goes on reporting it; resealing never hides tampering."""

import hashlib
import json

import django.db.models.deletion
from django.db import migrations, models

CONTENT = ("actor_label", "ip", "summary", "before", "after")
HEADER = ("id", "actor_id", "source", "action", "object_type", "object_id")


def _sha256(text):
    return hashlib.sha256((text or "").encode()).hexdigest()


def _old_problem(entry, previous):
    """Why an entry fails the check of the old chain (hash over the whole payload)."""
    if entry.prev_hash != previous:
        return "the entry before it was missing or altered"
    if _sha256(entry.prev_hash + entry.payload) != entry.hash:
        return "its content did not match its hash"
    try:
        signed = json.loads(entry.payload)
    except ValueError:
        return "its payload was not valid JSON"
    for name in (*HEADER, *CONTENT):
        if not _same(getattr(entry, name), signed.get(name)):
            return "its columns differed from its payload"
    return ""


def _same(value, given):
    if isinstance(given, dict | list):  # SQLite's json_object() kept a row's JSON as JSON
        try:
            return json.loads(value) == given
        except ValueError:
            return False
    return (None if value is None else str(value)) == (None if given is None else str(given))


def drop_sqlite_triggers(apps, schema_editor):
    """SQLite adds the columns by copying the table, which its triggers (on every audited
    table) would not survive; they are made again below and after every migrate."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'psp_audit_%'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')


def reseal(apps, schema_editor):
    from psp import audit

    AuditEntry = apps.get_model("psp", "AuditEntry")
    connection = schema_editor.connection
    if not AuditEntry.objects.using(connection.alias).exists():
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE psp_auditentry DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS psp_audit_refuse_update")
    old_previous = new_previous = ""
    last_id = 0
    while True:
        entries = list(
            AuditEntry.objects.using(connection.alias).filter(id__gt=last_id).order_by("id")[:2000]
        )
        if not entries:
            break
        for entry in entries:
            problem = _old_problem(entry, old_previous)
            try:
                at = json.loads(entry.payload).get("at")
            except (ValueError, AttributeError):
                at = entry.at.isoformat()
            entry.content_hash = _sha256("".join(_sha256(getattr(entry, name)) for name in CONTENT))
            signed = {name: getattr(entry, name) for name in HEADER}
            signed.update(at=at, content_hash=entry.content_hash)
            if problem:
                signed["problem_before_reseal"] = problem
            old_previous = entry.hash
            entry.prev_hash = new_previous
            entry.payload = json.dumps(signed)
            entry.hash = new_previous = _sha256(entry.prev_hash + entry.payload)
        AuditEntry.objects.using(connection.alias).bulk_update(
            entries, ["content_hash", "payload", "prev_hash", "hash"]
        )
        last_id = entries[-1].id
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE psp_auditentry ENABLE TRIGGER USER")
    # The new chain from the next entry on, even before post_migrate reinstalls it.
    audit.install_triggers(using=connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("psp", "0006_two_factor"),
    ]

    operations = [
        migrations.RunPython(drop_sqlite_triggers, migrations.RunPython.noop, elidable=True),
        migrations.AddField(
            model_name="auditentry",
            name="content_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="redaction",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="The entry recording the removal of this entry's personal content.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="redacted_entries",
                to="psp.auditentry",
            ),
        ),
        migrations.RunPython(reseal, migrations.RunPython.noop, elidable=True),
    ]
