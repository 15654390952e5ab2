"""The REST API, version 1: `/api/v1/`, described by `/api/v1/openapi.json` (OpenAPI 3) and
browsable at `/api/v1/docs` (django-ninja; see the README for why ninja).

Every call carries an organisation's token (api.tokens) and sees what that organisation's
staff pages show: `visible_to(principal)` on every lookup, so another organisation's record
is a 404. Reads are paginated (limit, offset), filter by `updated_since`, and carry an ETag
(api.urls answers If-None-Match with 304). Creating an apprentice runs the same checks and
code as the CSV upload (apprentices.onboarding).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.conf import settings
from django.db import IntegrityError
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, NinjaAPI, Path, Query, Schema, Status
from ninja.errors import ValidationError
from ninja.security import HttpBearer
from ninja.throttling import AuthRateThrottle
from pydantic import field_validator

from api.tokens import Principal
from apprentices import onboarding
from apprentices.coverage import coverage_for
from apprentices.models import Apprentice, Evidence, EvidenceFile
from epa.models import Epa, EpaResult, GatewayAttempt
from progress.training import hours, working_for
from psp.models import Organisation

MAX_ID = 2_147_483_647
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class TokenAuth(HttpBearer):
    """`Authorization: Bearer psp_…`. The token was checked by api.urls before the call
    (so the audit trail knows who acts); this hands ninja what it found."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        return getattr(request, "api_principal", None)


class TokenRateThrottle(AuthRateThrottle):
    """Calls per token (PSP_API_RATE, like "600/min"), counted in Django's cache."""

    scope = "api-token"

    def __init__(self) -> None:
        super().__init__("600/min")

    def allow_request(self, request: HttpRequest) -> bool:
        # Read when called, not at import, so the setting can change (and tests can set it).
        self.rate = settings.PSP_API_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)


api = NinjaAPI(
    title="psp API",
    version="1",
    description=(
        "Apprentices, their KSB coverage, evidence metadata, off-the-job totals, gateway and "
        "final EPA results, for a training provider's or EPAO's own systems. Authenticate "
        "with an API token made on the API tokens page: `Authorization: Bearer psp_…`."
    ),
    urls_namespace="api",  # api.urls mounts the views in the "api" namespace
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=TokenAuth(),
    throttle=TokenRateThrottle(),
)


def _principal(request: HttpRequest) -> Principal:
    return request.auth  # type: ignore[attr-defined,no-any-return]


# --- schemas -----------------------------------------------------------------------------


class Message(Schema):
    detail: str


class ProblemOut(Schema):
    field: str = Field(description="The field (CSV column) at fault; empty for the record.")
    message: str


class Problems(Schema):
    detail: str
    problems: list[ProblemOut]


class OrganisationOut(Schema):
    id: int
    name: str


ApprenticeStatus = Literal["on_programme", "break", "gateway", "in_epa", "completed", "withdrawn"]


class ApprenticeOut(Schema):
    id: int
    uln: str
    given_name: str
    family_name: str
    email: str
    standard_reference: str
    standard_version: str
    option: str | None = Field(
        description="The chosen option's title on a core-and-options version, else null."
    )
    status: ApprenticeStatus
    start_date: datetime.date
    planned_end_date: datetime.date
    employer: OrganisationOut
    training_provider: OrganisationOut
    epao: OrganisationOut | None
    contracted_hours_per_week: float | None
    prior_learning_reduction: float
    prior_learning_unit: Literal["hours", "percent"]
    updated_at: datetime.datetime
    page: str = Field(description="The apprentice's page in psp, as a path.")


class ApprenticePage(Schema):
    count: int
    next_offset: int | None
    items: list[ApprenticeOut]


