"""Importing a standard version from the official JSON of the apprenticeship-standards API
(DATA-NOTES), and the uploads an administrator previews and confirms (StandardImport).

Rules, for both this format and the EPA plan format (standards.plan_importing):
- everything is validated first; every problem is reported with its JSON path, and
  nothing is written unless there are none;
- a version already in psp is never changed in place: a file whose content differs from it
  is refused, and the changed content must be published as a new version number. Parts
  that psp does not hold yet ("not yet imported": KSBs, duties, an empty field, a missing
  official GUID) are filled in, and a version's life cycle (status, start and end dates)
  is brought up to date;
- importing the same content again changes nothing, and says so.
"""

from __future__ import annotations

import dataclasses
import datetime
import gzip
import itertools
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, cast

import ijson
from django.db import models, transaction
from django.utils.text import capfirst

from standards.exporting import KSB_LISTS, made_up_guid
from standards.models import KSB, Duty, Option, Standard, StandardVersion, VersionRevision
from standards.plain_text import plain_text, same_words
from standards.validation import (
    REFERENCE_PATTERN,
    VERSION_PATTERN,
    Checker,
    InvalidImport,
    Problem,
    type_name,
)

if TYPE_CHECKING:
    from psp.models import User

STATUSES = {
    "approved for delivery": StandardVersion.Status.APPROVED,
    "approved": StandardVersion.Status.APPROVED,
    "retired": StandardVersion.Status.RETIRED,
    "withdrawn": StandardVersion.Status.WITHDRAWN,
    "in development": StandardVersion.Status.IN_DEVELOPMENT,
    "in_development": StandardVersion.Status.IN_DEVELOPMENT,
    "proposal in development": StandardVersion.Status.IN_DEVELOPMENT,
}

# A version's life cycle, which the official data updates over time without changing what
# apprentices are assessed against; everything else of a version is its content.
LIFECYCLE_FIELDS = {
    "status",
    "earliest_start_date",
    "latest_start_date",
    "latest_end_date",
    "date_updated",
    "provenance",
}

# Figures the API writes as 0 when it has none (ePALength of old-template versions).
ZERO_IS_NOT_GIVEN = {"epa_length_months", "off_the_job_minimum_hours"}
SMALL_INTEGER_MAX = 32767  # the largest PositiveSmallIntegerField value on every database
_MAJOR_ONLY = re.compile(r"^\d+$")
_CRITERION_NUMBER = re.compile(r"^(?:\d+[.)]|[-•*])\s+")


def version_key(version: object) -> tuple[int, int]:
    """Sort key for version numbers: 1.10 comes after 1.9."""
    if isinstance(version, str) and VERSION_PATTERN.match(version):
        major, minor = version.split(".")
        return int(major), int(minor)
    return (-1, -1)


@dataclass(frozen=True)
class ImportResult:
    reference: str
    version: str
    created: bool
    changes: list[str]
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    @property
    def summary(self) -> str:
        if not self.changes:
            return (
                f"{self.reference} v{self.version} is already in psp with the same content: "
                "nothing changed."
            )
        verb = "would change" if self.dry_run else "changed"
        return f"{self.reference} v{self.version} {verb}: " + "; ".join(self.changes) + "."


# Reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """The one standard version object picked out of a file, and how it was picked."""

    payload: dict[str, Any]
    note: str = ""


def _json_error(error: Exception) -> InvalidImport:
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else "it ends too soon"
    return InvalidImport([Problem("$", f"the file is not valid JSON ({first_line})")])


