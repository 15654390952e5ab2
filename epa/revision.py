"""The EPA revision: one number, raised by database triggers on every write to what the
employer's and the EPAO administrator's home pages show of gateways and EPAs, the gateway
page's attempts and the assessor's grading form (with the reference data's revision,
standards.revision, for the method, its criteria and the plan), however it is made (the
workflow, the admin, fixtures, raw SQL):

- gateway attempts, gateway items, EPAs, their assessments of each method and the questions
  recorded of them: every insert, update or delete;
- apprentices (whose gateways and EPAs an organisation sees: employer, EPAO, status, and
  the ULN the lists name them by): every write;
- the names the lists show: a user's first name, last name and username (only when one of
  them changes, so signing in does not raise it).

The cached lists also depend on who looks: their keys hold the role's section and the
organisation, which is all an employer's or an EPAO administrator's visible apprentices
depend on (Apprentice.objects.visible_to). One number for everything: a write to any
gateway drops every cached list, rebuilt on the next visit.

Hand-written: Django's cache keeps the lists; what invalidates them must see every write,
which only the database does (as apprentices.revision and progress.revision).
"""

from __future__ import annotations

from typing import Any

from psp import triggers

TABLE = "epa_eparevision"
REVISION = triggers.Revision(TABLE, function="psp_epa_revision", trigger="psp_epa_revision")
BUMP = REVISION.bump
current = REVISION.current

# Every write to these tables raises the revision.
WHOLE_TABLES = (
    "epa_gatewayattempt",
    "epa_gatewayitem",
    "epa_epa",
    "epa_methodassessment",
    "epa_question",
    "apprentices_apprentice",
)
# Updates of these tables raise it only when one of these columns changes value.
COLUMNS = {"psp_user": ("first_name", "last_name", "username")}


def install_triggers(using: str = "default", **kwargs: Any) -> None:
    """(Re)create the triggers and the row; connected to post_migrate."""
    REVISION.install(using, WHOLE_TABLES, COLUMNS)
