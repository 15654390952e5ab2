"""What an import would bring, shown before an administrator confirms it: what is added,
removed or changed (in the words of the version comparison, standards.comparing.Change),
with changed text highlighted word by word.

A new version is compared with the version before it (the one it revises); a version
already in psp is compared with itself, so the preview shows what would be filled in.
"""

from __future__ import annotations

import datetime
import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.utils.formats import date_format

from standards.comparing import Change, change_between
from standards.crosswalk import match_statements
from standards.exporting import export_epa_plan
from standards.importing import (
    ImportResult,
    StandardData,
    display_value,
    field_label,
    import_standard,
    parse_official,
    version_key,
)
from standards.models import KSB, EpaPlan, StandardImport, StandardVersion
from standards.plan_importing import import_epa_plan, parse_epa_plan
from standards.validation import Problem


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Runs of ("equal" | "delete" | "insert", text) that turn old into new, word by word."""
    a, b = re.findall(r"\S+|\s+", old), re.findall(r"\S+|\s+", new)
    runs: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("equal", "delete", "replace") and i2 > i1:
            runs.append(("equal" if tag == "equal" else "delete", "".join(a[i1:i2])))
        if tag in ("insert", "replace") and j2 > j1:
            runs.append(("insert", "".join(b[j1:j2])))
    return runs


@dataclass(frozen=True)
class Item:
    label: str
    change: Change
    old: str = ""
    new: str = ""

    @property
    def words(self) -> list[tuple[str, str]]:
        return word_diff(self.old, self.new)


@dataclass(frozen=True)
class Section:
    title: str
    items: list[Item]
    note: str = ""

    def _count(self, change: Change) -> int:
        return sum(item.change == change for item in self.items)

    @property
    def added_count(self) -> int:
        return self._count(Change.ADDED)

    @property
    def removed_count(self) -> int:
        return self._count(Change.REMOVED)

    @property
    def changed_count(self) -> int:
        return self._count(Change.CHANGED)

    @property
    def unchanged_count(self) -> int:
        return self._count(Change.UNCHANGED)


@dataclass(frozen=True)
class Preview:
    title: str
    compared_with: str
    result: ImportResult | None
    sections: list[Section] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def _pair(label: str, old: str | None, new: str | None) -> Item:
    return Item(label, change_between(old, new), old or "", new or "")


def _keyed(old: dict[str, str], new: dict[str, str]) -> list[Item]:
    keys = list(new) + [key for key in old if key not in new]
    return [_pair(key, old.get(key), new.get(key)) for key in keys]


def _base_version(reference: str, version: str) -> tuple[StandardVersion | None, bool]:
    """The version to compare with, and whether it is the same version."""
    versions = list(
        StandardVersion.objects.filter(standard__reference=reference).select_related("standard")
    )
    for candidate in versions:
        if candidate.version == version:
            return candidate, True
    earlier = [v for v in versions if version_key(v.version) < version_key(version)]
    # The closest earlier version that has KSBs: one without them would show every KSB as new.
    with_ksbs = [v for v in earlier if v.ksbs_imported] or earlier
    return max(with_ksbs, key=lambda v: version_key(v.version), default=None), False


def _compared_with(base: StandardVersion | None, same: bool) -> str:
    if base is None:
        return "There is no earlier version of this standard in psp: everything is new."
    if same:
        return f"Compared with version {base.version} as psp holds it now."
    if base.ksbs_imported:
        return (
            f"Compared with version {base.version}, the latest earlier version in psp that has "
            "its KSBs."
        )
    return f"Compared with version {base.version}, the latest earlier version in psp."


def preview_standard(data: StandardData, result: ImportResult | None) -> Preview:
    base, same = _base_version(data.reference, data.version)
    summary = [
        _pair(
            field_label(name),
            _plain(name, getattr(base, name)) if base else None,
            _plain(name, value),
        )
        for name, value in data.fields.items()
    ]
    unchanged = [item for item in summary if item.change == Change.UNCHANGED]
    note = f"{len(unchanged)} unchanged fields are not shown." if unchanged else ""
    sections = [Section("Summary", [i for i in summary if i not in unchanged], note)]
    if data.ksbs is None:
        sections.append(Section("Knowledge, skills and behaviours", [], "Not in the file."))
    else:
        old_ksbs = list(base.ksbs.in_standard_order()) if base and base.ksbs_imported else []
        sections.append(Section("Knowledge, skills and behaviours", _ksb_items(old_ksbs, data)))
    if data.duties is None:
        sections.append(Section("Duties", [], "Not in the file."))
    else:
        old_duties: dict[str, str] = {}
        if base and base.duties_imported:
            duties = base.duties.prefetch_related(
                Prefetch("ksbs", queryset=KSB.objects.in_standard_order())
            )
            old_duties = {
                f"Duty {d.number}": _duty_text(d.text, [k.code for k in d.ksbs.all()])
                for d in duties
            }
        new_duties = {
            f"Duty {d.number}": _duty_text(d.text, _ordered(d.ksb_codes)) for d in data.duties
        }
        sections.append(Section("Duties", _keyed(old_duties, new_duties)))
    title = f"{data.reference} version {data.version}: {data.title}"
    return Preview(title, _compared_with(base, same), result, sections, list(data.warnings))


def _plain(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "status":
        return str(StandardVersion.Status(value).label)
    if isinstance(value, datetime.date):
        return date_format(value, "j F Y")
    return value if isinstance(value, str) else display_value(value)


def _ordered(codes: tuple[str, ...]) -> list[str]:
    return sorted(codes, key=lambda code: ("KSB".index(code[0]), int(code[1:])))


def _duty_text(text: str, codes: list[str]) -> str:
    return f"{text} (KSBs: {' '.join(codes) or 'none'})"


def _ksb_items(old_ksbs: list[KSB], data: StandardData) -> list[Item]:
    new_ksbs = list(data.ksbs or ())
    # Matched from the file's side, so that items come in the new version's order: in each
    # match, .old is the file's KSB and .new the one psp holds.
    matches = match_statements(new_ksbs, old_ksbs)
    items = []
    for match in matches:
        if match.new is None:
            items.append(_pair(match.old.code, None, match.old.text))
            continue
        label = (
            match.old.code
            if match.old.code == match.new.code
            else f"{match.new.code} → {match.old.code}"
        )
        items.append(_pair(label, match.new.text, match.old.text))
    matched = {match.new.pk for match in matches if match.new is not None}
    items += [
        Item(ksb.code, Change.REMOVED, old=ksb.text) for ksb in old_ksbs if ksb.pk not in matched
    ]
    return items


def _plan_items(plan: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The parts of an EPA plan (in canonical form), each as label → text."""
    parts: dict[str, dict[str, str]] = {}
    general = {}
    if "epaPeriodMonths" in plan:
        general["EPA period"] = f"{plan['epaPeriodMonths']} months"
    if "overallGrades" in plan:
        general["Overall grades"] = ", ".join(plan["overallGrades"])
    if "resits" in plan:
        resits = plan["resits"]
        general["Highest grade for a resit or retake"] = resits["gradeCap"] or "No cap"
        general["Resits and retakes allowed"] = (
            "Not set" if resits.get("limit") is None else str(resits["limit"])
        )
        general["Resit period"] = (
            f"{resits['withinMonths']} months" if resits.get("withinMonths") else "Not set"
        )
        general["Methods taken again"] = {
            "failed": "Only the failed methods",
            "all": "Every method",
        }.get(resits.get("methods") or "", "Not set")
    parts["General"] = general
    if "gatewayRequirements" in plan:
        parts["Gateway requirements"] = {
            f"Requirement {n}": f"{r['text']} ({r['kind']})"
            for n, r in enumerate(plan["gatewayRequirements"], start=1)
        }
    for n, method in enumerate(plan.get("assessmentMethods", []), start=1):
        details = [
            f"{'at least ' if method['durationIsMinimum'] else ''}{method['durationMinutes']} "
            "minutes"
            if method["durationMinutes"]
            else "",
            f"at least {method['minimumQuestions']} questions"
            if method["minimumQuestions"]
            else "",
            f"material due by the end of week {method['submissionDeadlineWeek']}"
            if method["submissionDeadlineWeek"]
            else "",
            "portfolio compiled before gateway" if method["requiresPortfolio"] else "",
        ]
        items = {"Method": f"{method['name']} ({'; '.join(d for d in details if d)})"}
        if method["summary"]:
            items["Summary"] = method["summary"]
        if "ksbs" in method:
            items["KSBs assessed"] = " ".join(method["ksbs"]) or "none"
        if "grades" in method:
            items["Grades"] = ", ".join(method["grades"])
        for criterion in plan.get("gradingCriteria", []):
            if criterion["method"] == n:
                items[f"{criterion['code']} pass"] = (
                    f"{criterion['pass']} (KSBs: {' '.join(criterion['ksbs']) or 'none'})"
                )
                if criterion["distinction"]:
                    items[f"{criterion['code']} distinction"] = criterion["distinction"]
        parts[f"Assessment method {n}"] = items
    if "gradeCombinations" in plan:
        parts["Combining method grades"] = {
            "; ".join(f"method {k}: {v}" for k, v in row["methodGrades"].items()): row["overall"]
            for row in plan["gradeCombinations"]
        }
    return parts


