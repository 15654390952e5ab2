"""The revision of the reference data: one number, raised by database triggers on every
insert, update or delete in any table of the standards app (standards, versions, duties,
KSBs, EPA plans and their parts, imports, crosswalks, the join tables), however it is made
(the importers, the admin, fixtures, raw SQL). Pages built only from reference data (the
standard version page) cache their body under it: a cached body is exact until the next
change, and costs one query to check.

Hand-written: Django's cache keeps the bodies; what invalidates them must see every write,
which only the database does.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connections, transaction

TABLE = "standards_revision"
# An upsert: the row comes back if something emptied the table (a test database's flush).
BUMP = (
    f"INSERT INTO {TABLE} (id, number) VALUES (1, 1) "
    f"ON CONFLICT (id) DO UPDATE SET number = {TABLE}.number + 1"
)


def current(using: str = "default") -> int:
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT number FROM {TABLE} WHERE id = 1")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def watched_tables() -> list[str]:
    """Every table of the standards app, join tables included, but the revision's own."""
    models = apps.get_app_config("standards").get_models(include_auto_created=True)
    return sorted({model._meta.db_table for model in models} - {TABLE})


def install_triggers(using: str = "default", **kwargs: Any) -> None:
    """(Re)create the triggers and the row; connected to post_migrate (SQLite drops a
    table's triggers when a migration rebuilds it)."""
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    if TABLE not in existing:
        return
    tables = [table for table in watched_tables() if table in existing]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {TABLE} (id, number) VALUES (1, 0) ON CONFLICT (id) DO NOTHING"
            )
            cursor.execute(
                "CREATE OR REPLACE FUNCTION psp_standards_revision() RETURNS trigger AS $$ "
                f"BEGIN {BUMP}; RETURN NULL; END $$ LANGUAGE plpgsql"
            )
            for table in tables:
                cursor.execute(f"DROP TRIGGER IF EXISTS psp_revision ON {table}")
                cursor.execute(
                    f"CREATE TRIGGER psp_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                    f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION psp_standards_revision()"
                )
        elif connection.vendor == "sqlite":
            cursor.execute(f"INSERT OR IGNORE INTO {TABLE} (id, number) VALUES (1, 0)")
            for table in tables:
                for event in ("INSERT", "UPDATE", "DELETE"):
                    name = f"psp_revision_{table}_{event.lower()}"
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                    cursor.execute(
                        f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {BUMP}; END"
                    )
        else:  # pragma: no cover - psp runs on SQLite and PostgreSQL only
            raise NotImplementedError(connection.vendor)
