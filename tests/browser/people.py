"""The people of a journey: one apprentice on a fictional standard (ST9990) with a full EPA
plan, their employer, training provider and EPAO, and a member of staff of each."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from apprentices import portfolio
from apprentices.uploads import check_upload
from psp.models import Organisation
from psp.roles import Role
from tests.factories import (
    make_apprentice,
    make_full_plan,
    make_organisation,
    make_staff,
    make_user,
    make_version,
)

KSBS = {
    "K": [
        "The law on imaginary widgets",
        "Safety rules for gadgets",
        "How to record an inspection",
    ],
    "S": ["Inspects widgets for cracks", "Writes inspection reports a widget owner can follow"],
    "B": ["Takes care with other people's widgets"],
}


@dataclass(frozen=True)
class Cast:
    version: Any
    apprentice: Any
    provider: Any
    employer: Any
    epao_admin: Any
    assessor: Any
    admin: Any
    second_epao_admin: Any


def make_cast() -> Cast:
    version = make_version(ksbs=KSBS)
    make_full_plan(version=version)
    epao = make_organisation(kind=Organisation.Kind.EPAO, name="Imaginary Assessments Ltd")
    apprentice = make_apprentice(
        version=version,
        epao=epao,
        user=make_user(
            role=Role.APPRENTICE, username="alex", first_name="Alex", last_name="Imaginary"
        ),
        employer=make_organisation(name="Imaginary Probation Unit"),
        training_provider=make_organisation(
            kind=Organisation.Kind.TRAINING_PROVIDER, name="Imaginary Training"
        ),
    )
    return Cast(
        version=version,
        apprentice=apprentice,
        provider=make_staff(
            role=Role.PROVIDER,
            organisation=apprentice.training_provider,
            username="priya",
            first_name="Priya",
            last_name="Provider",
        ),
        employer=make_staff(
            role=Role.EMPLOYER,
            organisation=apprentice.employer,
            username="ellis",
            first_name="Ellis",
            last_name="Employer",
        ),
        epao_admin=make_staff(
            role=Role.EPAO_ADMIN,
            organisation=epao,
            username="jo",
            first_name="Jo",
            last_name="Moderator",
        ),
        assessor=make_staff(
            role=Role.ASSESSOR,
            organisation=epao,
            username="sam",
            first_name="Sam",
            last_name="Assessor",
        ),
        admin=make_user(
            role=Role.ADMIN, username="ada", first_name="Ada", last_name="Admin", is_staff=True
        ),
        second_epao_admin=make_staff(
            role=Role.EPAO_ADMIN,
            organisation=epao,
            username="kit",
            first_name="Kit",
            last_name="Checker",
        ),
    )


def add_evidence(
    cast: Cast,
    *,
    title: str,
    codes: list[str],
    outcome: str = "submitted",
    apprentice: Any = None,
) -> Any:
    """Evidence with a file and a KSB mapping, taken to outcome through the workflow
    ("draft", "submitted", "changes_requested" or "accepted")."""
    apprentice = apprentice or cast.apprentice
    user = apprentice.user
    upload = SimpleUploadedFile(f"{title}.txt", f"{title}\nFictional evidence.\n".encode())
    evidence = portfolio.create_evidence(
        apprentice,
        by=user,
        files=[check_upload(upload)],
        title=title,
        activity_date=datetime.date(2030, 2, 1),
        evidence_type="work_product",
        reflection="What I did and what I learned. All details are fictional.",
        personal_data_removed=True,
    )
    ksbs = {ksb.code: ksb for ksb in apprentice.standard_version.ksbs.all()}
    portfolio.set_mappings(evidence, {ksbs[code]: "" for code in codes}, by=user)
    if outcome == "draft":
        return evidence
    evidence.submit(by=user)
    if outcome == "accepted":
        evidence.accept(by=cast.provider)
    elif outcome == "changes_requested":
        evidence.request_changes(by=cast.provider, comment="Say what you did yourself.")
    return evidence
