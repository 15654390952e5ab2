"""Off-the-job training: the minimum an apprentice must train under the funding rules in force
when they started, what they logged and what was approved, and plan against actual over time.

The rules are dated data (OffTheJobRule rows, loaded by a migration with their source): this
module only applies them. Every figure comes with its working, so a reader can check it:
"required X h (rule, inputs) – logged Y h – approved Z h – on track / behind by W h".
"""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

from django.core.cache import cache
from django.db.models import Prefetch, Q, Sum
from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import SafeString

from apprentices import revision as evidence_revision
from apprentices.models import Apprentice, BreakInLearning
from progress.models import OffTheJobEntry, OffTheJobMinimum, OffTheJobRule
from standards.models import KSB, ksb_kind_order

ZERO = Decimal(0)
WEEK = Decimal(7)
WEEKS_IN_YEAR = Decimal(52)
Kind = OffTheJobRule.Kind
BEHIND_RED_SHARE = Decimal("0.1")


def hours(value: Decimal) -> Decimal:
    """Hours to one decimal place, as shown everywhere."""
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _h(value: Decimal) -> str:
    return f"{hours(value):,} h"


def _n(value: Decimal) -> str:
    """A figure as entered: 37.5, 30, 20 (never 3E+1)."""
    return f"{value.normalize():f}"


def _weeks(value: Decimal) -> str:
    return f"{hours(value)} weeks"


def long_date(value: datetime.date) -> str:
    """1 August 2022."""
    return f"{value.day} {value:%B %Y}"


def learning_days(
    start: datetime.date,
    end: datetime.date,
    breaks: Iterable[BreakInLearning],
    *,
    today: datetime.date,
    until: datetime.date | None = None,
) -> int:
    """Days from start to end (or to `until`, if earlier) that are not in a break in learning.
    A break still going on counts up to today."""
    stop = min(end, until) if until else end
    if stop <= start:
        return 0
    days = (stop - start).days
    for pause in breaks:
        last = pause.ends_on or today
        overlap = (min(last + datetime.timedelta(days=1), stop) - max(pause.starts_on, start)).days
        days -= max(overlap, 0)
    return max(days, 0)


@dataclass(frozen=True)
class Requirement:
    """The minimum off-the-job hours, with the working that gives them."""

    rule: OffTheJobRule | None  # in force for the apprentice's start date
    applied: OffTheJobRule | None  # the rule the figure comes from
    hours: Decimal | None  # None when it cannot be worked out
    inputs: str  # the rule and its inputs, in a few words
    steps: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def is_estimate(self) -> bool:
        return self.hours is not None and self.applied is not None and self.applied != self.rule


def _rule_in_force(rules: Sequence[OffTheJobRule], start: datetime.date) -> OffTheJobRule | None:
    return next(
        (
            rule
            for rule in rules
            if rule.applies_to_starts_from <= start
            and (rule.applies_to_starts_until is None or start <= rule.applies_to_starts_until)
        ),
        None,
    )


def _previous_rule(rules: Sequence[OffTheJobRule], rule: OffTheJobRule) -> OffTheJobRule | None:
    earlier = [
        r
        for r in rules
        if r.applies_to_starts_until and r.applies_to_starts_until < rule.applies_to_starts_from
    ]
    return max(earlier, key=lambda r: r.applies_to_starts_from, default=None)


def _dates(rule: OffTheJobRule) -> str:
    if rule.applies_to_starts_until is None:
        return f"starts from {long_date(rule.applies_to_starts_from)}"
    start, until = rule.applies_to_starts_from, rule.applies_to_starts_until
    return f"starts from {long_date(start)} to {long_date(until)}"


