import pytest
from django.db import connection
from django.urls import reverse

from epa import revision
from epa.models import Epa, MethodModeration
from psp.models import Organisation
from psp.roles import Role
from tests.factories import make_apprentice, make_organisation, make_staff


def assessment_post(assessment, *, questions):
    data = {
        "seen_version": assessment.version,
        "assessed_on_0": "1",
        "assessed_on_1": "4",
        "assessed_on_2": "2026",
        "duration_minutes": "62",
        "evidence_referred": "Pack items 1 and 2",
        "judgement": "Clear and thorough",
    }
    rows = max(questions + 2, 6)  # the page's rows: the questions and spare ones
    data |= {"questions-TOTAL_FORMS": str(rows), "questions-INITIAL_FORMS": "0"}
    for n in range(questions):
        data[f"questions-{n}-question"] = f"Tell me about widget {n + 1}"
    for criterion in assessment.method.grading_criteria.all():
        data[f"pass_{criterion.pk}"] = "yes"
        if criterion.distinction_descriptor:
            data[f"distinction_{criterion.pk}"] = "yes"
    return data


def test_gateway_page_explains_a_missing_epa_plan(client, st0494):
    from standards.models import StandardVersion

    v1_0 = StandardVersion.objects.get(version="1.0")
    apprentice = make_apprentice(version=v1_0)
    client.force_login(make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider))
    page = client.get(reverse("epa:gateway", args=[apprentice.pk])).content.decode()
    assert "This apprentice cannot enter gateway yet" in page
    assert "An administrator must import the EPA plan" in page
    assert "Start gateway" not in page


def test_whole_journey_from_gateway_to_final_grade(
    client, apprentice, provider_user, employer_user, epao_admin, assessor
):
    gateway_url = reverse("epa:gateway", args=[apprentice.pk])
    client.force_login(provider_user)
    client.post(reverse("epa:gateway_start", args=[apprentice.pk]))
    attempt = apprentice.gateway_attempts.get()
    english = attempt.item("english_maths")
    response = client.post(
        reverse("epa:gateway_item_confirm", args=[apprentice.pk, english.pk]), {}
    )
    assert "Choose how the English and maths requirement is met" in response.content.decode()
    client.post(
        reverse("epa:gateway_item_confirm", args=[apprentice.pk, english.pk]),
        {"english_maths": "entry_3_ehcp", "details": "EHC plan 2029"},
    )
    for kind in ("portfolio", "provider"):
        client.post(
            reverse("epa:gateway_item_confirm", args=[apprentice.pk, attempt.item(kind).pk])
        )
    client.force_login(employer_user)
    client.post(
        reverse("epa:gateway_item_confirm", args=[apprentice.pk, attempt.item("employer").pk])
    )
    client.force_login(provider_user)
    client.post(reverse("epa:gateway_submit", args=[apprentice.pk]))
    attempt.refresh_from_db()
    assert attempt.pack_hash in client.get(gateway_url).content.decode()

    client.force_login(epao_admin)
    decisions = {"gateway_date_0": "2", "gateway_date_1": "3", "gateway_date_2": "2026"}
    decisions.update({f"decision_{item.pk}": "accepted" for item in attempt.items.all()})
    response = client.post(reverse("epa:gateway_decide", args=[apprentice.pk]), decisions)
    epa = Epa.objects.get()
    assert response["Location"] == epa.get_absolute_url()
    client.post(reverse("epa:epa_assign", args=[epa.pk]), {"assessor": assessor.pk})

    client.force_login(assessor)
    queue = client.get(reverse("epa:epa_list")).content.decode()
    assert apprentice.name in queue
    one, two = epa.assessments.order_by("method__number")
    url = reverse("epa:assessment_record", args=[epa.pk, one.pk])
    response = client.post(url, assessment_post(one, questions=2))
    assert (
        "The EPA plan needs at least 3 questions for Imaginary interview: you recorded 2"
        in response.content.decode()
    )
    client.post(url, assessment_post(one, questions=3))
    client.post(
        reverse("epa:assessment_record", args=[epa.pk, two.pk]), assessment_post(two, questions=2)
    )
    client.post(reverse("epa:epa_submit", args=[epa.pk]))

    client.force_login(epao_admin)
    moderate_url = reverse("epa:epa_moderate", args=[epa.pk])
    page = client.post(moderate_url, {"decision": "confirm"}).content.decode()
    assert "Say whether you agree with the grade for Imaginary interview" in page
    agreed = {f"agree_{a.pk}": "yes" for a in (one, two)}
    client.post(moderate_url, {"decision": "confirm", **agreed})
    epa.refresh_from_db()
    assert epa.status == "final"
    assert {m.agrees for m in MethodModeration.objects.filter(assessment__epa=epa)} == {True}
    for user in (apprentice.user, provider_user, employer_user, assessor, epao_admin):
        client.force_login(user)
        page = client.get(epa.get_absolute_url()).content.decode()
        assert "Overall grade: Distinction" in page, user


