"""The revision of reports: one number, raised by database triggers on every insert, update
or delete of a report, however it is made (the request, the builder, the sweep, the admin,
raw SQL). A report's page keeps the report's row in the cache under it and the EPA revision
(epa.revision: the apprentice's row, their name, the gateway attempt), so the status page
that refreshes itself while a report is built reads two numbers instead of the report's
select of four tables. One number for every report: a write to any report drops every
cached row, read again on the next visit.

Hand-written: Django's cache keeps the rows; what invalidates them must see every write,
which only the database does (as epa.revision).
"""

from __future__ import annotations

from typing import Any

from psp import triggers

TABLE = "reports_reportrevision"
REVISION = triggers.Revision(TABLE, function="psp_report_revision", trigger="psp_report_revision")
BUMP = REVISION.bump
current = REVISION.current

# Every write to these tables raises the revision (the table kept its name from the epa app).
WHOLE_TABLES = ("epa_report",)


def install_triggers(using: str = "default", **kwargs: Any) -> None:
    """(Re)create the triggers and the row; connected to post_migrate."""
    REVISION.install(using, WHOLE_TABLES)