def _rate_requirement(
    rule: OffTheJobRule,
    apprentice: Apprentice,
    breaks: Sequence[BreakInLearning],
    *,
    today: datetime.date,
) -> tuple[Decimal | None, list[str], list[str], list[str]]:
    """Hours for a rule that is a rate (a percentage or hours a week) over the planned weeks.

    Returns (hours or None, steps, short inputs, problems).
    """
    start, end = apprentice.start_date, apprentice.planned_end_date
    contracted = apprentice.contracted_hours_per_week
    if contracted is None:
        return (
            None,
            [],
            [],
            [
                "The apprentice's contracted hours a week are not recorded, so the "
                f"“{rule.name}” rule cannot be applied. Provider staff can add them."
            ],
        )
    planned = Decimal(max((end - start).days, 0)) / WEEK
    learning = Decimal(learning_days(start, end, breaks, today=today)) / WEEK
    steps = [f"Planned practical period: {long_date(start)} to {long_date(end)}, {_weeks(planned)}"]
    if learning != planned:
        steps.append(f"Less breaks in learning: {_weeks(planned - learning)}")
    weeks = learning
    if rule.statutory_leave_weeks_per_year:
        leave = learning * rule.statutory_leave_weeks_per_year / WEEKS_IN_YEAR
        steps.append(
            f"Less statutory leave: {_n(rule.statutory_leave_weeks_per_year)} weeks a year for "
            f"{_weeks(learning)} = {_weeks(leave)}"
        )
        weeks = learning - leave
    steps.append(f"Weeks of training: {_weeks(weeks)}")
    value = rule.value or ZERO
    if rule.kind == Kind.PERCENT_OF_CONTRACTED_HOURS:
        weekly = contracted * value / 100
        steps.append(
            f"{_n(value)}% of {_n(contracted)} contracted hours a week = {_h(weekly)} a week"
        )
    elif rule.full_time_hours and contracted < rule.full_time_hours:
        weekly = value * contracted / rule.full_time_hours
        full_time = _n(rule.full_time_hours)
        steps.append(
            f"Part time ({_n(contracted)} h a week, under {full_time}): "
            f"{_n(value)} h × {_n(contracted)} ÷ {full_time} = {_h(weekly)} a week"
        )
    else:
        weekly = value
        steps.append(f"{_n(value)} h a week ({_n(contracted)} h contracted)")
    total = weekly * weeks
    steps.append(f"{_h(weekly)} a week × {_weeks(weeks)} = {_h(total)}")
    inputs = [f"{_n(contracted)} h a week contracted", f"{_weeks(weeks)} of training"]
    return total, steps, inputs, []


def requirement_for(
    apprentice: Apprentice,
    *,
    rules: Sequence[OffTheJobRule],
    minimums: dict[tuple[int, int], OffTheJobMinimum],
    breaks: Sequence[BreakInLearning],
    today: datetime.date,
) -> Requirement:
    """The minimum off-the-job hours from already loaded rules, minimums (by (rule id,
    standard id)) and breaks, so that many apprentices need no more queries."""
    start = apprentice.start_date
    rule = _rule_in_force(rules, start)
    if rule is None:
        return Requirement(
            None,
            None,
            None,
            "no rule",
            problems=[
                f"No off-the-job training rule is recorded for starts on {long_date(start)}."
            ],
        )
    applied = rule
    problems: list[str] = []
    steps = [f"Rule in force: {rule.name} ({_dates(rule)})"]
    total: Decimal | None
    inputs: list[str]
    if rule.kind == Kind.PER_STANDARD_MINIMUM:
        standard = apprentice.standard_version.standard
        minimum = minimums.get((rule.pk, standard.pk))
        version = apprentice.standard_version
        if minimum is not None:
            total, inputs = minimum.hours, [f"published minimum for {standard.reference}"]
            steps.append(f"Published minimum for {standard.reference}: {_h(minimum.hours)}")
        elif version.off_the_job_minimum_hours:
            # The figure of the apprentice's version, as its official record gives it.
            name = f"{standard.reference} v{version.version}"
            total, inputs = (
                Decimal(version.off_the_job_minimum_hours),
                [f"published minimum for {name}"],
            )
            steps.append(
                f"Published minimum for {name}: {_h(total)} (minimumHoursForCompliance in the "
                f"official record of {name}, Skills England apprenticeship-standards API)"
            )
        else:
            steps.append(f"Published minimum for {standard.reference}: not yet imported")
            previous = _previous_rule(rules, rule)
            problems.append(
                f"The published minimum off-the-job hours for {standard.reference} are not yet "
                f"imported, so the rule in force for this start date ({rule.name}) could not be "
                "applied. An administrator can add the figure."
            )
            total, inputs = None, []
            if previous is not None:
                applied = previous
                steps.append(f"Estimate with the previous rule instead: {previous.name}")
                total, more, inputs, rate_problems = _rate_requirement(
                    previous, apprentice, breaks, today=today
                )
                steps += more
                problems += rate_problems
                if total is not None:
                    problems.append(
                        f"The figure shown is an estimate from the previous rule ({previous.name})."
                    )
    else:
        total, more, inputs, rate_problems = _rate_requirement(
            rule, apprentice, breaks, today=today
        )
        steps += more
        problems += rate_problems
    if total is not None and apprentice.prior_learning_reduction:
        reduction = apprentice.prior_learning_reduction
        if apprentice.prior_learning_unit == "percent":
            cut = total * reduction / 100
            steps.append(f"Less prior learning: {_n(reduction)}% = {_h(cut)}")
            inputs.append(f"prior learning − {_n(reduction)}%")
        else:
            cut = reduction
            steps.append(f"Less prior learning: {_h(cut)}")
            inputs.append(f"prior learning − {_h(cut)}")
        total = max(total - cut, ZERO)
    if total is not None:
        steps.append(f"Required: {_h(total)}")
    label = applied.name + (" (estimate)" if applied != rule and total is not None else "")
    return Requirement(
        rule, applied, total, ", ".join([label, *inputs]), steps=steps, problems=problems
    )


