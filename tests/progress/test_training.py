import datetime
import itertools
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from apprentices.models import BreakInLearning
from progress import revision, training
from progress.models import OffTheJobEntry, OffTheJobMinimum, OffTheJobRule
from psp.roles import Role
from standards.models import StandardVersion
from tests.factories import (
    make_apprentice,
    make_evidence,
    make_organisation,
    make_otj_entry,
    make_staff,
    make_user,
    make_version,
)

D = Decimal
_versions = itertools.count(1)


def year_long(start: datetime.date, **fields):
    """An apprentice whose practical period is exactly 52 weeks from `start`."""
    fields.setdefault("contracted_hours_per_week", D("30"))
    if "version" not in fields:
        fields["version"] = make_version(
            version=f"{next(_versions)}.0",
            earliest_start_date=datetime.date(2017, 5, 1),
            ksbs={"K": ["Knows widgets"], "S": ["Fixes widgets"]},
        )
    return make_apprentice(
        start_date=start, planned_gateway_date=start + datetime.timedelta(weeks=52), **fields
    )


def test_the_three_funding_regimes_are_dated_data_with_their_source(db):
    rules = list(OffTheJobRule.objects.order_by("applies_to_starts_from"))
    assert [
        (r.kind, r.value, r.applies_to_starts_from, r.applies_to_starts_until) for r in rules
    ] == [
        (
            "percent_of_contracted_hours",
            D("20"),
            datetime.date(2017, 5, 1),
            datetime.date(2022, 7, 31),
        ),
        ("hours_per_week", D("6"), datetime.date(2022, 8, 1), datetime.date(2025, 7, 31)),
        ("per_standard_minimum", None, datetime.date(2025, 8, 1), None),
    ]
    assert all(rule.source for rule in rules)
    # No published per-standard figure is invented: none is loaded.
    assert not OffTheJobMinimum.objects.exists()


def test_twenty_percent_of_contracted_hours_for_a_start_before_august_2022(db):
    # The funding rules' own example: 52 weeks less 5.6 weeks' leave = 46.4, at 30 h, 20%.
    working = training.working_for(year_long(datetime.date(2021, 9, 6)))
    assert working.requirement.rule.name == "20% of contracted hours"
    assert working.requirement.hours == D("278.4")
    assert "Less statutory leave: 5.6 weeks a year for 52.0 weeks = 5.6 weeks" in (
        working.requirement.steps
    )
    assert "20% of 30 contracted hours a week = 6.0 h a week" in working.requirement.steps


def test_six_hours_a_week_from_august_2022_however_many_hours_over_30(db):
    working = training.working_for(
        year_long(datetime.date(2022, 8, 1), contracted_hours_per_week=D("37.5"))
    )
    assert working.requirement.rule.name == "6 hours a week"
    assert working.requirement.hours == D("278.4")  # not 20% of 37.5 h (348 h)
    assert working.requirement.inputs.startswith("6 hours a week, 37.5 h a week contracted")


def test_part_time_apprentices_get_six_hours_pro_rata(db):
    working = training.working_for(
        year_long(datetime.date(2023, 1, 2), contracted_hours_per_week=D("20"))
    )
    assert training.hours(working.requirement.hours) == D("185.6")  # 4 h a week for 46.4 weeks
    assert "Part time (20 h a week, under 30): 6 h × 20 ÷ 30 = 4.0 h a week" in (
        working.requirement.steps
    )


@pytest.mark.parametrize(
    ("start", "rule"),
    [
        (datetime.date(2022, 7, 31), "20% of contracted hours"),
        (datetime.date(2022, 8, 1), "6 hours a week"),
        (datetime.date(2025, 7, 31), "6 hours a week"),
        (datetime.date(2025, 8, 1), "Published minimum for the standard"),
    ],
)
def test_the_rule_in_force_depends_on_the_start_date(db, start, rule):
    assert training.working_for(year_long(start)).requirement.rule.name == rule


