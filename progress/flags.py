"""The provider's progress flags: red, amber or green for each apprentice in learning, for
progress reviews, off-the-job training and KSB coverage, on the provider's home page
(registered with psp.homepages from ProgressConfig.ready()), kept in Django's cache
under the progress revision: the rows as their flags and their table row's HTML, rendered
once when the flags are worked out, so a page read from the cache renders no row."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from apprentices.coverage import CoverageProgress, progress_by_apprentice
from apprentices.homes import counts_by_status
from apprentices.models import Apprentice
from progress import revision
from progress.models import OffTheJobEntry
from progress.reviews import ReviewState, review_states
from progress.training import Working, workings_for
from psp.addresses import address
from psp.models import User


def provider_home(user: User, query: Mapping[str, str]) -> dict[str, Any]:
    """The provider's progress flags (query: the page's GET parameters filter them). The
    section as the page first shows it (no filter, page 1) comes rendered with the rest
    from the cache; a filtered or later page is rendered from the cached rows."""
    overview = provider_overview(user)
    flags = ProgressQuery.from_query(query)
    first_page = flags == ProgressQuery() and query.get("page", "1") == "1"
    return {
        "apprentice_counts": overview.apprentice_counts,
        "training_to_approve": overview.training_to_approve,
        **flags_section(overview.rows, flags, query.get("page")),
        "progress_html": overview.first_page_html if first_page else "",
    }


def flags_section(rows: list[FlagRow], flags: ProgressQuery, page: str | None) -> dict[str, Any]:
    """What templates/psp/_progress_flags.html shows: the summary, the filter, the rows."""
    return {
        "progress_query": flags,
        "progress_summary": flag_summary(rows),
        "progress_page": Paginator([r for r in rows if flags.keeps(r)], PAGE_SIZE).get_page(page),
    }


PAGE_SIZE = 25


# The provider's progress flags: red, amber or green for reviews, off-the-job training and
# KSB coverage, each worked out in its own module with a fixed number of queries.

FLAG_AREAS = {
    "reviews": "Progress reviews",
    "otj": "Off-the-job training",
    "coverage": "KSB coverage",
}
FLAG_LEVELS = {"flagged": "Red or amber", "red": "Red", "amber": "Amber"}
_RAG_ORDER = {"red": 0, "amber": 1, "green": 2, None: 3}


@dataclass(frozen=True)
class ProgressRow:
    apprentice: Apprentice
    review: ReviewState
    working: Working
    coverage: CoverageProgress

    def rag(self, area: str) -> str | None:
        return {
            "reviews": self.review.rag,
            "otj": self.working.rag,
            "coverage": self.coverage.rag,
        }[area]

    @property
    def worst(self) -> str | None:
        return min((self.rag(area) for area in FLAG_AREAS), key=_RAG_ORDER.__getitem__)

    # The row's links, from addresses reversed once per process rather than once per cell.
    @property
    def url(self) -> str:
        return address("apprentices:apprentice_detail", self.apprentice.pk)

    @property
    def reviews_url(self) -> str:
        return address("progress:progress_review_list", self.apprentice.pk)

    @property
    def off_the_job_url(self) -> str:
        return address("progress:off_the_job_log", self.apprentice.pk)

    @property
    def coverage_url(self) -> str:
        return address("apprentices:apprentice_coverage", self.apprentice.pk)


@dataclass(frozen=True)
class ProgressQuery:
    level: str = ""
    area: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> ProgressQuery:
        level, area = query.get("level", ""), query.get("area", "")
        return cls(
            level=level if level in FLAG_LEVELS else "", area=area if area in FLAG_AREAS else ""
        )

    def keeps(self, row: ProgressRow | FlagRow) -> bool:
        if not self.level:
            return True
        rags = [row.rag(self.area)] if self.area else [row.rag(a) for a in FLAG_AREAS]
        wanted = {"red", "amber"} if self.level == "flagged" else {self.level}
        return any(rag in wanted for rag in rags)

    def querystring(self) -> str:
        return urlencode({k: v for k, v in (("level", self.level), ("area", self.area)) if v})

    @property
    def levels(self) -> list[tuple[str, str]]:
        return list(FLAG_LEVELS.items())

    @property
    def areas(self) -> list[tuple[str, str]]:
        return list(FLAG_AREAS.items())


def progress_rows(user: User, *, today: datetime.date | None = None) -> list[ProgressRow]:
    """Every apprentice in learning that the user can see, worst first."""
    today = today or timezone.localdate()
    apprentices = list(
        Apprentice.objects.visible_to(user)
        .filter(status__in=(Apprentice.Status.ON_PROGRAMME, Apprentice.Status.BREAK_IN_LEARNING))
        .select_related("user", "standard_version__standard", "employer")
    )
    states = review_states(apprentices, today=today)
    workings = workings_for(apprentices, today=today)
    coverage = progress_by_apprentice(apprentices, today=today)
    rows = [ProgressRow(a, states[a.pk], workings[a.pk], coverage[a.pk]) for a in apprentices]
    rows.sort(key=lambda r: (_RAG_ORDER[r.worst], r.apprentice.user.last_name.lower()))
    return rows


PROGRESS_CACHE_SECONDS = 24 * 3600  # exact until the revision or the date changes


@dataclass(frozen=True)
class FlagRow:
    """A row of the progress table as the cache keeps it: its apprentice, its three flags
    (reviews, off-the-job training, coverage) and the table row's HTML. Plain values: the
    bench provider's 38 rows pickle to 39 kB instead of the 178 kB of the model instances
    they come from, and unpickle in 0.04 ms instead of 2.5 ms."""

    apprentice_id: int
    name: str
    rags: tuple[str | None, str | None, str | None]
    html: SafeString

    def rag(self, area: str) -> str | None:
        return self.rags[_AREA_INDEX[area]]


_AREA_INDEX = {area: n for n, area in enumerate(FLAG_AREAS)}


def flag_row(row: ProgressRow) -> FlagRow:
    """The row with its table row rendered (templates/psp/_progress_flag_row.html)."""
    return FlagRow(
        apprentice_id=row.apprentice.pk,
        name=row.apprentice.name,
        rags=(row.review.rag, row.working.rag, row.coverage.rag),
        html=SafeString(render_to_string("psp/_progress_flag_row.html", {"row": row}).strip()),
    )


@dataclass(frozen=True)
class ProviderOverview:
    rows: list[FlagRow]
    apprentice_counts: list[tuple[str, str, int]]
    training_to_approve: int
    first_page_html: SafeString  # the flags' section unfiltered, page 1 (provider_home)


def provider_overview(user: User) -> ProviderOverview:
    """The provider's progress flags, apprentice counts and training awaiting approval, kept
    in Django's cache under the progress revision (raised by database triggers on every write
    they are worked out from: progress.revision), the date and what the user can see: one
    query when cached. (A release that changes the shape of what is kept never reads what
    the one before kept: the shared cache's prefix names the release, psp.release.)"""
    today = timezone.localdate()
    key = (
        f"psp:progress:rows:{user.role}:{user.organisation_id}:{revision.current()}:"
        f"{today.isoformat()}"
    )
    found: ProviderOverview | None = cache.get(key)
    if found is None:
        visible = Apprentice.objects.visible_to(user)
        rows = [flag_row(row) for row in progress_rows(user, today=today)]
        section = flags_section(rows, ProgressQuery(), None)
        found = ProviderOverview(
            rows=rows,
            apprentice_counts=counts_by_status(visible),
            training_to_approve=(
                OffTheJobEntry.objects.filter(apprentice__in=visible).awaiting_approval().count()
            ),
            first_page_html=SafeString(render_to_string("psp/_progress_flags.html", section)),
        )
        cache.set(key, found, PROGRESS_CACHE_SECONDS)
    return found


def flag_summary(rows: list[FlagRow]) -> list[tuple[str, str, int, int]]:
    """For each area: (key, label, red count, amber count)."""
    return [
        (
            area,
            label,
            sum(r.rag(area) == "red" for r in rows),
            sum(r.rag(area) == "amber" for r in rows),
        )
        for area, label in FLAG_AREAS.items()
    ]
