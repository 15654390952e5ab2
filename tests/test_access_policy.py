"""Every URL of the project against one declared access policy.

Each URL pattern has a Rule: who may use it on the scenario's objects (200, or a redirect
after a successful POST), who can see the object but may not act (403), and everyone
else. Access is checked in layers: a user without the page's capability (its Django
permission) gets 403 before any object is looked up, whether it exists or not, so that
reveals nothing; a user with the capability gets 404 for an object outside their scope
(and 403 for a page without an object).
Anonymous users are sent to sign in, except on the public pages. A URL pattern with no
rule fails the test, so a new page cannot ship without a declared policy. A POST-only URL
answers a GET with 405 for a user who may use it, and each allowed POST is made too (in a
savepoint rolled back after it), so it is seen to reach the view and succeed.

Users, each relative to the scenario's apprentice (A): apprentice_own (A), apprentice_other,
provider_own / employer_own / epao_own (A's organisations), provider_other /
employer_other / epao_other (other organisations), assessor_own (assigned to A's EPA),
assessor_other, admin, and norole (signed in, no role).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from epa import gateway, grading
from epa.models import ConflictOfInterest
from progress import reviews
from psp.models import Organisation
from psp.roles import Role
from reports.building import request_report
from tests.factories import (
    make_apprentice,
    make_evidence,
    make_full_plan,
    make_organisation,
    make_staff,
    make_user,
    make_version,
)

USERS = [
    "apprentice_own",
    "apprentice_other",
    "provider_own",
    "provider_other",
    "employer_own",
    "employer_other",
    "assessor_own",
    "assessor_other",
    "epao_own",
    "epao_other",
    "admin",
    "norole",
]
STAFF_OWN = {"provider_own", "employer_own", "admin"}
CAN_SEE_A = {"apprentice_own", "provider_own", "employer_own", "assessor_own", "epao_own", "admin"}
EVERYONE = set(USERS)


@dataclass(frozen=True)
class Rule:
    """Who may (ok), who sees the object but may not act (forbidden); the rest get `other`."""

    kwargs: Callable[[Any], dict[str, Any]] = lambda s: {}
    perm: str = ""
    ok: set[str] = field(default_factory=set)
    forbidden: set[str] = field(default_factory=set)
    other: int = 404
    method: str = "GET"
    public: bool = False
    skip: str = ""


def _no_object(ok: set[str]) -> Rule:
    """A page without an object: everyone else is forbidden (403)."""
    return Rule(ok=ok, other=403)


def _apprentice(ok: set[str], forbidden: set[str] | None = None, **rule: Any) -> Rule:
    return Rule(
        kwargs=lambda s: {"pk": s.apprentice.pk},
        ok=ok,
        forbidden=(CAN_SEE_A - ok) if forbidden is None else forbidden,
        **rule,
    )


@dataclass(frozen=True)
class ApiRule:
    """An API call as each organisation's token makes it on the scenario: the tokens in `ok`
    get the scenario's record (a list includes it); every other token gets 404 (a list leaves
    it out). A POST is made by each token with the scenario apprentice's ULN."""

    kwargs: Callable[[Any], dict[str, Any]] = lambda s: {}
    ok: set[str] = field(default_factory=lambda: {"provider_own", "epao_own"})
    listing: bool = False
    method: str = "GET"


API_TOKENS = ["provider_own", "provider_other", "epao_own", "epao_other"]
API_POLICY: dict[str, ApiRule] = {
    "api:list_apprentices": ApiRule(listing=True),
    "api:create_apprentice": ApiRule(method="POST", ok=set()),
    "api:get_apprentice": ApiRule(kwargs=lambda s: {"id": s.apprentice.pk}),
    "api:get_coverage": ApiRule(kwargs=lambda s: {"id": s.apprentice.pk}),
    "api:list_evidence": ApiRule(kwargs=lambda s: {"id": s.apprentice.pk}),
    # As the pages: the EPAO does not see the off-the-job log.
    "api:get_off_the_job": ApiRule(kwargs=lambda s: {"id": s.apprentice.pk}, ok={"provider_own"}),
    "api:list_gateway": ApiRule(kwargs=lambda s: {"id": s.apprentice.pk}),
    "api:get_apprentice_epa": ApiRule(kwargs=lambda s: {"id": s.apprentice.pk}),
    "api:list_epas": ApiRule(listing=True),
    "api:get_epa": ApiRule(kwargs=lambda s: {"id": s.epa.pk}),
}
API_SKIP = "token-authenticated: checked by API_POLICY"