def read_official(
    stream: IO[bytes],
    *,
    reference: str | None = None,
    version: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Selection:
    """The standard version object in a file holding one object, or the API's full array.

    An array is streamed, one standard version at a time, so a file of thousands of
    versions is never held in memory; `reference` picks the standard and `version` the
    version of it (by default the latest in the file). `progress` is called with the
    number of versions read so far, every hundred.
    """
    try:
        events = ijson.parse(stream, use_float=True)
        first = next(events, None)
        if first is None:
            raise InvalidImport([Problem("$", "the file is empty")])
        events = itertools.chain([first], events)
        if first[1] == "start_map":
            payload = next(ijson.items(events, ""))
            _check_chosen(payload, reference=reference, version=version)
            return Selection(payload)
        if first[1] != "start_array":
            raise InvalidImport(
                [
                    Problem(
                        "$",
                        "must be a standard version object, or the API's list of them, "
                        f"not {type_name(first[2])}",
                    )
                ]
            )
        return _pick_from_array(
            ijson.items(events, "item"), reference=reference, version=version, progress=progress
        )
    except ijson.JSONError as error:
        raise _json_error(error) from error


def _check_chosen(payload: Any, *, reference: str | None, version: str | None) -> None:
    if not isinstance(payload, dict):
        return
    problems = []
    if reference and payload.get("referenceNumber") != reference:
        problems.append(
            Problem(
                "$.referenceNumber",
                f"is {payload.get('referenceNumber')!r}, but you asked to import {reference}",
            )
        )
    if version and payload.get("version") != version:
        problems.append(
            Problem("$.version", f"is {payload.get('version')!r}, but you asked for {version}")
        )
    if problems:
        raise InvalidImport(problems)


def _pick_from_array(
    items: Any,
    *,
    reference: str | None,
    version: str | None,
    progress: Callable[[int], None] | None,
) -> Selection:
    if not reference:
        raise InvalidImport(
            [
                Problem(
                    "$",
                    "the file holds a list of standard versions: say which standard to import "
                    "by its reference, such as ST0494",
                )
            ]
        )
    chosen: dict[str, Any] | None = None
    found: list[str] = []
    count = 0
    for count, item in enumerate(items, start=1):
        if progress and count % 100 == 0:
            progress(count)
        if not isinstance(item, dict) or item.get("referenceNumber") != reference:
            continue
        found.append(str(item.get("version")))
        if version is not None:
            if item.get("version") == version and chosen is None:
                chosen = item
        elif chosen is None or version_key(item.get("version")) > version_key(
            chosen.get("version")
        ):
            chosen = item
    if progress:
        progress(count)
    if not found:
        raise InvalidImport(
            [Problem("$", f"none of the {count:,} standard versions in the file is {reference}")]
        )
    if chosen is None:
        raise InvalidImport(
            [
                Problem(
                    "$",
                    f"the file has {reference} in version(s) {', '.join(found)}, "
                    f"but not version {version}",
                )
            ]
        )
    note = f"Took {reference} v{chosen.get('version')} from the {count:,} versions in the file"
    if version is None and len(found) > 1:
        note += f" (the latest of its versions {', '.join(sorted(found, key=version_key))})"
    return Selection(chosen, note + ".")


def open_official(path: str) -> IO[bytes]:
    """A file to read, gzip-compressed (the API's whole download, .gz) or not."""
    stream = open(path, "rb")  # noqa: SIM115 (the caller closes it)
    if stream.read(2) == b"\x1f\x8b":
        stream.seek(0)
        return cast(IO[bytes], gzip.GzipFile(fileobj=stream, mode="rb"))
    stream.seek(0)
    return stream


def iter_official(stream: IO[bytes]) -> Iterator[Any]:
    """Every standard version object in a file (one object, or the API's array), streamed."""
    try:
        events = ijson.parse(stream, use_float=True)
        first = next(events, None)
        if first is None:
            raise InvalidImport([Problem("$", "the file is empty")])
        events = itertools.chain([first], events)
        if first[1] == "start_map":
            yield next(ijson.items(events, ""))
        elif first[1] == "start_array":
            yield from ijson.items(events, "item")
        else:
            raise InvalidImport(
                [Problem("$", "must be a standard version object, or the API's list of them")]
            )
    except ijson.JSONError as error:
        raise _json_error(error) from error


@dataclass
class BulkResult:
    """What importing every version of a file did, version by version."""

    imported: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    revised: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)
    warnings: int = 0

    @property
    def total(self) -> int:
        return len(self.imported) + len(self.unchanged) + len(self.revised) + len(self.refused)

    @property
    def summary(self) -> str:
        return (
            f"{self.total:,} versions read: {len(self.imported):,} imported, "
            f"{len(self.unchanged):,} unchanged, {len(self.revised):,} revised, "
            f"{len(self.refused):,} refused; {self.warnings:,} warnings."
        )


def _item_name(item: Any, index: int) -> str:
    if isinstance(item, dict):
        return f"{item.get('referenceNumber') or '?'} v{item.get('version') or '(none)'}"
    return f"item {index + 1}"


def import_all(
    stream: IO[bytes],
    *,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    source: str = "",
    result: BulkResult | None = None,
) -> BulkResult:
    """Import every standard version in the file, each on its own (atomic): one refused
    version writes nothing and does not stop the others. The file is streamed."""
    return import_items(
        iter_official(stream), dry_run=dry_run, progress=progress, source=source, result=result
    )


def import_items(
    items: Iterable[Any],
    *,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    source: str = "",
    result: BulkResult | None = None,
) -> BulkResult:
    """Import each standard version object on its own (see import_all). `result`, when
    given, is filled in as it goes (so `progress` can report what was done so far)."""
    result = BulkResult() if result is None else result
    count = 0
    for count, item in enumerate(items, start=1):
        if progress and count % 100 == 0:
            progress(count)
        name = _item_name(item, count - 1)
        try:
            data = parse_official(item)
            outcome = import_standard(data, dry_run=dry_run, source=source)
        except InvalidImport as error:
            problems = error.problems
            prefix = ""
            if len(problems) > 1 and "cannot be applied as a correction" in problems[0].message:
                prefix, problems = (
                    "not a correction psp can apply to the version it holds: ",
                    problems[1:],
                )
            more = len(problems) - 1
            reason = prefix + str(problems[0]) + (f" (and {more} more)" if more else "")
            result.refused.append((name, reason))
            continue
        result.warnings += len(data.warnings)
        if outcome.created:
            result.imported.append(name)
        elif outcome.changed:
            result.revised.append(name)
        else:
            result.unchanged.append(name)
    if progress:
        progress(count)
    return result


def read_json_object(stream: IO[bytes]) -> Any:
    """A small JSON file (such as an EPA plan), read whole."""
    raw = stream.read()
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise InvalidImport([Problem("$", "the file is not text in UTF-8")]) from error
    except json.JSONDecodeError as error:
        raise InvalidImport(
            [
                Problem(
                    "$",
                    f"the file is not valid JSON ({error.msg} at line {error.lineno}, "
                    f"column {error.colno})",
                )
            ]
        ) from error


# Parsing and validating ---------------------------------------------------------------


@dataclass(frozen=True)
class KsbData:
    kind: str
    number: int
    text: str
    guid: uuid.UUID | None
    path: str
    guid_path: str

    @property
    def code(self) -> str:
        return f"{self.kind}{self.number}"


@dataclass(frozen=True)
class DutyData:
    number: int
    text: str
    is_core: bool | None
    criteria: tuple[str, ...]
    ksb_codes: tuple[str, ...]
    guid: uuid.UUID | None
    path: str
    options: tuple[int, ...] = ()  # numbers of the options it is part of