def test_per_standard_minimum_not_imported_says_so_and_estimates_with_the_previous_rule(db):
    working = training.working_for(year_long(datetime.date(2025, 9, 1)))
    requirement = working.requirement
    assert requirement.rule.kind == "per_standard_minimum"
    assert requirement.applied.name == "6 hours a week"
    assert requirement.is_estimate
    assert requirement.hours == D("278.4")
    assert "Published minimum for ST9990: not yet imported" in requirement.steps
    assert any(
        "could not be applied" in p and "(Published minimum for the standard)" in p
        for p in requirement.problems
    )
    assert "6 hours a week (estimate)" in working.summary


def test_per_standard_minimum_once_imported_is_the_requirement(db):
    apprentice = year_long(datetime.date(2025, 9, 1), prior_learning_reduction=D("40"))
    OffTheJobMinimum.objects.create(
        rule=OffTheJobRule.objects.get(kind="per_standard_minimum"),
        standard=apprentice.standard_version.standard,
        hours=D("400"),
        source="Fictional figure for a fictional standard",
    )
    requirement = training.working_for(apprentice).requirement
    assert not requirement.is_estimate
    assert requirement.hours == D("360")
    assert requirement.problems == []


def test_st0494_v1_1_apprentice_under_the_per_standard_rule_needs_its_published_326_hours(
    client, st0494
):
    v11 = StandardVersion.objects.get_by_natural_key("ST0494", "1.1")
    apprentice = year_long(datetime.date(2025, 9, 1), version=v11)
    requirement = training.working_for(apprentice).requirement
    assert (requirement.hours, requirement.is_estimate, requirement.problems) == (D(326), False, [])
    assert requirement.steps[1] == (
        "Published minimum for ST0494 v1.1: 326.0 h (minimumHoursForCompliance in the official "
        "record of ST0494 v1.1, Skills England apprenticeship-standards API)"
    )
    client.force_login(apprentice.user)
    html = client.get(reverse("progress:off_the_job_log", args=[apprentice.pk])).content
    assert b"326.0 h" in html
    assert b"minimumHoursForCompliance in the official record of ST0494 v1.1" in html
    assert b"326 hours for ST0494 v1.1" in html  # the rule's source, in "Where the rule comes"


def test_missing_contracted_hours_are_explained_not_guessed(db):
    working = training.working_for(
        year_long(datetime.date(2023, 1, 2), contracted_hours_per_week=None)
    )
    assert working.requirement.hours is None
    assert working.on_track is None
    assert working.rag is None
    assert "contracted hours a week are not recorded" in working.requirement.problems[0]
    assert "cannot be worked out" in working.summary


def test_a_break_in_learning_reduces_the_requirement(db):
    apprentice = year_long(datetime.date(2023, 1, 2))
    BreakInLearning.objects.create(
        apprentice=apprentice,
        starts_on=datetime.date(2023, 3, 6),
        ends_on=datetime.date(2023, 4, 2),  # 28 days
        recorded_by=apprentice.user,
    )
    requirement = training.working_for(apprentice).requirement
    # 48 weeks in learning, less 48 * 5.6 / 52 weeks' leave, at 6 h a week.
    assert training.hours(requirement.hours) == D("257.0")
    assert "Less breaks in learning: 4.0 weeks" in requirement.steps


@pytest.mark.parametrize(
    ("reduction", "unit", "required"),
    [(D("78.4"), "hours", D("200.0")), (D("25"), "percent", D("208.8"))],
)
def test_prior_learning_reduces_the_requirement(db, reduction, unit, required):
    apprentice = year_long(
        datetime.date(2023, 1, 2), prior_learning_reduction=reduction, prior_learning_unit=unit
    )
    assert training.hours(training.working_for(apprentice).requirement.hours) == required


@pytest.mark.parametrize(
    ("approved", "rag", "tail"),
    [
        (D("100"), "red", "behind by 39.2 h"),
        (D("130"), "amber", "behind by 9.2 h"),
        (D("140"), "green", "on track"),
    ],
)
def test_working_says_required_logged_approved_and_on_track_or_behind(db, approved, rag, tail):
    apprentice = year_long(datetime.date(2022, 8, 1))
    for _ in range(10):
        make_otj_entry(apprentice=apprentice, status="approved", hours=approved / 10)
    make_otj_entry(apprentice=apprentice, status="submitted", hours=D("20"))
    halfway = apprentice.start_date + datetime.timedelta(days=182)
    working = training.working_for(apprentice, today=halfway)
    assert working.expected == D("139.2")
    assert working.rag == rag
    assert working.summary == (
        "Required 278.4 h (6 hours a week, 30 h a week contracted, 46.4 weeks of training) – "
        f"logged {training.hours(approved + 20)} h – approved {training.hours(approved)} h – {tail}"
    )


