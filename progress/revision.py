"""The revision of apprentices' progress: one number, raised by database triggers on every
write to what the provider's progress flags (progress.flags.progress_rows) are worked out
from, however it is made (the workflow, the admin, fixtures, raw SQL):

- apprentices, progress reviews, off-the-job entries and their KSBs, breaks in learning,
  off-the-job rules and published minimums, KSB tallies (which their own triggers keep in
  step with evidence and mappings): every insert, update or delete;
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

from psp import triggers

TABLE = "apprentices_progressrevision"
REVISION = triggers.Revision(
    TABLE, function="psp_progress_revision", trigger="psp_progress_revision"
)
BUMP = REVISION.bump
current = REVISION.current

# Every write to these tables raises the revision.
WHOLE_TABLES = (
    "apprentices_apprentice",
    "apprentices_progressreview",
    "apprentices_offthejobentry",
    "apprentices_offthejobentry_ksbs",  # an entry's KSBs (the off-the-job log's cells)
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


def install_triggers(using: str = "default", **kwargs: Any) -> None:
    """(Re)create the triggers and the row; connected to post_migrate."""
    REVISION.install(using, WHOLE_TABLES, COLUMNS)
