"""What waits for an employer's or a training provider's staff to confirm at gateway: the
whole list on its own page (epa:gateway_confirmations), scoped and paged, and the employer's
home with the 5 waiting longest and a link to the rest."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from epa import gateway, homes
from epa.models import GatewayAttempt
from psp.models import Organisation
from psp.roles import Role
from tests.factories import make_apprentice, make_organisation, make_staff, make_user


@pytest.fixture
def employer(apprentice):
    return apprentice.employer


def preparing(version, employer, provider, *, last_name, days_ago):
    """An apprentice of `employer` whose gateway was started `days_ago` days ago."""
    user = make_user(role=Role.APPRENTICE, first_name="Ada", last_name=last_name)
    other = make_apprentice(
        version=version, employer=employer, training_provider=provider, user=user
    )
    attempt = gateway.start_gateway(other, by=make_staff(role=Role.PROVIDER, organisation=provider))
    started = timezone.now() - datetime.timedelta(days=days_ago)
    GatewayAttempt.objects.filter(pk=attempt.pk).update(created_at=started)
    return other


def names(html, people):
    found = [(html.index(p.name), p.name) for p in people if p.name in html]
    return [name for _, name in sorted(found)]


def test_the_employer_sees_its_own_readiness_items_waiting_longest_first(
    client, version, apprentice, employer_user
):
    provider = apprentice.training_provider
    three = [
        preparing(version, apprentice.employer, provider, last_name="Middle", days_ago=5),
        preparing(version, apprentice.employer, provider, last_name="Oldest", days_ago=9),
        preparing(version, apprentice.employer, provider, last_name="Newest", days_ago=1),
    ]
    elsewhere = make_organisation(kind=Organisation.Kind.EMPLOYER)
    theirs = preparing(version, elsewhere, provider, last_name="Elsewhere", days_ago=20)
    client.force_login(employer_user)
    html = client.get(reverse("epa:gateway_confirmations")).content.decode()
    assert names(html, [*three, theirs]) == ["Ada Oldest", "Ada Middle", "Ada Newest"]
    assert "3 items waiting for you to confirm" in html
    item = three[1].gateway_attempts.get().items.get(kind="employer")
    assert reverse("epa:gateway_item_confirm", args=[three[1].pk, item.pk]) in html


def test_the_provider_sees_its_own_items_not_the_employers(
    client, version, apprentice, provider_user
):
    other = preparing(
        version, apprentice.employer, apprentice.training_provider, last_name="Kim", days_ago=2
    )
    client.force_login(provider_user)
    html = client.get(reverse("epa:gateway_confirmations")).content.decode()
    items = other.gateway_attempts.get().items.all()
    for item in items:
        link = reverse("epa:gateway_item_confirm", args=[other.pk, item.pk])
        assert (link in html) == (item.kind != "employer"), item.kind


def test_confirmed_items_and_submitted_gateways_leave_the_list(
    client, submitted_attempt, employer_user
):
    client.force_login(employer_user)
    html = client.get(reverse("epa:gateway_confirmations")).content.decode()
    assert "Nothing is waiting for you to confirm." in html


def test_the_page_takes_the_same_number_of_queries_whatever_its_length(
    client, version, apprentice, employer_user, monkeypatch
):
    monkeypatch.setattr("epa.views.PAGE_SIZE", 2)
    provider = apprentice.training_provider
    preparing(version, apprentice.employer, provider, last_name="First", days_ago=3)
    client.force_login(employer_user)
    url = reverse("epa:gateway_confirmations")
    client.get(url)  # warm: the user's role and permissions

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    one = queries()
    for days in (4, 5, 6):
        preparing(version, apprentice.employer, provider, last_name=f"Later{days}", days_ago=days)
    # session, user, the count, the unread count and the page's rows with their apprentices
    assert (one, queries()) == (5, 5)


def test_the_employers_home_shows_five_and_leads_to_the_rest(
    client, version, apprentice, employer_user
):
    people = [
        preparing(
            version,
            apprentice.employer,
            apprentice.training_provider,
            last_name=f"Person{n}",
            days_ago=n,
        )
        for n in range(1, 7)
    ]
    client.force_login(employer_user)
    html = client.get(reverse("home")).content.decode()
    assert names(html, people) == [f"Ada Person{n}" for n in range(6, 1, -1)]
    assert homes.GATEWAYS_ON_HOME == 5
    assert f'href="{reverse("epa:gateway_confirmations")}">See all 6 to confirm</a>' in html


def test_other_roles_may_not_see_the_list(client, apprentice, epao_admin):
    client.force_login(epao_admin)
    assert client.get(reverse("epa:gateway_confirmations")).status_code == 403