POLICY: dict[str, Rule] = {
    **{name: Rule(skip=API_SKIP) for name in API_POLICY},
    # Public pages.
    "healthz": Rule(public=True, ok=EVERYONE),
    "healthz_ready": Rule(public=True, ok=EVERYONE),
    "healthz_live": Rule(public=True, ok=EVERYONE),
    "accessibility_statement": Rule(public=True, ok=EVERYONE),
    "login": Rule(public=True, skip="signed-in users are redirected home; covered in test_views"),
    "password_reset": Rule(public=True, ok=EVERYONE),
    "password_reset_done": Rule(public=True, ok=EVERYONE),
    "password_reset_confirm": Rule(
        public=True, kwargs=lambda s: {"uidb64": "x", "token": "y"}, ok=EVERYONE
    ),
    "password_reset_complete": Rule(public=True, ok=EVERYONE),
    # Any signed-in user.
    "home": Rule(ok=EVERYONE - {"apprentice_own"}, other=302),
    "logout": Rule(skip="POST ends the session; covered in test_views"),
    "password_change": Rule(ok=EVERYONE),
    "password_change_done": Rule(ok=EVERYONE),
    # Two-factor authentication and sessions (django-allauth's mfa and usersessions).
    "account_login": Rule(public=True, skip="the sign-in page again, for allauth; as login"),
    "account_logout": Rule(skip="POST ends the session; the same view as logout"),
    "account_reauthenticate": Rule(ok=EVERYONE),
    "admin_sign_in": Rule(public=True, skip="redirects to sign in; covered in test_twofactor"),
    "mfa_index": Rule(ok=EVERYONE),
    "mfa_authenticate": Rule(
        public=True, skip="needs a sign-in waiting for its code; covered in test_twofactor"
    ),
    "mfa_reauthenticate": Rule(other=302),
    "mfa_activate_totp": Rule(other=302),
    "mfa_deactivate_totp": Rule(other=404),  # the user has none
    "mfa_view_recovery_codes": Rule(other=404),  # the user has none
    "mfa_generate_recovery_codes": Rule(other=302),
    "mfa_download_recovery_codes": Rule(other=404),  # the user has none
    "mfa_list_webauthn": Rule(ok=EVERYONE),
    "mfa_add_webauthn": Rule(other=302),
    "mfa_reauthenticate_webauthn": Rule(other=302),
    "mfa_remove_webauthn": Rule(kwargs=lambda s: {"pk": 1}, other=302),
    "mfa_edit_webauthn": Rule(kwargs=lambda s: {"pk": 1}, other=302),
    "two_factor_reset": _no_object({"admin"}),
    "usersessions_list": Rule(ok=EVERYONE),
    # Reference data: every role may read; only admins import.
    "standards:standard_list": _no_object(EVERYONE - {"norole"}),
    "standards:standard_detail": Rule(
        kwargs=lambda s: {"reference": "ST9990"}, ok=EVERYONE - {"norole"}, other=403
    ),
    "standards:version_detail": Rule(
        kwargs=lambda s: {"reference": "ST9990", "version": s.version.version},
        ok=EVERYONE - {"norole"},
        other=403,
    ),
    "standards:version_compare": Rule(
        kwargs=lambda s: {"reference": "ST9990"}, ok=EVERYONE - {"norole"}, other=403
    ),
    "standards:import_list": _no_object({"admin"}),
    "standards:import_upload": _no_object({"admin"}),
    "standards:import_preview": Rule(skip="needs an upload; covered in test_import_views"),
    "standards:bulk_import_detail": Rule(
        skip="needs an upload; covered in test_bulk_import_views (administrators only)"
    ),
    "standards:import_confirm": Rule(skip="POST; covered in test_import_views"),
    "standards:import_discard": Rule(skip="POST; covered in test_import_views"),
    "standards:crosswalk": Rule(skip="needs two versions; covered in test_crosswalk"),
    # Apprentices and their portfolio.
    "apprentices:apprentice_list": _no_object(
        {
            "provider_own",
            "provider_other",
            "employer_own",
            "employer_other",
            "assessor_own",
            "assessor_other",
            "epao_own",
            "epao_other",
            "admin",
            "apprentice_own",
            "apprentice_other",
        }
    ),
    "apprentices:apprentice_create": _no_object({"provider_own", "provider_other", "admin"}),
    "apprentices:apprentice_detail": _apprentice(
        CAN_SEE_A, forbidden=set(), perm="apprentices.view_apprentice"
    ),
    "apprentices:apprentice_edit": _apprentice(
        {"provider_own", "admin"}, perm="apprentices.change_apprentice"
    ),
    "apprentices:apprentice_coverage": _apprentice(
        CAN_SEE_A, forbidden=set(), perm="apprentices.view_apprentice"
    ),
    "apprentices:apprentice_move": _apprentice(
        {"provider_own", "admin"}, perm="apprentices.change_apprentice"
    ),
    "apprentices:apprentice_data": _apprentice(
        {"apprentice_own", "admin"}, perm="apprentices.view_apprentice"
    ),
    "apprentices:apprentice_data_download": _apprentice(
        {"apprentice_own", "admin"}, perm="apprentices.view_apprentice"
    ),
    "apprentices:apprentice_erase": _apprentice({"admin"}, forbidden=set(), perm="psp.change_user"),
    "apprentices:evidence_create": _apprentice({"apprentice_own"}, perm="apprentices.add_evidence"),
    "apprentices:cohort": _no_object(
        {"provider_own", "provider_other", "employer_own", "employer_other", "admin"}
    ),
    "apprentices:review_queue": _no_object({"provider_own", "provider_other"}),
    "apprentices:evidence_detail": Rule(
        perm="apprentices.view_evidence", kwargs=lambda s: {"pk": s.draft.pk}, ok=CAN_SEE_A
    ),
    "apprentices:evidence_edit": Rule(
        perm="apprentices.change_evidence",
        kwargs=lambda s: {"pk": s.draft.pk},
        ok={"apprentice_own"},
        forbidden=CAN_SEE_A - {"apprentice_own"},
    ),
    "apprentices:evidence_map": Rule(
        perm="apprentices.change_evidence",
        kwargs=lambda s: {"pk": s.draft.pk},
        ok={"apprentice_own"},
        forbidden=CAN_SEE_A - {"apprentice_own"},
    ),
    "apprentices:evidence_withdraw": Rule(
        perm="apprentices.change_evidence",
        kwargs=lambda s: {"pk": s.draft.pk},
        ok={"apprentice_own"},
        forbidden=CAN_SEE_A - {"apprentice_own"},
    ),
    "apprentices:evidence_review": Rule(
        perm="apprentices.review_evidence",
        kwargs=lambda s: {"pk": s.submitted.pk},
        ok={"provider_own"},
        forbidden=CAN_SEE_A - {"provider_own"},
    ),
    "apprentices:evidence_submit": Rule(
        perm="apprentices.change_evidence",
        kwargs=lambda s: {"pk": s.accepted.pk},
        method="POST",
        ok=set(),
        forbidden=CAN_SEE_A,
    ),
    "apprentices:evidence_file_download": Rule(
        perm="apprentices.view_evidence",
        kwargs=lambda s: {"pk": s.accepted.pk, "file_pk": s.file.pk},
        ok=CAN_SEE_A,
    ),
    "apprentices:evidence_file_remove": Rule(
        perm="apprentices.change_evidence",
        kwargs=lambda s: {"pk": s.accepted.pk, "file_pk": s.file.pk},
        method="POST",
        ok=set(),
        forbidden=CAN_SEE_A,
    ),
    # Off-the-job training and progress reviews (rows of their own: see their tests).
    "progress:off_the_job_log": _apprentice(
        {"apprentice_own", "provider_own", "employer_own", "admin"},
        forbidden=set(),
        perm="progress.view_offthejobentry",
    ),
    "progress:off_the_job_create": _apprentice(
        {"apprentice_own"}, perm="progress.add_offthejobentry"
    ),
    "progress:off_the_job_plan": _apprentice(
        {"provider_own", "admin"}, perm="apprentices.change_apprentice"
    ),
    "progress:off_the_job_queue": _no_object({"provider_own", "provider_other"}),
    "progress:off_the_job_edit": Rule(skip="needs an entry; covered in test_training"),
    "progress:off_the_job_approve": Rule(skip="needs an entry; covered in test_training"),
    "progress:off_the_job_query": Rule(skip="needs an entry; covered in test_training"),
    "apprentices:break_create": _apprentice(
        {"provider_own"}, perm="apprentices.add_breakinlearning"
    ),
    "apprentices:break_remove": Rule(skip="needs a break; covered in test_training"),
    "progress:progress_review_list": _apprentice(
        {"apprentice_own", "provider_own", "employer_own", "admin"},
        forbidden=set(),
        perm="progress.view_progressreview",
    ),
    "progress:progress_review_schedule": _apprentice(
        {"provider_own"}, perm="progress.schedule_progressreview"
    ),
    "progress:progress_review_detail": Rule(skip="needs a review; covered in test_reviews"),
    "progress:progress_review_record": Rule(skip="needs a review; covered in test_reviews"),
    "progress:progress_review_sign": Rule(skip="needs a review; covered in test_reviews"),
    "progress:progress_review_link": Rule(skip="needs a review; covered in test_reviews"),
    "progress:progress_review_sign_link": Rule(
        public=True, skip="public, by signed token (410 when not valid); covered in test_reviews"
    ),
    # Notifications: every role has its own.
    "notification_list": _no_object(EVERYONE - {"norole"}),
    "notification_preferences": _no_object(EVERYONE - {"norole"}),
    "notification_read": Rule(skip="the user's own notification; covered in test_notifications"),
    "notification_read_all": Rule(ok=EVERYONE - {"norole"}, other=403, method="POST"),
    # Bulk onboarding (apprentices.onboarding): a training provider's staff, their own uploads.
    "apprentices:onboarding_upload": _no_object({"provider_own", "provider_other"}),
    "apprentices:onboarding_template": _no_object({"provider_own", "provider_other"}),
    "apprentices:onboarding_preview": Rule(skip="needs an upload; covered in test_onboarding"),
    "apprentices:onboarding_confirm": Rule(skip="needs an upload; covered in test_onboarding"),
    "apprentices:onboarding_discard": Rule(skip="needs an upload; covered in test_onboarding"),
    # The REST API: its document and docs are public; its calls take a token, not a session
    # (anonymous and signed-in users alike get 401), and are checked per organisation in
    # test_an_api_token_reaches_only_its_organisations_records below (API_POLICY).
    "api:openapi-json": Rule(public=True, ok=EVERYONE),
    "api:openapi-view": Rule(public=True, ok=EVERYONE),
    "api:api-root": Rule(public=True, skip="redirects to the docs"),
    "api:token_list": _no_object({"provider_own", "provider_other", "epao_own", "epao_other"}),
    "api:token_revoke": Rule(skip="needs a token; covered in tests/api/test_v1"),
    # Gateway and EPA.
    "epa:gateway_queue": _no_object({"epao_own", "epao_other"}),
    "epa:gateway_confirmations": _no_object(
        {"employer_own", "employer_other", "provider_own", "provider_other"}
    ),
    "epa:gateway": _apprentice(CAN_SEE_A, forbidden=set(), perm="epa.view_gatewayattempt"),
    # A provider's POST is answered with a message and a redirect (state rules), so "ok".
    "epa:gateway_start": _apprentice(
        {"provider_own"},
        method="POST",
        forbidden=CAN_SEE_A - {"provider_own"},
        perm="epa.prepare_gateway",
    ),
    "epa:gateway_submit": _apprentice(
        {"provider_own"},
        method="POST",
        forbidden=CAN_SEE_A - {"provider_own"},
        perm="epa.prepare_gateway",
    ),
    "epa:gateway_decide": _apprentice(set(), forbidden=CAN_SEE_A, perm="epa.decide_gateway"),
    "epa:gateway_item_confirm": Rule(
        perm="epa.confirm_gateway",
        kwargs=lambda s: {"pk": s.apprentice.pk, "item_pk": s.epa.gateway.items.first().pk},
        ok=set(),
        forbidden=CAN_SEE_A,
    ),
    "epa:gateway_pack": Rule(
        perm="epa.view_gatewayattempt",
        kwargs=lambda s: {"pk": s.apprentice.pk, "number": 1},
        ok=CAN_SEE_A,
    ),
    # Reports: anyone who can see the subject may ask for it; the report is theirs to see.
    "reports:report_list": _no_object(EVERYONE - {"norole"}),
    # A report belongs to whoever asked for it (the scenario's provider).
    "reports:report_detail": Rule(
        perm="reports.request_report", kwargs=lambda s: {"pk": s.report.pk}, ok={"provider_own"}
    ),
    "reports:report_download": Rule(
        skip="the report is still queued in this scenario; covered in tests/reports/test_building"
    ),
    "reports:report_request_portfolio": _apprentice(
        CAN_SEE_A, method="POST", forbidden=set(), perm="reports.request_report"
    ),
    "reports:report_request_gateway": Rule(
        perm="reports.request_report",
        kwargs=lambda s: {"pk": s.apprentice.pk, "number": 1},
        method="POST",
        ok=CAN_SEE_A,
    ),
    "reports:report_request_epa": Rule(
        perm="reports.request_report",
        kwargs=lambda s: {"pk": s.epa.pk},
        method="POST",
        ok=CAN_SEE_A,
    ),
    # A signed progress review: as the review itself (not the EPAO's people).
    "reports:report_request_review": Rule(
        perm="progress.view_progressreview",
        kwargs=lambda s: {"pk": s.review.pk},
        method="POST",
        ok={"apprentice_own", "provider_own", "employer_own", "admin"},
    ),
    "reports:report_request_cohort": Rule(
        skip="needs a cohort choice in the POST; covered in tests/reports/test_building"
    ),
    "epa:epa_list": _no_object(EVERYONE - {"norole"}),
    # The provider asks to move an apprentice to another employer; that employer decides.
    "apprentices:employer_move": _apprentice(
        {"provider_own", "admin"}, perm="apprentices.change_apprentice"
    ),
    "apprentices:employer_move_decide": Rule(
        skip="the scenario has no move waiting; covered in tests/apprentices/test_employer_moves"
    ),
    # Assessors declare their own conflicts of interest; their EPAO's administrators read them.
    "epa:conflict_list": _no_object({"assessor_own", "assessor_other", "epao_own", "epao_other"}),
    "epa:conflict_add": _no_object({"assessor_own", "assessor_other"}),
    # Only the assessor who declared it ends or withdraws it; their EPAO's admins only read it.
    "epa:conflict_end": Rule(
        perm="epa.declare_conflict", kwargs=lambda s: {"pk": s.conflict.pk}, ok={"assessor_own"}
    ),
    "epa:conflict_withdraw": Rule(
        perm="epa.declare_conflict", kwargs=lambda s: {"pk": s.conflict.pk}, ok={"assessor_own"}
    ),
    "epa:epa_detail": Rule(perm="epa.view_epa", kwargs=lambda s: {"pk": s.epa.pk}, ok=CAN_SEE_A),
    "epa:epa_assign": Rule(
        perm="epa.manage_epa",
        kwargs=lambda s: {"pk": s.epa.pk},
        ok={"epao_own"},
        forbidden=CAN_SEE_A - {"epao_own"},
    ),
    "epa:epa_submit": Rule(
        perm="epa.grade_epa",
        kwargs=lambda s: {"pk": s.epa.pk},
        method="POST",
        ok={"assessor_own"},
    ),
    "epa:epa_moderate": Rule(
        perm="epa.moderate_epa", kwargs=lambda s: {"pk": s.epa.pk}, ok=set(), forbidden={"epao_own"}
    ),
    "epa:epa_resit": Rule(
        perm="epa.manage_epa", kwargs=lambda s: {"pk": s.epa.pk}, ok={"epao_own"}, forbidden=set()
    ),
    "epa:result_amend": Rule(
        perm="epa.manage_epa", kwargs=lambda s: {"pk": s.epa.pk}, ok=set(), forbidden={"epao_own"}
    ),
    "epa:assessment_schedule": Rule(
        perm="epa.manage_epa",
        kwargs=lambda s: {"pk": s.epa.pk, "assessment_pk": s.assessment.pk},
        ok={"epao_own"},
        forbidden=set(),
    ),
    "epa:assessment_record": Rule(
        perm="epa.grade_epa",
        kwargs=lambda s: {"pk": s.epa.pk, "assessment_pk": s.assessment.pk},
        ok={"assessor_own"},
        forbidden=set(),
    ),
    # The scenario's first method takes no material, so even its apprentice may not hand in.
    "epa:submission_add": Rule(
        perm="epa.submit_material",
        kwargs=lambda s: {"pk": s.epa.pk, "assessment_pk": s.assessment.pk},
        forbidden={"apprentice_own"},
    ),
    "epa:submission_download": Rule(
        skip="the scenario has no material handed in; covered in tests/epa/test_submissions"
    ),
}


