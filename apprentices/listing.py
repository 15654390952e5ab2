"""Search, filter and sort options of list pages, read from the query string.

Unknown or malformed values fall back to the defaults rather than raising errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Self
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from apprentices.models import Apprentice, Evidence
from standards.models import StandardVersion


@dataclass(frozen=True)
class ApprenticeListQuery:
    SORTS = {
        "name": ("user__last_name", "user__first_name", "id"),
        "-name": ("-user__last_name", "-user__first_name", "-id"),
        "start": ("start_date", "id"),
        "-start": ("-start_date", "-id"),
        "gateway": ("planned_gateway_date", "id"),
        "-gateway": ("-planned_gateway_date", "-id"),
    }
    COLUMNS = (
        "uln",
        "start_date",
        "planned_gateway_date",
        "status",
        "user__username",
        "user__first_name",
        "user__last_name",
        "standard_version__version",
        "standard_version__standard__reference",
        "employer__name",
    )
    q: str = ""
    status: str = ""
    sort: str = "name"

    @classmethod
    def from_request(cls, request: HttpRequest) -> ApprenticeListQuery:
        status = request.GET.get("status", "")
        sort = request.GET.get("sort", "name")
        return cls(
            q=request.GET.get("q", "").strip()[:100],
            status=status if status in Apprentice.Status.values else "",
            sort=sort if sort in cls.SORTS else "name",
        )

    def apply(self, apprentices: QuerySet[Apprentice]) -> QuerySet[Apprentice]:
        if self.q:
            apprentices = apprentices.filter(
                Q(user__first_name__icontains=self.q)
                | Q(user__last_name__icontains=self.q)
                | Q(uln__startswith=self.q)
                | Q(employer__name__icontains=self.q)
            )
        if self.status:
            apprentices = apprentices.filter(status=self.status)
        # Only the columns the list shows: each row is five model instances.
        return (
            apprentices.select_related("user", "standard_version__standard", "employer")
            .only(*self.COLUMNS)
            .order_by(*self.SORTS[self.sort])
        )

    def querystring(self, **changes: str) -> str:
        values = {"q": self.q, "status": self.status, "sort": self.sort, **changes}
        return urlencode({k: v for k, v in values.items() if v})

    @property
    def statuses(self) -> list[tuple[str, str]]:
        return list(Apprentice.Status.choices)


@dataclass(frozen=True)
class EvidenceListQuery:
    SORTS = {
        "-date": ("-activity_date", "-id"),
        "date": ("activity_date", "id"),
        "title": ("title", "id"),
        "status": ("status", "-activity_date"),
    }
    status: str = ""
    sort: str = "-date"
    include_withdrawn: bool = field(default=False)

    @classmethod
    def from_request(cls, request: HttpRequest) -> EvidenceListQuery:
        status = request.GET.get("status", "")
        sort = request.GET.get("sort", "-date")
        return cls(
            status=status if status in Evidence.Status.values else "",
            sort=sort if sort in cls.SORTS else "-date",
        )

    def apply(self, evidence: QuerySet[Evidence]) -> QuerySet[Evidence]:
        if self.status:
            evidence = evidence.filter(status=self.status)
        return evidence.order_by(*self.SORTS[self.sort])

    def querystring(self, **changes: str) -> str:
        values = {"status": self.status, "sort": self.sort, **changes}
        return urlencode({k: v for k, v in values.items() if v})

    @property
    def statuses(self) -> list[tuple[str, str]]:
        return list(Evidence.Status.choices)


@dataclass(frozen=True)
class CohortQuery:
    SORTS = ("name", "-name", "coverage", "-coverage", "employer", "-employer")
    versions: list[StandardVersion]
    version: StandardVersion | None = None
    employer: str = ""
    status: str = ""
    gaps_only: bool = False
    sort: str = "name"

    @classmethod
    def from_request(cls, request: HttpRequest, *, versions: list[StandardVersion]) -> CohortQuery:
        by_key = {f"{v.standard.reference}-{v.version}": v for v in versions}
        with_ksbs = [v for v in versions if v.ksbs_imported]
        default = with_ksbs[0] if with_ksbs else (versions[0] if versions else None)
        status = request.GET.get("status", "")
        sort = request.GET.get("sort", "name")
        employer = request.GET.get("employer", "")
        return cls(
            versions=versions,
            version=by_key.get(request.GET.get("version", ""), default),
            employer=employer if employer.isdigit() else "",
            status=status if status in Apprentice.Status.values else "",
            gaps_only=request.GET.get("gaps") == "1",
            sort=sort if sort in cls.SORTS else "name",
        )

    @property
    def version_key(self) -> str:
        return f"{self.version.standard.reference}-{self.version.version}" if self.version else ""

    @property
    def sort_key(self) -> str:
        return self.sort.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    def filter(self, apprentices: QuerySet[Apprentice]) -> QuerySet[Apprentice]:
        if self.employer:
            apprentices = apprentices.filter(employer_id=int(self.employer))
        if self.status:
            apprentices = apprentices.filter(status=self.status)
        return apprentices

    def querystring(self, **changes: str) -> str:
        values = {
            "version": self.version_key,
            "employer": self.employer,
            "status": self.status,
            "gaps": "1" if self.gaps_only else "",
            "sort": self.sort,
            **changes,
        }
        return urlencode({k: v for k, v in values.items() if v})

    @property
    def statuses(self) -> list[tuple[str, str]]:
        return list(Apprentice.Status.choices)


@dataclass(frozen=True)
class SearchAndSort:
    """A queue's search words and sort order, from the query string: `q` (at most 100
    characters) and `sort`, one of SORTS (SORT_LABELS names them in the sort menu), or the
    first of them when missing or unknown. A subclass gives SORTS, SORT_LABELS and apply()."""

    SORTS: ClassVar[dict[str, tuple[str, ...]]] = {}
    SORT_LABELS: ClassVar[dict[str, str]] = {}
    q: str = ""
    sort: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest) -> Self:
        default = next(iter(cls.SORTS))
        sort = request.GET.get("sort", default)
        return cls(
            q=request.GET.get("q", "").strip()[:100],
            sort=sort if sort in cls.SORTS else default,
        )

    def querystring(self, **changes: str) -> str:
        values = {"q": self.q, "sort": self.sort, **changes}
        return urlencode({k: v for k, v in values.items() if v})

    @property
    def sorts(self) -> list[tuple[str, str]]:
        return list(self.SORT_LABELS.items())

    @property
    def order(self) -> tuple[str, ...]:
        return self.SORTS[self.sort or next(iter(self.SORTS))]


@dataclass(frozen=True)
class ReviewQueueQuery(SearchAndSort):
    """The review queue: search by apprentice or title, sort by waiting time, name, title."""

    SORTS = {
        "submitted": ("submitted_at", "id"),
        "-submitted": ("-submitted_at", "-id"),
        "apprentice": ("apprentice__user__last_name", "apprentice__user__first_name", "id"),
        "title": ("title", "id"),
    }
    SORT_LABELS = {
        "submitted": "Waiting longest first",
        "-submitted": "Newest first",
        "apprentice": "Apprentice’s last name",
        "title": "Title",
    }

    def apply(self, evidence: QuerySet[Evidence]) -> QuerySet[Evidence]:
        if self.q:
            evidence = evidence.filter(
                Q(title__icontains=self.q)
                | Q(apprentice__user__first_name__icontains=self.q)
                | Q(apprentice__user__last_name__icontains=self.q)
                | Q(apprentice__uln__startswith=self.q)
            )
        return evidence.order_by(*self.order)
