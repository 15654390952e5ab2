"""The revision of apprentices' progress: one number, raised by database triggers on every
write to what the provider's progress flags (progress.flags.progress_rows) are worked out
from, however it is made (the workflow, the admin, fixtures, raw SQL):

- apprentices, progress reviews, off-the-job entries, breaks in learning, off-the-job rules
  and published minimums, KSB tallies (which their own triggers keep in step with evidence
  and mappings): every insert, update or delete;
- the names the flags show and sort by: a user's first name, last name and username, an
  organisation's name (only when one of them changes, so signing in does not raise it);
- the reference data they count: standards, versions (whether KSBs are imported), KSBs.

The flags also depend on the date; their cache key holds it. One number for every provider:
a write for any apprentice drops every provider's cached flags, which are rebuilt on the next
visit (a number per provider would need every trigger to find the apprentice's provider).

Hand-written: Django's cache keeps the flags; what invalidates them must see every write,
which only the database does (as standards.revision and psp.access).
"""

from __future__ import annotations

from typing import Any

from django.db import connections, transaction

TABLE = "apprentices_progressrevision"
BUMP = (
    f"INSERT INTO {TABLE} (id, number) VALUES (1, 1) "
    f"ON CONFLICT (id) DO UPDATE SET number = {TABLE}.number + 1"
)
# Every write to these tables raises the revision.
WHOLE_TABLES = (
    "apprentices_apprentice",
    "apprentices_progressreview",
    "apprentices_offthejobentry",
    "apprentices_breakinlearning",
    "apprentices_offthejobrule",
    "apprentices_offthejobminimum",
    "apprentices_ksbtally",
    "standards_standard",
    "standards_standardversion",
    "standards_ksb",
)
# Updates of these tables raise it only when one of these columns changes value.
COLUMNS = {
    "psp_user": ("first_name", "last_name", "username"),
    "psp_organisation": ("name",),
}


def current(using: str = "default") -> int:
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT number FROM {TABLE} WHERE id = 1")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def install_triggers(using: str = "default", **kwargs: Any) -> None:
    """(Re)create the triggers and the row; connected to post_migrate (SQLite drops a
    table's triggers when a migration rebuilds it)."""
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    if TABLE not in existing:
        return
    whole = [table for table in WHOLE_TABLES if table in existing]
    columns = {table: names for table, names in COLUMNS.items() if table in existing}
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {TABLE} (id, number) VALUES (1, 0) ON CONFLICT (id) DO NOTHING"
            )
            cursor.execute(
                "CREATE OR REPLACE FUNCTION psp_progress_revision() RETURNS trigger AS $$ "
                f"BEGIN {BUMP}; RETURN NULL; END $$ LANGUAGE plpgsql"
            )
            for table in whole:
                cursor.execute(f"DROP TRIGGER IF EXISTS psp_progress_revision ON {table}")
                cursor.execute(
                    "CREATE TRIGGER psp_progress_revision AFTER INSERT OR UPDATE OR DELETE OR "
                    f"TRUNCATE ON {table} FOR EACH STATEMENT "
                    "EXECUTE FUNCTION psp_progress_revision()"
                )
            for table, names in columns.items():
                changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in names)
                cursor.execute(f"DROP TRIGGER IF EXISTS psp_progress_revision ON {table}")
                cursor.execute(
                    f"CREATE TRIGGER psp_progress_revision AFTER UPDATE ON {table} "
                    f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION psp_progress_revision()"
                )
        elif connection.vendor == "sqlite":
            cursor.execute(f"INSERT OR IGNORE INTO {TABLE} (id, number) VALUES (1, 0)")
            for table in whole:
                for event in ("INSERT", "UPDATE", "DELETE"):
                    name = f"psp_progress_revision_{table}_{event.lower()}"
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                    cursor.execute(
                        f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {BUMP}; END"
                    )
            for table, names in columns.items():
                changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in names)
                name = f"psp_progress_revision_{table}_update"
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(
                    f"CREATE TRIGGER {name} AFTER UPDATE ON {table} FOR EACH ROW "
                    f"WHEN {changed} BEGIN {BUMP}; END"
                )
        else:  # pragma: no cover - psp runs on SQLite and PostgreSQL only
            raise NotImplementedError(connection.vendor)
