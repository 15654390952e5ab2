import json
from unittest import mock

from django.urls import reverse


def test_healthz_is_public_and_reports_database_and_broker(client, db, settings, tmp_path):
    if settings.CELERY_BROKER_URL == "filesystem://":
        settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path)}
    response = client.get(reverse("healthz"))
    body = json.loads(response.content)
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


def test_healthz_is_503_when_the_database_is_down(client, db):
    with mock.patch("psp.health.connection.cursor", side_effect=OSError("down")):
        response = client.get(reverse("healthz"))
    body = json.loads(response.content)
    assert response.status_code == 503
    assert body["checks"]["database"] == {
        "ok": False,
        "vendor": body["checks"]["database"]["vendor"],
        "error": "database unreachable",
    }


def test_healthz_is_503_when_the_broker_is_unreachable(client, db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    with mock.patch("psp.celery.app.connection_for_write", side_effect=OSError("refused")):
        response = client.get(reverse("healthz"))
    body = json.loads(response.content)
    assert response.status_code == 503
    assert body["checks"]["broker"] == {
        "ok": False,
        "transport": "redis",
        "error": "broker unreachable",
    }


def test_healthz_reports_a_missing_broker_folder(client, db, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "missing")}
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["broker"]["ok"] is False