def url_names() -> list[str]:
    names = []

    def walk(patterns: list[Any], namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue  # Django's admin has its own staff-only checks
                inner = pattern.namespace or namespace
                if namespace and pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}"
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                names.append(name or f"<unnamed {pattern.pattern}>")

    walk(get_resolver().url_patterns, None)
    return sorted(set(names))


def test_every_url_pattern_has_an_access_rule():
    missing = [name for name in url_names() if name not in POLICY]
    assert missing == [], f"URL patterns without an access policy: {missing}"


@dataclass
class Scenario:
    apprentice: Any
    version: Any
    draft: Any
    submitted: Any
    accepted: Any
    file: Any
    epa: Any
    assessment: Any
    report: Any
    review: Any
    users: dict[str, Any]
    conflict: Any = None


@pytest.fixture
def scenario(db) -> Scenario:
    from django.core.files.base import ContentFile

    version = make_version(ksbs={"K": ["Knows widgets"], "S": ["Fixes widgets"]})
    make_full_plan(version=version)
    epao = make_organisation(kind=Organisation.Kind.EPAO)
    apprentice = make_apprentice(version=version, epao=epao)
    other = make_apprentice(version=version, epao=make_organisation(kind=Organisation.Kind.EPAO))
    provider = make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)
    employer = make_staff(role=Role.EMPLOYER, organisation=apprentice.employer)
    epao_admin = make_staff(role=Role.EPAO_ADMIN, organisation=epao)
    assessor = make_staff(role=Role.ASSESSOR, organisation=epao)
    accepted = make_evidence(
        apprentice=apprentice, status="accepted", ksbs=list(version.ksbs.all())
    )
    evidence_file = accepted.files.model(
        evidence=accepted,
        original_name="a.txt",
        content_type="text/plain",
        size=5,
        sha256="b" * 64,
        uploaded_by=apprentice.user,
    )
    evidence_file.file.save("b" * 64, ContentFile(b"hello"), save=False)
    evidence_file.save()
    attempt = gateway.start_gateway(apprentice, by=provider)
    for item in attempt.items.all():
        extra = {"english_maths": "level_2"} if item.kind == "english_maths" else {}
        gateway.confirm_item(item, by=employer if item.kind == "employer" else provider, **extra)
    gateway.submit_gateway(attempt, by=provider)
    epa = gateway.decide_gateway(
        attempt,
        {i.pk: ("accepted", "") for i in attempt.items.all()},
        by=epao_admin,
        gateway_date=datetime.date(2030, 6, 1),
    )
    grading.assign_assessor(epa, assessor, by=epao_admin)
    review = reviews.schedule_review(apprentice, by=provider, due_on=datetime.date(2030, 5, 1))
    held_on = min(datetime.date(2030, 5, 1), timezone.localdate())
    reviews.record_review(
        review,
        reviews.Record(held_on=held_on, summary="Fine", progress={}, targets=[], comments={}),
        by=provider,
    )
    for signer in (apprentice.user, provider, employer):
        reviews.sign_review(review, by=signer)
    users = {
        "apprentice_own": apprentice.user,
        "apprentice_other": other.user,
        "provider_own": provider,
        "provider_other": make_staff(role=Role.PROVIDER, organisation=other.training_provider),
        "employer_own": employer,
        "employer_other": make_staff(role=Role.EMPLOYER, organisation=other.employer),
        "assessor_own": assessor,
        "assessor_other": make_staff(role=Role.ASSESSOR, organisation=other.epao),
        "epao_own": epao_admin,
        "epao_other": make_staff(role=Role.EPAO_ADMIN, organisation=other.epao),
        "admin": make_user(role=Role.ADMIN),
        "norole": make_user(),
    }
    return Scenario(
        apprentice=apprentice,
        version=version,
        draft=make_evidence(apprentice=apprentice),
        submitted=make_evidence(apprentice=apprentice, status="submitted"),
        accepted=accepted,
        file=evidence_file,
        epa=epa,
        assessment=epa.assessments.first(),
        report=request_report(apprentice, requested_by=provider),
        review=review,
        users=users,
        conflict=ConflictOfInterest.objects.create(
            assessor=assessor,
            kind=ConflictOfInterest.Kind.EMPLOYER,
            organisation=make_organisation(),
            starts_on=datetime.date(2020, 1, 1),
            details="Worked there",
        ),
    )


