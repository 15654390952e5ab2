"""The assessor's grading form (epa.views.assessment_record). On GET the assessment comes
from the cache, for the viewer, and the form's fields are a fragment cached under the EPA
revision and the reference data's (epa.pages.grading_revisions): every write to what the
form shows, raw SQL included, shows on the next request; who may see it is still decided
for each viewer; a form with errors is never cached."""

import pytest
from django.db import connection
from django.urls import reverse

from psp.roles import Role
from tests.epa.test_views import assessment_post
from tests.factories import make_staff, make_user

pytestmark = pytest.mark.django_db


def raw(sql: str, **params: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def assessment(epa):
    return epa.assessments.order_by("method__number").first()


@pytest.fixture
def url(epa, assessment):
    return reverse("epa:assessment_record", args=[epa.pk, assessment.pk])


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("sql", "shown"),
    [
        (
            "UPDATE epa_methodassessment SET judgement = 'Thorough' WHERE id = %(assessment)s",
            ">\nThorough</textarea>",
        ),
        (
            "UPDATE epa_methodassessment SET version = 41 WHERE id = %(assessment)s",
            'name="seen_version" value="41"',
        ),
        (
            "INSERT INTO epa_question (assessment_id, number, text, notes) "
            "VALUES (%(assessment)s, 1, 'Why widgets?', 'Because')",
            'value="Why widgets?"',
        ),
        ("UPDATE epa_epa SET sitting = 2 WHERE id = %(epa)s", None),  # no longer its sitting
        ("UPDATE epa_gatewayattempt SET number = 7 WHERE id = %(gateway)s", "/packs/7/"),
        ("UPDATE psp_user SET first_name = 'Ottoline' WHERE id = %(user)s", "Ottoline"),
        (
            "UPDATE standards_assessmentmethod SET name = 'Imaginary viva' WHERE id = %(method)s",
            '<h1 class="govuk-heading-l">Imaginary viva</h1>',
        ),
        (
            "UPDATE standards_assessmentmethod SET minimum_questions = 5 WHERE id = %(method)s",
            "At least 5. Leave spare rows empty.",
        ),
        (
            "UPDATE standards_gradingcriterion SET pass_descriptor = 'Mends widgets' "
            "WHERE method_id = %(method)s AND code = 'M1B'",
            "M1B pass: Mends widgets",
        ),
        (
            "UPDATE standards_epaplan SET grading_imported = FALSE WHERE id = %(plan)s",
            "Grade for this method",
        ),
    ],
)
def test_the_form_follows_raw_sql(client, epa, assessment, url, sql, shown):
    client.force_login(epa.assessor)
    html = page(client, url)
    if shown is not None:
        assert shown not in html
    raw(
        sql,
        assessment=assessment.pk,
        epa=epa.pk,
        gateway=epa.gateway_id,
        user=epa.apprentice.user_id,
        method=assessment.method_id,
        plan=assessment.method.plan_id,
    )
    if shown is None:
        assert client.get(url).status_code == 403
    else:
        assert shown in page(client, url)


def test_the_form_follows_the_apprentices_row_in_raw_sql(client, epa, url):
    client.force_login(epa.assessor)
    assert "Zebedee Quist" not in page(client, url)
    someone = make_user(first_name="Zebedee", last_name="Quist")
    raw(
        "UPDATE apprentices_apprentice SET user_id = %(user)s WHERE id = %(id)s",
        user=someone.pk,
        id=epa.apprentice_id,
    )
    assert "Zebedee Quist · first attempt" in page(client, url)


def test_a_form_seen_by_its_assessor_is_a_404_to_another(client, epa, url):
    client.force_login(epa.assessor)
    page(client, url)
    client.force_login(make_staff(role=Role.ASSESSOR, organisation=epa.apprentice.epao))
    assert client.get(url).status_code == 404


def test_an_epa_given_to_another_assessor_by_raw_sql_moves_its_form(client, epa, url):
    former = epa.assessor
    client.force_login(former)
    page(client, url)
    successor = make_staff(role=Role.ASSESSOR, organisation=epa.apprentice.epao)
    raw("UPDATE epa_epa SET assessor_id = %(to)s WHERE id = %(id)s", to=successor.pk, id=epa.pk)
    assert client.get(url).status_code == 404
    client.force_login(successor)
    assert "Imaginary interview" in page(client, url)


def test_an_epa_sent_to_moderation_by_raw_sql_closes_its_form(client, epa, url):
    client.force_login(epa.assessor)
    page(client, url)
    raw("UPDATE epa_epa SET status = 'moderation' WHERE id = %(id)s", id=epa.pk)
    assert client.get(url).status_code == 403


def test_a_form_with_errors_is_never_served_from_the_cache(client, epa, assessment, url):
    client.force_login(epa.assessor)
    page(client, url)
    data = assessment_post(assessment, questions=3) | {
        "duration_minutes": "soon",
        "judgement": "Posted, not saved",
    }
    html = client.post(url, data).content.decode()
    assert "<title>Error: Imaginary interview" in html
    assert "Enter the duration as a whole number of minutes, like 90" in html
    assert ">\nPosted, not saved</textarea>" in html
    html = page(client, url)
    assert "Error:" not in html
    assert "Posted, not saved" not in html
    assert "Tell me about widget 1" not in html


def test_a_recorded_assessment_shows_on_the_next_visit(client, epa, assessment, url):
    client.force_login(epa.assessor)
    page(client, url)
    response = client.post(url, assessment_post(assessment, questions=3))
    assert response.status_code == 302
    html = page(client, url)
    assert 'value="Tell me about widget 3"' in html
    assert ">\nClear and thorough</textarea>" in html
    assert 'name="seen_version" value="2"' in html


@pytest.mark.parametrize("questions", [3, 12])
def test_the_forms_queries_do_not_grow_with_its_questions(
    client, epa, assessment, url, questions, django_assert_num_queries
):
    raw(
        "INSERT INTO epa_question (assessment_id, number, text, notes) "
        "SELECT %(id)s, n, 'Question ' || n, '' FROM "
        "(WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers "
        "WHERE n < %(count)s) SELECT n FROM numbers) AS numbers",
        id=assessment.pk,
        count=questions,
    )
    client.force_login(epa.assessor)
    page(client, url)  # the user's role and permissions, now cached
    raw("UPDATE epa_methodassessment SET judgement = 'New' WHERE id = %(id)s", id=assessment.pk)
    # Session, user, the revisions, the assessment with its method and EPA, its questions,
    # the method's grading criteria, the unread count.
    with django_assert_num_queries(7):
        assert f'value="Question {questions}"' in page(client, url)
    # Seen before: session, user, the revisions, the unread count.
    with django_assert_num_queries(4):
        assert f'value="Question {questions}"' in page(client, url)