@dataclass(frozen=True)
class OptionData:
    number: int
    title: str
    guid: uuid.UUID | None
    occupation_code: str


@dataclass
class StandardData:
    """A standard version as the file gives it. `fields` holds only the StandardVersion
    fields the file gives, `paths` where in the file each came from; `ksbs` and `duties`
    are None when the file does not give them."""

    reference: str
    version: str
    fields: dict[str, Any]
    paths: dict[str, str]
    ksbs: tuple[KsbData, ...] | None
    duties: tuple[DutyData, ...] | None
    warnings: list[Problem] = field(default_factory=list)
    options: tuple[OptionData, ...] | None = None

    @property
    def title(self) -> str:
        return str(self.fields.get("title", ""))


# StandardVersion field: (official keys, newest first; kind). The "psp." keys are psp's own.
OFFICIAL_FIELDS: dict[str, tuple[tuple[str, ...], str]] = {
    "title": (("title",), "text"),
    "level": (("level",), "level"),
    "route": (("route",), "text"),
    "lars_code": (("larsCode",), "lars"),
    "typical_duration_months": (("proposedTypicalDuration", "typicalDuration"), "integer"),
    "max_funding": (("proposedMaxFunding", "maxFunding"), "integer"),
    "approved_for_delivery": (("approvedForDelivery",), "date"),
    "earliest_start_date": (("versionEarliestStartDate", "earliestStartDate"), "date"),
    "latest_start_date": (("versionLatestStartDate", "latestStartDate"), "date"),
    "latest_end_date": (("versionLatestEndDate", "latestEndDate"), "date"),
    "overview_of_role": (("overviewOfRole",), "text"),
    "typical_job_titles": (("typicalJobTitles",), "texts"),
    "change_detail": (("change",), "text"),
    "date_updated": (("psp.dateUpdated",), "date"),
    "integration": (("psp.integration", "integration"), "text"),
    "occupation_summary": (("psp.occupationSummary", "occupationalSummary"), "text"),
    "english_and_maths": (("psp.englishAndMaths", "englishAndMathsQualifications"), "text"),
    "employers_involved": (("psp.employersInvolved", "involvedEmployers"), "text"),
    "off_the_job_minimum_hours": (("minimumHoursForCompliance",), "integer"),
    "epa_length_months": (("ePALength",), "integer"),
    "keywords": (("keywords",), "texts"),
    "core_and_options": (("coreAndOptions",), "boolean"),
    "provenance": (("psp.provenance",), "text"),
}
PSP_KEYS = {key.removeprefix("psp.") for keys, _ in OFFICIAL_FIELDS.values() for key in keys}


def _max_length(field_name: str) -> int | None:
    """The longest text, or largest number, the field holds."""
    model_field = StandardVersion._meta.get_field(field_name)
    if isinstance(model_field, models.PositiveIntegerField):
        return 2_147_483_647
    return getattr(model_field, "max_length", None)


def parse_official(payload: Any) -> StandardData:
    """Validate one standard version object of the official format; raise InvalidImport
    listing every problem."""
    check = Checker()
    if not isinstance(payload, dict):
        check.add("$", f"must be a standard version object, not {type_name(payload)}")
        check.raise_if_any()
    obj = cast(dict[str, Any], payload)
    reference = check.text(obj, "referenceNumber", "$", required=True) or ""
    if reference and not REFERENCE_PATTERN.match(reference):
        check.add("$.referenceNumber", f"“{reference}” is not ST followed by four digits")
    version = obj.get("version")
    if isinstance(version, str) and _MAJOR_ONLY.match(version.strip()):
        # As the Department for Education's own importer reads it.
        check.warn("$.version", f"“{version}” is read as version {version.strip()}.0")
        version = f"{version.strip()}.0"
    if "version" not in obj:
        check.add("$.version", "missing: every file must give “version”")
    elif version is None or version == "":
        status = obj.get("status") or "no status"
        check.add(
            "$.version",
            f"is empty: this record ({status}) is not a published version of a standard, "
            "so there is nothing to import",
        )
    elif not isinstance(version, str):
        check.add("$.version", f'must be text like "1.1", not {type_name(version)}')
    elif not VERSION_PATTERN.match(version):
        check.add("$.version", f"“{version}” is not a version number: it must be like 1.1")
    status_text = check.text(obj, "status", "$", required=True)
    fields: dict[str, Any] = {}
    paths: dict[str, str] = {}
    if status_text is not None:
        status = STATUSES.get(status_text.lower())
        if status is None:
            check.add(
                "$.status",
                f"“{status_text}” is not a status psp knows: use one of "
                "Approved for delivery, Retired, Withdrawn, In development",
            )
        else:
            fields["status"], paths["status"] = status.value, "$.status"
    for key in ("title", "level"):
        if obj.get(key) is None:
            check.add(f"$.{key}", f"missing: every file must give “{key}”")
    psp = check.obj(obj, "psp", "$") or {}
    check.only_known_keys(psp, PSP_KEYS, "$.psp")
    for field_name, (keys, kind) in OFFICIAL_FIELDS.items():
        for key in keys:
            container, name, path = (
                (psp, key[4:], "$.psp") if key[:4] == "psp." else (obj, key, "$")
            )
            if container.get(name) is not None:
                value = _read_field(check, container, name, path, kind, _max_length(field_name))
                if value == 0 and field_name in ZERO_IS_NOT_GIVEN:
                    value = None
                if value is not None:
                    fields[field_name], paths[field_name] = value, f"{path}.{name}"
                break
    eqa = check.obj(obj, "eQAProvider", "$")
    if eqa is not None:
        provider = check.text(eqa, "providerName", "$.eQAProvider")
        if provider is not None:
            fields["eqa_provider"] = provider
            paths["eqa_provider"] = "$.eQAProvider.providerName"
    earliest, latest = fields.get("earliest_start_date"), fields.get("latest_start_date")
    if earliest and latest and latest < earliest:
        check.add(paths["latest_start_date"], "is before the earliest start date")
    ksbs = _parse_ksbs(check, obj, reference, version if isinstance(version, str) else "")
    options = _parse_options(check, obj)
    duties = _parse_duties(check, obj, ksbs, reference, version if isinstance(version, str) else "")
    duties = _map_options(check, obj, duties, options)
    data = StandardData(
        reference=reference,
        version=cast(str, version),
        fields=fields,
        paths=paths,
        ksbs=ksbs,
        duties=duties,
        warnings=check.warnings,
        options=options,
    )
    if check.problems and REFERENCE_PATTERN.match(reference) and isinstance(version, str):
        # Also report how what did read differs from psp, so one attempt lists everything.
        known = {problem.path for problem in check.problems}
        for problem in _plan_standard(data, partial=True).problems:
            if problem.path not in known:
                check.problems.append(problem)
    check.raise_if_any()
    return data