def expected(rule: Rule, user: str, account: Any) -> int:
    if user in rule.ok:
        return 302 if rule.method == "POST" else 200
    if user in rule.forbidden:
        return 403
    if rule.perm and not account.has_perm(rule.perm):
        return 403
    return rule.other


def may_use(rule: Rule, user: str, account: Any) -> bool:
    """Whether the user has the page's capability and the object is theirs to see."""
    if user in rule.ok:
        return True
    return user in rule.forbidden and (not rule.perm or account.has_perm(rule.perm))


def post_and_undo(client: Any, url: str) -> int:
    """POST as the user would, then roll back what the view wrote, so the scenario stays
    as it was for the next request (work queued for after the commit never runs)."""
    savepoint = transaction.savepoint()
    try:
        return int(client.post(url).status_code)
    finally:
        transaction.savepoint_rollback(savepoint)


def test_every_url_answers_each_role_as_the_policy_says(client, scenario):
    """Every URL, as every user: the status the policy says. A POST-only URL also answers
    a GET from a user who may use it with 405 (not 403, 404 or an error), and an allowed
    POST reaches the view and succeeds (a redirect); its changes are rolled back."""
    problems = []
    rules = [
        (name, rule, reverse(name, kwargs=rule.kwargs(scenario)))
        for name, rule in POLICY.items()
        if not rule.skip and name in url_names()
    ]
    for name, rule, url in rules:
        send = client.post if rule.method == "POST" else client.get
        anonymous = send(url).status_code
        if anonymous != (200 if rule.public else 302):
            problems.append(f"{name} anonymous: {anonymous}")
    for user in USERS:
        account = scenario.users[user]
        client.force_login(account)
        for name, rule, url in rules:
            if rule.method == "POST" and may_use(rule, user, account):
                status = client.get(url).status_code
                if status != 405:
                    problems.append(f"{name} GET as {user}: got {status}, POST-only says 405")
            if rule.method == "POST" and user in rule.ok:
                session = client.cookies["sessionid"].value
                status = post_and_undo(client, url)
                if client.cookies["sessionid"].value != session:  # a new key, rolled back
                    client.force_login(account)
            else:
                status = (client.post if rule.method == "POST" else client.get)(url).status_code
            want = expected(rule, user, account)
            if status != want and not (want == 200 and status == 302 and rule.other == 302):
                problems.append(f"{name} as {user}: got {status}, policy says {want}")
    assert not problems, "\n" + "\n".join(problems)


