"""EPA results through the API: an EPAO's token and the provider's see final results only."""

from __future__ import annotations

from epa import grading
from tests.epa.conftest import (  # noqa: F401 (fixtures)
    apprentice,
    assessor,
    employer_user,
    epa,
    epao_admin,
    provider_user,
    submitted_attempt,
    version,
)
from tests.epa.test_grading import grade_all
from tests.factories import make_api_token

BASE = "/api/v1"


def test_provisional_grades_are_never_shown_and_the_final_result_is(client, epa, epao_admin):  # noqa: F811
    _, epao = make_api_token(epa.apprentice.epao)
    _, provider = make_api_token(epa.apprentice.training_provider)
    grade_all(epa)
    grading.submit_for_moderation(epa, by=epa.assessor)

    for auth in (epao, provider):
        awaiting = client.get(f"{BASE}/epas/{epa.pk}", **auth).json()
        assert awaiting["status"] == "moderation"
        assert awaiting["results"] == []
        assert "merit" not in client.get(f"{BASE}/epas", **auth).content.decode()

    epa.refresh_from_db()
    grading.moderate(epa, by=epao_admin, confirm=True)

    for auth in (epao, provider):
        final = client.get(f"{BASE}/apprentices/{epa.apprentice_id}/epa", **auth).json()
        assert final["status"] == "final"
        assert [
            (r["sitting"], r["overall_grade"], r["method_grades"]) for r in final["results"]
        ] == [(1, "merit", {"1": "distinction", "2": "pass"})]
    listed = client.get(f"{BASE}/epas", {"updated_since": "2000-01-01T00:00:00Z"}, **epao).json()
    assert [item["id"] for item in listed["items"]] == [epa.pk]
    gateway = client.get(f"{BASE}/apprentices/{epa.apprentice_id}/gateway", **epao).json()
    assert [(g["number"], g["status"]) for g in gateway] == [(1, "accepted")]
