"""Object permissions: the answer to `user.has_perm(perm, obj)`, and the building blocks
each app's `rules.py` declares its own from.

django-rules' backend (settings.AUTHENTICATION_BACKENDS, after ModelBackend) answers every
`has_perm` with the rule of that name. An object permission is the role's capability (the
Django permission of the same name, which ModelBackend reads from psp.access's cache)
and the model's own predicate on the row (`Epa.can_be_graded_by`):

    rules.add_perm("epa.grade_epa", granted("epa.grade_epa") & asks(Epa.can_be_graded_by))

Asked without an object, such a rule is False, so `has_perm("epa.grade_epa")` stays the
capability alone (ModelBackend's answer): `permission_required` answers 403 before any row
is looked up, and the view then asks about the row it found. Views, templates
(`{% has_perm %}`, `perms`) and navigation ask only these; none re-spells a rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import rules
from django.contrib.auth.backends import ModelBackend

from psp.roles import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from psp.models import User

T = TypeVar("T")

_capabilities = ModelBackend()


def granted(perm: str) -> rules.Predicate:
    """The user's role grants `perm`: a permission of their group, active users only."""

    def check(user: User) -> bool:
        return _capabilities.has_perm(user, perm)

    return rules.Predicate(check, name=f"granted({perm})")


def asks(model_predicate: Callable[[T, User], bool]) -> rules.Predicate:
    """The model's own predicate on the object (`Epa.can_be_graded_by`); False without one."""

    def check(user: User, obj: T | None) -> bool:
        return obj is not None and model_predicate(obj, user)

    return rules.Predicate(check, name=model_predicate.__qualname__)


def has_role(*roles: Role) -> rules.Predicate:
    """The signed-in user's role is one of these (for what a role sees of any row it sees)."""

    def check(user: User | AnonymousUser) -> bool:
        return user.is_authenticated and user.role in roles

    return rules.Predicate(check, name=f"has_role({', '.join(roles)})")


# Staff who read an object's audit history (psp.audit.history_for) on its page.
rules.add_perm("psp.view_audit_history", has_role(Role.PROVIDER, Role.EPAO_ADMIN, Role.ADMIN))