class ApprenticeIn(Schema):
    """The columns of the CSV template, checked by the same rules."""

    uln: str = Field(max_length=20, description="10 digits with a valid check digit")
    given_name: str = Field(max_length=150)
    family_name: str = Field(max_length=150)
    email: str = Field(max_length=254)
    employer: str = Field(max_length=200, description="The employer's name as psp knows it")
    standard_reference: str = Field(max_length=10, examples=["ST0494"])
    standard_version: str = Field(max_length=10, examples=["1.1"])
    option: str = Field(
        "",
        max_length=200,
        description="The option, by its title or number, for a core-and-options version; "
        "empty for any other",
    )
    start_date: datetime.date
    planned_end_date: datetime.date
    contracted_hours_per_week: Decimal | None = Field(None, ge=0, le=168, decimal_places=1)
    prior_learning_hours: Decimal | None = Field(None, ge=0, le=99999, decimal_places=1)
    create_employer: bool = Field(
        False, description="Add the employer if psp does not know it (else it is refused)."
    )


class KsbOut(Schema):
    code: str
    kind: Literal["K", "S", "B"]
    evidence_count: int
    accepted_count: int
    state: Literal["accepted", "pending", "gap"]


class MethodCoverageOut(Schema):
    method: str
    ksb_count: int
    covered: int
    accepted: int
    percent_covered: int
    percent_accepted: int


class CoverageOut(Schema):
    ksbs_imported: bool
    ksb_count: int
    covered: int
    accepted: int
    percent_covered: int
    percent_accepted: int
    ksbs: list[KsbOut]
    methods: list[MethodCoverageOut] = Field(
        description="Per assessment method; empty until the EPA plan's KSB mapping is imported."
    )


class FileOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime.datetime


class EvidenceOut(Schema):
    id: int
    title: str
    evidence_type: str
    status: str
    activity_date: datetime.date
    submitted_at: datetime.datetime | None
    reviewed_at: datetime.datetime | None
    updated_at: datetime.datetime
    ksbs: list[str]
    files: list[FileOut] = Field(description="Metadata only: file contents are not in the API.")


class EvidencePage(Schema):
    count: int
    next_offset: int | None
    items: list[EvidenceOut]


class OffTheJobOut(Schema):
    required_hours: float | None
    requirement: str
    logged_hours: float
    approved_hours: float
    expected_hours_by_today: float | None
    behind_by_hours: float | None
    on_track: bool | None


class GatewayOut(Schema):
    number: int
    status: Literal["preparing", "submitted", "accepted", "rejected"]
    submitted_at: datetime.datetime | None
    decided_at: datetime.datetime | None
    gateway_date: datetime.date | None


class ResultOut(Schema):
    sitting: int
    overall_grade: str = Field(description="As amended, if it was; final (moderated) only.")
    method_grades: dict[str, str]
    confirmed_at: datetime.datetime


class EpaOut(Schema):
    id: int
    apprentice_id: int
    uln: str
    status: Literal["in_progress", "moderation", "final"]
    period_start: datetime.date
    period_end: datetime.date
    sitting: int
    results: list[ResultOut] = Field(description="Final results only, never provisional grades.")


class EpaPage(Schema):
    count: int
    next_offset: int | None
    items: list[EpaOut]


# --- helpers -------------------------------------------------------------------------------


class Paging(Schema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)
    updated_since: datetime.datetime | None = Field(
        None, description="Only records changed at or after this time (ISO 8601)."
    )

    @field_validator("updated_since", mode="before")
    @classmethod
    def iso_8601_only(cls, value: Any) -> Any:
        # Not a number of seconds, which pydantic would otherwise take as a time.
        if value is not None and not re.match(r"^\d{4}-\d{2}-\d{2}", str(value)):
            raise ValueError("Give a date and time in ISO 8601, like 2025-03-27T09:00:00Z")
        return value

    def since(self) -> datetime.datetime | None:
        if self.updated_since is None or timezone.is_aware(self.updated_since):
            return self.updated_since
        return timezone.make_aware(self.updated_since, datetime.UTC)

    def page(self, rows: QuerySet[Any], out: Any) -> dict[str, Any]:
        count = rows.count()
        items = [out(row) for row in rows[self.offset : self.offset + self.limit]]
        following = self.offset + self.limit
        return {
            "count": count,
            "next_offset": following if following < count else None,
            "items": items,
        }