@pytest.mark.parametrize("count", [2, 12])
def test_workings_for_many_apprentices_use_a_fixed_number_of_queries(
    db, count, django_assert_num_queries
):
    version = make_version(earliest_start_date=datetime.date(2017, 5, 1))
    apprentices = [year_long(datetime.date(2023, 1, 2), version=version) for _ in range(count)]
    for apprentice in apprentices:
        make_otj_entry(apprentice=apprentice, status="approved")
    with django_assert_num_queries(4):
        workings = training.workings_for(apprentices)
    assert all(w.approved == D("6") for w in workings.values())


def test_planned_against_actual_series_and_its_chart(db):
    apprentice = year_long(datetime.date(2022, 8, 1))
    make_otj_entry(apprentice=apprentice, status="approved", date=datetime.date(2022, 8, 10))
    make_otj_entry(apprentice=apprentice, status="submitted", date=datetime.date(2022, 9, 10))
    today = datetime.date(2022, 10, 1)
    working = training.working_for(apprentice, today=today)
    points = training.series_for(working, today=today)
    assert points[0].day == apprentice.start_date
    assert points[0].planned == 0
    assert points[-1].day == apprentice.planned_end_date
    assert points[-1].planned == working.requirement.hours
    assert points[-1].approved is None  # the future has no actual hours
    past = [p for p in points if p.day <= today]
    assert past[-1].logged == D("12")
    assert past[-1].approved == D("6")
    chart = training.chart_for(points, today=today)
    assert len(chart.planned.split()) == len(points)
    assert len(chart.approved.split()) == len(past)
    assert chart.today_x is not None


@pytest.mark.parametrize("rule_start", [datetime.date(2022, 8, 1), datetime.date(2025, 9, 1)])
def test_the_logs_working_series_and_chart_are_those_worked_out_one_by_one(
    db, rule_start, django_assert_num_queries
):
    apprentice = year_long(rule_start)
    staff = make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)
    BreakInLearning.objects.create(
        apprentice=apprentice,
        starts_on=rule_start + datetime.timedelta(days=40),
        ends_on=rule_start + datetime.timedelta(days=60),
        recorded_by=staff,
    )
    for n, status in enumerate(["approved", "submitted", "queried", "approved", "approved"]):
        make_otj_entry(
            apprentice=apprentice,
            status=status,
            hours=D("2.5") + n,
            date=rule_start + datetime.timedelta(days=10 * n),
        )
    today = rule_start + datetime.timedelta(days=100)
    working = training.working_for(apprentice, today=today)
    points = training.series_for(working, today=today)
    # the breaks, the hours by day, the rules, the minimums
    with django_assert_num_queries(4):
        log = training.log_for(apprentice, today=today)
    assert log.working == working
    assert log.working.summary == working.summary
    assert log.breaks == list(apprentice.breaks.all())
    assert log.points == points
    assert log.chart == training.chart_for(points, today=today)
    assert log.months == training.monthly(points)


# Pages


@pytest.fixture
def apprentice(db):
    return year_long(datetime.date(2022, 8, 1))


@pytest.fixture
def provider_user(apprentice):
    return make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)


def test_anonymous_user_is_sent_to_sign_in_from_the_training_log(client, apprentice):
    url = reverse("progress:off_the_job_log", args=[apprentice.pk])
    assert client.get(url)["Location"].startswith(reverse("login"))


