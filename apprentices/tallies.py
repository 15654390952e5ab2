"""KSB tallies: each apprentice's live and accepted evidence per KSB, kept by the database.

A `KsbTally` row says, for one apprentice and one KSB, how many of their evidence items that
are not withdrawn are mapped to it, how many of those are accepted, and the latest date of
their activities. There is a row only where the count is above zero. The coverage page, the
cohort heatmap and the provider's progress table read these rows instead of aggregating every
mapping on every request.

Database triggers keep the rows exactly in step, whatever changes the evidence: the workflow
(submit, accept, request changes, withdraw), edits of the activity date, `set_mappings`, a
version move, erasure, the admin, fixtures, a bulk update or raw SQL. Each trigger recomputes
the (apprentice, KSB) pairs the changed row belongs to from the evidence itself (the same
aggregate as `recomputed()`), so a row can never drift by an increment applied twice or lost.
On PostgreSQL a transaction-level advisory lock per apprentice serialises two transactions
recomputing the same pairs, so the later one counts what the earlier one committed.

A dump to load elsewhere leaves the tallies out (`dumpdata --exclude apprentices.KsbTally`):
loading the mappings makes them, so loading them too would collide.

`install_triggers` runs after every `migrate` (a table SQLite rebuilds in a migration loses
its triggers) and then `rebuild()`s, since rows changed while the triggers were missing would
not be counted. The `rebuild_ksb_tallies` command rebuilds, or with `--check` compares the
rows with `recomputed()` and reports differences.
"""

from __future__ import annotations

from typing import Any

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from psp import triggers

TALLY = "apprentices_ksbtally"
EVIDENCE = "apprentices_evidence"
MAPPING = "apprentices_evidenceksb"
_LOCK_CLASS = 770_495  # advisory lock namespace: (this, apprentice id); psp.audit uses 770494

# The tally of the evidence rows matching `where` (which may refer to e and m), by pair.
# CROSS JOIN makes SQLite start from the evidence (by the (apprentice, status) index), then
# look up its mappings (by the (evidence, KSB) unique index): from the mappings of a KSB it
# would read every apprentice's. PostgreSQL plans it as the inner join it is.
_AGGREGATE = f"""
    SELECT e.apprentice_id, m.ksb_id, COUNT(*),
        COUNT(CASE WHEN e.status = 'accepted' THEN 1 END), MAX(e.activity_date)
    FROM {EVIDENCE} e CROSS JOIN {MAPPING} m
    WHERE m.evidence_id = e.id AND e.status <> 'withdrawn' AND ({{where}})
    GROUP BY e.apprentice_id, m.ksb_id
"""
_COLUMNS = "apprentice_id, ksb_id, evidence_count, accepted_count, latest_date"

Row = tuple[int, int, int, int, Any]


def recomputed(using: str = "default") -> set[Row]:
    """Every tally computed afresh from the evidence, as (apprentice, KSB, live, accepted,
    latest date) tuples."""
    with connections[using].cursor() as cursor:
        cursor.execute(_AGGREGATE.format(where="1 = 1"))
        return {_normal(row) for row in cursor.fetchall()}


def stored(using: str = "default") -> set[Row]:
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT {_COLUMNS} FROM {TALLY}")
        return {_normal(row) for row in cursor.fetchall()}


def _normal(row: Any) -> Row:
    apprentice_id, ksb_id, live, accepted, latest = row
    return (apprentice_id, ksb_id, int(live), int(accepted), str(latest) if latest else None)


def differences(using: str = "default") -> tuple[set[Row], set[Row]]:
    """(rows missing or wrong in the table, rows the table has that it should not)."""
    with transaction.atomic(using=using):
        expected, actual = recomputed(using), stored(using)
    return expected - actual, actual - expected


def rebuild(using: str = "default") -> int:
    """Recompute every tally from the evidence; returns how many rows there are."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {EVIDENCE}, {MAPPING} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {TALLY}")
        cursor.execute(f"INSERT INTO {TALLY} ({_COLUMNS}) {_AGGREGATE.format(where='1 = 1')}")
        cursor.execute(f"SELECT COUNT(*) FROM {TALLY}")
        return int(cursor.fetchone()[0])


def install_triggers(using: str = "default", **kwargs: Any) -> None:
    """(Re)create the triggers and rebuild the tallies; connected to post_migrate."""
    installed = triggers.install(
        using,
        {"postgresql": _postgres_statements, "sqlite": _sqlite_statements},
        needs=[TALLY],
    )
    if installed:
        rebuild(using)
    elif {EVIDENCE, MAPPING} <= triggers.tables(using):  # migrated back before the tallies
        drop_triggers(connections[using])


def drop_triggers(connection: BaseDatabaseWrapper) -> None:
    """Remove the triggers (before the tally table goes: they write to it)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS psp_tally_evidence ON {EVIDENCE}")
            cursor.execute(f"DROP TRIGGER IF EXISTS psp_tally_mapping ON {MAPPING}")
            cursor.execute("DROP FUNCTION IF EXISTS psp_tally_evidence()")
            cursor.execute("DROP FUNCTION IF EXISTS psp_tally_mapping()")
            cursor.execute("DROP FUNCTION IF EXISTS psp_tally_refresh(bigint, bigint)")
        else:
            for name in _SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


# --- PostgreSQL --------------------------------------------------------------------------