@dataclass(frozen=True)
class Working:
    """Required, logged and approved hours, and whether the apprentice is on track."""

    apprentice: Apprentice
    requirement: Requirement
    logged: Decimal
    approved: Decimal
    expected: Decimal | None  # approved hours expected by today if spread evenly

    @property
    def behind_by(self) -> Decimal | None:
        if self.expected is None:
            return None
        return max(hours(self.expected) - hours(self.approved), ZERO)

    @property
    def on_track(self) -> bool | None:
        behind = self.behind_by
        return None if behind is None else behind == ZERO

    @property
    def rag(self) -> str | None:
        """Green on track; red behind by a tenth of the requirement or more; amber between."""
        if self.on_track is None:
            return None
        if self.on_track:
            return "green"
        required = self.requirement.hours or ZERO
        return "red" if (self.behind_by or ZERO) >= required * BEHIND_RED_SHARE else "amber"

    @property
    def summary(self) -> str:
        required = self.requirement.hours
        head = (
            f"Required {_h(required)} ({self.requirement.inputs})"
            if required is not None
            else f"Required: cannot be worked out ({self.requirement.inputs})"
        )
        if self.on_track is None:
            tail = "on track: not known"
        elif self.on_track:
            tail = "on track"
        else:
            tail = f"behind by {_h(self.behind_by or ZERO)}"
        return f"{head} – logged {_h(self.logged)} – approved {_h(self.approved)} – {tail}"


def _expected(
    apprentice: Apprentice,
    requirement: Requirement,
    breaks: Sequence[BreakInLearning],
    *,
    today: datetime.date,
) -> Decimal | None:
    if requirement.hours is None:
        return None
    start, end = apprentice.start_date, apprentice.planned_end_date
    total = learning_days(start, end, breaks, today=today)
    if not total:
        return requirement.hours
    so_far = learning_days(start, end, breaks, today=today, until=today)
    return requirement.hours * Decimal(so_far) / Decimal(total)


def workings_for(
    apprentices: Sequence[Apprentice], *, today: datetime.date | None = None
) -> dict[int, Working]:
    """The working for each apprentice, in four queries however many there are.
    Apprentices need their standard_version loaded (select_related)."""
    today = today or timezone.localdate()
    ids = [a.pk for a in apprentices]
    rules = list(OffTheJobRule.objects.all())
    standard_ids = {a.standard_version.standard_id for a in apprentices}
    minimums = {
        (m.rule_id, m.standard_id): m
        for m in OffTheJobMinimum.objects.filter(standard_id__in=standard_ids)
    }
    breaks: dict[int, list[BreakInLearning]] = defaultdict(list)
    for pause in BreakInLearning.objects.filter(apprentice_id__in=ids):
        breaks[pause.apprentice_id].append(pause)
    sums = (
        OffTheJobEntry.objects.filter(apprentice_id__in=ids)
        .values("apprentice_id")
        .annotate(
            logged=Sum("hours"),
            approved=Sum("hours", filter=Q(status=OffTheJobEntry.Status.APPROVED)),
        )
        .order_by()
    )
    totals: dict[int, Any] = {row["apprentice_id"]: row for row in sums}
    workings = {}
    for apprentice in apprentices:
        own_breaks = breaks[apprentice.pk]
        requirement = requirement_for(
            apprentice, rules=rules, minimums=minimums, breaks=own_breaks, today=today
        )
        row = totals.get(apprentice.pk, {})
        workings[apprentice.pk] = Working(
            apprentice,
            requirement,
            logged=row.get("logged") or ZERO,
            approved=row.get("approved") or ZERO,
            expected=_expected(apprentice, requirement, own_breaks, today=today),
        )
    return workings


def working_for(apprentice: Apprentice, *, today: datetime.date | None = None) -> Working:
    return workings_for([apprentice], today=today)[apprentice.pk]


