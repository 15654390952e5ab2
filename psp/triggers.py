"""Installing database triggers, for every app that keeps a rule or a counter in them.

psp keeps some invariants and caches in triggers, because only the database sees every write
(the workflow, the admin, fixtures, a bulk update, raw SQL): the audit trail (psp.audit), the
access version (psp.access), the revision of the reference data (standards.revision), KSB
tallies (apprentices.tallies), the progress revision (progress.revision), the evidence revision
(apprentices.revision), the chosen option
(apprentices.options), final results (epa.finality), the EPA status (epa.progression), the
EPA revision (epa.revision) and the report revision (reports.revision).
Each module writes its own SQL for SQLite and PostgreSQL; this module installs it: after every
`migrate` (SQLite drops a table's triggers when a migration rebuilds it), only once the tables
the SQL names exist, in one transaction. `Revision` is the one counter those caches use.

It lives in `standards`, the lowest app, so that every app may import it (standards.revision
does); it imports no models. Hand-written because no Django library installs triggers on both
SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connections, transaction

# For each database psp runs on, what makes the statements to run.
Statements = Mapping[str, Callable[[], Iterable[str]]]


def tables(using: str = "default") -> set[str]:
    """The tables of the database."""
    return set(connections[using].introspection.table_names())


def has_column(table: str, column: str, using: str = "default") -> bool:
    connection = connections[using]
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, table)
    return column in {c.name for c in description}


def install(
    using: str,
    statements: Statements,
    *,
    needs: Collection[str],
    column: tuple[str, str] | None = None,
) -> bool:
    """Run the statements for this database in one transaction, if the tables it `needs` exist
    (and the table of `column` has that column: a database migrated back before it has not).
    Says whether it ran them."""
    connection = connections[using]
    if not set(needs) <= tables(using):
        return False
    if column is not None and not has_column(*column, using=using):
        return False
    if connection.vendor not in statements:  # pragma: no cover - SQLite and PostgreSQL only
        raise NotImplementedError(connection.vendor)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for statement in statements[connection.vendor]():
            cursor.execute(statement)
    return True


def sqlite_replacing(name: str, create: str) -> list[str]:
    """Drop the SQLite trigger `name` if it exists, then create it (SQLite has no
    CREATE OR REPLACE TRIGGER)."""
    return [f"DROP TRIGGER IF EXISTS {name}", create]


@dataclass(frozen=True)
class Revision:
    """A number in row 1 of `table`, raised by triggers on every write to some tables (and on
    updates that change some columns of others). A cache keyed by it is exact until the next
    change, and costs one query to check."""

    table: str
    function: str  # the PostgreSQL function
    trigger: str  # the PostgreSQL triggers' name, the prefix of the SQLite triggers' names

    @property
    def bump(self) -> str:
        """Raise the number; an upsert, so the row comes back if something emptied the table
        (a test database's flush)."""
        return (
            f"INSERT INTO {self.table} (id, number) VALUES (1, 1) "
            f"ON CONFLICT (id) DO UPDATE SET number = {self.table}.number + 1"
        )

    def current(self, using: str = "default") -> int:
        read = _read_at_once.get()
        if read is not None and using == "default" and self.table in read:
            return read[self.table]
        with connections[using].cursor() as cursor:
            cursor.execute(f"SELECT number FROM {self.table} WHERE id = 1")
            row = cursor.fetchone()
        return int(row[0]) if row else 0

    def install(
        self,
        using: str,
        whole: Iterable[str],
        columns: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        """(Re)create the row and the triggers on those of the tables that exist: every write
        to a `whole` table raises the number, an update of a table in `columns` only when one
        of its columns changes value."""
        existing = tables(using)
        whole = [table for table in whole if table in existing]
        changes = {t: names for t, names in (columns or {}).items() if t in existing}
        install(
            using,
            {
                "postgresql": lambda: self._postgres_statements(whole, changes),
                "sqlite": lambda: self._sqlite_statements(whole, changes),
            },
            needs=[self.table],
        )

    def _postgres_statements(
        self, whole: list[str], columns: Mapping[str, Collection[str]]
    ) -> list[str]:
        statements = [
            f"INSERT INTO {self.table} (id, number) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
            f"CREATE OR REPLACE FUNCTION {self.function}() RETURNS trigger AS $$ "
            f"BEGIN {self.bump}; RETURN NULL; END $$ LANGUAGE plpgsql",
        ]
        for table in whole:
            statements += [
                f"DROP TRIGGER IF EXISTS {self.trigger} ON {table}",
                f"CREATE TRIGGER {self.trigger} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {self.function}()",
            ]
        for table, names in columns.items():
            changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in names)
            statements += [
                f"DROP TRIGGER IF EXISTS {self.trigger} ON {table}",
                f"CREATE TRIGGER {self.trigger} AFTER UPDATE ON {table} "
                f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION {self.function}()",
            ]
        return statements

    def _sqlite_statements(
        self, whole: list[str], columns: Mapping[str, Collection[str]]
    ) -> list[str]:
        statements = [f"INSERT OR IGNORE INTO {self.table} (id, number) VALUES (1, 0)"]
        for table in whole:
            for event in ("INSERT", "UPDATE", "DELETE"):
                name = f"{self.trigger}_{table}_{event.lower()}"
                statements += sqlite_replacing(
                    name, f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {self.bump}; END"
                )
        for table, names in columns.items():
            changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in names)
            name = f"{self.trigger}_{table}_update"
            statements += sqlite_replacing(
                name,
                f"CREATE TRIGGER {name} AFTER UPDATE ON {table} FOR EACH ROW "
                f"WHEN {changed} BEGIN {self.bump}; END",
            )
        return statements


def numbers(*revisions: Revision, using: str = "default") -> tuple[int, ...]:
    """The numbers of several revisions in one query (a page cached under several kinds of
    rows asks the database once), in the order given; 0 for a revision whose row is
    missing, as Revision.current."""
    columns = ", ".join(f"(SELECT number FROM {r.table} WHERE id = 1)" for r in revisions)
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT {columns}")
        row = cursor.fetchone()
    return tuple(int(number or 0) for number in row)


# The numbers read_at_once read, by table; None outside such a block.
_read_at_once: ContextVar[dict[str, int] | None] = ContextVar("psp_read_at_once", default=None)


@contextmanager
def read_at_once(*revisions: Revision) -> Iterator[None]:
    """Within the block, these revisions' current() answer with what one query read on
    entering it (a page whose parts are cached under several revisions, each part asking
    its own, reads them all at once: psp.homepages)."""
    if not revisions:
        yield
        return
    token = _read_at_once.set(
        dict(zip((r.table for r in revisions), numbers(*revisions), strict=True))
    )
    try:
        yield
    finally:
        _read_at_once.reset(token)