def preview_epa_plan(data: dict[str, Any], result: ImportResult | None) -> Preview:
    version = StandardVersion.objects.get(
        standard__reference=data["reference"], version=data["version"]
    )
    plan = EpaPlan.objects.filter(version=version).first()
    base_note = f"Compared with the EPA plan of version {version.version} as psp holds it now."
    if plan is None:
        earlier = (
            EpaPlan.objects.filter(version__standard=version.standard)
            .exclude(version=version)
            .select_related("version__standard")
        )
        before = [
            p for p in earlier if version_key(p.version.version) < version_key(data["version"])
        ]
        plan = max(before, key=lambda p: version_key(p.version.version), default=None)
        base_note = (
            f"Compared with the EPA plan of version {plan.version.version}, the latest earlier one."
            if plan
            else "There is no earlier EPA plan for this standard in psp: everything is new."
        )
    old_parts = _plan_items(export_epa_plan(plan)) if plan else {}
    new_parts = _plan_items(data)
    sections = [
        Section(title, _keyed(old_parts.get(title, {}), new_parts.get(title, {})))
        for title in list(new_parts) + [t for t in old_parts if t not in new_parts]
    ]
    title = f"EPA plan for {data['reference']} version {data['version']}: {version.title}"
    return Preview(title, base_note, result, [s for s in sections if s.items])


def preview_import(standard_import: StandardImport) -> Preview:
    """The preview of a pending upload: its sections, and what confirming would change."""
    if standard_import.kind == StandardImport.Kind.STANDARD:
        data = parse_official(standard_import.payload)
        return preview_standard(data, import_standard(data, dry_run=True))
    plan_data = parse_epa_plan(standard_import.payload)
    return preview_epa_plan(plan_data, import_epa_plan(plan_data, dry_run=True))
