"""Plain factory functions for tests. Standards made here are fictional (ST9990)."""

from __future__ import annotations

import datetime
import itertools
import json
from typing import Any

from django.conf import settings
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


def make_standard(*, reference: str = "ST9990", **fields: Any) -> Standard:
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


def valid_uln(seed: int) -> str:
    """A ULN with a correct check digit, different for each seed."""
    from apprentices.models import complete_uln, uln_check_digit

    base = f"{100000000 + seed * 7:09d}"[:9]
    while uln_check_digit(base) == 10:
        base = f"{int(base) + 1:09d}"
    return complete_uln(base)


def make_apprentice(*, version: StandardVersion | None = None, **fields: Any):  # type: ignore[no-untyped-def]
    """An apprentice with their own user, employer and training provider unless given."""
    from apprentices.models import Apprentice

    number = next(_sequence)
    if version is None:
        version = make_version(
            version=f"{number}.0", ksbs={"K": ["Knows widgets", "Knows gadgets"], "S": ["Fixes"]}
        )
    fields.setdefault(
        "user", make_user(role=Role.APPRENTICE, first_name="Appr", last_name=f"Entice{number}")
    )
    fields.setdefault("uln", valid_uln(number))
    fields.setdefault("employer", make_organisation(kind=Organisation.Kind.EMPLOYER))
    fields.setdefault(
        "training_provider", make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)
    )
    start = version.earliest_start_date or datetime.date(2030, 1, 1)
    fields.setdefault("start_date", start)
    fields.setdefault("planned_gateway_date", start + datetime.timedelta(days=540))
    status = fields.pop("status", Apprentice.Status.ON_PROGRAMME)
    if status not in Apprentice.EPA_STATUSES:
        return Apprentice.objects.create(standard_version=version, status=status, **fields)
    apprentice = Apprentice.objects.create(standard_version=version, **fields)
    put_in_status(apprentice, status)
    return apprentice


def put_in_status(apprentice: Any, status: str) -> None:
    """The gateway and EPA records a status from gateway on needs (epa.progression), written
    directly for tests of who sees what (tests of the workflow use the workflow)."""
    from apprentices.models import Apprentice
    from epa.models import Epa, EpaResult, GatewayAttempt

    staff = make_user(role=Role.PROVIDER)
    accepted = status != Apprentice.Status.AT_GATEWAY
    attempt = GatewayAttempt.objects.create(
        apprentice=apprentice,
        number=apprentice.gateway_attempts.count() + 1,
        status=GatewayAttempt.Status.ACCEPTED if accepted else GatewayAttempt.Status.SUBMITTED,
        created_by=staff,
        pack={"evidence": []},
        pack_hash="0" * 64,
        gateway_date=datetime.date(2031, 3, 3) if accepted else None,
    )
    if accepted:
        epa = Epa.objects.create(
            apprentice=apprentice,
            gateway=attempt,
            period_start=datetime.date(2031, 3, 3),
            period_end=datetime.date(2031, 6, 3),
        )
    if status == Apprentice.Status.COMPLETED:
        EpaResult.objects.create(
            epa=epa,
            sitting=1,
            overall_grade="pass",
            method_grades={},
            assessor=make_user(role=Role.ASSESSOR),
            moderator=make_user(role=Role.EPAO_ADMIN),
        )
    Apprentice.objects.filter(pk=apprentice.pk).update(status=status)
    apprentice.status = status


def make_staff(*, role: Role, organisation: Organisation, **fields: Any) -> User:
    return make_user(role=role, organisation=organisation, **fields)


def make_evidence(*, apprentice: Any, status: str = "draft", ksbs: list[Any] = (), **fields: Any):  # type: ignore[no-untyped-def]
    """Evidence in a given status, written directly (tests of workflows use the workflow)."""
    from apprentices.models import Evidence, EvidenceKSB

    fields.setdefault("title", f"Evidence {next(_sequence)}")
    fields.setdefault("activity_date", datetime.date(2030, 2, 1))
    fields.setdefault("evidence_type", Evidence.Type.WORK_PRODUCT)
    if status != Evidence.Status.DRAFT:
        fields.setdefault("submission_count", 1)
    if status == Evidence.Status.ACCEPTED and "reviewed_by" not in fields:
        fields["reviewed_by"] = apprentice.user
    if status == Evidence.Status.CHANGES_REQUESTED:
        fields.setdefault("review_comment", "Please add more detail")
    evidence = Evidence.objects.create(apprentice=apprentice, status=status, **fields)
    EvidenceKSB.objects.bulk_create(EvidenceKSB(evidence=evidence, ksb=ksb) for ksb in ksbs)
    return evidence


