"""Object permissions on apprentices, their evidence and their moves (psp.rules says how
they are answered). Views ask `request.user.has_perm("apprentices.review_evidence", evidence)`;
templates `{% has_perm "apprentices.change_evidence" user evidence as can_edit %}`.
"""

from __future__ import annotations

import rules

from apprentices.models import Apprentice, EmployerMove, Evidence
from psp.models import User
from psp.roles import Role
from psp.rules import asks, granted, has_role


@rules.predicate
def has_an_organisation(user: User) -> bool:
    return user.organisation_id is not None


# Apprentices: their details, employer and version are their training provider's to change.
rules.add_perm(
    "apprentices.change_apprentice",
    granted("apprentices.change_apprentice") & asks(Apprentice.can_be_edited_by),
)
# A copy of everything held about them (apprentices.privacy.export).
rules.add_perm(
    "apprentices.export_apprentice",
    granted("apprentices.view_apprentice") & asks(Apprentice.can_be_exported_by),
)
# Adding apprentices from a file (apprentices.onboarding): a training provider's own staff.
rules.add_perm(
    "apprentices.add_apprentices_from_file",
    granted("apprentices.add_apprentice") & has_role(Role.PROVIDER) & has_an_organisation,
)
# The apprentice's list of apprentices is their own page: the list is for staff.
rules.add_perm(
    "apprentices.list_apprentices",
    granted("apprentices.view_apprentice") & ~has_role(Role.APPRENTICE),
)

# Evidence: the apprentice adds, edits, submits and withdraws their own; their training
# provider reviews it.
rules.add_perm(
    "apprentices.add_evidence",
    granted("apprentices.add_evidence") & asks(Apprentice.can_add_to_portfolio),
)
rules.add_perm(
    "apprentices.change_evidence",
    granted("apprentices.change_evidence") & asks(Evidence.can_be_edited_by),
)
rules.add_perm(
    "apprentices.submit_evidence",
    granted("apprentices.change_evidence") & asks(Evidence.can_be_submitted_by),
)
rules.add_perm(
    "apprentices.withdraw_evidence",
    granted("apprentices.change_evidence") & asks(Evidence.can_be_withdrawn_by),
)
rules.add_perm(
    "apprentices.review_evidence",
    granted("apprentices.review_evidence") & asks(Evidence.can_be_reviewed_by),
)

# A move to another employer is that employer's staff's to accept or decline.
rules.add_perm(
    "apprentices.decide_employermove",
    granted("apprentices.decide_employermove") & asks(EmployerMove.can_be_decided_by),
)
