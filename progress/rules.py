"""Object permissions on off-the-job training and progress reviews (psp.rules says how they
are answered). Views ask `request.user.has_perm("progress.sign_progressreview", review)`;
templates `{% has_perm "progress.approve_offthejobentry" user entry as can_approve %}`.
"""

from __future__ import annotations

import rules

from apprentices.models import Apprentice
from progress.models import OffTheJobEntry, ProgressReview
from psp.models import User
from psp.rules import asks, granted


def _trains_its_apprentice(review: ProgressReview, user: User) -> bool:
    return review.apprentice.is_trained_by(user)


# Off-the-job training: the apprentice logs it (while their portfolio is open) and edits what
# is not yet approved; their training provider approves or queries what is submitted.
rules.add_perm(
    "progress.add_offthejobentry",
    granted("progress.add_offthejobentry") & asks(Apprentice.can_add_to_portfolio),
)
rules.add_perm(
    "progress.change_offthejobentry",
    granted("progress.change_offthejobentry") & asks(OffTheJobEntry.can_be_edited_by),
)
rules.add_perm(
    "progress.approve_offthejobentry",
    granted("progress.approve_offthejobentry") & asks(OffTheJobEntry.can_be_reviewed_by),
)

# Progress reviews: the apprentice's training provider schedules them, records (and corrects)
# each until the first signature, and emails the employer's contact a link to sign; the
# apprentice, the provider and the employer each sign once.
rules.add_perm(
    "progress.schedule_progressreview",
    granted("progress.schedule_progressreview") & asks(Apprentice.is_trained_by),
)
rules.add_perm(
    "progress.record_progressreview",
    granted("progress.schedule_progressreview") & asks(ProgressReview.can_be_recorded_by),
)
rules.add_perm(
    "progress.send_signing_link",
    granted("progress.schedule_progressreview") & asks(_trains_its_apprentice),
)
rules.add_perm(
    "progress.sign_progressreview",
    granted("progress.sign_progressreview") & asks(ProgressReview.can_be_signed_by),
)
