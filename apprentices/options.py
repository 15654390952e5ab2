"""Each apprentice's chosen option, kept consistent by the database.

On a core-and-options version (one that has `standards.Option` rows) every apprentice does the
core and one option; on any other version they have none. A CHECK constraint cannot look at
another table, so triggers on SQLite and PostgreSQL refuse a row whose option belongs to
another version, or that has no option while its version has options, whatever writes it (the
forms, onboarding, the API, a version move, the admin or raw SQL). `Apprentice.clean()` says
the same in words (`apprentices.models.option_problem`).

The triggers run on insert and on changes of the version or the option only: an apprentice
added before their version's options were imported keeps working until someone changes
their version or option, and must then choose one.

The triggers are installed after every `migrate` by psp.triggers (which says why they
are hand-written).
"""

from __future__ import annotations

from typing import Any

from psp import triggers

APPRENTICE = "apprentices_apprentice"
OPTION = "standards_option"
WRONG_VERSION = "the chosen option must be an option of the version of the apprentice"
MISSING = "an apprentice on a core-and-options version must have a chosen option"
_SQLITE_TRIGGERS = ("apprentices_option_ins", "apprentices_option_upd")

_WRONG_WHEN = (
    "NEW.option_id IS NOT NULL AND NEW.standard_version_id IS NOT "
    f"(SELECT version_id FROM {OPTION} WHERE id = NEW.option_id)"
)
_MISSING_WHEN = (
    "NEW.option_id IS NULL AND EXISTS "
    f"(SELECT 1 FROM {OPTION} WHERE version_id = NEW.standard_version_id)"
)


def _sqlite_statements() -> list[str]:
    statements = [f"DROP TRIGGER IF EXISTS {name}" for name in _SQLITE_TRIGGERS]
    for name, event in zip(
        _SQLITE_TRIGGERS, ("INSERT", "UPDATE OF standard_version_id, option_id"), strict=True
    ):
        statements.append(
            f"""CREATE TRIGGER {name} BEFORE {event} ON {APPRENTICE}
                BEGIN
                    SELECT RAISE(ABORT, '{WRONG_VERSION}') WHERE {_WRONG_WHEN};
                    SELECT RAISE(ABORT, '{MISSING}') WHERE {_MISSING_WHEN};
                END"""
        )
    return statements


def _postgres_statements() -> list[str]:
    code = "USING ERRCODE = 'integrity_constraint_violation'"
    return [
        f"""CREATE OR REPLACE FUNCTION apprentices_option_check() RETURNS trigger AS $$
        BEGIN
            IF {_WRONG_WHEN.replace(" IS NOT ", " IS DISTINCT FROM ")} THEN
                RAISE EXCEPTION '{WRONG_VERSION}' {code};
            END IF;
            IF {_MISSING_WHEN} THEN
                RAISE EXCEPTION '{MISSING}' {code};
            END IF;
            RETURN NEW;
        END
        $$ LANGUAGE plpgsql""",
        f"DROP TRIGGER IF EXISTS apprentices_option ON {APPRENTICE}",
        f"""CREATE TRIGGER apprentices_option
            BEFORE INSERT OR UPDATE OF standard_version_id, option_id ON {APPRENTICE}
            FOR EACH ROW EXECUTE FUNCTION apprentices_option_check()""",
    ]


def install_triggers(using: str = "default", **kwargs: Any) -> None:
    """(Re)create the triggers; connected to post_migrate. Not on a database migrated back
    before the chosen option."""
    triggers.install(
        using,
        {"postgresql": _postgres_statements, "sqlite": _sqlite_statements},
        needs=[APPRENTICE, OPTION],
        column=(APPRENTICE, "option_id"),
    )