def _read_field(
    check: Checker, obj: dict[str, Any], key: str, path: str, kind: str, max_length: int | None
) -> Any:
    value: Any
    if kind == "text":
        value = check.text(obj, key, path, required=key == "title")
        if value is not None and max_length and len(value) > max_length:
            check.add(f"{path}.{key}", f"is longer than {max_length} characters")
            return None
        return value
    if kind == "level":
        return check.integer(obj, key, path, required=True, minimum=1, maximum=8)
    if kind == "integer":
        return check.integer(obj, key, path, maximum=max_length or SMALL_INTEGER_MAX)
    if kind == "date":
        return check.date(obj, key, path)
    if kind == "boolean":
        return check.boolean(obj, key, path)
    if kind == "texts":
        return check.texts(obj, key, path, duplicates_are_problems=False)
    # The LARS code: a number in the API, text in psp.
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int | str):
        check.add(f"{path}.{key}", f"must be a number or text, not {type_name(value)}")
        return None
    value = str(value).strip()
    if value == "0":  # the API's "no LARS code yet"
        return ""
    if max_length and len(value) > max_length:
        check.add(f"{path}.{key}", f"is longer than {max_length} characters")
        return None
    return value


def _guid(check: Checker, obj: Mapping[str, Any], key: str, path: str) -> uuid.UUID | None:
    value = obj.get(key)
    if key not in obj:
        check.add(f"{path}.{key}", f"missing: each item needs its official GUID in “{key}”")
        return None
    try:
        return uuid.UUID(value) if isinstance(value, str) else None
    except ValueError:
        pass
    check.add(f"{path}.{key}", f"{value!r} is not a GUID")
    return None


def _official_guid(
    guid: uuid.UUID | None, reference: str, version: str, code: str
) -> uuid.UUID | None:
    """None for a GUID psp made up when exporting (see exporting.made_up_guid)."""
    return None if guid == made_up_guid(reference, version, code) else guid


def _parse_ksbs(
    check: Checker, obj: dict[str, Any], reference: str, version: str
) -> tuple[KsbData, ...] | None:
    present = [list_key for list_key, _, _ in KSB_LISTS.values() if list_key in obj]
    if not present:
        return None
    if all(obj.get(list_key) in ([], None) for list_key, _, _ in KSB_LISTS.values()):
        # Older records list no KSBs: not given, so they never hide KSBs psp holds.
        check.warn("$.knowledges", "the file lists no KSBs: they are left as psp holds them")
        return None
    ksbs: list[KsbData] = []
    seen_guids: dict[uuid.UUID, str] = {}
    for kind, (list_key, id_key, _) in KSB_LISTS.items():
        if list_key not in obj:
            check.add(
                f"$.{list_key}",
                "missing: give knowledges, skills and behaviours together "
                "(an empty list where there are none)",
            )
            continue
        seen_texts: dict[str, str] = {}
        for index, item in enumerate(check.items(obj, list_key, "$") or []):
            path = f"$.{list_key}[{index}]"
            code = f"{kind}{index + 1}"
            if not isinstance(item, dict):
                check.add(
                    path, f"must be an object with {id_key} and detail, not {type_name(item)}"
                )
                continue
            guid = _guid(check, item, id_key, path)
            text = check.text(item, "detail", path, required=True)
            if text is not None:
                # Kept as published, its own code ("K1: …", even a group label) included.
                if text in seen_texts:
                    check.warn(
                        f"{path}.detail",
                        f"{code} has the same text as {seen_texts[text]}: the official record "
                        "lists it twice, and psp keeps both",
                    )
                seen_texts.setdefault(text, code)
            if guid is not None:
                if guid in seen_guids:
                    check.warn(
                        f"{path}.{id_key}",
                        f"{code} has the same GUID as {seen_guids[guid]}: duties mapped to that "
                        f"GUID are mapped to {seen_guids[guid]}",
                    )
                seen_guids.setdefault(guid, code)
            if text is not None:
                ksbs.append(
                    KsbData(
                        kind=kind,
                        number=index + 1,
                        text=text,
                        guid=guid,
                        path=path,
                        guid_path=f"{path}.{id_key}",
                    )
                )
    return tuple(
        KsbData(
            kind=k.kind,
            number=k.number,
            text=k.text,
            guid=_official_guid(k.guid, reference, version, k.code),
            path=k.path,
            guid_path=k.guid_path,
        )
        for k in ksbs
    )