def _apprentices(request: HttpRequest) -> QuerySet[Apprentice]:
    return Apprentice.objects.visible_to(_principal(request)).select_related(
        "user", "standard_version__standard", "employer", "training_provider", "epao", "option"
    )


def _apprentice(request: HttpRequest, pk: int) -> Apprentice:
    return get_object_or_404(_apprentices(request), pk=pk)


def _org(organisation: Organisation | None) -> dict[str, Any] | None:
    return {"id": organisation.pk, "name": organisation.name} if organisation else None


def apprentice_out(apprentice: Apprentice) -> dict[str, Any]:
    user = apprentice.user
    hours_a_week = apprentice.contracted_hours_per_week
    return {
        "id": apprentice.pk,
        "uln": apprentice.uln,
        "given_name": user.first_name,
        "family_name": user.last_name,
        "email": user.email,
        "standard_reference": apprentice.standard_version.standard.reference,
        "standard_version": apprentice.standard_version.version,
        "option": apprentice.option.title if apprentice.option else None,
        "status": apprentice.status,
        "start_date": apprentice.start_date,
        "planned_end_date": apprentice.planned_gateway_date,
        "employer": _org(apprentice.employer),
        "training_provider": _org(apprentice.training_provider),
        "epao": _org(apprentice.epao),
        "contracted_hours_per_week": float(hours_a_week) if hours_a_week is not None else None,
        "prior_learning_reduction": float(apprentice.prior_learning_reduction),
        "prior_learning_unit": apprentice.prior_learning_unit,
        "updated_at": apprentice.updated_at,
        "page": apprentice.get_absolute_url(),
    }


def evidence_out(evidence: Evidence) -> dict[str, Any]:
    return {
        "id": evidence.pk,
        "title": evidence.title,
        "evidence_type": evidence.evidence_type,
        "status": evidence.status,
        "activity_date": evidence.activity_date,
        "submitted_at": evidence.submitted_at,
        "reviewed_at": evidence.reviewed_at,
        "updated_at": evidence.updated_at,
        "ksbs": [ksb.code for ksb in evidence.ksbs.all()],
        "files": [
            {
                "id": f.pk,
                "name": f.original_name,
                "content_type": f.content_type,
                "size": f.size,
                "sha256": f.sha256,
                "uploaded_at": f.uploaded_at,
            }
            for f in evidence.files.all()
        ],
    }


def result_out(result: EpaResult) -> dict[str, Any]:
    amendments = sorted(result.amendments.all(), key=lambda a: (a.at, a.pk))
    return {
        "sitting": result.sitting,
        "overall_grade": amendments[-1].overall_after if amendments else result.overall_grade,
        "method_grades": {str(k): str(v) for k, v in (result.method_grades or {}).items()},
        "confirmed_at": result.confirmed_at,
    }


def epa_out(epa: Epa) -> dict[str, Any]:
    return {
        "id": epa.pk,
        "apprentice_id": epa.apprentice_id,
        "uln": epa.apprentice.uln,
        "status": epa.status,
        "period_start": epa.period_start,
        "period_end": epa.period_end,
        "sitting": epa.sitting,
        "results": [result_out(r) for r in epa.results.all()],
    }


def _epas(request: HttpRequest) -> QuerySet[Epa]:
    return (
        Epa.objects.visible_to(_principal(request))
        .select_related("apprentice")
        .prefetch_related(
            Prefetch("results", queryset=EpaResult.objects.prefetch_related("amendments"))
        )
        .order_by("id")
    )


READS = {401: Message, 404: Message, 422: Problems, 429: Message}


