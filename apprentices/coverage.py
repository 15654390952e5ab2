"""KSB coverage: which KSBs an apprentice's evidence shows, and the same across a cohort.

All use a fixed number of queries whatever the number of evidence items, and read the counts
from the KSB tallies the database keeps per apprentice and KSB (apprentices.tallies), so
their cost does not grow with the evidence either.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, FilteredRelation, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from apprentices.models import Apprentice, KsbTally
from psp.addresses import address
from standards import revision
from standards.models import KSB, AssessmentMethod, Duty, StandardVersion


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


@dataclass(frozen=True)
class KsbCoverage:
    ksb: KSB
    evidence_count: int
    accepted_count: int
    latest_date: datetime.date | None

    @property
    def state(self) -> str:
        if self.accepted_count:
            return "accepted"
        return "pending" if self.evidence_count else "gap"


@dataclass(frozen=True)
class MethodCoverage:
    method: AssessmentMethod
    ksb_count: int
    covered: int
    accepted: int

    @property
    def percent_accepted(self) -> int:
        return _percent(self.accepted, self.ksb_count)

    @property
    def percent_covered(self) -> int:
        return _percent(self.covered, self.ksb_count)


@dataclass(frozen=True)
class Coverage:
    apprentice: Apprentice
    rows: list[KsbCoverage]
    methods: list[MethodCoverage]
    ksbs_imported: bool
    ksb_mapping_imported: bool

    @property
    def groups(self) -> list[tuple[str, list[KsbCoverage]]]:
        return [
            (label, [row for row in self.rows if row.ksb.kind == kind])
            for kind, label in KSB.Kind.choices
        ]

    @property
    def covered(self) -> int:
        return sum(row.evidence_count > 0 for row in self.rows)

    @property
    def accepted(self) -> int:
        return sum(row.accepted_count > 0 for row in self.rows)

    @property
    def gaps_accepted(self) -> int:
        """KSBs without accepted evidence."""
        return len(self.rows) - self.accepted

    @property
    def gaps(self) -> int:
        return len(self.rows) - self.covered

    @property
    def percent_covered(self) -> int:
        return _percent(self.covered, len(self.rows))

    @property
    def percent_accepted(self) -> int:
        return _percent(self.accepted, len(self.rows))


def coverage_for(apprentice: Apprentice) -> Coverage:
    version = apprentice.standard_version
    # The version's KSBs with the apprentice's tallies (apprentices.tallies): the cost grows
    # with the number of KSBs, not with anybody's evidence.
    # On a core-and-options version: the core and the apprentice's option only.
    ksbs = (
        KSB.objects.filter(version=version)
        .expected_of(apprentice.option_id)
        .in_standard_order()
        .annotate(
            tally=FilteredRelation("tallies", condition=Q(tallies__apprentice=apprentice)),
            evidence_count=Coalesce("tally__evidence_count", 0),
            accepted_count=Coalesce("tally__accepted_count", 0),
            latest_date=F("tally__latest_date"),
        )
    )
    rows = [
        KsbCoverage(ksb, ksb.evidence_count, ksb.accepted_count, ksb.latest_date) for ksb in ksbs
    ]
    plan = getattr(version, "epa_plan", None)
    methods: list[MethodCoverage] = []
    if plan is not None and plan.ksb_mapping_imported:
        by_id = {row.ksb.pk: row for row in rows}
        for method in plan.methods.prefetch_related(
            Prefetch("ksbs", queryset=KSB.objects.only("id"))
        ):
            method_rows = [by_id[k.pk] for k in method.ksbs.all() if k.pk in by_id]
            methods.append(
                MethodCoverage(
                    method,
                    len(method_rows),
                    sum(r.evidence_count > 0 for r in method_rows),
                    sum(r.accepted_count > 0 for r in method_rows),
                )
            )
    return Coverage(
        apprentice,
        rows,
        methods,
        ksbs_imported=version.ksbs_imported,
        ksb_mapping_imported=bool(plan and plan.ksb_mapping_imported),
    )


@dataclass
class CohortRow:
    apprentice: Apprentice
    cells: list[tuple[str, int, int]] = field(default_factory=list)  # state, accepted, total
    accepted: int = 0
    covered: int = 0
    expected: int = 0  # KSBs expected of the apprentice: the core and their option
    # Where a cell with evidence leads: the apprentice's coverage page at the KSB's row
    # (`#K1`), one anchor per cell, already escaped. Empty: the cells are not links.
    coverage_url: str = ""
    anchors: Sequence[str] = ()

    def percent_accepted(self, ksb_count: int | None = None) -> int:
        """Of the KSBs expected of the apprentice (`ksb_count` is no longer needed)."""
        return _percent(self.accepted, self.expected)

    @property
    def gaps(self) -> int:
        return self.expected - self.covered

    @cached_property
    def cells_html(self) -> SafeString:
        """The row's cells as table cells: what cohort.html's loop over `cells` prints, in
        about 1% of the time (the template engine spends 50-100 µs a cell, 0.5 s for 200
        apprentices × 34 KSBs). Only a state from a fixed set, integers and the escaped
        URL and anchors go in.

        A cell with evidence links to that KSB on the apprentice's coverage page, out of the
        tab order (tabindex -1): 200 apprentices × 34 KSBs would be thousands of tab stops.
        Pointer and screen-reader users follow the cell; keyboard users reach the same page
        from the row's header, one tab stop a row, and the KSB there."""
        labels = {
            "accepted": "{accepted}",
            "pending": "({total})",
            "gap": "–",
            "other": '<span class="govuk-visually-hidden">not in their option</span>',
        }
        parts = []
        for index, (state, accepted, total) in enumerate(self.cells):
            label = labels[state].format(accepted=int(accepted), total=int(total))
            if state in ("accepted", "pending") and self.coverage_url:
                label = (
                    f'<a class="psp-heat__link" tabindex="-1" '
                    f'href="{self.coverage_url}#{self.anchors[index]}">{label}</a>'
                )
            parts.append(f'<td class="psp-heat psp-heat--{state}">{label}</td>')
        return mark_safe("".join(parts))