def test_provisional_grades_are_hidden_from_the_apprentice_until_final(client, epa):
    one = epa.assessments.first()
    client.force_login(epa.assessor)
    client.post(
        reverse("epa:assessment_record", args=[epa.pk, one.pk]), assessment_post(one, questions=3)
    )
    client.force_login(epa.apprentice.user)
    page = client.get(epa.get_absolute_url()).content.decode()
    assert "Provisional" not in page
    assert "Distinction" not in page


@pytest.mark.parametrize("role", [Role.ASSESSOR, Role.EPAO_ADMIN, Role.PROVIDER, Role.EMPLOYER])
def test_another_organisations_epa_is_a_404(client, epa, role):
    client.force_login(
        make_staff(role=role, organisation=make_organisation(kind=Organisation.Kind.EPAO))
    )
    assert client.get(epa.get_absolute_url()).status_code == 404


def test_apprentice_cannot_decide_or_grade(client, epa):
    client.force_login(epa.apprentice.user)
    assert client.get(reverse("epa:gateway_decide", args=[epa.apprentice_id])).status_code == 403
    one = epa.assessments.first()
    assert client.get(reverse("epa:assessment_record", args=[epa.pk, one.pk])).status_code == 403


def test_assigning_a_non_independent_assessor_is_refused_with_a_message(client, epa, epao_admin):
    apprentice = epa.apprentice
    insider = make_staff(role=Role.ASSESSOR, organisation=apprentice.training_provider)
    client.force_login(epao_admin)
    # Only the EPAO's assessors are offered; a posted outsider is not a valid choice.
    response = client.post(reverse("epa:epa_assign", args=[epa.pk]), {"assessor": insider.pk})
    assert "Select a valid choice" in response.content.decode()


def test_epa_list_filters_by_status_with_a_fixed_number_of_queries(
    client, epa, epao_admin, django_assert_max_num_queries
):
    client.force_login(epao_admin)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("epa:epa_list"), {"status": "in_progress"}).context["page"]
    assert list(page.object_list) == [epa]
    assert not client.get(reverse("epa:epa_list"), {"status": "final"}).context["page"].object_list


def test_schedule_shows_on_the_timeline(client, epa, epao_admin):
    one = epa.assessments.first()
    client.force_login(epao_admin)
    client.post(
        reverse("epa:assessment_schedule", args=[epa.pk, one.pk]),
        {
            "date_0": "20",
            "date_1": "3",
            "date_2": "2031",
            "time": "09:30",
            "location": "Online: video link",
            "adjustments": "Extra time",
        },
    )
    page = client.get(epa.get_absolute_url()).content.decode()
    assert "20 March 2031, 09:30, Online: video link" in page
    assert "Imaginary interview scheduled" in page


def test_gateway_page_reads_the_attempts_once(
    client, apprentice, provider_user, django_assert_num_queries
):
    """The current attempt and the earlier ones come from one query, with the attempt's
    EPA: session, user, the EPA, reference data and progress revisions (one query),
    apprentice, attempts, items, unread count, and while the pack is prepared whether it
    has accepted evidence and its coverage (KSBs, methods, their KSBs); the apprentice, the
    attempts, the items and the coverage from the cache when it holds them."""
    client.force_login(provider_user)
    client.post(reverse("epa:gateway_start", args=[apprentice.pk]))
    url = reverse("epa:gateway", args=[apprentice.pk])
    client.get(url)
    with django_assert_num_queries(5):
        page = client.get(url).content.decode()
    assert "Attempt 1" in page
    assert "KSB coverage" in page
    with connection.cursor() as cursor:
        cursor.execute(revision.BUMP)
    with django_assert_num_queries(8):
        page = client.get(url).content.decode()
    assert "Attempt 1" in page


def test_gateway_page_of_an_accepted_gateway_has_a_fixed_number_of_queries(
    client, epa, provider_user, django_assert_num_queries
):
    """Session, user, the EPA, reference data and progress revisions (one query), the unread
    count; when the cache does not hold them, the apprentice (with their name, standard and
    plan), the attempts with the EPA and the items with who confirmed and decided them."""
    client.force_login(provider_user)
    url = reverse("epa:gateway", args=[epa.apprentice_id])
    client.get(url)
    with connection.cursor() as cursor:
        cursor.execute(revision.BUMP)
    with django_assert_num_queries(7):
        client.get(url)
    with django_assert_num_queries(4):
        page = client.get(url).content.decode()
    assert "Go to the end-point assessment" in page
    assert page.count("govuk-task-list__item") >= len(epa.gateway.items.all())
    assert f"{epa.apprentice.standard_version.standard.reference} version" in page
