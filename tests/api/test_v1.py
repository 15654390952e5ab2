"""The REST API as a provider's or EPAO's system uses it: tokens, scope, reads, create."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from apprentices.models import Apprentice
from psp.models import AccountEmail, AuditEntry, Organisation
from psp.roles import Role
from tests.factories import (
    make_api_token,
    make_apprentice,
    make_evidence,
    make_organisation,
    make_staff,
    make_version,
    valid_uln,
)

BASE = "/api/v1"


@pytest.fixture
def version(db):
    return make_version(ksbs={"K": ["Knows widgets"], "S": ["Fixes widgets"]})


@pytest.fixture
def provider(db):
    return make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER, name="Good Training")


@pytest.fixture
def employer(db):
    return make_organisation(kind=Organisation.Kind.EMPLOYER, name="North Region")


def new_apprentice(**fields):  # type: ignore[no-untyped-def]
    body = {
        "uln": valid_uln(4242),
        "given_name": "Ada",
        "family_name": "Api",
        "email": "ada@example.org",
        "employer": "North Region",
        "standard_reference": "ST9990",
        "standard_version": "1.0",
        "start_date": "2030-02-01",
        "planned_end_date": "2031-08-01",
        "contracted_hours_per_week": 37.5,
    }
    body.update(fields)
    return body


def test_the_openapi_document_and_docs_are_served_without_a_token(client):
    document = client.get(f"{BASE}/openapi.json")
    assert document.status_code == 200
    schema = document.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/apprentices/{id}/coverage" in schema["paths"]
    docs = client.get(f"{BASE}/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html  # from the ninja package, no CDN
    assert "cdn" not in html.lower()


@pytest.mark.parametrize(
    "header",
    [None, "Bearer nonsense", "Bearer psp_00000000_notarealtoken", "Basic cHNwOnBzcA=="],
)
def test_calls_without_a_valid_token_are_401(client, db, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get(f"{BASE}/apprentices", **extra)
    assert response.status_code == 401


def test_a_revoked_token_stops_working(client, provider):
    token, auth = make_api_token(provider)
    assert client.get(f"{BASE}/apprentices", **auth).status_code == 200
    from api.tokens import revoke_token

    revoke_token(token, by=token.created_by)
    assert client.get(f"{BASE}/apprentices", **auth).status_code == 401


def test_only_the_hash_of_a_token_is_stored(provider):
    token, auth = make_api_token(provider)
    text = auth["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    assert token.secret_hash == hashlib.sha256(text.encode()).hexdigest()
    assert text not in str(ApiToken.objects.filter(pk=token.pk).values().get())


def test_a_token_reads_its_organisations_apprentices_only(
    client, version, provider, django_assert_max_num_queries
):
    own = [make_apprentice(version=version, training_provider=provider) for _ in range(3)]
    make_apprentice(version=version)  # another provider's
    _, auth = make_api_token(provider)

    with django_assert_max_num_queries(8):
        response = client.get(f"{BASE}/apprentices?limit=2", **auth)

    body = response.json()
    assert body["count"] == 3
    assert [item["id"] for item in body["items"]] == [own[0].pk, own[1].pk]
    assert body["next_offset"] == 2
    rest = client.get(f"{BASE}/apprentices?limit=2&offset=2", **auth).json()
    assert [item["id"] for item in rest["items"]] == [own[2].pk]
    assert rest["next_offset"] is None
    first = body["items"][0]
    assert first["uln"] == own[0].uln
    assert first["training_provider"] == {"id": provider.pk, "name": "Good Training"}
    assert first["page"] == own[0].get_absolute_url()


def test_updated_since_returns_only_what_changed(client, version, provider):
    old, changed = (make_apprentice(version=version, training_provider=provider) for _ in range(2))
    long_ago = timezone.now() - datetime.timedelta(days=30)
    Apprentice.objects.filter(pk=old.pk).update(updated_at=long_ago)
    _, auth = make_api_token(provider)
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()

    response = client.get(f"{BASE}/apprentices", {"updated_since": since}, **auth)

    assert [item["id"] for item in response.json()["items"]] == [changed.pk]
    naive = client.get(f"{BASE}/apprentices", {"updated_since": "2000-01-01T00:00:00"}, **auth)
    assert naive.json()["count"] == 2


def test_an_unknown_query_parameter_is_refused_not_ignored(client, version, provider):
    apprentice = make_apprentice(version=version, training_provider=provider)
    _, auth = make_api_token(provider)
    since = timezone.now().isoformat()

    misspelt = client.get(f"{BASE}/apprentices", {"updated_sinse": since, "limit": 5}, **auth)

    assert misspelt.status_code == 422
    assert misspelt.json() == {
        "detail": "The request is not valid",
        "problems": [
            {
                "field": "updated_sinse",
                "message": "Unknown query parameter: this endpoint takes limit, offset, "
                "updated_since",
            }
        ],
    }
    one = client.get(f"{BASE}/apprentices/{apprentice.pk}", {"expand": "all"}, **auth)
    assert one.status_code == 422
    assert "this endpoint takes no query parameters" in one.json()["problems"][0]["message"]
    # Known parameters still work, and the refusal is audited like every call.
    assert client.get(f"{BASE}/apprentices", {"updated_since": since}, **auth).status_code == 200
    assert AuditEntry.objects.filter(summary__contains="updated_sinse").exists()


def test_reads_carry_an_etag_and_if_none_match_gets_304(client, version, provider):
    apprentice = make_apprentice(version=version, training_provider=provider)
    _, auth = make_api_token(provider)
    url = f"{BASE}/apprentices/{apprentice.pk}"
    first = client.get(url, **auth)
    etag = first["ETag"]
    assert etag
    assert "private" in first["Cache-Control"]

    again = client.get(url, HTTP_IF_NONE_MATCH=etag, **auth)
    assert again.status_code == 304
    assert again.content == b""

    apprentice.user.last_name = "Changed"
    apprentice.user.save()
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag, **auth)
    assert changed.status_code == 200
    assert changed.json()["family_name"] == "Changed"


def test_coverage_evidence_metadata_and_off_the_job(client, version, provider):
    apprentice = make_apprentice(version=version, training_provider=provider)
    ksbs = list(version.ksbs.all())
    evidence = make_evidence(apprentice=apprentice, status="accepted", ksbs=ksbs[:1])
    _, auth = make_api_token(provider)

    coverage = client.get(f"{BASE}/apprentices/{apprentice.pk}/coverage", **auth).json()
    assert coverage["ksb_count"] == 2
    assert coverage["accepted"] == 1
    assert coverage["ksbs"][0] == {
        "code": "K1",
        "kind": "K",
        "evidence_count": 1,
        "accepted_count": 1,
        "state": "accepted",
    }

    listed = client.get(f"{BASE}/apprentices/{apprentice.pk}/evidence", **auth).json()
    item = listed["items"][0]
    assert item["id"] == evidence.pk
    assert item["ksbs"] == ["K1"]
    assert "reflection" not in item

    otj = client.get(f"{BASE}/apprentices/{apprentice.pk}/off-the-job", **auth)
    assert otj.status_code == 200
    assert otj.json()["logged_hours"] == 0.0


def test_an_epao_token_sees_its_apprentices_in_epa_but_not_the_off_the_job_log(client, version):
    epao = make_organisation(kind=Organisation.Kind.EPAO)
    on_programme = make_apprentice(version=version, epao=epao)
    at_gateway = make_apprentice(version=version, epao=epao, status=Apprentice.Status.AT_GATEWAY)
    _, auth = make_api_token(epao)

    ids = [item["id"] for item in client.get(f"{BASE}/apprentices", **auth).json()["items"]]

    assert ids == [at_gateway.pk]
    assert client.get(f"{BASE}/apprentices/{on_programme.pk}", **auth).status_code == 404
    url = f"{BASE}/apprentices/{at_gateway.pk}/off-the-job"
    assert client.get(url, **auth).status_code == 404
    assert client.get(f"{BASE}/epas", **auth).json() == {
        "count": 0,
        "next_offset": None,
        "items": [],
    }


def test_creating_an_apprentice_runs_the_csv_checks_and_is_idempotent(
    client, version, provider, employer
):
    _, auth = make_api_token(provider, can_write=True)
    url = f"{BASE}/apprentices"

    created = client.post(url, new_apprentice(), content_type="application/json", **auth)

    assert created.status_code == 201, created.content
    apprentice = Apprentice.objects.get(uln=valid_uln(4242))
    assert apprentice.training_provider == provider
    assert created.json()["id"] == apprentice.pk
    assert AccountEmail.objects.filter(user=apprentice.user, kind="welcome").count() == 1
    again = client.post(url, new_apprentice(), content_type="application/json", **auth)
    assert again.status_code == 200
    assert Apprentice.objects.count() == 1
    assert AccountEmail.objects.filter(kind="welcome").count() == 1

    refused = client.post(
        url,
        new_apprentice(uln="1234567891", planned_end_date="2029-01-01", email="b@example.org"),
        content_type="application/json",
        **auth,
    )
    assert refused.status_code == 422
    problems = {(p["field"], p["message"]) for p in refused.json()["problems"]}
    assert (
        "uln",
        "This ULN's last digit does not match the rest: check it for a typing mistake",
    ) in problems
    assert ("planned_end_date", "The planned gateway date must be after the start date") in problems

    unknown = client.post(
        url,
        new_apprentice(uln=valid_uln(4343), email="c@example.org", employer="Nobody Ltd"),
        content_type="application/json",
        **auth,
    )
    assert unknown.status_code == 422
    assert unknown.json()["problems"][0]["field"] == "employer"
    confirmed = client.post(
        url,
        new_apprentice(
            uln=valid_uln(4343), email="c@example.org", employer="Nobody Ltd", create_employer=True
        ),
        content_type="application/json",
        **auth,
    )
    assert confirmed.status_code == 201
    assert confirmed.json()["employer"]["name"] == "Nobody Ltd"


def test_a_read_only_or_epao_token_cannot_create(client, version, provider, employer):
    _, read_only = make_api_token(provider)
    _, epao = make_api_token(make_organisation(kind=Organisation.Kind.EPAO), can_write=True)
    for auth in (read_only, epao):
        response = client.post(
            f"{BASE}/apprentices", new_apprentice(), content_type="application/json", **auth
        )
        assert response.status_code == 403
    assert Apprentice.objects.count() == 0


def test_every_call_is_audited_and_writes_are_attributed_to_the_token(
    client, version, provider, employer
):
    token, auth = make_api_token(provider, can_write=True, name="Nightly sync")
    client.post(f"{BASE}/apprentices", new_apprentice(), content_type="application/json", **auth)
    client.get(f"{BASE}/apprentices?limit=5", **auth)

    calls = AuditEntry.objects.filter(action="api_call", object_id=str(token.pk)).order_by("id")
    assert [c.summary for c in calls] == [
        "POST /api/v1/apprentices → 201",
        "GET /api/v1/apprentices?limit=5 → 200",
    ]
    insert = AuditEntry.objects.get(object_type="apprentices_apprentice", action="insert")
    assert "Nightly sync" in insert.actor_label


def test_calls_beyond_the_rate_limit_are_429(client, settings, provider):
    settings.PSP_API_RATE = "2/min"
    _, auth = make_api_token(provider)
    statuses = [client.get(f"{BASE}/apprentices", **auth).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


# --- the token pages ----------------------------------------------------------------------


def test_token_pages_make_a_token_shown_once_and_revoke_it(
    client, provider, django_assert_max_num_queries
):
    staff = make_staff(role=Role.PROVIDER, organisation=provider)
    for number in range(5):
        make_api_token(provider, name=f"Token {number}")
    client.force_login(staff)
    url = reverse("api:token_list")
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200

    response = client.post(url, {"name": "MIS sync", "scope": "write"}, follow=True)

    html = response.content.decode()
    token = ApiToken.objects.get(name="MIS sync")
    assert token.can_write
    shown = html.split("data-token>")[1].split("<")[0]
    assert shown.startswith(f"psp_{token.prefix}_")
    assert shown not in client.get(url).content.decode()  # once only
    assert (
        client.get(f"{BASE}/apprentices", HTTP_AUTHORIZATION=f"Bearer {shown}").status_code == 200
    )

    duplicate = client.post(url, {"name": "MIS sync", "scope": "read"})
    assert duplicate.status_code == 400
    assert "already has a token named" in duplicate.content.decode()

    client.post(reverse("api:token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_by == staff
    assert (
        client.get(f"{BASE}/apprentices", HTTP_AUTHORIZATION=f"Bearer {shown}").status_code == 401
    )
    assert AuditEntry.objects.filter(action="api_token_revoked", object_id=str(token.pk)).exists()


def test_token_pages_are_for_provider_staff_and_epao_admins_of_their_organisation(client, provider):
    token, _ = make_api_token(provider, name="Secret sync")
    client.force_login(make_staff(role=Role.EMPLOYER, organisation=make_organisation()))
    assert client.get(reverse("api:token_list")).status_code == 403
    other = make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)
    client.force_login(make_staff(role=Role.PROVIDER, organisation=other))
    assert client.get(reverse("api:token_revoke", args=[token.pk])).status_code == 404
    assert client.post(reverse("api:token_revoke", args=[token.pk])).status_code == 404
    assert "Secret sync" not in client.get(reverse("api:token_list")).content.decode()
    epao = make_organisation(kind=Organisation.Kind.EPAO)
    client.force_login(make_staff(role=Role.ASSESSOR, organisation=epao))
    assert client.get(reverse("api:token_list")).status_code == 403
    client.force_login(make_staff(role=Role.EPAO_ADMIN, organisation=epao))
    assert client.get(reverse("api:token_list")).status_code == 200


def test_creating_and_reading_an_apprentice_with_an_option(client, provider, employer):
    from standards.importing import import_standard, parse_official
    from standards.models import StandardVersion
    from tests.standards.official import payload

    import_standard(parse_official(payload("ST0096_2.1.json")))
    StandardVersion.objects.filter(standard__reference="ST0096").update(
        earliest_start_date=datetime.date(2030, 1, 1), latest_start_date=None
    )
    _, auth = make_api_token(provider, can_write=True)
    url = f"{BASE}/apprentices"
    on_plasterer = {"standard_reference": "ST0096", "standard_version": "2.1"}

    missing = client.post(
        url, new_apprentice(**on_plasterer), content_type="application/json", **auth
    )
    assert missing.status_code == 422
    assert missing.json()["problems"] == [
        {
            "field": "option",
            "message": "Enter the option: ST0096 version 2.1 is core and options "
            "(1 solid Plasterer; 2 fibrous Plasterer)",
        }
    ]
    assert not Apprentice.objects.exists()
    created = client.post(
        url,
        new_apprentice(**on_plasterer, option="fibrous plasterer"),
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201, created.content
    assert created.json()["option"] == "fibrous Plasterer"
    apprentice = Apprentice.objects.get()
    assert apprentice.option.number == 2
    read = client.get(f"{url}/{apprentice.pk}", **auth).json()
    assert (read["standard_reference"], read["option"]) == ("ST0096", "fibrous Plasterer")
