"""The API against its own OpenAPI document, as a client would see it: schemathesis
generates requests for every operation from /api/v1/openapi.json, valid and invalid, sends
them through the WSGI application with a real token, and checks every response: never a
server error, only documented status codes and content types, bodies that match the
documented schemas, and invalid input refused."""

from __future__ import annotations

import datetime
import os
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.v1 import api
from apprentices.models import Apprentice
from psp.models import Organisation
from tests.factories import (
    make_api_token,
    make_apprentice,
    make_evidence,
    make_organisation,
    make_version,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Examples per operation; PSP_API_EXAMPLES=500 for a longer, randomised search.
EXAMPLES = int(os.environ.get("PSP_API_EXAMPLES", "40"))


@pytest.fixture
def api_auth(db) -> dict[str, str]:
    """A provider with apprentices (one with evidence, one in EPA) and a write token."""
    version = make_version(
        ksbs={"K": ["Knows widgets"], "S": ["Fixes widgets"]},
        earliest_start_date=datetime.date(2000, 1, 1),
    )
    provider = make_organisation(kind=Organisation.Kind.TRAINING_PROVIDER)
    make_organisation(kind=Organisation.Kind.EMPLOYER, name="North Region")
    first = make_apprentice(version=version, training_provider=provider)
    make_evidence(apprentice=first, status="accepted", ksbs=list(version.ksbs.all()))
    make_apprentice(version=version, training_provider=provider, status=Apprentice.Status.IN_EPA)
    make_apprentice(version=version)  # another provider's
    _, header = make_api_token(provider, can_write=True)
    return {"Authorization": header["HTTP_AUTHORIZATION"]}


@pytest.fixture
def wsgi_app(settings: Any) -> Any:
    # The requests run in this test's transaction: like Django's test client, keep the
    # connection open at the start and end of each request.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    settings.ALLOWED_HOSTS = ["localhost"]  # where schemathesis sends WSGI requests
    yield get_wsgi_application()
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


# The document as /api/v1/openapi.json serves it (test_the_served_document_is_the_one_tested).
# Loaded when the tests are collected, before there is a database, so from the API object.
DOCUMENT = api.get_openapi_schema()
schema = schemathesis.openapi.from_dict(DOCUMENT)
# The token is added to every request by the test (a valid one, so the API is tested past
# authentication): schemathesis does not generate or remove the Authorization header.
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=EXAMPLES,
    with_security_parameters=False,
    deterministic="PSP_API_EXAMPLES" not in os.environ,  # the same cases on every CI run
)


def test_the_served_document_is_the_one_tested(client):
    assert client.get("/api/v1/openapi.json").json() == DOCUMENT


@schema.parametrize()
@hypothesis_settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_every_operation_answers_as_its_openapi_document_says(case, api_auth, wsgi_app):
    case.call_and_validate(app=wsgi_app, headers=api_auth, checks=CHECKS)