def make_full_plan(*, version: StandardVersion, cap: str = "pass") -> EpaPlan:
    """A complete, fictional EPA plan: two methods, criteria, the demo plan's combination
    table, a cap."""
    from standards.models import GradeCombination, GradingCriterion

    plan = EpaPlan.objects.create(
        version=version,
        epa_period_months=4,
        overall_grades=["fail", "pass", "merit", "distinction"],
        gateway_imported=True,
        methods_imported=True,
        ksb_mapping_imported=True,
        grading_imported=True,
        combination_imported=True,
        resits_imported=True,
        resit_grade_cap=cap,
        provenance="Fictional plan for tests",
    )
    GatewayRequirement.objects.create(
        plan=plan, number=1, kind=GatewayRequirement.Kind.ENGLISH_MATHS, text="english and maths"
    )
    GatewayRequirement.objects.create(
        plan=plan, number=2, kind=GatewayRequirement.Kind.PORTFOLIO, text="a portfolio"
    )
    grades = ["fail", "pass", "distinction"]
    interview = AssessmentMethod.objects.create(
        plan=plan,
        number=1,
        name="Imaginary interview",
        duration_minutes=60,
        minimum_questions=3,
        grades=grades,
    )
    demo = AssessmentMethod.objects.create(
        plan=plan,
        number=2,
        name="Imaginary demonstration",
        duration_minutes=45,
        duration_is_minimum=True,
        minimum_questions=2,
        submission_deadline_week=8,
        grades=grades,
    )
    for method in (interview, demo):
        GradingCriterion.objects.create(
            method=method,
            code=f"M{method.number}A",
            pass_descriptor="Explains widgets",
            distinction_descriptor="Explains widgets brilliantly",
        )
        GradingCriterion.objects.create(
            method=method, code=f"M{method.number}B", pass_descriptor="Fixes widgets"
        )
    # The demo's combination table (fixtures/demo/), one source for the demo and the tests.
    demo_plan = settings.BASE_DIR / "fixtures" / "demo" / "st9999-v1.0-epa-plan.json"
    GradeCombination.objects.bulk_create(
        GradeCombination(plan=plan, method_grades=row["methodGrades"], overall_grade=row["overall"])
        for row in json.loads(demo_plan.read_text())["gradeCombinations"]
    )
    return plan


def make_otj_entry(*, apprentice: Any, status: str = "submitted", **fields: Any):  # type: ignore[no-untyped-def]
    """An off-the-job training entry, written directly."""
    from decimal import Decimal

    from progress.models import OffTheJobEntry

    fields.setdefault("date", apprentice.start_date + datetime.timedelta(days=7))
    fields.setdefault("hours", Decimal("6"))
    fields.setdefault("activity", OffTheJobEntry.Activity.TEACHING)
    fields.setdefault("description", "Imaginary widget theory")
    if status != OffTheJobEntry.Status.SUBMITTED:
        fields.setdefault("reviewed_by", apprentice.user)
    if status == OffTheJobEntry.Status.QUERIED:
        fields.setdefault("query", "Which widgets?")
    return OffTheJobEntry.objects.create(apprentice=apprentice, status=status, **fields)


def make_progress_review(*, apprentice: Any, scheduled_by: Any = None, **fields: Any):  # type: ignore[no-untyped-def]
    """A scheduled progress review, written directly (workflow tests use progress.reviews)."""
    from progress.models import ProgressReview

    fields.setdefault("due_on", apprentice.start_date + datetime.timedelta(weeks=12))
    return ProgressReview.objects.create(
        apprentice=apprentice, scheduled_by=scheduled_by or apprentice.user, **fields
    )


def make_api_token(organisation: Organisation, *, can_write: bool = False, name: str = "MIS"):  # type: ignore[no-untyped-def]
    """An organisation's API token, and the request header that carries it."""
    from api import tokens

    role = (
        Role.PROVIDER
        if organisation.kind == Organisation.Kind.TRAINING_PROVIDER
        else Role.EPAO_ADMIN
    )
    staff = make_staff(role=role, organisation=organisation)
    token, text = tokens.create_token(organisation, name=name, can_write=can_write, by=staff)
    return token, {"HTTP_AUTHORIZATION": f"Bearer {text}"}


def make_apprentice_in_learning(*, version: Any, provider: Any, name: str, **fields: Any):  # type: ignore[no-untyped-def]
    """An apprentice of the provider 40 weeks into 78 weeks to gateway, called "<name> Tester":
    with nothing else, behind on reviews, off-the-job hours and coverage."""
    from django.utils import timezone

    start = timezone.localdate() - datetime.timedelta(weeks=40)
    return make_apprentice(
        version=version,
        training_provider=provider,
        start_date=start,
        planned_gateway_date=start + datetime.timedelta(weeks=78),
        user=make_user(role=Role.APPRENTICE, first_name=name, last_name="Tester"),
        **fields,
    )


def make_apprentice_keeping_up(*, version: Any, provider: Any):  # type: ignore[no-untyped-def]
    """An apprentice in learning and on track: a review due in 60 days, 600 hours approved,
    every KSB of the version accepted."""
    from decimal import Decimal

    from django.utils import timezone

    apprentice = make_apprentice_in_learning(
        version=version, provider=provider, name="Keeping", contracted_hours_per_week=Decimal("30")
    )
    make_progress_review(
        apprentice=apprentice, due_on=timezone.localdate() + datetime.timedelta(days=60)
    )
    for n in range(30):
        make_otj_entry(
            apprentice=apprentice,
            status="approved",
            hours=Decimal("20"),
            date=apprentice.start_date + datetime.timedelta(days=n),
        )
    make_evidence(apprentice=apprentice, status="accepted", ksbs=list(version.ksbs.all()))
    return apprentice


def page_context(response, key):
    """`key` as the page's own template saw it: the last rendered context holding it. (A
    view may render a fragment to keep in the cache before the page, with its own `key`:
    response.context[key] would give that fragment's, the first.)"""
    return [context[key] for context in response.context if key in context][-1]