def test_training_log_shows_the_working_and_a_chart_without_inline_styles_or_scripts(
    client, apprentice
):
    make_otj_entry(apprentice=apprentice, status="approved")
    client.force_login(apprentice.user)
    page = client.get(reverse("progress:off_the_job_log", args=[apprentice.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Required 278.4 h (6 hours a week" in html
    assert "<polyline" in html
    assert "style=" not in html
    assert "<script>" not in html
    assert "Where the rule comes from" in html


def _working_and_chart(html):
    return html[html.index('id="otj-working"') : html.index("Breaks in learning</h2>")]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE apprentices_offthejobentry SET status = 'approved', reviewed_by_id = %(by)s "
        "WHERE apprentice_id = %(id)s",
        "UPDATE apprentices_offthejobentry SET hours = 9 WHERE apprentice_id = %(id)s",
        "UPDATE apprentices_apprentice SET contracted_hours_per_week = 20 WHERE id = %(id)s",
        "DELETE FROM apprentices_breakinlearning WHERE apprentice_id = %(id)s",
        "UPDATE apprentices_offthejobrule SET value = value + 1",
    ],
)
def test_the_cached_working_and_chart_follow_any_write_in_raw_sql(
    client, apprentice, provider_user, sql
):
    BreakInLearning.objects.create(
        apprentice=apprentice,
        starts_on=apprentice.start_date + datetime.timedelta(days=40),
        ends_on=apprentice.start_date + datetime.timedelta(days=60),
        recorded_by=provider_user,
    )
    make_otj_entry(apprentice=apprentice, status="submitted", date=apprentice.start_date)
    client.force_login(provider_user)
    url = reverse("progress:off_the_job_log", args=[apprentice.pk])
    before = _working_and_chart(client.get(url).content.decode())
    assert _working_and_chart(client.get(url).content.decode()) == before  # cached
    with connection.cursor() as cursor:
        cursor.execute(sql, {"id": apprentice.pk, "by": provider_user.pk})
    after = _working_and_chart(client.get(url).content.decode())
    assert after != before


def test_the_cached_working_follows_the_date(client, apprentice, monkeypatch):
    make_otj_entry(apprentice=apprentice, status="approved")
    client.force_login(apprentice.user)
    url = reverse("progress:off_the_job_log", args=[apprentice.pk])
    monkeypatch.setattr(
        "apprentices.views.timezone.localdate",
        lambda: apprentice.start_date + datetime.timedelta(days=100),
    )
    before = _working_and_chart(client.get(url).content.decode())
    monkeypatch.setattr(
        "apprentices.views.timezone.localdate",
        lambda: apprentice.start_date + datetime.timedelta(days=200),
    )
    assert _working_and_chart(client.get(url).content.decode()) != before


def test_the_training_log_makes_fewer_queries_when_its_working_is_cached(
    client, apprentice, provider_user, django_assert_num_queries
):
    make_otj_entry(apprentice=apprentice, status="submitted")
    client.force_login(provider_user)
    url = reverse("progress:off_the_job_log", args=[apprentice.pk])
    client.get(url)  # the user's role and permissions, now cached
    with connection.cursor() as cursor:
        cursor.execute(revision.BUMP)
    # With the revision: the working, and the entries' cells (the entries with what their
    # cells show, their KSBs) and the breaks (read for the entries' part before the working
    # reads them again); the apprentice still from the cache (the evidence revision).
    with django_assert_num_queries(13):
        client.get(url)
    # Then the working, the breaks and the entries with this viewer's actions come from the
    # cache: session, user, the progress and evidence revisions (one query), unread count.
    with django_assert_num_queries(4):
        client.get(url)


def test_the_logs_cached_cells_follow_raw_sql_changes(client, apprentice, provider_user):
    """The entries' cells come from the cache; each change below, made in raw SQL, must show
    on the next request (the progress and evidence revisions' triggers)."""
    evidence = make_evidence(apprentice=apprentice, title="Widget notes")
    entry = make_otj_entry(apprentice=apprentice, evidence=evidence)
    ksb = apprentice.standard_version.ksbs.order_by("pk").first()
    client.force_login(provider_user)
    url = reverse("progress:off_the_job_log", args=[apprentice.pk])

    def row():
        html = client.get(url).content.decode()
        start = html.index(f'id="entry-{entry.pk}"')
        shown = html[start : html.index("</tr>", start)]
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", shown)

    first = row()
    assert "Widget notes" in first
    assert "KSBs:" not in first
    assert "Approve" in first
    assert row() == first  # cached
    changes = [
        ("UPDATE apprentices_evidence SET title = 'Gadget notes' WHERE id = %s", [evidence.pk]),
        (
            "INSERT INTO apprentices_offthejobentry_ksbs (offthejobentry_id, ksb_id) "
            "VALUES (%s, %s)",
            [entry.pk, ksb.pk],
        ),
        ("UPDATE apprentices_offthejobentry SET hours = 7.5 WHERE id = %s", [entry.pk]),
    ]
    with connection.cursor() as cursor:
        cursor.execute(*changes[0])
    assert "Gadget notes" in row()
    with connection.cursor() as cursor:
        cursor.execute(*changes[1])
    assert f"KSBs: {ksb.code}" in row()
    with connection.cursor() as cursor:
        cursor.execute(*changes[2])
    assert ">7.50</td>" in row()


def _actions(client, url, entry):
    """The actions column of the entry's row as the client's user sees it."""
    html = client.get(url).content.decode()
    start = html.index(f'id="entry-{entry.pk}"')
    row = html[start : html.index("</tr>", start)]
    return [name for name in ("Edit", "Approve", "Query") if f">{name}<" in row]


def test_each_viewer_sees_their_own_actions_from_the_cached_log(client, apprentice, provider_user):
    """The breaks and entries are cached per viewer: the apprentice and their provider see
    their own actions whoever looked first, and a raw SQL change of what decides them (the
    entry's status, the role's permissions, the provider's organisation) shows at once."""
    entry = make_otj_entry(apprentice=apprentice, status="submitted")
    url = reverse("progress:off_the_job_log", args=[apprentice.pk])
    for _ in range(2):  # the second time from the cache
        client.force_login(provider_user)
        assert _actions(client, url, entry) == ["Approve", "Query"]
        client.force_login(apprentice.user)
        assert _actions(client, url, entry) == ["Edit"]
    client.force_login(provider_user)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE apprentices_offthejobentry SET status = 'approved', reviewed_by_id = %s "
            "WHERE id = %s",
            [provider_user.pk, entry.pk],
        )
    assert _actions(client, url, entry) == []
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE apprentices_offthejobentry SET status = 'submitted', reviewed_by_id = NULL "
            "WHERE id = %s",
            [entry.pk],
        )
    assert _actions(client, url, entry) == ["Approve", "Query"]
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM auth_group_permissions WHERE group_id = "
            "(SELECT id FROM auth_group WHERE name = %s) AND permission_id = "
            "(SELECT id FROM auth_permission WHERE codename = 'approve_offthejobentry')",
            [Role.PROVIDER.label],
        )
    assert _actions(client, url, entry) == []  # the role no longer approves
    elsewhere = make_organisation(kind=apprentice.training_provider.kind)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE psp_user SET organisation_id = %s WHERE id = %s",
            [elsewhere.pk, provider_user.pk],
        )
    assert client.get(url).status_code == 404  # no longer their apprentice


