"""The personal data the reports hold about an apprentice, for apprentices.privacy
(registered from ReportsConfig.ready()): built reports, deleted with the portfolio. See
apprentices.privacy for the stages and what each field of a Holding means."""

from __future__ import annotations

from django.db.models import Q

from apprentices.privacy import PORTFOLIO, Holding
from reports.models import Report

HOLDINGS = [
    Holding(
        Report,
        "apprentice",
        PORTFOLIO,
        files=("file",),
        delete=True,
        own_only=True,
        # An EPA result report is built from provisional grades until the result is final.
        provisional_rows=Q(kind=Report.Kind.EPA_RESULT),
    ),
]

# How the audit trail's entries of the reports' table lead to an apprentice.
AUDIT_LINKS = {"epa_report": ("apprentice_id", "apprentices_apprentice")}