@dataclass(frozen=True)
class Cohort:
    version: StandardVersion | None
    ksbs: list[KSB]
    rows: list[CohortRow]
    ksb_totals: list[int]  # apprentices with accepted evidence, per KSB

    @property
    def percent_accepted(self) -> int:
        return _percent(sum(r.accepted for r in self.rows), sum(r.expected for r in self.rows))


@dataclass(frozen=True)
class CohortTable:
    """A cohort as the heatmap page shows it: its counts and its table already in HTML
    (templates/apprentices/_cohort_table.html). Plain values, so the page read from the
    cache unpickles one string and a few integers, where the Cohort of 209 apprentices
    unpickled 660 model instances (an apprentice, their user and employer a row, the KSBs)
    and the template then printed 1,450 variables."""

    ksb_count: int
    apprentice_ids: tuple[int, ...]  # the rows' apprentices, in the table's order
    ksb_totals: tuple[int, ...]  # apprentices with accepted evidence, per KSB
    percent_accepted: int
    html: SafeString

    @property
    def row_count(self) -> int:
        return len(self.apprentice_ids)

    @classmethod
    def of(cls, cohort: Cohort, render: Callable[[Cohort], str]) -> CohortTable:
        """`render(cohort)`: its table's HTML, worked out only when it has rows."""
        return cls(
            ksb_count=len(cohort.ksbs),
            apprentice_ids=tuple(row.apprentice.pk for row in cohort.rows),
            ksb_totals=tuple(cohort.ksb_totals),
            percent_accepted=cohort.percent_accepted,
            html=SafeString(render(cohort) if cohort.rows else ""),
        )


COHORT_SORTS = {
    "name": lambda row: (
        row.apprentice.user.last_name.lower(),
        row.apprentice.user.first_name.lower(),
    ),
    "coverage": lambda row: (row.accepted, row.covered),
    "employer": lambda row: (
        row.apprentice.employer.name.lower(),
        row.apprentice.user.last_name.lower(),
    ),
}


