"""Object permissions on gateway, EPAs, their assessments, results and the assessors'
conflicts of interest (psp.rules says how they are answered). Views ask
`request.user.has_perm("epa.grade_epa", epa)`; templates `{% has_perm %}`.
"""

from __future__ import annotations

import rules

from apprentices.models import Apprentice
from epa.models import (
    ConflictOfInterest,
    Epa,
    EpaResult,
    GatewayAttempt,
    GatewayItem,
    MethodAssessment,
)
from psp.models import User
from psp.rules import asks, granted


def _employs_or_trains(apprentice: Apprentice, user: User) -> bool:
    return apprentice.is_trained_by(user) or apprentice.is_employed_by(user)


def _is_not_the_apprentice(epa: Epa, user: User) -> bool:
    return user.pk != epa.apprentice.user_id


# Gateway: the training provider prepares and submits it; the provider and the employer
# confirm their items and, while preparing, see the pack's KSB coverage; the EPAO decides.
rules.add_perm(
    "epa.prepare_gateway", granted("epa.prepare_gateway") & asks(Apprentice.is_trained_by)
)
rules.add_perm(
    "epa.confirm_gateway", granted("epa.confirm_gateway") & asks(GatewayItem.can_be_confirmed_by)
)
rules.add_perm(
    "epa.view_gateway_coverage", granted("epa.confirm_gateway") & asks(_employs_or_trains)
)
rules.add_perm(
    "epa.decide_gateway", granted("epa.decide_gateway") & asks(GatewayAttempt.can_be_decided_by)
)

# The EPA: its assessor grades; its EPAO's administrators manage, moderate and amend.
rules.add_perm("epa.grade_epa", granted("epa.grade_epa") & asks(Epa.can_be_graded_by))
rules.add_perm(
    "epa.record_assessment",
    granted("epa.grade_epa") & asks(MethodAssessment.can_be_recorded_by),
)
rules.add_perm("epa.manage_epa", granted("epa.manage_epa") & asks(Epa.can_be_managed_by))
rules.add_perm("epa.moderate_epa", granted("epa.moderate_epa") & asks(Epa.can_be_moderated_by))
rules.add_perm("epa.amend_result", granted("epa.amend_result") & asks(EpaResult.can_be_amended_by))
# The apprentice hands in material for a method that takes it.
rules.add_perm(
    "epa.submit_material",
    granted("epa.submit_material") & asks(MethodAssessment.can_receive_material_from),
)
# Provisional grades (on the page and in the EPA's PDF), and the assessor's independence
# check, which is about the apprentice's people, not for the apprentice.
rules.add_perm("epa.view_grades", granted("epa.view_epa") & asks(Epa.shows_grades_to))
rules.add_perm("epa.view_independence", granted("epa.view_epa") & asks(_is_not_the_apprentice))

# An assessor's own declarations: only they end or withdraw them.
rules.add_perm(
    "epa.end_conflict", granted("epa.declare_conflict") & asks(ConflictOfInterest.can_be_ended_by)
)
rules.add_perm(
    "epa.withdraw_conflict",
    granted("epa.declare_conflict") & asks(ConflictOfInterest.can_be_withdrawn_by),
)
