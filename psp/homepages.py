"""What each role sees on its home page after signing in.

psp chooses the template (templates/psp/home_<role>.html); each app adds what it owns to
the page by registering a section from its AppConfig.ready() (standards.homes,
apprentices.homes, epa.homes), so psp imports none of the apps above it. A section is a function
(user, query) -> the template's variables, where query is the page's GET parameters; it
names the revisions (psp.triggers.Revision) its cache keys read, and the page reads those of
all its sections in one query (psp.triggers.read_at_once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from psp.models import Organisation, User
from psp.roles import Role
from psp.triggers import Revision, read_at_once

Section = Callable[[User, Mapping[str, str]], dict[str, Any]]

_sections: list[tuple[frozenset[Role], Section, tuple[Revision, ...]]] = []


def register_section(
    roles: Iterable[Role], section: Section, *, revisions: Iterable[Revision] = ()
) -> None:
    """Show section(user, query) on the home page of each of these roles; `revisions`, those
    whose current() it asks."""
    _sections.append((frozenset(roles), section, tuple(revisions)))


class OrganisationName(NamedTuple):
    """What the home pages show of the user's organisation (templates/psp/_account_summary.html):
    plain values, so a section may keep them in its cache entry (apprentices.homes)."""

    name: str
    kind_label: str

    @classmethod
    def of(cls, organisation: Organisation | None) -> OrganisationName | None:
        if organisation is None:
            return None
        return cls(organisation.name, organisation.get_kind_display())


@dataclass(frozen=True)
class HomePage:
    template: str
    data: dict[str, Any]


def home_context(user: User, *, query: Mapping[str, str] | None = None) -> HomePage:
    """query: the page's GET parameters (filters of the provider's progress flags)."""
    role = user.role
    if role is None:
        return HomePage("psp/home_no_role.html", {})
    data: dict[str, Any] = {"role": role}
    shown = [(section, revisions) for roles, section, revisions in _sections if role in roles]
    read = {revision.table: revision for _, revisions in shown for revision in revisions}
    with read_at_once(*read.values()):
        for section, _ in shown:
            data |= section(user, query or {})
    if "organisation" not in data:  # a section may bring it from its cache
        data["organisation"] = OrganisationName.of(user.organisation)
    return HomePage(f"psp/home_{role.value}.html", data)
