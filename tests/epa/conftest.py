import pytest

from epa import gateway
from psp.models import Organisation
from psp.roles import Role
from tests.factories import (
    make_apprentice,
    make_evidence,
    make_full_plan,
    make_organisation,
    make_staff,
    make_version,
)


@pytest.fixture
def version(db):
    version = make_version(ksbs={"K": ["Knows widgets"], "S": ["Fixes widgets"]})
    make_full_plan(version=version)
    return version


@pytest.fixture
def apprentice(version):
    epao = make_organisation(kind=Organisation.Kind.EPAO, name="Imaginary Assessments Ltd")
    apprentice = make_apprentice(version=version, epao=epao)
    make_evidence(apprentice=apprentice, status="accepted", ksbs=list(version.ksbs.all()))
    return apprentice


@pytest.fixture
def provider_user(apprentice):
    return make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)


@pytest.fixture
def employer_user(apprentice):
    return make_staff(role=Role.EMPLOYER, organisation=apprentice.employer)


@pytest.fixture
def epao_admin(apprentice):
    return make_staff(role=Role.EPAO_ADMIN, organisation=apprentice.epao)


@pytest.fixture
def assessor(apprentice):
    return make_staff(role=Role.ASSESSOR, organisation=apprentice.epao)


@pytest.fixture
def submitted_attempt(apprentice, provider_user, employer_user):
    attempt = gateway.start_gateway(apprentice, by=provider_user)
    for item in attempt.items.all():
        user = employer_user if item.kind == "employer" else provider_user
        fields = (
            {"english_maths": "level_2", "details": "GCSEs"} if item.kind == "english_maths" else {}
        )
        gateway.confirm_item(item, by=user, **fields)
    gateway.submit_gateway(attempt, by=provider_user)
    return attempt


@pytest.fixture
def epa(submitted_attempt, epao_admin, assessor):
    import datetime

    from epa.grading import assign_assessor

    decisions = {item.pk: ("accepted", "") for item in submitted_attempt.items.all()}
    epa = gateway.decide_gateway(
        submitted_attempt, decisions, by=epao_admin, gateway_date=datetime.date(2031, 3, 3)
    )
    assign_assessor(epa, assessor, by=epao_admin)
    return epa