def test_the_logs_forms_send_one_csrf_form_outside_the_cached_part(
    client, apprentice, provider_user
):
    make_otj_entry(apprentice=apprentice, status="submitted")
    BreakInLearning.objects.create(
        apprentice=apprentice,
        starts_on=datetime.date(2022, 9, 1),
        ends_on=datetime.date(2022, 9, 30),
        recorded_by=provider_user,
    )
    client.force_login(provider_user)
    url = reverse("progress:off_the_job_log", args=[apprentice.pk])
    for _ in range(2):  # built, then from the cache
        html = client.get(url).content.decode()
        cached = html[html.index("Breaks in learning") : html.index('id="otj-post"')]
        assert "csrfmiddlewaretoken" not in cached
        form = '<form method="post" id="otj-post" hidden>'
        assert f'{form}<input type="hidden" name="csrfmiddlewaretoken"' in html
        approve = reverse("progress:off_the_job_approve", args=[apprentice.off_the_job.get().pk])
        assert f'form="otj-post" formaction="{approve}"' in html
        assert html.count('form="otj-post"') == 2  # Approve, and Remove the break
    # The apprentice has links only (Edit): no form with no button to send it.
    client.force_login(apprentice.user)
    html = client.get(url).content.decode()
    assert ">Edit<" in html
    assert 'id="otj-post"' not in html


