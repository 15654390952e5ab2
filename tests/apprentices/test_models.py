import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apprentices.models import Evidence, EvidenceStateError, validate_uln
from tests.factories import make_apprentice, make_evidence, make_user, make_version


@pytest.mark.parametrize("uln", ["1000000043", "9999999998"])
def test_valid_ulns_pass(uln):
    validate_uln(uln)


@pytest.mark.parametrize(
    ("uln", "message"),
    [
        ("12345", "exactly 10 digits"),
        ("12345678901", "exactly 10 digits"),
        ("10000000AB", "exactly 10 digits"),
        ("0123456789", "cannot start with 0"),
        ("1000000044", "last digit does not match"),
        ("1000000063", "last digit does not match"),
    ],
)
def test_bad_ulns_are_explained(uln, message):
    with pytest.raises(ValidationError, match=message):
        validate_uln(uln)


def test_gateway_must_be_after_start(db):
    apprentice = make_apprentice()
    apprentice.planned_gateway_date = apprentice.start_date
    with pytest.raises(ValidationError, match="must be after the start date"):
        apprentice.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        apprentice.save()


def test_version_must_be_on_offer_at_the_start_date(db):
    version = make_version(
        earliest_start_date=datetime.date(2030, 1, 1), latest_start_date=datetime.date(2030, 6, 30)
    )
    apprentice = make_apprentice(version=version)
    apprentice.start_date = datetime.date(2031, 1, 1)
    apprentice.planned_gateway_date = datetime.date(2032, 1, 1)
    with pytest.raises(ValidationError, match="was not open for starts on 1 January 2031"):
        apprentice.full_clean()


def test_accepted_evidence_must_have_a_reviewer(db):
    apprentice = make_apprentice()
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.create(
            apprentice=apprentice,
            title="x",
            activity_date=datetime.date(2030, 1, 1),
            evidence_type="other",
            status="accepted",
            submission_count=1,
        )


def test_changes_requested_must_have_a_comment(db):
    apprentice = make_apprentice()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_evidence(apprentice=apprentice, status="changes_requested", review_comment="")


def test_second_reviewer_is_told_the_first_already_decided(db):
    apprentice = make_apprentice()
    evidence = make_evidence(apprentice=apprentice, status="submitted")
    first, second = make_user(), make_user()
    stale = Evidence.objects.get(pk=evidence.pk)
    evidence.accept(by=first)
    with pytest.raises(EvidenceStateError, match="now accepted"):
        stale.request_changes(by=second, comment="Too late")
    evidence.refresh_from_db()
    assert evidence.status == "accepted"
    assert evidence.reviewed_by == first
    assert evidence.events.count() == 1


def test_evidence_history_says_changes_in_words_not_stored_values():
    from apprentices.models import EvidenceEvent

    event = EvidenceEvent(
        changes={
            "title": [None, "Risk assessment"],
            "activity_date": [None, "2025-03-04"],
            "personal_data_removed": [None, True],
            "identifiers_confirmed": [None, []],
        }
    )
    assert event.described_changes() == [
        "Title: Risk assessment",
        "Activity date: 4 Mar 2025",
        "Personal data removed: yes",
    ]


@pytest.mark.django_db
def test_evidence_visible_to_each_role_is_the_evidence_of_the_apprentices_it_sees():
    """Evidence.visible_to asks the apprentice's columns through the join for every role but
    the assessor; the rows must be those of the apprentices Apprentice.visible_to gives."""
    from apprentices.models import Apprentice
    from psp.models import Organisation
    from psp.roles import Role
    from tests.factories import make_organisation, make_staff

    version = make_version(version="7.0", ksbs={"K": ["Knows widgets"]})
    epao = make_organisation(kind=Organisation.Kind.EPAO)
    on_programme = make_apprentice(version=version, epao=epao)
    in_epa = make_apprentice(version=version, epao=epao, status=Apprentice.Status.IN_EPA)
    other = make_apprentice(version=version)
    for apprentice in (on_programme, in_epa, other):
        make_evidence(apprentice=apprentice)
        make_evidence(apprentice=apprentice, status="submitted")
    assessor = make_user(role=Role.ASSESSOR)
    in_epa.epa.assessor = assessor
    in_epa.epa.save()
    viewers = [
        make_user(role=Role.ADMIN),
        on_programme.user,
        in_epa.user,
        make_staff(role=Role.PROVIDER, organisation=on_programme.training_provider),
        make_staff(role=Role.EMPLOYER, organisation=other.employer),
        make_staff(role=Role.EPAO_ADMIN, organisation=epao),
        make_user(role=Role.PROVIDER),  # no organisation: sees nothing
        assessor,
        make_user(role=Role.ASSESSOR),  # no EPA: sees nothing
    ]
    sizes = []
    for viewer in viewers:
        chosen = set(Evidence.objects.visible_to(viewer))
        seen = Apprentice.objects.visible_to(viewer)
        expected = set(Evidence.objects.filter(apprentice__in=seen))
        assert chosen == expected, viewer.role
        sizes.append(len(chosen))
    assert sizes == [6, 2, 2, 2, 2, 2, 0, 2, 0]


@pytest.mark.django_db
def test_an_apprentice_is_visible_to_exactly_whom_visible_to_gives_it():
    """Apprentice.is_visible_to asks one row in Python what Apprentice.objects.visible_to
    asks of the table (the gateway page and the report status page check it on a cached
    row): every role, an EPAO's apprentices on programme and in EPA, no organisation."""
    from django.contrib.auth.models import AnonymousUser

    from apprentices.models import Apprentice
    from psp.models import Organisation
    from psp.roles import Role
    from tests.factories import make_organisation, make_staff

    version = make_version(version="7.0", ksbs={"K": ["Knows widgets"]})
    epao = make_organisation(kind=Organisation.Kind.EPAO)
    on_programme = make_apprentice(version=version, epao=epao)
    in_epa = make_apprentice(version=version, epao=epao, status=Apprentice.Status.IN_EPA)
    completed = make_apprentice(version=version, epao=epao, status=Apprentice.Status.COMPLETED)
    other = make_apprentice(version=version)
    assessor = make_user(role=Role.ASSESSOR)
    in_epa.epa.assessor = assessor
    in_epa.epa.save()
    viewers = [
        make_user(role=Role.ADMIN),
        on_programme.user,
        in_epa.user,
        make_staff(role=Role.PROVIDER, organisation=on_programme.training_provider),
        make_staff(role=Role.EMPLOYER, organisation=other.employer),
        make_staff(role=Role.EPAO_ADMIN, organisation=epao),
        make_user(role=Role.PROVIDER),  # no organisation: sees nothing
        make_user(role=Role.EPAO_ADMIN),
        assessor,
        make_user(role=Role.ASSESSOR),  # no EPA: sees nothing
        AnonymousUser(),
    ]
    every = list(Apprentice.objects.all())
    sizes = []
    for viewer in viewers:
        seen = set(Apprentice.objects.visible_to(viewer))
        assert {a for a in every if a.is_visible_to(viewer)} == seen, viewer
        sizes.append(len(seen))
    assert sizes == [len(every), 1, 1, 1, 1, 2, 0, 0, 1, 0, 0]
    assert completed.is_visible_to(viewers[5])