def test_every_api_call_has_an_api_rule():
    calls = {name for name, rule in POLICY.items() if rule.skip == API_SKIP}
    api_urls = {
        name
        for name in url_names()
        if name.startswith("api:")
        and POLICY.get(name, Rule()).skip in ("", API_SKIP)
        and not POLICY.get(name, Rule()).public
        and name not in ("api:token_list",)
    }
    assert api_urls <= set(API_POLICY), (
        f"API calls without an API rule: {api_urls - set(API_POLICY)}"
    )
    assert calls == set(API_POLICY)


def test_an_api_token_reaches_only_its_organisations_records(client, scenario):
    """Every API call, with a token of each organisation: the scenario's apprentice and EPA
    are 404 to (and left out of the lists of) every other organisation's token. Without a
    token, signed in or not, every call is 401. A POST with the apprentice's ULN by another
    organisation neither changes nor shows the apprentice."""
    from apprentices.models import Apprentice
    from tests.factories import make_api_token

    apprentice = scenario.apprentice
    organisations = {
        "provider_own": apprentice.training_provider,
        "provider_other": scenario.users["provider_other"].organisation,
        "epao_own": apprentice.epao,
        "epao_other": scenario.users["epao_other"].organisation,
    }
    headers = {
        user: make_api_token(org, can_write=True, name=f"policy {user}")[1]
        for user, org in organisations.items()
    }
    before = Apprentice.objects.values().get(pk=apprentice.pk)
    body = {
        "uln": apprentice.uln,
        "given_name": "Someone",
        "family_name": "Else",
        "email": "someone.else@example.org",
        "employer": apprentice.employer.name,
        "standard_reference": scenario.version.standard.reference,
        "standard_version": scenario.version.version,
        "start_date": apprentice.start_date.isoformat(),
        "planned_end_date": apprentice.planned_gateway_date.isoformat(),
    }
    secrets = [apprentice.user.last_name, apprentice.user.get_full_name()]
    problems = []
    for name, rule in API_POLICY.items():
        url = reverse(name, kwargs=rule.kwargs(scenario))
        send = client.post if rule.method == "POST" else client.get
        extra = {"data": body, "content_type": "application/json"} if rule.method == "POST" else {}
        client.logout()
        if (status := send(url, **extra).status_code) != 401:
            problems.append(f"{name} anonymous: got {status}, want 401")
        client.force_login(scenario.users["admin"])
        if (status := send(url, **extra).status_code) != 401:
            problems.append(f"{name} with a session and no token: got {status}, want 401")
        client.logout()
        for user in API_TOKENS:
            response = send(url, **extra, **headers[user])
            text = response.content.decode()
            if rule.method == "POST":
                if user == "provider_own":
                    continue  # its own apprentice: covered in tests/api/test_v1
                if response.status_code not in (403, 422) or any(x in text for x in secrets):
                    problems.append(f"{name} as {user}: got {response.status_code} {text[:200]}")
            elif rule.listing:
                seen = apprentice.uln in text
                if response.status_code != 200 or seen != (user in rule.ok):
                    problems.append(
                        f"{name} as {user}: status {response.status_code}, lists A: {seen}"
                    )
            else:
                want = 200 if user in rule.ok else 404
                if response.status_code != want:
                    problems.append(f"{name} as {user}: got {response.status_code}, want {want}")
                if want == 404 and any(x in text for x in secrets):
                    problems.append(f"{name} as {user}: the 404 shows the apprentice")
    assert Apprentice.objects.values().get(pk=apprentice.pk) == before
    assert not problems, "\n" + "\n".join(problems)


