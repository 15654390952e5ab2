"""Final results stay final: database triggers refuse to change or delete them.

Once moderation confirms a sitting, its method results (`MethodAssessment.is_final`), the
`EpaResult` and every `Amendment` are the record that goes on a certificate. The code never
edits them (a correction is an amendment, a second go is a new attempt that `follows` the final
one), and these triggers make the database refuse it too, whatever tries: the admin, a bulk
update, raw SQL or a bug. They guard the columns that make the result (grades, who, which
sitting and method); the retention rules may still blank free text and round dates to the month
(apprentices.privacy), which changes no grade.

The triggers are installed after every `migrate` by psp.triggers (which says why they
are hand-written).
"""

from __future__ import annotations

from typing import Any

from psp import triggers

ASSESSMENT = "epa_methodassessment"
DECISION = "epa_criteriondecision"
RESULT = "epa_eparesult"
AMENDMENT = "epa_amendment"

# The columns of each table that a final row never changes.
LOCKED = {
    ASSESSMENT: (
        "epa_id",
        "method_id",
        "attempt",
        "kind",
        "sitting",
        "follows_id",
        "grade",
        "capped_grade",
        "duration_minutes",
        "recorded_by_id",
        "is_final",
    ),
    DECISION: ("assessment_id", "criterion_id", "pass_met", "distinction_met"),
    RESULT: (
        "epa_id",
        "sitting",
        "overall_grade",
        "uncapped_grade",
        "method_grades",
        "plan_revision",
        "assessor_id",
        "moderator_id",
    ),
    AMENDMENT: ("result_id", "by_id", "overall_before", "overall_after", "method_grades_after"),
}
# When a row of the table is final (SQL over OLD): a result and an amendment always are.
FINAL_WHEN = {
    ASSESSMENT: "OLD.is_final",
    DECISION: f"(SELECT is_final FROM {ASSESSMENT} WHERE id = OLD.assessment_id)",
    RESULT: "1 = 1",
    AMENDMENT: "1 = 1",
}
MESSAGE = "a final EPA result cannot be changed or deleted; record an amendment or a resit"
_TRIGGER_NAMES = [f"epa_final_{table}_{event}" for table in LOCKED for event in ("upd", "del")]
_INSERT_TRIGGER = "epa_final_epa_criteriondecision_ins"


def _changed(table: str) -> str:
    return " OR ".join(f"NEW.{column} IS DISTINCT FROM OLD.{column}" for column in LOCKED[table])


def _sqlite_statements() -> list[str]:
    statements = [f"DROP TRIGGER IF EXISTS {name}" for name in [*_TRIGGER_NAMES, _INSERT_TRIGGER]]
    for table, final in FINAL_WHEN.items():
        changed = _changed(table).replace("IS DISTINCT FROM", "IS NOT")
        statements += [
            f"""CREATE TRIGGER epa_final_{table}_upd BEFORE UPDATE ON {table}
                WHEN {final} AND ({changed})
                BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
            # psp_audit_locked(): false only while the test suite's flush empties every
            # table (psp.audit.ALLOW_PURGE); PostgreSQL's flush truncates, firing nothing.
            f"""CREATE TRIGGER epa_final_{table}_del BEFORE DELETE ON {table}
                WHEN {final} AND psp_audit_locked()
                BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
        ]
    statements.append(
        f"""CREATE TRIGGER {_INSERT_TRIGGER} BEFORE INSERT ON {DECISION}
            WHEN (SELECT is_final FROM {ASSESSMENT} WHERE id = NEW.assessment_id)
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""
    )
    return statements


def _postgres_statements() -> list[str]:
    raise_error = f"RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation'"
    statements = []
    for table, final in FINAL_WHEN.items():
        function = f"epa_final_{table}_refuse"
        statements += [
            f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    IF {final.replace("OLD.", "NEW.")} THEN
                        {raise_error};
                    END IF;
                    RETURN NEW;
                END IF;
                IF TG_OP = 'DELETE' THEN
                    IF {final} THEN
                        {raise_error};
                    END IF;
                    RETURN OLD;
                END IF;
                IF {final} AND ({_changed(table)}) THEN
                    {raise_error};
                END IF;
                RETURN NEW;
            END
            $$ LANGUAGE plpgsql""",
            f"DROP TRIGGER IF EXISTS epa_final_{table} ON {table}",
            f"""CREATE TRIGGER epa_final_{table}
                BEFORE {"INSERT OR " if table == DECISION else ""}UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {function}()""",
        ]
    return statements


def install_triggers(using: str = "default", **kwargs: Any) -> None:
    """(Re)create the triggers; connected to post_migrate. Not on a database migrated back
    before the columns the triggers name."""
    triggers.install(
        using,
        {"postgresql": _postgres_statements, "sqlite": _sqlite_statements},
        needs=LOCKED,
        column=(RESULT, "plan_revision"),
    )