def cohort_for(
    apprentices: QuerySet[Apprentice],
    version: StandardVersion | None,
    *,
    sort: str = "name",
    descending: bool = False,
    gaps_only: bool = False,
) -> Cohort:
    """Apprentices × KSBs of one version: for each cell, accepted and all live evidence."""
    if version is None:
        return Cohort(None, [], [], [])
    apprentices = apprentices.filter(standard_version=version)
    ksbs = list(version.ksbs.in_standard_order())
    cells: dict[tuple[int, int], tuple[int, int]] = {
        (apprentice_id, ksb_id): (accepted, total)
        for apprentice_id, ksb_id, accepted, total in KsbTally.objects.filter(
            apprentice__in=apprentices, ksb__version=version
        ).values_list("apprentice_id", "ksb_id", "accepted_count", "evidence_count")
    }
    # On a core-and-options version, the KSBs only in other options are not expected.
    elsewhere = _other_options_only([version.pk]) if version.core_and_options else _no_options
    anchors = [escape(ksb.code) for ksb in ksbs]
    ksb_ids = [ksb.pk for ksb in ksbs]
    rows = []
    totals = [0] * len(ksbs)
    nothing = (0, 0)
    for apprentice in apprentices.select_related("user", "employer").order_by():
        apprentice_id = apprentice.pk
        row = CohortRow(
            apprentice,
            coverage_url=escape(address("apprentices:apprentice_coverage", apprentice_id)),
            anchors=anchors,
        )
        skip = elsewhere(version.pk, apprentice.option_id)
        row.expected = len(ksbs) - len(skip)
        row_cells = row.cells
        for index, ksb_id in enumerate(ksb_ids):
            if ksb_id in skip:
                row_cells.append(("other", 0, 0))
                continue
            accepted, total = cells.get((apprentice_id, ksb_id), nothing)
            state = "accepted" if accepted else "pending" if total else "gap"
            row_cells.append((state, accepted, total))
            row.accepted += bool(accepted)
            row.covered += bool(total)
            totals[index] += bool(accepted)
        rows.append(row)
    if gaps_only:
        rows = [row for row in rows if row.covered < row.expected]
    rows.sort(key=COHORT_SORTS.get(sort, COHORT_SORTS["name"]), reverse=descending)
    return Cohort(version, ksbs, rows, totals)


COHORT_CACHE_SECONDS = 24 * 3600  # exact until a revision changes; this only frees memory
# The revisions the cohort cache is kept under besides the reference data's, registered by
# the apps that keep them (ProgressConfig.ready(): progress.revision.current).
_revisions: list[Callable[[], int]] = []


def register_revision(current: Callable[[], int]) -> None:
    _revisions.append(current)


def progress_revision() -> str:
    """The registered revisions of apprentices' progress, for a cache key: one query each."""
    return ":".join(str(current()) for current in _revisions)


def cached_cohort(
    apprentices: QuerySet[Apprentice],
    version: StandardVersion | None,
    *,
    chosen_by: str,
    render: Callable[[Cohort], str],
    sort: str = "name",
    descending: bool = False,
    gaps_only: bool = False,
) -> CohortTable:
    """cohort_for as a CohortTable (`render` gives its table's HTML), kept in Django's
    cache under the progress revision (progress.revision: raised by the KSB tallies, the
    apprentices' rows, their users' names and their organisations' names) and the
    reference data's (standards.revision: KSBs, duties and options). `chosen_by` names the
    apprentices given and how the table is shown (the viewer's organisation and the
    filters: with `version` and the sort, all the page's query that the table's links
    hold): the apprentices must be chosen by columns of the apprentice's own row, which the
    progress revision covers, so a change of who is in the set raises it too. Two queries
    for the revisions instead of the tallies and the rows. The progress revision is the
    progress app's: it registers it (register_revision)."""
    if version is None:
        return CohortTable.of(cohort_for(apprentices, version), render)
    progress = progress_revision()
    key = (
        f"psp:cohort:{chosen_by}:{version.pk}:{progress}:{revision.current()}:"
        f"{sort}:{int(descending)}:{int(gaps_only)}"
    )
    found: CohortTable | None = cache.get(key)
    if found is None:
        found = CohortTable.of(
            cohort_for(apprentices, version, sort=sort, descending=descending, gaps_only=gaps_only),
            render,
        )
        cache.set(key, found, COHORT_CACHE_SECONDS)
    return found