# --- Object permissions: the backend's answer to user.has_perm(perm, obj) ------------------
#
# Every object permission the apps declare (psp/rules.py, apprentices/rules.py,
# progress/rules.py, epa/rules.py)
# asked by every user about the scenario's objects, in the states the rule depends on. Some
# states are set on an unsaved copy: the backend reads only the object it is given.


def _copy(obj: Any, **fields: Any) -> Any:
    """An unsaved copy of a row with some fields changed, its loaded relations kept."""
    import copy

    changed = copy.copy(obj)
    for name, value in fields.items():
        setattr(changed, name, value)
    return changed


def _gateway_item(s: Scenario, kind: str) -> Any:
    attempt = _copy(s.epa.gateway, status="preparing")
    item = next(
        i for i in s.epa.gateway.items.all() if (i.kind == "employer") == (kind == "employer")
    )
    return _copy(item, attempt=attempt)


def _result(s: Scenario, moderator: str) -> Any:
    from epa.models import EpaResult

    return EpaResult(epa=s.epa, assessor=s.epa.assessor, moderator=s.users[moderator])


def _move(s: Scenario) -> Any:
    from apprentices.models import EmployerMove

    return EmployerMove(
        apprentice=s.apprentice,
        from_employer=s.apprentice.employer,
        to_employer=s.users["employer_other"].organisation,
        reason="Moving",
        requested_by=s.users["provider_own"],
    )