def test_a_break_added_in_raw_sql_shows_on_the_cached_log(client, apprentice, provider_user):
    client.force_login(provider_user)
    url = reverse("progress:off_the_job_log", args=[apprentice.pk])
    assert "Roadworks" not in client.get(url).content.decode()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO apprentices_breakinlearning "
            "(apprentice_id, starts_on, ends_on, reason, recorded_by_id, recorded_at) "
            "VALUES (%s, '2022-09-01', '2022-09-30', 'Roadworks', %s, %s)",
            [apprentice.pk, provider_user.pk, datetime.datetime(2022, 9, 1, tzinfo=datetime.UTC)],
        )
    assert "Roadworks" in client.get(url).content.decode()


def test_training_log_is_404_for_another_apprentice_and_403_for_an_assessor(client, apprentice):
    client.force_login(make_apprentice().user)
    url = reverse("progress:off_the_job_log", args=[apprentice.pk])
    assert client.get(url).status_code == 404
    client.force_login(make_user(role=Role.ASSESSOR))
    assert client.get(url).status_code == 403


def test_apprentice_logs_training_and_their_provider_approves_it(client, apprentice, provider_user):
    client.force_login(apprentice.user)
    response = client.post(
        reverse("progress:off_the_job_create", args=[apprentice.pk]),
        {
            "date_0": "10",
            "date_1": "8",
            "date_2": "2022",
            "hours": "3.5",
            "activity": "practical",
            "description": "Shadowed a supervision session",
            "ksbs": [apprentice.standard_version.ksbs.first().pk],
        },
    )
    assert response.status_code == 302
    entry = OffTheJobEntry.objects.get()
    assert (entry.status, entry.hours, entry.ksbs.count()) == ("submitted", D("3.5"), 1)
    approve = reverse("progress:off_the_job_approve", args=[entry.pk])
    assert client.post(approve).status_code == 403  # the apprentice cannot approve
    client.force_login(provider_user)
    client.post(approve)
    entry.refresh_from_db()
    assert (entry.status, entry.reviewed_by) == ("approved", provider_user)


def test_another_providers_staff_get_404_for_the_entry(client, apprentice):
    entry = make_otj_entry(apprentice=apprentice)
    client.force_login(make_staff(role=Role.PROVIDER, organisation=make_organisation()))
    assert client.post(reverse("progress:off_the_job_approve", args=[entry.pk])).status_code == 404


def test_provider_queries_an_entry_and_the_apprentice_edits_it_back_for_approval(
    client, apprentice, provider_user
):
    entry = make_otj_entry(apprentice=apprentice)
    client.force_login(provider_user)
    url = reverse("progress:off_the_job_query", args=[entry.pk])
    assert "Say what the apprentice needs to clarify" in client.post(url, {}).content.decode()
    client.post(url, {"query": "Which KSBs did it cover?"})
    entry.refresh_from_db()
    assert (entry.status, entry.query) == ("queried", "Which KSBs did it cover?")
    client.force_login(apprentice.user)
    client.post(
        reverse("progress:off_the_job_edit", args=[entry.pk]),
        {
            "date_0": "8",
            "date_1": "8",
            "date_2": "2022",
            "hours": "6",
            "activity": "teaching",
            "description": "Widget theory: K1 and K2",
        },
    )
    entry.refresh_from_db()
    assert (entry.status, entry.description) == ("submitted", "Widget theory: K1 and K2")


def test_an_approved_entry_can_no_longer_be_edited(client, apprentice):
    entry = make_otj_entry(apprentice=apprentice, status="approved")
    client.force_login(apprentice.user)
    assert client.get(reverse("progress:off_the_job_edit", args=[entry.pk])).status_code == 403


def test_training_in_the_future_or_before_the_start_is_refused(client, apprentice):
    client.force_login(apprentice.user)
    url = reverse("progress:off_the_job_create", args=[apprentice.pk])
    data = {"hours": "2", "activity": "other", "description": "Reading"}
    future = client.post(url, {**data, "date_0": "1", "date_1": "1", "date_2": "2099"})
    before = client.post(url, {**data, "date_0": "1", "date_1": "1", "date_2": "2022"})
    assert "must be today or in the past" in future.content.decode()
    assert "on or after the start of the apprenticeship" in before.content.decode()
    assert not OffTheJobEntry.objects.exists()