def _other_options_only(version_ids: Iterable[int]) -> Callable[[int, int | None], frozenset[int]]:
    """For a version and an option, the version's KSBs mapped only to duties of other
    options (those `KSB.objects.expected_of` leaves out). One query."""
    # Version to KSB to the options of its duties (None: a core duty).
    options_of: dict[int, dict[int, set[int | None]]] = {}
    for version_id, ksb_id, option_id in Duty.ksbs.through.objects.filter(  # type: ignore[attr-defined]
        duty__version_id__in=list(version_ids)
    ).values_list("duty__version_id", "ksb_id", "duty__options"):
        options_of.setdefault(version_id, {}).setdefault(ksb_id, set()).add(option_id)
    cache: dict[tuple[int, int | None], frozenset[int]] = {}

    def elsewhere(version_id: int, option_id: int | None) -> frozenset[int]:
        if option_id is None:
            return frozenset()
        key = (version_id, option_id)
        if key not in cache:
            cache[key] = frozenset(
                ksb_id
                for ksb_id, options in options_of.get(version_id, {}).items()
                if None not in options and option_id not in options
            )
        return cache[key]

    return elsewhere


def _no_options(version_id: int, option_id: int | None) -> frozenset[int]:
    return frozenset()


def cohort_versions(apprentices: QuerySet[Apprentice]) -> list[Any]:
    """Versions the apprentices are on, most apprentices first, with their counts."""
    return list(
        StandardVersion.objects.filter(apprentices__in=apprentices)
        .select_related("standard")
        .annotate(apprentice_count=Count("apprentices"))
        .order_by("-apprentice_count", "standard__reference", "version")
    )


@dataclass(frozen=True)
class CoverageProgress:
    """An apprentice's accepted KSB coverage against how far through the practical period
    they are: behind half of that pace is red, behind it amber."""

    accepted: int
    ksb_count: int  # 0 when the version's KSBs are not imported
    expected_percent: int

    @property
    def percent(self) -> int:
        return _percent(self.accepted, self.ksb_count)

    @property
    def rag(self) -> str | None:
        if not self.ksb_count:
            return None
        if self.percent < self.expected_percent / 2:
            return "red"
        return "amber" if self.percent < self.expected_percent else "green"


def progress_by_apprentice(
    apprentices: list[Apprentice], *, today: datetime.date
) -> dict[int, CoverageProgress]:
    """Accepted coverage of each apprentice, in two queries however many there are."""
    ids = [a.pk for a in apprentices]
    accepted = dict(
        KsbTally.objects.filter(apprentice_id__in=ids, accepted_count__gt=0)
        .values("apprentice_id")
        .annotate(n=Count("id"))
        .values_list("apprentice_id", "n")
        .order_by()
    )
    versions = {a.standard_version_id for a in apprentices}
    ksb_counts = dict(
        KSB.objects.filter(version_id__in=versions)
        .values("version_id")
        .annotate(n=Count("id"))
        .values_list("version_id", "n")
        .order_by()
    )
    # The core and their option for apprentices doing one: two more queries, only then.
    with_option = [a for a in apprentices if a.option_id]
    elsewhere: Callable[[int, int | None], frozenset[int]] = _no_options
    accepted_ksbs: dict[int, set[int]] = {}
    if with_option:
        elsewhere = _other_options_only({a.standard_version_id for a in with_option})
        for apprentice_id, ksb_id in KsbTally.objects.filter(
            apprentice__in=[a.pk for a in with_option], accepted_count__gt=0
        ).values_list("apprentice_id", "ksb_id"):
            accepted_ksbs.setdefault(apprentice_id, set()).add(ksb_id)
    progress = {}
    for apprentice in apprentices:
        skip = elsewhere(apprentice.standard_version_id, apprentice.option_id)
        start, end = apprentice.start_date, apprentice.planned_end_date
        elapsed = _percent(
            max(min((today - start).days, (end - start).days), 0), (end - start).days
        )
        imported = apprentice.standard_version.ksbs_imported
        progress[apprentice.pk] = CoverageProgress(
            len(accepted_ksbs.get(apprentice.pk, set()) - skip)
            if skip
            else accepted.get(apprentice.pk, 0),
            ksb_counts.get(apprentice.standard_version_id, 0) - len(skip) if imported else 0,
            elapsed,
        )
    return progress