def _parse_duties(
    check: Checker,
    obj: dict[str, Any],
    ksbs: tuple[KsbData, ...] | None,
    reference: str,
    version: str,
) -> tuple[DutyData, ...] | None:
    items = check.items(obj, "duties", "$")
    if items is None:
        return None
    if not items:
        check.warn("$.duties", "the file lists no duties: they are left as psp holds them")
        return None
    # Mapping GUIDs are resolved against the file's own GUIDs (made-up ones included).
    by_guid: dict[uuid.UUID, KsbData] = {}
    for k in ksbs or ():
        by_guid.setdefault(k.guid or made_up_guid(reference, version, k.code), k)
    duties: list[DutyData] = []
    seen_texts: dict[str, int] = {}
    seen_guids: dict[uuid.UUID, int] = {}
    for index, item in enumerate(items):
        path = f"$.duties[{index}]"
        number = index + 1
        if not isinstance(item, dict):
            check.add(path, f"must be a duty object, not {type_name(item)}")
            continue
        id_key = "dutyId" if "dutyId" in item or "dutyID" not in item else "dutyID"
        guid = _guid(check, item, id_key, path)
        text = check.text(item, "dutyDetail", path, required=True)
        if text is not None:
            if text in seen_texts:
                check.warn(
                    f"{path}.dutyDetail",
                    f"duty {number} has the same text as duty {seen_texts[text]}: the official "
                    "record lists it twice, and psp keeps both",
                )
            seen_texts.setdefault(text, number)
        if guid is not None:
            if guid in seen_guids:
                check.add(
                    f"{path}.{id_key}",
                    f"duty {number} has the same GUID as duty {seen_guids[guid]}",
                )
            seen_guids.setdefault(guid, number)
        is_core = item.get("isThisACoreDuty")
        if is_core not in (None, 0, 1, True, False):
            check.add(f"{path}.isThisACoreDuty", f"must be 0 or 1, not {is_core!r}")
            is_core = None
        criteria = _criteria(check, item, path)
        codes: list[str] = []
        for kind, (_, _, mapped_key) in KSB_LISTS.items():
            label = KSB.Kind(kind).label.lower()
            for position, value in enumerate(check.items(item, mapped_key, path) or []):
                mapped_path = f"{path}.{mapped_key}[{position}]"
                try:
                    ksb = by_guid.get(uuid.UUID(value)) if isinstance(value, str) else None
                except ValueError:
                    check.add(mapped_path, f"{value!r} is not a GUID")
                    continue
                if ksb is None:
                    check.warn(
                        mapped_path,
                        f"{value!r} is not the GUID of any KSB in this file: duty {number} is "
                        f"mapped to {label} that the file does not list, and psp leaves it out",
                    )
                elif ksb.kind != kind:
                    check.add(
                        mapped_path,
                        f"is the GUID of {ksb.code}, which is not {label}",
                    )
                elif ksb.code in codes:
                    check.warn(mapped_path, f"{ksb.code} is mapped to duty {number} twice")
                else:
                    codes.append(ksb.code)
        if text is not None:
            duties.append(
                DutyData(
                    number=number,
                    text=text,
                    is_core=None if is_core is None else bool(is_core),
                    criteria=criteria,
                    ksb_codes=tuple(codes),
                    guid=_official_guid(guid, reference, version, f"D{number}"),
                    path=path,
                )
            )
    return tuple(duties)


def _parse_options(check: Checker, obj: dict[str, Any]) -> tuple[OptionData, ...] | None:
    items = check.items(obj, "options", "$")
    if not items:
        return None  # absent or [] : not given
    options = []
    for index, item in enumerate(items):
        path = f"$.options[{index}]"
        if not isinstance(item, dict):
            check.add(path, f"must be an object with optionId and title, not {type_name(item)}")
            continue
        title = check.text(item, "title", path, required=True)
        guid = _guid(check, item, "optionId", path)
        code = check.text(item, "occupationCode", path) or ""
        if title is not None:
            options.append(OptionData(index + 1, title, guid, code[:20]))
    return tuple(options)


def _map_options(
    check: Checker,
    obj: dict[str, Any],
    duties: tuple[DutyData, ...] | None,
    options: tuple[OptionData, ...] | None,
) -> tuple[DutyData, ...] | None:
    """Each duty with the numbers of the options its `mappedOptions` name."""
    if duties is None:
        return None
    by_guid = {option.guid: option.number for option in options or () if option.guid}
    mapped: list[DutyData] = []
    items = obj.get("duties") or []
    for duty in duties:
        item = items[duty.number - 1] if duty.number <= len(items) else {}
        numbers: list[int] = []
        values = item.get("mappedOptions") if isinstance(item, dict) else None
        for position, value in enumerate(values if isinstance(values, list) else []):
            try:
                number = by_guid.get(uuid.UUID(value)) if isinstance(value, str) else None
            except ValueError:
                number = None
            if number is None:
                check.warn(
                    f"{duty.path}.mappedOptions[{position}]",
                    f"{value!r} is not the GUID of any option in this file: psp leaves it out",
                )
            elif number not in numbers:
                numbers.append(number)
        mapped.append(dataclasses.replace(duty, options=tuple(numbers)))
    return tuple(mapped)