def test_hours_out_of_range_are_explained_in_plain_words_on_a_styled_text_box(client, apprentice):
    client.force_login(apprentice.user)
    url = reverse("progress:off_the_job_create", args=[apprentice.pk])
    data = {"date_0": "10", "date_1": "8", "date_2": "2022", "activity": "other"}
    page = client.post(url, {**data, "hours": "25", "description": "Reading"}).content.decode()
    assert "The hours must be 24 or fewer" in page
    assert "Ensure this value" not in page
    assert 'type="text" name="hours"' in page
    assert "govuk-input govuk-input--width-5 govuk-input--error" in page
    assert not OffTheJobEntry.objects.exists()


def test_provider_sets_hours_and_adds_and_removes_breaks(client, apprentice, provider_user):
    client.force_login(provider_user)
    client.post(
        reverse("progress:off_the_job_plan", args=[apprentice.pk]),
        {
            "contracted_hours_per_week": "20",
            "practical_period_weeks": "",
            "prior_learning_reduction": "10",
            "prior_learning_unit": "percent",
            "review_interval_weeks": "8",
        },
    )
    apprentice.refresh_from_db()
    assert (apprentice.contracted_hours_per_week, apprentice.review_interval_weeks) == (
        D("20"),
        8,
    )
    url = reverse("apprentices:break_create", args=[apprentice.pk])
    client.post(url, {"starts_on_0": "1", "starts_on_1": "3", "starts_on_2": "2023"})
    overlapping = client.post(
        url,
        {
            "starts_on_0": "1",
            "starts_on_1": "1",
            "starts_on_2": "2023",
            "ends_on_0": "1",
            "ends_on_1": "4",
            "ends_on_2": "2023",
        },
    )
    assert "This overlaps the break from 1 March 2023 to ongoing" in overlapping.content.decode()
    pause = apprentice.breaks.get()
    client.post(reverse("apprentices:break_remove", args=[apprentice.pk, pause.pk]))
    assert not apprentice.breaks.exists()


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("contracted_hours_per_week", "200", "Contracted hours must be 168 or fewer"),
        ("contracted_hours_per_week", "0", "Contracted hours must be more than 0"),
        ("contracted_hours_per_week", "lots", "Enter the contracted hours as a number"),
        ("practical_period_weeks", "6.5", "Enter the duration as a whole number of weeks"),
        ("prior_learning_reduction", "-1", "The reduction cannot be less than 0"),
        ("review_interval_weeks", "60", "Reviews must be at most 52 weeks (a year) apart"),
        ("review_interval_weeks", "", "Enter the weeks between progress reviews"),
    ],
)
def test_plan_number_fields_are_govuk_inputs_with_plain_limits(
    client, apprentice, provider_user, field, typed, message
):
    client.force_login(provider_user)
    data = {
        "contracted_hours_per_week": "20",
        "practical_period_weeks": "",
        "prior_learning_reduction": "0",
        "prior_learning_unit": "hours",
        "review_interval_weeks": "8",
        field: typed,
    }
    url = reverse("progress:off_the_job_plan", args=[apprentice.pk])
    page = client.post(url, data).content.decode()
    assert message in page
    assert "Ensure this value" not in page
    assert "Constraint" not in page
    # What was typed stays, in a GOV.UK text input in its error state.
    assert f'type="text" name="{field}" value="{typed}"' in page or not typed
    assert re.search(rf'name="{field}"[^>]*class="govuk-input[^"]*govuk-input--error"', page)
    apprentice.refresh_from_db()
    assert apprentice.review_interval_weeks == 12  # nothing saved
    for other in ("contracted_hours_per_week", "practical_period_weeks", "review_interval_weeks"):
        assert re.search(rf'type="text" name="{other}"[^>]*class="govuk-input', page)


def test_employer_can_read_but_not_change_the_plan(client, apprentice):
    client.force_login(make_staff(role=Role.EMPLOYER, organisation=apprentice.employer))
    assert client.get(reverse("progress:off_the_job_log", args=[apprentice.pk])).status_code == 200
    assert client.get(reverse("progress:off_the_job_plan", args=[apprentice.pk])).status_code == 403


def test_approval_queue_uses_a_fixed_number_of_queries(
    client, provider_user, apprentice, django_assert_max_num_queries
):
    for _ in range(30):
        make_otj_entry(apprentice=apprentice)
    client.force_login(provider_user)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("progress:off_the_job_queue"))
    assert page.context["page"].paginator.count == 30