def _entry(s: Scenario, status: str) -> Any:
    from progress.models import OffTheJobEntry

    return OffTheJobEntry(apprentice=s.apprentice, status=status)


def _unsigned_review(s: Scenario, status: str) -> Any:
    """A review nobody has signed yet (the scenario's is signed by all three)."""
    from progress.models import ProgressReview

    review = ProgressReview.objects.create(
        apprentice=s.apprentice,
        due_on=datetime.date(2030, 9, 1),
        scheduled_by=s.users["provider_own"],
    )
    return _copy(review, status=status)


STAFF = EVERYONE - {"apprentice_own", "apprentice_other", "norole"}
SEES_EPAS = EVERYONE - {"norole"}  # the capability epa.view_epa; rows by Epa.visible_to

# (permission, what it is asked about, who is allowed); the others are refused.
OBJECT_POLICY: list[tuple[str, Callable[[Scenario], Any], set[str]]] = [
    ("apprentices.change_apprentice", lambda s: s.apprentice, {"provider_own", "admin"}),
    ("apprentices.export_apprentice", lambda s: s.apprentice, {"apprentice_own", "admin"}),
    ("apprentices.add_evidence", lambda s: s.apprentice, {"apprentice_own"}),
    (
        "apprentices.add_evidence",
        lambda s: _copy(s.apprentice, status="completed"),  # a final result closes it
        set(),
    ),
    ("apprentices.change_evidence", lambda s: s.draft, {"apprentice_own"}),
    ("apprentices.change_evidence", lambda s: s.submitted, set()),
    ("apprentices.submit_evidence", lambda s: s.draft, {"apprentice_own"}),
    ("apprentices.submit_evidence", lambda s: s.accepted, set()),
    ("apprentices.withdraw_evidence", lambda s: s.submitted, {"apprentice_own"}),
    ("apprentices.withdraw_evidence", lambda s: s.accepted, set()),
    ("apprentices.review_evidence", lambda s: s.submitted, {"provider_own"}),
    ("apprentices.review_evidence", lambda s: s.draft, set()),
    ("apprentices.decide_employermove", _move, {"employer_other"}),
    ("apprentices.decide_employermove", lambda s: _copy(_move(s), status="accepted"), set()),
    ("apprentices.add_apprentices_from_file", lambda s: None, {"provider_own", "provider_other"}),
    ("apprentices.list_apprentices", lambda s: None, STAFF),
    ("epa.prepare_gateway", lambda s: s.apprentice, {"provider_own"}),
    ("epa.confirm_gateway", lambda s: _gateway_item(s, "employer"), {"employer_own"}),
    ("epa.confirm_gateway", lambda s: _gateway_item(s, "provider"), {"provider_own"}),
    ("epa.confirm_gateway", lambda s: s.epa.gateway.items.first(), set()),  # decided
    ("epa.view_gateway_coverage", lambda s: s.apprentice, {"provider_own", "employer_own"}),
    ("epa.decide_gateway", lambda s: _copy(s.epa.gateway, status="submitted"), {"epao_own"}),
    ("epa.decide_gateway", lambda s: s.epa.gateway, set()),  # already accepted
    ("epa.grade_epa", lambda s: s.epa, {"assessor_own"}),
    ("epa.grade_epa", lambda s: _copy(s.epa, status="moderation"), set()),
    ("epa.record_assessment", lambda s: s.assessment, {"assessor_own"}),
    ("epa.manage_epa", lambda s: s.epa, {"epao_own"}),
    ("epa.moderate_epa", lambda s: _copy(s.epa, status="moderation"), {"epao_own"}),
    ("epa.moderate_epa", lambda s: s.epa, set()),
    # A correction is a second person's: not the result's moderator's.
    ("epa.amend_result", lambda s: _result(s, moderator="admin"), {"epao_own"}),
    ("epa.amend_result", lambda s: _result(s, moderator="epao_own"), set()),
    (
        "epa.submit_material",
        lambda s: next(a for a in s.epa.assessments.all() if a.takes_submissions),
        {"apprentice_own"},
    ),
    ("epa.submit_material", lambda s: s.assessment, set()),  # takes no material
    ("epa.view_grades", lambda s: s.epa, {"assessor_own", "epao_own"}),
    # Once final, anyone who sees the EPA (Epa.visible_to decides who does).
    ("epa.view_grades", lambda s: _copy(s.epa, status="final"), SEES_EPAS),
    ("epa.view_independence", lambda s: s.epa, SEES_EPAS - {"apprentice_own"}),
    ("epa.end_conflict", lambda s: s.conflict, {"assessor_own"}),
    ("epa.end_conflict", lambda s: _copy(s.conflict, ends_on=datetime.date(2021, 1, 1)), set()),
    ("epa.withdraw_conflict", lambda s: s.conflict, {"assessor_own"}),
    (
        "epa.withdraw_conflict",
        lambda s: _copy(s.conflict, withdrawn_at=timezone.now()),
        set(),
    ),
    ("progress.add_offthejobentry", lambda s: s.apprentice, {"apprentice_own"}),
    ("progress.add_offthejobentry", lambda s: _copy(s.apprentice, status="completed"), set()),
    ("progress.change_offthejobentry", lambda s: _entry(s, "queried"), {"apprentice_own"}),
    ("progress.change_offthejobentry", lambda s: _entry(s, "approved"), set()),
    ("progress.approve_offthejobentry", lambda s: _entry(s, "submitted"), {"provider_own"}),
    ("progress.approve_offthejobentry", lambda s: _entry(s, "queried"), set()),
    ("progress.schedule_progressreview", lambda s: s.apprentice, {"provider_own"}),
    (
        "progress.record_progressreview",
        lambda s: _unsigned_review(s, "awaiting_signatures"),
        {"provider_own"},
    ),
    ("progress.record_progressreview", lambda s: s.review, set()),  # signed
    ("progress.send_signing_link", lambda s: s.review, {"provider_own"}),
    (
        "progress.sign_progressreview",
        lambda s: _unsigned_review(s, "awaiting_signatures"),
        {"apprentice_own", "provider_own", "employer_own"},
    ),
    ("progress.sign_progressreview", lambda s: _unsigned_review(s, "scheduled"), set()),
    (
        "progress.sign_progressreview",
        lambda s: _copy(s.review, status="awaiting_signatures"),
        set(),
    ),
    (
        "psp.view_audit_history",
        lambda s: s.draft,
        {"provider_own", "provider_other", "epao_own", "epao_other", "admin"},
    ),
]