def _criteria(check: Checker, item: dict[str, Any], path: str) -> tuple[str, ...]:
    value = item.get("criteriaForMeasuringPerformance")
    if value is None:
        return ()
    if isinstance(value, str):
        value = plain_text(value).splitlines()
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        # One criterion a line, without the list's own numbering or bullet.
        lines = (_CRITERION_NUMBER.sub("", plain_text(line)) for line in value)
        return tuple(line for line in lines if line)
    check.add(
        f"{path}.criteriaForMeasuringPerformance",
        f"must be text (one criterion a line), not {type_name(value)}",
    )
    return ()


# Checking against the database and applying -------------------------------------------


@dataclass
class _Plan:
    """What importing a StandardData would do to the database."""

    existing: StandardVersion | None
    problems: list[Problem] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    field_updates: dict[str, Any] = field(default_factory=dict)
    add_ksbs: bool = False
    add_duties: bool = False
    guid_updates: list[tuple[models.Model, uuid.UUID]] = field(default_factory=list)
    # A correction of a held version: statements reworded, added at the end, remapped.
    ksb_updates: list[tuple[KSB, str]] = field(default_factory=list)
    new_ksbs: list[KsbData] = field(default_factory=list)
    duty_updates: list[tuple[Duty, DutyData]] = field(default_factory=list)
    before: dict[str, Any] = field(default_factory=dict)
    add_options: bool = False
    option_updates: list[tuple[Option, OptionData]] = field(default_factory=list)


def field_label(field_name: str) -> str:
    return capfirst(str(getattr(StandardVersion._meta.get_field(field_name), "verbose_name", "")))


def next_version_number(reference: str) -> str:
    versions = StandardVersion.objects.filter(standard__reference=reference).values_list(
        "version", flat=True
    )
    major, minor = max((version_key(v) for v in versions), default=(1, -1))
    return f"{major}.{minor + 1}"


def refusal(version: StandardVersion) -> Problem:
    """The problem that heads the list when a file would change a version in place."""
    name = f"{version.standard.reference} v{version.version}"
    suggestion = next_version_number(version.standard.reference)
    count = version.apprentices.count()
    if count:
        return Problem(
            "$.version",
            f"{count} apprentice{'s are' if count != 1 else ' is'} on {name}, so it is never "
            f"changed in place: publish the changed content as a new version number "
            f"(such as {suggestion}) and import that",
        )
    return Problem(
        "$.version",
        f"{name} is already in psp with different content, and an import never overwrites a "
        f"version: publish the changed content as a new version number (such as {suggestion}) "
        "and import that",
    )


def correction_refusal(version: StandardVersion) -> Problem:
    """The problem that heads the list when a file cannot be applied as a correction."""
    name = f"{version.standard.reference} v{version.version}"
    return Problem(
        "$.version",
        f"{name} is already in psp, and this file cannot be applied as a correction of it: a "
        "correction may reword statements, add them at the end of a list, change a duty's "
        "mapping or fill in what is missing, but never remove or move a statement that "
        "evidence may be mapped to. Nothing was imported",
    )


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _same(value: Any, current: Any) -> bool:
    if isinstance(value, str) and isinstance(current, str):
        return same_words(value, current)  # the same words, spaced differently
    return bool(value == current)


def _plan_standard(data: StandardData, *, partial: bool = False) -> _Plan:
    """partial: the file had other problems, so what is missing from `data` may just have
    failed to read, and is not reported."""
    existing = (
        StandardVersion.objects.select_related("standard")
        .filter(standard__reference=data.reference, version=data.version)
        .first()
    )
    plan = _Plan(existing)
    if existing is None:
        parts = [f"new version {data.reference} v{data.version} “{data.title}”"]
        if data.ksbs is not None:
            parts.append(f"{len(data.ksbs)} KSBs")
        if data.duties is not None:
            parts.append(f"{len(data.duties)} duties")
        if not Standard.objects.filter(reference=data.reference).exists():
            parts.insert(0, f"new standard {data.reference}")
        plan.changes.append(", ".join(parts))
        return plan
    draft = StandardVersion.Status.IN_DEVELOPMENT
    if data.fields.get("status") == draft and existing.status != draft:
        plan.problems.append(
            Problem(
                data.paths["status"],
                f"is in development, and psp holds this version as "
                f"{existing.get_status_display().lower()}: a draft never corrects it",
            )
        )
    for name, value in data.fields.items():
        current = getattr(existing, name)
        if _same(value, current):
            continue
        plan.field_updates[name] = value
        shown = StandardVersion.Status(value).label if name == "status" else display_value(value)
        if name in LIFECYCLE_FIELDS or _is_empty(current):
            plan.changes.append(f"{field_label(name).lower()} set to {shown}")
        else:
            plan.changes.append(f"{field_label(name).lower()} corrected to {shown}")
        plan.before[name] = _jsonable(current)
    earliest = plan.field_updates.get("earliest_start_date", existing.earliest_start_date)
    latest = plan.field_updates.get("latest_start_date", existing.latest_start_date)
    if earliest and latest and latest < earliest:
        path = data.paths.get("latest_start_date") or data.paths["earliest_start_date"]
        plan.problems.append(Problem(path, "would put the latest start before the earliest"))
    if data.ksbs is not None:
        _plan_ksbs(plan, existing, data.ksbs, partial=partial)
    if data.options is not None:
        _plan_options(plan, existing, data.options)
    if data.duties is not None:
        _plan_duties(plan, existing, data.duties, data.options, partial=partial)
    if plan.problems:
        plan.problems.insert(0, correction_refusal(existing))
    return plan


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def display_value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "nothing"
    if isinstance(value, str):
        shown = value if len(value) <= 80 else value[:77] + "…"
        return f"“{shown}”"
    return str(value)