# Planned against actual over time, and its chart (an SVG drawn by the template).


@dataclass(frozen=True)
class Point:
    day: datetime.date
    planned: Decimal | None
    logged: Decimal | None  # None after today
    approved: Decimal | None


def series_for(
    working: Working, *, today: datetime.date | None = None, step_days: int = 7
) -> list[Point]:
    """Cumulative planned, logged and approved hours, every `step_days` from the start to the
    planned end (or today, if later)."""
    today = today or timezone.localdate()
    apprentice = working.apprentice
    return _series(
        working,
        list(apprentice.breaks.all()),
        _daily_hours(apprentice),
        today=today,
        step_days=step_days,
    )


def _daily_hours(apprentice: Apprentice) -> dict[datetime.date, tuple[Decimal, Decimal]]:
    """Hours logged and approved on each day the apprentice logged training."""
    return {
        row["date"]: (row["logged"] or ZERO, row["approved"] or ZERO)
        for row in apprentice.off_the_job.values("date")
        .annotate(
            logged=Sum("hours"),
            approved=Sum("hours", filter=Q(status=OffTheJobEntry.Status.APPROVED)),
        )
        .order_by("date")
    }


def _series(
    working: Working,
    breaks: Sequence[BreakInLearning],
    daily: dict[datetime.date, tuple[Decimal, Decimal]],
    *,
    today: datetime.date,
    step_days: int,
) -> list[Point]:
    apprentice = working.apprentice
    start, end = apprentice.start_date, apprentice.planned_end_date
    required = working.requirement.hours
    total_days = learning_days(start, end, breaks, today=today)
    last = max(end, min(today, end + datetime.timedelta(days=365)))
    days = [start + datetime.timedelta(days=n) for n in range(0, (last - start).days, step_days)]
    days.append(last)
    points = []
    dates = sorted(daily)
    logged = approved = ZERO
    index = 0
    for day in days:
        while index < len(dates) and dates[index] <= day:
            logged += daily[dates[index]][0]
            approved += daily[dates[index]][1]
            index += 1
        planned = None
        if required is not None:
            done = learning_days(start, end, breaks, today=today, until=day)
            planned = required * Decimal(done) / Decimal(total_days) if total_days else required
        past = day <= today
        points.append(
            Point(
                day,
                planned,
                logged if past else None,
                approved if past else None,
            )
        )
    return points


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    bottom: int  # y of the x axis
    right: int
    top: int
    planned: str  # SVG polyline points
    logged: str
    approved: str
    x_ticks: list[tuple[str, str]]  # (x, label)
    y_ticks: list[tuple[str, str]]  # (y, label)
    today_x: str | None


