"""The personal data of off-the-job training and progress reviews, for apprentices.privacy
(registered from ProgressConfig.ready()): all of it with the portfolio. See
apprentices.privacy for the stages and what each field of a Holding means."""

from __future__ import annotations

import datetime

from django.db.models import Max

from apprentices.models import Apprentice
from apprentices.privacy import PORTFOLIO, Holding
from progress.models import (
    OffTheJobEntry,
    ProgressReview,
    ReviewKsbComment,
    ReviewSignature,
    ReviewSigningLink,
    ReviewTarget,
)

HOLDINGS = [
    Holding(
        OffTheJobEntry,
        "apprentice",
        PORTFOLIO,
        text=("description", "query"),
        months=("date", "reviewed_at", "created_at"),
    ),
    Holding(ProgressReview, "apprentice", PORTFOLIO, text=("summary", "prefill")),
    Holding(ReviewTarget, "review__apprentice", PORTFOLIO, text=("text", "progress_note")),
    Holding(ReviewKsbComment, "review__apprentice", PORTFOLIO, text=("comment",)),
    Holding(ReviewSigningLink, "review__apprentice", PORTFOLIO, text=("name",), empty=("email",)),
    Holding(ReviewSignature, "review__apprentice", PORTFOLIO, text=("name",)),
]

# How the audit trail's entries of these tables lead to an apprentice (parents first).
AUDIT_LINKS = {
    "apprentices_offthejobentry": ("apprentice_id", "apprentices_apprentice"),
    "apprentices_progressreview": ("apprentice_id", "apprentices_apprentice"),
    "apprentices_reviewtarget": ("review_id", "apprentices_progressreview"),
    "apprentices_reviewksbcomment": ("review_id", "apprentices_progressreview"),
    "apprentices_reviewsigninglink": ("review_id", "apprentices_progressreview"),
    "apprentices_reviewsignature": ("review_id", "apprentices_progressreview"),
}


def last_changed(apprentice: Apprentice) -> datetime.datetime | None:
    """The last change to the apprentice's off-the-job log or progress reviews."""
    moments = [
        OffTheJobEntry.objects.filter(apprentice=apprentice).aggregate(m=Max("updated_at"))["m"],
        ProgressReview.objects.filter(apprentice=apprentice).aggregate(m=Max("recorded_at"))["m"],
    ]
    return max((moment for moment in moments if moment is not None), default=None)