def _match(held: dict[str, Any], by_guid: dict[uuid.UUID, Any], code: str, guid: Any) -> Any:
    """The held row a file's statement corrects: the one at the same place when their
    GUIDs agree (or one has none), else the one with its GUID (which then has moved)."""
    candidate = held.get(code)
    if candidate is not None and (not candidate.guid or not guid or candidate.guid == guid):
        return candidate
    return by_guid.get(guid) if guid else None


def _plan_ksbs(
    plan: _Plan, existing: StandardVersion, ksbs: tuple[KsbData, ...], *, partial: bool
) -> None:
    current = {ksb.code: ksb for ksb in existing.ksbs.all()}
    if not existing.ksbs_imported or not current:
        plan.add_ksbs = True
        plan.changes.append(f"{len(ksbs)} KSBs added")
        return
    by_guid = {ksb.guid: ksb for ksb in current.values() if ksb.guid}
    matched: set[int] = set()
    reworded: list[str] = []
    for ksb in ksbs:
        held = _match(current, by_guid, ksb.code, ksb.guid)
        if held is None:
            if ksb.code in current:
                plan.problems.append(
                    Problem(ksb.guid_path, f"{ksb.code} in psp is another statement (its GUID)")
                )
            else:
                plan.new_ksbs.append(ksb)
            continue
        if held.pk in matched or held.code != ksb.code:
            plan.problems.append(
                Problem(ksb.path, f"is {held.code} in psp: the file moves it to {ksb.code}")
            )
            continue
        matched.add(held.pk)
        if not same_words(held.text, ksb.text):
            plan.ksb_updates.append((held, ksb.text))
            plan.before[held.code] = held.text
            reworded.append(held.code)
        if ksb.guid and not held.guid:
            plan.guid_updates.append((held, ksb.guid))
    for code, held in [] if partial else current.items():
        if held.pk not in matched:
            list_key = KSB_LISTS[KSB.Kind(code[0])][0]
            plan.problems.append(
                Problem(f"$.{list_key}", f"{code} is in this version in psp but not in the file")
            )
    if reworded:
        plan.changes.append(f"{', '.join(reworded)} reworded")
    if plan.new_ksbs:
        plan.changes.append(f"{', '.join(k.code for k in plan.new_ksbs)} added")
    filled = sum(isinstance(obj, KSB) for obj, _ in plan.guid_updates)
    if filled:
        plan.changes.append(f"official GUIDs recorded for {filled} KSBs")


def _plan_options(plan: _Plan, existing: StandardVersion, options: tuple[OptionData, ...]) -> None:
    held = list(existing.options.all())
    if not held:
        plan.add_options = True
        plan.changes.append(f"{len(options)} options added")
        return
    if len(held) != len(options):
        plan.problems.append(
            Problem("$.options", f"psp holds {len(held)} options, the file {len(options)}")
        )
        return
    for mine, option in zip(held, options, strict=True):
        if mine.guid and option.guid and mine.guid != option.guid:
            plan.problems.append(
                Problem(f"$.options[{option.number - 1}]", f"is not option {mine.number} in psp")
            )
        elif not same_words(mine.title, option.title):
            plan.option_updates.append((mine, option))
            plan.before[f"Option {mine.number}"] = mine.title
            plan.changes.append(f"option {mine.number} retitled “{option.title}”")


def _plan_duties(
    plan: _Plan,
    existing: StandardVersion,
    duties: tuple[DutyData, ...],
    data_options: tuple[OptionData, ...] | None,
    *,
    partial: bool,
) -> None:
    current = {
        str(duty.number): duty for duty in existing.duties.prefetch_related("ksbs", "options")
    }
    if not existing.duties_imported or not current:
        plan.add_duties = True
        plan.changes.append(f"{len(duties)} duties added")
        return
    by_guid = {duty.guid: duty for duty in current.values() if duty.guid}
    new_codes = {k.code for k in plan.new_ksbs}
    held_codes = {k.code for k in existing.ksbs.all()} | new_codes
    matched: set[int] = set()
    corrected: dict[tuple[str, ...], list[str]] = {}
    filled = 0
    for duty in duties:
        held = _match(current, by_guid, str(duty.number), duty.guid)
        if held is None or held.pk in matched or held.number != duty.number:
            what = "is not in psp" if held is None else f"is duty {held.number} in psp"
            plan.problems.append(Problem(duty.path, f"duty {duty.number} {what}"))
            continue
        matched.add(held.pk)
        unknown = [code for code in duty.ksb_codes if code not in held_codes]
        if unknown:
            plan.problems.append(
                Problem(duty.path, f"duty {duty.number} is mapped to {', '.join(unknown)}")
            )
            continue
        mapping = sorted(k.code for k in held.ksbs.all())
        parts = tuple(
            what
            for differs, what in (
                (not same_words(held.text, duty.text), "reworded"),
                (tuple(held.criteria) != duty.criteria, "criteria changed"),
                (mapping != sorted(duty.ksb_codes), "KSB mapping changed"),
                (
                    data_options is not None
                    and sorted(o.number for o in held.options.all()) != sorted(duty.options),
                    "options changed",
                ),
                (
                    duty.is_core is not None and held.is_core != duty.is_core,
                    "core or not recorded" if held.is_core is None else "core or not changed",
                ),
            )
            if differs
        )
        if parts:
            corrected.setdefault(parts, []).append(str(held.number))
            plan.duty_updates.append((held, duty))
            plan.before[f"Duty {held.number}"] = {
                "text": held.text,
                "criteria": list(held.criteria),
                "is_core": held.is_core,
                "ksbs": mapping,
            }
        if duty.guid and not held.guid:
            plan.guid_updates.append((held, duty.guid))
            filled += 1
    for number, held in [] if partial else current.items():
        if held.pk not in matched:
            plan.problems.append(
                Problem("$.duties", f"duty {number} is in psp but not in the file")
            )
    for parts, numbers in corrected.items():
        label = "duty" if len(numbers) == 1 else "duties"
        plan.changes.append(f"{label} {', '.join(numbers)}: {', '.join(parts)}")
    if filled:
        plan.changes.append(f"official GUIDs recorded for {filled} duties")


