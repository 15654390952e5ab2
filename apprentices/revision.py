"""The revision of the evidence lists: one number, raised by database triggers on every write
to what the portfolio's evidence list, the review queue and the evidence item's details,
files, KSBs and history show, however it is made (the
workflow, the admin, fixtures, the KSB tallies' rebuild, raw SQL):

- evidence, its files, its KSB mappings and its events, and KSBs (the evidence item shows
  their codes and words): every insert, update or delete;
- apprentices (who sees whose evidence: provider, employer, EPAO, status): every write;
- employer moves, and an organisation's name and kind (the employer's and EPAO's home pages
  keep their apprentices by status and the moves waiting for the employer under it too:
  apprentices.homes): every write to moves, a change of a name or kind;
- what the portfolio's and the evidence item's heading rows show (apprentices.pages keeps
  them under it): standards, versions and options, and EPAs (the heading's link, and whose
  apprentices an assessor sees): every write;
- the names the review queue shows, searches and sorts by and the evidence item's history
  names: a user's first name, last name and username (only when one of them changes, so
  signing in does not raise it).

The lists also depend on who looks (their keys hold the apprentice, or the role and
organisation) and on what was asked (status, sort, search, page). One number for every
apprentice: a write to any evidence drops every cached list, rebuilt on the next visit (a
number per apprentice would need every trigger to find the apprentice of a file or a
mapping, and the review queue to read many).

Hand-written: Django's cache keeps the lists; what invalidates them must see every write,
which only the database does (as progress.revision and standards.revision).
"""

from __future__ import annotations

from typing import Any

from psp import triggers

TABLE = "apprentices_evidencerevision"
REVISION = triggers.Revision(
    TABLE, function="psp_evidence_revision", trigger="psp_evidence_revision"
)
BUMP = REVISION.bump
current = REVISION.current

# Every write to these tables raises the revision.
WHOLE_TABLES = (
    "apprentices_evidence",
    "apprentices_evidencefile",
    "apprentices_evidenceksb",
    "apprentices_evidenceevent",
    "apprentices_apprentice",
    "apprentices_employermove",  # the employer's home: moves waiting for it (homes.py)
    "standards_ksb",
    # The portfolio's heading (apprentices.pages.portfolio_apprentice): the version's title,
    # number and whether its KSBs are imported, the standard's reference, the option's
    # title, the EPA's link; EPAs also choose an assessor's apprentices.
    "standards_standard",
    "standards_standardversion",
    "standards_option",
    "epa_epa",
)
# Updates of these tables raise it only when one of these columns changes value.
COLUMNS = {
    "psp_user": ("first_name", "last_name", "username"),
    # The employer a move comes from, the portfolio's organisations, the account summary.
    "psp_organisation": ("name", "kind"),
}


def install_triggers(using: str = "default", **kwargs: Any) -> None:
    """(Re)create the triggers and the row; connected to post_migrate."""
    REVISION.install(using, WHOLE_TABLES, COLUMNS)