def _postgres_statements() -> list[str]:
    aggregate = _AGGREGATE.format(where="e.apprentice_id = a AND m.ksb_id = k")
    return [
        f"""CREATE OR REPLACE FUNCTION psp_tally_refresh(a bigint, k bigint) RETURNS void AS $$
        BEGIN
            IF a IS NULL OR k IS NULL THEN
                RETURN;
            END IF;
            -- Until commit: a concurrent change of this apprentice's evidence waits, then
            -- recounts with ours (each statement below takes a fresh snapshot).
            PERFORM pg_advisory_xact_lock({_LOCK_CLASS}, (a % 2147483647)::integer);
            DELETE FROM {TALLY} WHERE apprentice_id = a AND ksb_id = k;
            INSERT INTO {TALLY} ({_COLUMNS}) {aggregate};
        END
        $$ LANGUAGE plpgsql""",
        f"""CREATE OR REPLACE FUNCTION psp_tally_evidence() RETURNS trigger AS $$
        DECLARE
            k bigint;
        BEGIN
            IF OLD.status IS DISTINCT FROM NEW.status
                OR OLD.activity_date IS DISTINCT FROM NEW.activity_date
                OR OLD.apprentice_id IS DISTINCT FROM NEW.apprentice_id THEN
                FOR k IN SELECT ksb_id FROM {MAPPING} WHERE evidence_id = NEW.id LOOP
                    PERFORM psp_tally_refresh(OLD.apprentice_id, k);
                    IF NEW.apprentice_id IS DISTINCT FROM OLD.apprentice_id THEN
                        PERFORM psp_tally_refresh(NEW.apprentice_id, k);
                    END IF;
                END LOOP;
            END IF;
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql""",
        f"""CREATE OR REPLACE FUNCTION psp_tally_mapping() RETURNS trigger AS $$
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                PERFORM psp_tally_refresh(
                    (SELECT apprentice_id FROM {EVIDENCE} WHERE id = OLD.evidence_id),
                    OLD.ksb_id);
            END IF;
            IF TG_OP IN ('UPDATE', 'INSERT') THEN
                PERFORM psp_tally_refresh(
                    (SELECT apprentice_id FROM {EVIDENCE} WHERE id = NEW.evidence_id),
                    NEW.ksb_id);
            END IF;
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql""",
        f"DROP TRIGGER IF EXISTS psp_tally_evidence ON {EVIDENCE}",
        f"""CREATE TRIGGER psp_tally_evidence
            AFTER UPDATE OF status, activity_date, apprentice_id ON {EVIDENCE}
            FOR EACH ROW EXECUTE FUNCTION psp_tally_evidence()""",
        f"DROP TRIGGER IF EXISTS psp_tally_mapping ON {MAPPING}",
        f"""CREATE TRIGGER psp_tally_mapping
            AFTER INSERT OR DELETE OR UPDATE OF evidence_id, ksb_id ON {MAPPING}
            FOR EACH ROW EXECUTE FUNCTION psp_tally_mapping()""",
    ]


# --- SQLite ------------------------------------------------------------------------------

_SQLITE_TRIGGERS = (
    "psp_tally_evidence",
    "psp_tally_mapping_insert",
    "psp_tally_mapping_delete",
    "psp_tally_mapping_update",
)


def _sqlite_refresh(apprentices: str, ksbs: str) -> str:
    """Recompute the pairs of the apprentices and KSBs (SQL lists) named."""
    where = f"e.apprentice_id IN ({apprentices}) AND m.ksb_id IN ({ksbs})"
    return f"""
        DELETE FROM {TALLY} WHERE apprentice_id IN ({apprentices}) AND ksb_id IN ({ksbs});
        INSERT INTO {TALLY} ({_COLUMNS}) {_AGGREGATE.format(where=where)};
    """


def _sqlite_statements() -> list[str]:
    evidence_owner = f"SELECT apprentice_id FROM {EVIDENCE} WHERE id = {{}}.evidence_id"
    statements = [f"DROP TRIGGER IF EXISTS {name}" for name in _SQLITE_TRIGGERS]
    statements += [
        f"""CREATE TRIGGER psp_tally_evidence
            AFTER UPDATE OF status, activity_date, apprentice_id ON {EVIDENCE}
            WHEN OLD.status IS NOT NEW.status
                OR OLD.activity_date IS NOT NEW.activity_date
                OR OLD.apprentice_id IS NOT NEW.apprentice_id
            BEGIN {
            _sqlite_refresh(
                "OLD.apprentice_id, NEW.apprentice_id",
                f"SELECT ksb_id FROM {MAPPING} WHERE evidence_id = NEW.id",
            )
        } END""",
        f"""CREATE TRIGGER psp_tally_mapping_insert AFTER INSERT ON {MAPPING}
            BEGIN {_sqlite_refresh(evidence_owner.format("NEW"), "NEW.ksb_id")} END""",
        f"""CREATE TRIGGER psp_tally_mapping_delete AFTER DELETE ON {MAPPING}
            BEGIN {_sqlite_refresh(evidence_owner.format("OLD"), "OLD.ksb_id")} END""",
        f"""CREATE TRIGGER psp_tally_mapping_update AFTER UPDATE OF evidence_id, ksb_id
            ON {MAPPING}
            WHEN OLD.evidence_id IS NOT NEW.evidence_id OR OLD.ksb_id IS NOT NEW.ksb_id
            BEGIN {_sqlite_refresh(evidence_owner.format("OLD"), "OLD.ksb_id")}
            {_sqlite_refresh(evidence_owner.format("NEW"), "NEW.ksb_id")} END""",
    ]
    return statements
