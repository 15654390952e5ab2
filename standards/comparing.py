"""Side-by-side comparison of two versions of a standard."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum
from typing import cast

from django.db import models
from django.db.models import Prefetch
from django.utils.formats import date_format
from django.utils.text import capfirst

from standards.crosswalk import crosswalk_for, has_confirmed_crosswalk
from standards.models import KSB, StandardVersion

NOT_IMPORTED = None


class Change(StrEnum):
    """What became of a line from one version to another: the one vocabulary of the version
    comparison and the import preview (standards.previewing)."""

    UNCHANGED = "unchanged"
    CHANGED = "changed"
    ADDED = "added"
    REMOVED = "removed"
    NOT_IMPORTED = "not imported"

    @property
    def colour(self) -> str:
        """The colour of its GOV.UK tag."""
        return {Change.ADDED: "green", Change.REMOVED: "red", Change.CHANGED: "blue"}.get(
            self, "grey"
        )


def change_between(old: str | None, new: str | None) -> Change:
    """What became of an item (a KSB, a duty, a line of a plan): a missing or empty side
    means it was added or removed."""
    if old == new:
        return Change.UNCHANGED
    if old is None or old == "":
        return Change.ADDED
    if new is None or new == "":
        return Change.REMOVED
    return Change.CHANGED


@dataclass(frozen=True)
class Row:
    """One line of the comparison. None on a side means that side is not yet imported."""

    label: str
    old: str | None
    new: str | None
    change: Change


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[Row]
    old_imported: bool
    new_imported: bool
    note: str = ""

    @property
    def changed_count(self) -> int:
        return sum(row.change not in (Change.UNCHANGED, Change.NOT_IMPORTED) for row in self.rows)


@dataclass(frozen=True)
class Comparison:
    old: StandardVersion
    new: StandardVersion
    sections: list[Section]


def _row(
    label: str,
    old: str | None,
    new: str | None,
    *,
    old_ok: bool,
    new_ok: bool,
    items: bool = True,
) -> Row:
    """Compare one line. For items (KSBs, duties) a missing side means added or removed;
    for attributes of the version (items=False) any difference is a change."""
    if not (old_ok and new_ok):
        change = Change.NOT_IMPORTED
    elif items:
        change = change_between(old, new)
    else:
        change = Change.UNCHANGED if old == new else Change.CHANGED
    return Row(label, old if old_ok else NOT_IMPORTED, new if new_ok else NOT_IMPORTED, change)


def _keyed_section(
    title: str,
    old_items: dict[str, str],
    new_items: dict[str, str],
    *,
    old_ok: bool,
    new_ok: bool,
) -> Section:
    keys = list(old_items) + [key for key in new_items if key not in old_items]
    rows = [
        _row(key, old_items.get(key), new_items.get(key), old_ok=old_ok, new_ok=new_ok)
        for key in keys
    ]
    return Section(title, rows, old_imported=old_ok, new_imported=new_ok)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, datetime.date):
        return date_format(value, "j F Y")
    return str(value)


SUMMARY_FIELDS = [
    "title",
    "status",
    "level",
    "route",
    "lars_code",
    "typical_duration_months",
    "max_funding",
    "eqa_provider",
    "approved_for_delivery",
    "earliest_start_date",
    "latest_start_date",
    "latest_end_date",
    "overview_of_role",
    "typical_job_titles",
    "english_and_maths",
    "employers_involved",
]


def _summary(old: StandardVersion, new: StandardVersion) -> Section:
    rows = []
    for name in SUMMARY_FIELDS:
        field = cast(models.Field, StandardVersion._meta.get_field(name))
        display = f"get_{name}_display"
        old_value = getattr(old, display)() if hasattr(old, display) else getattr(old, name)
        new_value = getattr(new, display)() if hasattr(new, display) else getattr(new, name)
        rows.append(
            _row(
                capfirst(str(field.verbose_name)),
                _text(old_value),
                _text(new_value),
                old_ok=True,
                new_ok=True,
                items=False,
            )
        )
    return Section("Summary", rows, old_imported=True, new_imported=True)


def _ksbs(version: StandardVersion) -> dict[str, str]:
    return {ksb.code: ksb.text for ksb in version.ksbs.in_standard_order()}


def _crosswalked_ksbs(old: StandardVersion, new: StandardVersion) -> Section:
    """KSBs paired by the crosswalk an administrator confirmed: "K3 → K4" when renumbered."""
    pairs = crosswalk_for(old, new)
    rows = [
        _row(
            ksb.code
            if target is None or target.code == ksb.code
            else f"{ksb.code} → {target.code}",
            ksb.text,
            target.text if target else None,
            old_ok=True,
            new_ok=True,
        )
        for ksb, target in pairs.items()
    ]
    paired = {target.pk for target in pairs.values() if target is not None}
    rows += [
        _row(ksb.code, None, ksb.text, old_ok=True, new_ok=True)
        for ksb in new.ksbs.in_standard_order()
        if ksb.pk not in paired
    ]
    note = "KSBs are paired by the crosswalk an administrator confirmed."
    return Section("Knowledge, skills and behaviours", rows, True, True, note)


def _duties(version: StandardVersion) -> dict[str, str]:
    duties = version.duties.prefetch_related(
        Prefetch("ksbs", queryset=KSB.objects.in_standard_order())
    )
    return {
        f"Duty {duty.number}": f"{duty.text} ({' '.join(k.code for k in duty.ksbs.all())})"
        for duty in duties
    }


def _plan(version: StandardVersion) -> tuple[dict[str, str], bool]:
    plan = getattr(version, "epa_plan", None)
    if plan is None:
        return {}, False
    items: dict[str, str] = {}
    if plan.epa_period_months:
        items["EPA period"] = f"{plan.epa_period_months} months"
    items["Overall grades"] = ", ".join(plan.overall_grades)
    for requirement in plan.gateway_requirements.all():
        items[f"Gateway requirement {requirement.number}"] = requirement.text
    for method in plan.methods.all():
        details = [method.duration_text]
        if method.minimum_questions:
            details.append(f"at least {method.minimum_questions} questions")
        if method.submission_deadline_week:
            details.append(f"material due by end of week {method.submission_deadline_week}")
        items[f"Method {method.number}"] = f"{method.name} ({'; '.join(d for d in details if d)})"
    return items, True


def compare_versions(old: StandardVersion, new: StandardVersion) -> Comparison:
    old_plan, old_has_plan = _plan(old)
    new_plan, new_has_plan = _plan(new)
    return Comparison(
        old=old,
        new=new,
        sections=[
            _summary(old, new),
            _keyed_section(
                "Duties",
                _duties(old),
                _duties(new),
                old_ok=old.duties_imported,
                new_ok=new.duties_imported,
            ),
            _crosswalked_ksbs(old, new)
            if old.ksbs_imported and new.ksbs_imported and has_confirmed_crosswalk(old, new)
            else _keyed_section(
                "Knowledge, skills and behaviours",
                _ksbs(old),
                _ksbs(new),
                old_ok=old.ksbs_imported,
                new_ok=new.ksbs_imported,
            ),
            _keyed_section(
                "End-point assessment plan",
                old_plan,
                new_plan,
                old_ok=old_has_plan,
                new_ok=new_has_plan,
            ),
        ],
    )