def chart_for(
    points: Sequence[Point],
    *,
    today: datetime.date | None = None,
    width: int = 640,
    height: int = 280,
) -> Chart | None:
    """Coordinates for a line chart of the series; None when there is nothing to draw."""
    if len(points) < 2:
        return None
    today = today or timezone.localdate()
    left, right, top, bottom = 56, width - 32, 28, height - 40
    first, last = points[0].day, points[-1].day
    span = max((last - first).days, 1)
    values = [v for p in points for v in (p.planned, p.logged, p.approved) if v is not None]
    top_value = _nice_ceiling(max(values, default=ZERO))

    # Coordinates are formatted here, so the template never localises a number.
    def x(day: datetime.date) -> str:
        return f"{left + (right - left) * (day - first).days / span:.1f}"

    def y(value: Decimal) -> str:
        return f"{bottom - (bottom - top) * float(value / top_value):.1f}"

    def line(attribute: str) -> str:
        return " ".join(
            f"{x(p.day)},{y(getattr(p, attribute))}"
            for p in points
            if getattr(p, attribute) is not None
        )

    months = []
    cursor = datetime.date(first.year, first.month, 1)
    while cursor <= last:
        if cursor >= first:
            months.append(cursor)
        cursor = datetime.date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    every = max(1, len(months) // 6)
    x_ticks = [(x(m), f"{m:%b %Y}") for m in months[::every]]
    y_ticks = [(y(top_value * n / 4), _n(top_value * n / 4)) for n in range(5)]
    return Chart(
        width,
        height,
        left,
        bottom,
        right,
        top,
        planned=line("planned"),
        logged=line("logged"),
        approved=line("approved"),
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        today_x=x(today) if first <= today <= last else None,
    )


def _nice_ceiling(value: Decimal) -> Decimal:
    """The top of the y axis: the smallest of 4 round steps at or above the value."""
    for step in (5, 10, 15, 20, 25, 50, 75, 100, 125, 150, 200, 250, 300, 400, 500, 750, 1000):
        if value <= step * 4:
            return Decimal(step * 4)
    return (value / 1000).to_integral_value(rounding="ROUND_CEILING") * 1000


@dataclass(frozen=True)
class Log:
    """What the off-the-job log shows above its entries."""

    working: Working
    breaks: list[BreakInLearning]
    points: list[Point]
    chart: Chart | None
    months: list[Point]


def log_for(apprentice: Apprentice, *, today: datetime.date | None = None) -> Log:
    """The working, breaks, planned-against-actual series, its chart and monthly table, from
    one load of the breaks and one of the hours by day (working_for and series_for each load
    both). The apprentice needs their standard_version loaded (select_related)."""
    today = today or timezone.localdate()
    breaks = list(apprentice.breaks.all())
    daily = _daily_hours(apprentice)
    standard_id = apprentice.standard_version.standard_id
    requirement = requirement_for(
        apprentice,
        rules=list(OffTheJobRule.objects.all()),
        minimums={
            (m.rule_id, m.standard_id): m
            for m in OffTheJobMinimum.objects.filter(standard_id=standard_id)
        },
        breaks=breaks,
        today=today,
    )
    working = Working(
        apprentice,
        requirement,
        logged=sum((logged for logged, _ in daily.values()), ZERO),
        approved=sum((approved for _, approved in daily.values()), ZERO),
        expected=_expected(apprentice, requirement, breaks, today=today),
    )
    points = _series(working, breaks, daily, today=today, step_days=7)
    return Log(working, breaks, points, chart_for(points, today=today), monthly(points))


class LazyLog:
    """log_for(apprentice) when first asked for; its breaks alone (one query) if only they
    are asked for (the off-the-job log's working and chart come from a cache)."""

    def __init__(self, apprentice: Apprentice, *, today: datetime.date) -> None:
        self.apprentice, self.today = apprentice, today

    @cached_property
    def log(self) -> Log:
        return log_for(self.apprentice, today=self.today)

    @property
    def breaks(self) -> list[BreakInLearning]:
        if "log" in self.__dict__:
            return self.log.breaks
        return self._breaks

    @cached_property
    def _breaks(self) -> list[BreakInLearning]:
        return list(self.apprentice.breaks.all())


def monthly(points: Sequence[Point]) -> list[Point]:
    """The last point of each month, for a table beside the chart."""
    by_month: dict[tuple[int, int], Point] = {}
    for point in points:
        by_month[(point.day.year, point.day.month)] = point
    return list(by_month.values())


def entry_cells(
    entries: Sequence[OffTheJobEntry], progress: int, evidence: int | None = None
) -> list[tuple[OffTheJobEntry, SafeString]]:
    """Each entry of a page of the log beside the HTML of its date, hours, training and
    status cells (templates/progress/_off_the_job_cells.html), which are the same for
    everyone who may see the log. Kept in the cache under the progress revision (the
    entries, their KSBs, the reviewers' names) and the evidence revision (the linked
    evidence's title) for these entries; worked out, with the evidence, reviewers and KSBs
    the cells show, only when not there. What each viewer may do with an entry (edit,
    approve, query) is asked of each entry when the page's table is built. progress and
    evidence: the progress and evidence revisions, as the page read them (the evidence
    revision is read here when not given)."""
    if not entries:
        return []
    ids = [entry.pk for entry in entries]
    listed = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:32]
    if evidence is None:
        evidence = evidence_revision.current()
    key = f"progress:otj-cells:{progress}:{evidence}:{listed}"
    cells: list[SafeString] | None = cache.get(key)
    if cells is None:
        shown = (
            OffTheJobEntry.objects.filter(pk__in=ids)
            .select_related("evidence", "reviewed_by")
            .only(
                *("apprentice", "date", "hours", "activity", "description", "status", "query"),
                *("evidence", "evidence__title", "reviewed_by"),
                *("reviewed_by__first_name", "reviewed_by__last_name", "reviewed_by__username"),
            )
            .prefetch_related(
                Prefetch(
                    "ksbs",
                    queryset=KSB.objects.only("kind", "number").order_by(
                        ksb_kind_order("kind"), "number"
                    ),
                )
            )
            .in_bulk()
        )
        template = get_template("progress/_off_the_job_cells.html")
        cells = [SafeString(template.render({"entry": shown[pk]})) for pk in ids]
        cache.set(key, cells, 86400)
    return list(zip(entries, cells, strict=True))
