"""Plain factory functions for tests. Standards made here are fictional (ST9999)."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from django.contrib.auth.models import Group

from psp.models import Organisation, User
from psp.roles import Role
from standards.models import (
    KSB,
    AssessmentMethod,
    Duty,
    EpaPlan,
    GatewayRequirement,
    Standard,
    StandardVersion,
)

_sequence = itertools.count(1)


def make_organisation(
    *, kind: Organisation.Kind = Organisation.Kind.EMPLOYER, **fields: Any
) -> Organisation:
    fields.setdefault("name", f"Test organisation {next(_sequence)}")
    return Organisation.objects.create(kind=kind, **fields)


def make_user(
    *, role: Role | None = None, password: str = "correct-horse-battery", **fields: Any
) -> User:
    fields.setdefault("username", f"user{next(_sequence)}")
    user = User.objects.create_user(password=password, **fields)
    if role is not None:
        user.groups.add(Group.objects.get(name=role.label))
    return user


def make_standard(*, reference: str = "ST9999", **fields: Any) -> Standard:
    fields.setdefault("title", "Imaginary widget inspector")
    return Standard.objects.get_or_create(reference=reference, defaults=fields)[0]


def make_version(
    *,
    standard: Standard | None = None,
    version: str = "1.0",
    ksbs: dict[str, list[str]] | None = None,
    duties: list[tuple[str, list[str]]] | None = None,
    **fields: Any,
) -> StandardVersion:
    """A fictional version. ksbs maps kind ("K", "S", "B") to texts; duties are (text, codes)."""
    fields.setdefault("title", "Imaginary widget inspector")
    fields.setdefault("status", StandardVersion.Status.APPROVED)
    fields.setdefault("level", 3)
    fields.setdefault("earliest_start_date", datetime.date(2030, 1, 1))
    standard_version = StandardVersion.objects.create(
        standard=standard or make_standard(),
        version=version,
        ksbs_imported=ksbs is not None,
        duties_imported=duties is not None,
        **fields,
    )
    by_code = {}
    for kind, texts in (ksbs or {}).items():
        for number, text in enumerate(texts, start=1):
            ksb = KSB.objects.create(version=standard_version, kind=kind, number=number, text=text)
            by_code[ksb.code] = ksb
    for number, (text, codes) in enumerate(duties or [], start=1):
        duty = Duty.objects.create(version=standard_version, number=number, text=text)
        duty.ksbs.set([by_code[code] for code in codes])
    return standard_version


def make_epa_plan(
    *, version: StandardVersion, methods: list[dict[str, Any]] | None = None, **fields: Any
) -> EpaPlan:
    fields.setdefault("overall_grades", ["fail", "pass", "distinction"])
    fields.setdefault("gateway_imported", True)
    fields.setdefault("methods_imported", methods is not None)
    plan = EpaPlan.objects.create(version=version, **fields)
    GatewayRequirement.objects.create(
        plan=plan, number=1, kind=GatewayRequirement.Kind.OTHER, text="hold an imaginary licence"
    )
    for number, method in enumerate(methods or [], start=1):
        AssessmentMethod.objects.create(plan=plan, number=number, **method)
    return plan
