"""The EPAO administrator's gateways to decide: the whole list, scoped, searched, sorted and
paged (epa:gateway_queue), and the home page's five waiting longest with a link to it."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from epa import homes
from epa.models import GatewayAttempt
from psp.models import Organisation
from psp.roles import Role
from tests.epa.test_epao_home import submit_gateway_of
from tests.factories import make_apprentice, make_evidence, make_organisation, make_staff, make_user


def waiting(version, epao, *, last_name, days_ago):
    """An apprentice of `epao` whose gateway was submitted `days_ago` days ago."""
    user = make_user(role=Role.APPRENTICE, first_name="Ada", last_name=last_name)
    other = make_apprentice(version=version, epao=epao, user=user)
    make_evidence(apprentice=other, status="accepted", ksbs=list(version.ksbs.all()))
    submit_gateway_of(other)
    submitted = timezone.now() - datetime.timedelta(days=days_ago)
    GatewayAttempt.objects.filter(apprentice=other).update(submitted_at=submitted)
    return other


def names(html, people):
    """The people whose names the page shows, in the order it shows them."""
    found = [(html.index(p.name), p.name) for p in people if p.name in html]
    return [name for _, name in sorted(found)]


@pytest.fixture
def three(version, apprentice):
    return [
        waiting(version, apprentice.epao, last_name="Middle", days_ago=5),
        waiting(version, apprentice.epao, last_name="Oldest", days_ago=9),
        waiting(version, apprentice.epao, last_name="Newest", days_ago=1),
    ]


def test_the_list_shows_the_organisations_gateways_waiting_longest_first(
    client, version, three, epao_admin
):
    elsewhere = make_organisation(kind=Organisation.Kind.EPAO, name="Another EPAO")
    theirs = waiting(version, elsewhere, last_name="Elsewhere", days_ago=20)
    client.force_login(epao_admin)
    html = client.get(reverse("epa:gateway_queue")).content.decode()
    assert names(html, [*three, theirs]) == ["Ada Oldest", "Ada Middle", "Ada Newest"]
    assert "3 gateways waiting for a decision" in html
    assert reverse("epa:gateway_decide", args=[three[1].pk]) in html


def test_search_and_sort(client, three, epao_admin):
    client.force_login(epao_admin)
    url = reverse("epa:gateway_queue")
    html = client.get(url, {"sort": "-submitted"}).content.decode()
    assert names(html, three) == ["Ada Newest", "Ada Middle", "Ada Oldest"]
    html = client.get(url, {"sort": "apprentice"}).content.decode()
    assert names(html, three) == ["Ada Middle", "Ada Newest", "Ada Oldest"]
    html = client.get(url, {"q": "oldest"}).content.decode()
    assert names(html, three) == ["Ada Oldest"]
    assert "1 gateway waiting for a decision that matches “oldest”" in html
    html = client.get(url, {"q": three[2].uln}).content.decode()
    assert names(html, three) == ["Ada Newest"]
    html = client.get(url, {"q": "nobody", "sort": "made-up"}).content.decode()
    assert "No gateway waiting for a decision matches “nobody”" in html


def test_decided_gateways_leave_the_list_and_an_empty_list_says_so(client, epa, epao_admin):
    # the `epa` fixture's gateway was accepted
    client.force_login(epao_admin)
    html = client.get(reverse("epa:gateway_queue")).content.decode()
    assert "No gateway is waiting for a decision." in html


QUERIES = 5


def test_pages_take_the_same_number_of_queries_whatever_their_length(
    client, version, apprentice, submitted_attempt, epao_admin, monkeypatch
):
    monkeypatch.setattr("epa.views.PAGE_SIZE", 2)
    client.force_login(epao_admin)
    url = reverse("epa:gateway_queue")
    client.get(url)  # warm: the user's role and permissions

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"page": 1})
        assert response.status_code == 200
        return len(captured)

    one = queries()
    for days in (3, 4):
        waiting(version, apprentice.epao, last_name=f"Later{days}", days_ago=days)
    two = queries()
    # The newest (the fixture's, submitted now) is alone on page 2.
    assert apprentice.name not in client.get(url, {"page": 1}).content.decode()
    assert apprentice.name in client.get(url, {"page": 2}).content.decode()
    # session, user, the count, the unread count and the page's rows (their apprentice,
    # user, version, standard and provider joined)
    assert (one, two) == (QUERIES, QUERIES)


def test_the_home_shows_the_five_waiting_longest_and_leads_to_the_rest(
    client, version, apprentice, epao_admin
):
    people = [
        waiting(version, apprentice.epao, last_name=f"Person{n}", days_ago=n) for n in range(1, 7)
    ]
    client.force_login(epao_admin)
    html = client.get(reverse("home")).content.decode()
    shown = names(html, people)
    assert len(shown) == homes.GATEWAYS_ON_HOME == 5
    assert shown == [f"Ada Person{n}" for n in range(6, 1, -1)]  # the longest waiting first
    assert f'href="{reverse("epa:gateway_queue")}">See all 6 gateways to decide</a>' in html


def test_a_home_with_five_or_fewer_lists_them_all_without_the_link(client, three, epao_admin):
    client.force_login(epao_admin)
    html = client.get(reverse("home")).content.decode()
    assert len(names(html, three)) == 3
    assert "See all" not in html


def test_other_roles_may_not_see_the_list(client, apprentice):
    assessor = make_staff(role=Role.ASSESSOR, organisation=apprentice.epao)
    client.force_login(assessor)
    assert client.get(reverse("epa:gateway_queue")).status_code == 403