@api.exception_handler(ValidationError)
def invalid_request(request: HttpRequest, error: ValidationError) -> HttpResponse:
    """Request data that does not fit the document: 422, every problem with its field, in
    the same shape as the refusals of the CSV's checks."""
    problems = [
        {
            "field": ".".join(str(part) for part in e.get("loc", ())[1:] if part != "data")
            or "request",
            "message": str(e.get("msg", "Not valid")),
        }
        for e in error.errors
    ]
    return api.create_response(
        request, {"detail": "The request is not valid", "problems": problems}, status=422
    )


# --- apprentices ---------------------------------------------------------------------------


@api.get("/apprentices", response={200: ApprenticePage, **READS}, tags=["apprentices"])
def list_apprentices(request: HttpRequest, paging: Query[Paging]) -> Any:
    """The apprentices your organisation's staff see, oldest first."""
    rows = _apprentices(request).order_by("id")
    since = paging.since()
    if since is not None:
        rows = rows.filter(updated_at__gte=since)
    return paging.page(rows, apprentice_out)


@api.post(
    "/apprentices",
    response={
        200: ApprenticeOut,
        201: ApprenticeOut,
        400: Message,
        403: Message,
        409: Message,
        **READS,
    },
    tags=["apprentices"],
)
def create_apprentice(request: HttpRequest, data: ApprenticeIn) -> Any:
    """Add an apprentice, or update the one with this ULN: the same checks as the CSV
    upload. 201 when added, 200 when updated or already as given, 422 with every problem."""
    principal = _principal(request)
    if not principal.has_perm("apprentices.add_apprentice"):
        return Status(403, {"detail": "Only a training provider's token may add apprentices"})
    if not principal.can_write:
        return Status(403, {"detail": "This token may only read: make a token with write access"})
    provider = Organisation.objects.get(pk=principal.organisation_id)
    record = {
        **{k: str(v) for k, v in data.dict().items() if k != "create_employer"},
        "start_date": data.start_date.isoformat(),
        "planned_end_date": data.planned_end_date.isoformat(),
        "contracted_hours_per_week": _decimal(data.contracted_hours_per_week),
        "prior_learning_hours": _decimal(data.prior_learning_hours),
    }
    records = [(1, record)]
    result = onboarding.plan(records, provider=provider)
    row = result.rows[0]
    problems = [{"field": p.column, "message": p.message} for p in row.problems]
    if row.new_employer and not data.create_employer and not problems:
        problems.append(
            {
                "field": "employer",
                "message": "psp does not know this employer: check the name, or set "
                "create_employer to add it",
            }
        )
    if problems:
        return Status(422, {"detail": "The apprentice was not saved", "problems": problems})
    try:
        applied = onboarding.apply(
            records, provider=provider, by=None, new_employers_confirmed=result.new_employers
        )
    except (onboarding.OnboardingError, IntegrityError):
        return Status(409, {"detail": "psp changed while this was saved: send it again"})
    done = applied.rows[0]
    apprentice = _apprentice(request, done.apprentice_id or 0)
    return Status(
        (201 if done.outcome == onboarding.Outcome.NEW else 200), apprentice_out(apprentice)
    )