def check_standard(data: StandardData) -> list[str]:
    """What importing would change (empty: nothing); raises InvalidImport if it may not."""
    plan = _plan_standard(data)
    if plan.problems:
        raise InvalidImport(plan.problems)
    return plan.changes


@transaction.atomic
def import_standard(
    data: StandardData, *, dry_run: bool = False, source: str = "", by: User | None = None
) -> ImportResult:
    """Import a version, or apply a file's changes to the version psp holds as a recorded
    revision (VersionRevision) that says what it changed and keeps what it replaced.
    `source` names the file, `by` the administrator who confirmed it (None: the command)."""
    plan = _plan_standard(data)
    if plan.problems:
        raise InvalidImport(plan.problems)
    result = ImportResult(
        data.reference, data.version, plan.existing is None, plan.changes, dry_run=dry_run
    )
    if dry_run or not plan.changes:
        return result
    version = plan.existing or _create_version(data)
    if plan.existing is not None:
        for name, value in plan.field_updates.items():
            setattr(version, name, value)
        for obj, guid in plan.guid_updates:
            type(obj)._default_manager.filter(pk=obj.pk).update(guid=guid)
        for ksb, text in plan.ksb_updates:
            KSB.objects.filter(pk=ksb.pk).update(text=text)
        if plan.new_ksbs:
            _create_ksbs(version, tuple(plan.new_ksbs))
        for option, option_data in plan.option_updates:
            Option.objects.filter(pk=option.pk).update(title=option_data.title)
        if plan.add_options:
            _create_options(version, data.options)
        _correct_duties(version, plan.duty_updates)
    if plan.existing is None:
        _create_options(version, data.options)
    if plan.existing is None or plan.add_ksbs:
        _create_ksbs(version, data.ksbs)
    if plan.existing is None or plan.add_duties:
        _create_duties(version, data.duties)
    version.save()
    if plan.existing is not None:
        last = version.revisions.aggregate(models.Max("number"))["number__max"] or 0
        VersionRevision.objects.create(
            version=version,
            number=last + 1,
            changes=plan.changes,
            before=plan.before,
            source=(source or "import")[-255:],
            applied_by=by,
        )
    return result


def _correct_duties(version: StandardVersion, updates: list[tuple[Duty, DutyData]]) -> None:
    if not updates:
        return
    ksbs = {ksb.code: ksb for ksb in version.ksbs.all()}
    options = {option.number: option for option in version.options.all()}
    for duty, data in updates:
        duty.text, duty.criteria = data.text, list(data.criteria)
        if data.is_core is not None:
            duty.is_core = data.is_core
        duty.save(update_fields=["text", "criteria", "is_core"])
        duty.ksbs.set([ksbs[code] for code in data.ksb_codes])
        if options:
            duty.options.set([options[number] for number in data.options])


def _create_version(data: StandardData) -> StandardVersion:
    standard, _ = Standard.objects.get_or_create(
        reference=data.reference, defaults={"title": data.title}
    )
    others = standard.versions.values_list("version", flat=True)
    if all(version_key(other) < version_key(data.version) for other in others):
        standard.title = data.title
        standard.save(update_fields=["title"])
    fields = {
        "provenance": "Imported from the official apprenticeship standard JSON.",
        **data.fields,
    }
    return StandardVersion.objects.create(standard=standard, version=data.version, **fields)


def _create_ksbs(version: StandardVersion, ksbs: tuple[KsbData, ...] | None) -> None:
    if ksbs is None:
        return
    KSB.objects.bulk_create(
        KSB(version=version, kind=k.kind, number=k.number, text=k.text, guid=k.guid) for k in ksbs
    )
    version.ksbs_imported = True


def _create_duties(version: StandardVersion, duties: tuple[DutyData, ...] | None) -> None:
    if duties is None:
        return
    created = Duty.objects.bulk_create(
        Duty(
            version=version,
            number=d.number,
            text=d.text,
            is_core=d.is_core,
            criteria=list(d.criteria),
            guid=d.guid,
        )
        for d in duties
    )
    ksbs = {ksb.code: ksb.pk for ksb in version.ksbs.all()}
    Duty.ksbs.through.objects.bulk_create(
        Duty.ksbs.through(duty_id=duty.pk, ksb_id=ksbs[code])
        for duty, data in zip(created, duties, strict=True)
        for code in data.ksb_codes
    )
    options = {option.number: option.pk for option in version.options.all()}
    Duty.options.through.objects.bulk_create(
        Duty.options.through(duty_id=duty.pk, option_id=options[number])
        for duty, data in zip(created, duties, strict=True)
        for number in data.options
        if number in options
    )
    version.duties_imported = True


def _create_options(version: StandardVersion, options: tuple[OptionData, ...] | None) -> None:
    if options:
        Option.objects.bulk_create(
            Option(
                version=version,
                number=o.number,
                title=o.title,
                guid=o.guid,
                occupation_code=o.occupation_code,
            )
            for o in options
        )