def declared_object_permissions() -> set[str]:
    import rules
    from django.apps import apps

    labels = tuple(f"{config.label}." for config in apps.get_app_configs())
    return {name for name in rules.permissions.permissions if name.startswith(labels)}


def test_every_declared_object_permission_has_a_policy():
    assert declared_object_permissions() == {perm for perm, _, _ in OBJECT_POLICY}


def test_the_backend_answers_each_object_permission_as_the_policy_says(scenario):
    """Each object permission, as every user: the rule's owner yes; another organisation's
    user, the wrong role, the wrong state and anonymous no."""
    from django.contrib.auth.models import AnonymousUser

    problems = []
    for perm, subject, allowed in OBJECT_POLICY:
        obj = subject(scenario)
        for user in USERS:
            answer = scenario.users[user].has_perm(perm, obj)
            if answer != (user in allowed):
                problems.append(f"{perm} on {obj!r} as {user}: {answer}")
        if AnonymousUser().has_perm(perm, obj):
            problems.append(f"{perm} on {obj!r} as anonymous: True")
    assert not problems, "\n" + "\n".join(problems)


def test_without_an_object_a_permission_is_the_roles_capability(scenario):
    """A rule named as a Django permission adds nothing when asked without an object, so
    permission_required and `perms` still answer from the role (403 before any lookup)."""
    users = scenario.users
    assert users["provider_other"].has_perm("epa.prepare_gateway")
    assert users["assessor_other"].has_perm("epa.grade_epa")
    assert not users["employer_own"].has_perm("epa.prepare_gateway")
    # An object-only rule is never granted without its object.
    assert not users["assessor_own"].has_perm("epa.end_conflict")
    assert not users["epao_own"].has_perm("epa.view_grades")


def test_object_permissions_need_no_queries_once_the_roles_permissions_are_cached(
    scenario, django_assert_num_queries
):
    assessor = scenario.users["assessor_own"]
    epa = scenario.epa
    assessor.has_perm("epa.view_epa")  # loads the role's permissions (psp.access)
    epa.apprentice  # noqa: B018 (loaded, as the pages' select_related does)
    with django_assert_num_queries(0):
        assert assessor.has_perm("epa.grade_epa", epa)
        assert not assessor.has_perm("epa.manage_epa", epa)


def test_the_rules_backend_follows_axes_and_the_model_backend(settings):
    assert settings.AUTHENTICATION_BACKENDS == [
        "axes.backends.AxesStandaloneBackend",
        "django.contrib.auth.backends.ModelBackend",
        "rules.permissions.ObjectPermissionBackend",
    ]


def test_views_refuse_by_the_object_permission_as_before(client, scenario):
    """The pages ask the backend: another organisation's provider gets 404 (not theirs to
    see), the apprentice's employer 403 (theirs to see, not to review); a decided gateway
    attempt is 403 to its EPAO; an ended conflict cannot be ended again."""
    review = reverse("apprentices:evidence_review", kwargs={"pk": scenario.submitted.pk})
    for user, status in (("provider_other", 404), ("employer_own", 403), ("provider_own", 200)):
        client.force_login(scenario.users[user])
        assert client.get(review).status_code == status, user
    client.force_login(scenario.users["epao_own"])
    decide = reverse("epa:gateway_decide", kwargs={"pk": scenario.apprentice.pk})
    assert client.get(decide).status_code == 403
    scenario.conflict.ends_on = datetime.date(2021, 1, 1)
    scenario.conflict.save(update_fields=["ends_on"])
    client.force_login(scenario.users["assessor_own"])
    end = reverse("epa:conflict_end", kwargs={"pk": scenario.conflict.pk})
    assert client.get(end).status_code == 403
    withdraw = reverse("epa:conflict_withdraw", kwargs={"pk": scenario.conflict.pk})
    assert client.get(withdraw).status_code == 200
    page = client.get(reverse("epa:conflict_list")).content.decode()
    assert withdraw in page
    assert end not in page
