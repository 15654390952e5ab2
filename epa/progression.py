"""An apprentice is "At gateway", "In EPA" or "Completed" only when gateway and EPA say so.

Those statuses are set by `epa.gateway` (submit, accept) and `epa.grading` (a final result
that is not a fail); the edit form does not offer them. These triggers make the database
refuse them too when the record behind them is missing, whatever tries: the admin, a bulk
update, raw SQL or a bug. A status is allowed on insert or change only if:

- "At gateway": a gateway attempt of the apprentice has been submitted (or already decided);
- "In EPA": the apprentice has an EPA (made when the EPAO accepts the gateway);
- "Completed": the EPA has a final result, or an amendment of one, that is not a fail.

A row that keeps its status is not checked again, so correcting a record behind it (retention
blanking text) never fails on the apprentice. Leaving those statuses (a rejected gateway back
on programme, a withdrawal) is not refused here.

The triggers are installed after every `migrate` by psp.triggers (which says why they
are hand-written).
"""

from __future__ import annotations

from typing import Any

from apprentices.models import Apprentice
from epa.grading import FAIL
from psp import triggers

APPRENTICE = "apprentices_apprentice"
MESSAGE = "an apprentice reaches At gateway, In EPA or Completed only through gateway and the EPA"
_NAMES = ("epa_status_apprentice_ins", "epa_status_apprentice_upd")
_TABLES = {APPRENTICE, "epa_gatewayattempt", "epa_epa", "epa_eparesult", "epa_amendment"}


def allowed(row: str = "NEW") -> str:
    """SQL true when the row's status is one the gateway and EPA records back."""
    status = Apprentice.Status
    return f"""(
        {row}.status NOT IN ('{status.AT_GATEWAY}', '{status.IN_EPA}', '{status.COMPLETED}')
        OR ({row}.status = '{status.AT_GATEWAY}' AND EXISTS (
            SELECT 1 FROM epa_gatewayattempt g
            WHERE g.apprentice_id = {row}.id AND g.status IN ('submitted', 'accepted')))
        OR ({row}.status = '{status.IN_EPA}' AND EXISTS (
            SELECT 1 FROM epa_epa e WHERE e.apprentice_id = {row}.id))
        OR ({row}.status = '{status.COMPLETED}' AND (
            EXISTS (
                SELECT 1 FROM epa_eparesult r JOIN epa_epa e ON r.epa_id = e.id
                WHERE e.apprentice_id = {row}.id AND r.overall_grade <> '{FAIL}')
            OR EXISTS (
                SELECT 1 FROM epa_amendment a
                JOIN epa_eparesult r ON a.result_id = r.id JOIN epa_epa e ON r.epa_id = e.id
                WHERE e.apprentice_id = {row}.id AND a.overall_after <> '{FAIL}')))
    )"""


def _sqlite_statements() -> list[str]:
    refuse = f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    return [
        *(f"DROP TRIGGER IF EXISTS {name}" for name in _NAMES),
        f"""CREATE TRIGGER epa_status_apprentice_ins BEFORE INSERT ON {APPRENTICE}
            WHEN NOT {allowed()} {refuse}""",
        f"""CREATE TRIGGER epa_status_apprentice_upd BEFORE UPDATE OF status ON {APPRENTICE}
            WHEN NEW.status IS NOT OLD.status AND NOT {allowed()} {refuse}""",
    ]


def _postgres_statements() -> list[str]:
    function = "epa_status_apprentice_refuse"
    return [
        f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
        BEGIN
            IF (TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status)
                    AND NOT {allowed()} THEN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END
        $$ LANGUAGE plpgsql""",
        f"DROP TRIGGER IF EXISTS epa_status_apprentice ON {APPRENTICE}",
        f"""CREATE TRIGGER epa_status_apprentice BEFORE INSERT OR UPDATE ON {APPRENTICE}
            FOR EACH ROW EXECUTE FUNCTION {function}()""",
    ]


def install_triggers(using: str = "default", **kwargs: Any) -> None:
    """(Re)create the triggers; connected to post_migrate."""
    triggers.install(
        using,
        {"postgresql": _postgres_statements, "sqlite": _sqlite_statements},
        needs=_TABLES,
    )