def _decimal(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


@api.get("/apprentices/{id}", response={200: ApprenticeOut, **READS}, tags=["apprentices"])
def get_apprentice(request: HttpRequest, id: Id) -> Any:
    return apprentice_out(_apprentice(request, id))


@api.get("/apprentices/{id}/coverage", response={200: CoverageOut, **READS}, tags=["apprentices"])
def get_coverage(request: HttpRequest, id: Id) -> Any:
    """Which KSBs the apprentice's evidence shows: overall, per KSB and per method."""
    coverage = coverage_for(_apprentice(request, id))
    return {
        "ksbs_imported": coverage.ksbs_imported,
        "ksb_count": len(coverage.rows),
        "covered": coverage.covered,
        "accepted": coverage.accepted,
        "percent_covered": coverage.percent_covered,
        "percent_accepted": coverage.percent_accepted,
        "ksbs": [
            {
                "code": row.ksb.code,
                "kind": row.ksb.kind,
                "evidence_count": row.evidence_count,
                "accepted_count": row.accepted_count,
                "state": row.state,
            }
            for row in coverage.rows
        ],
        "methods": [
            {
                "method": m.method.name,
                "ksb_count": m.ksb_count,
                "covered": m.covered,
                "accepted": m.accepted,
                "percent_covered": m.percent_covered,
                "percent_accepted": m.percent_accepted,
            }
            for m in coverage.methods
        ],
    }


@api.get("/apprentices/{id}/evidence", response={200: EvidencePage, **READS}, tags=["evidence"])
def list_evidence(request: HttpRequest, id: Id, paging: Query[Paging]) -> Any:
    """The apprentice's evidence: titles, dates, statuses, KSBs and file metadata."""
    apprentice = _apprentice(request, id)
    rows = (
        Evidence.objects.visible_to(_principal(request))
        .filter(apprentice=apprentice)
        .prefetch_related(
            "ksbs", Prefetch("files", queryset=EvidenceFile.objects.filter(removed_at__isnull=True))
        )
        .order_by("id")
    )
    since = paging.since()
    if since is not None:
        rows = rows.filter(updated_at__gte=since)
    return paging.page(rows, evidence_out)


@api.get(
    "/apprentices/{id}/off-the-job", response={200: OffTheJobOut, **READS}, tags=["apprentices"]
)
def get_off_the_job(request: HttpRequest, id: Id) -> Any:
    """Off-the-job training hours: required, logged, approved, and whether on track."""
    apprentice = _apprentice(request, id)
    if not _principal(request).has_perm("progress.view_offthejobentry"):
        raise Http404  # as the pages: the EPAO does not see the off-the-job log
    working = working_for(apprentice)

    def number(value: Decimal | None) -> float | None:
        return None if value is None else float(hours(value))

    return {
        "required_hours": number(working.requirement.hours),
        "requirement": working.requirement.inputs,
        "logged_hours": number(working.logged),
        "approved_hours": number(working.approved),
        "expected_hours_by_today": number(working.expected),
        "behind_by_hours": number(working.behind_by),
        "on_track": working.on_track,
    }


@api.get("/apprentices/{id}/gateway", response={200: list[GatewayOut], **READS}, tags=["epa"])
def list_gateway(request: HttpRequest, id: Id) -> Any:
    """Every gateway attempt, first to last."""
    apprentice = _apprentice(request, id)
    attempts = GatewayAttempt.objects.visible_to(_principal(request)).filter(apprentice=apprentice)
    return [
        {
            "number": a.number,
            "status": a.status,
            "submitted_at": a.submitted_at,
            "decided_at": a.decided_at,
            "gateway_date": a.gateway_date,
        }
        for a in attempts.order_by("number")
    ]


@api.get("/apprentices/{id}/epa", response={200: EpaOut, **READS}, tags=["epa"])
def get_apprentice_epa(request: HttpRequest, id: Id) -> Any:
    """The apprentice's EPA and its final results; 404 before gateway is accepted."""
    apprentice = _apprentice(request, id)
    return epa_out(get_object_or_404(_epas(request), apprentice=apprentice))


# --- EPAs ------------------------------------------------------------------------------------


@api.get("/epas", response={200: EpaPage, **READS}, tags=["epa"])
def list_epas(request: HttpRequest, paging: Query[Paging]) -> Any:
    """EPAs your organisation sees (an EPAO: those of the apprentices assigned to it)."""
    rows = _epas(request)
    since = paging.since()
    if since is not None:
        rows = rows.filter(
            Q(submitted_at__gte=since)
            | Q(results__confirmed_at__gte=since)
            | Q(results__amendments__at__gte=since)
        ).distinct()
    return paging.page(rows, epa_out)


@api.get("/epas/{id}", response={200: EpaOut, **READS}, tags=["epa"])
def get_epa(request: HttpRequest, id: Id) -> Any:
    return epa_out(get_object_or_404(_epas(request), pk=id))
