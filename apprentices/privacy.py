"""The personal data held about an apprentice: where it is, a copy for them (subject
access), the retention schedule and erasure.

HOLDINGS lists every table that holds an apprentice's personal data, how to find their rows
and what in them is personal: this app's and psp's here, and each app above adds its own
with register_holdings() from its AppConfig.ready() (progress.privacy, epa.privacy), so
this module imports no higher app.
Removal happens in two stages:

- portfolio: evidence files and the text of the portfolio, reviews and gateway, removed
  RETENTION_EVIDENCE_YEARS after the apprenticeship ended;
- identity: who the apprentice is (name, email, ULN, exact dates) and the EPA's free text,
  removed RETENTION_EPA_RESULTS_YEARS after it ended if there is an EPA result, otherwise
  with the portfolio.

What stays is anonymous: grades, sittings, standard version, organisations, statuses and
dates to the month. Removed text becomes "[removed]", so a reader sees that something was
there. Every removal writes an entry to the audit trail saying what went.

The audit trail's copies go too: each stage redacts the entries about the rows of that
stage (found through AUDIT_LINKS, deleted rows included) and, with the identity, every
entry the apprentice made (see psp.audit.redact). The entries stay, with when, who (by id),
what and which row, and the chain still verifies.

The end of an apprenticeship is the last thing that happened on the record of an apprentice
who has completed or withdrawn (see ended_at).
"""

from __future__ import annotations

import datetime
import json
import logging
import shutil
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Max, Q
from django.utils import dateformat, timezone
from django.utils.text import get_valid_filename

from apprentices.models import (
    Apprentice,
    BreakInLearning,
    EmployerMove,
    Evidence,
    EvidenceEvent,
    EvidenceFile,
    EvidenceKSB,
    VersionMove,
    uln_check_digit,
)
from psp import audit
from psp.models import (
    AccountEmail,
    AuditEntry,
    Notification,
    NotificationPreference,
    Organisation,
    User,
)
from standards.models import KSB, StandardVersion

logger = logging.getLogger(__name__)

REMOVED = "[removed]"
PORTFOLIO = "portfolio"
IDENTITY = "identity"
ENDED = (Apprentice.Status.COMPLETED, Apprentice.Status.WITHDRAWN)


class ErasureRefused(Exception):
    """The apprentice's data cannot be erased now; the message says why."""


@dataclass(frozen=True)
class Holding:
    """One table holding an apprentice's personal data."""

    model: type[models.Model]
    path: str  # lookup from the model to the apprentice
    stage: str
    text: tuple[str, ...] = ()  # text that becomes "[removed]", JSON that becomes empty
    empty: tuple[str, ...] = ()  # text that becomes empty
    months: tuple[str, ...] = ()  # dates and times cut to the first of their month
    files: tuple[str, ...] = ()  # stored files deleted
    delete: bool = False  # rows deleted outright
    withheld_until_final: bool = False  # left out of the subject access copy until the
    # EPA result is final (provisional grades are not released early)
    secret: tuple[str, ...] = ()  # never copied out, even to the apprentice
    own_only: bool = False  # copied out only if the apprentice may open the row now (its
    # queryset's visible_to(their user)): e.g. reports others asked for stay out
    provisional_rows: Q | None = None  # rows left out of the copy until the EPA result is
    # final (e.g. a result report, built from provisional grades)
    provisional_fields: tuple[str, ...] = ()  # left out of the copy until the result is final
    identity_changes: Callable[[Any], dict[str, Any]] | None = None  # what the identity stage
    # changes in a row beyond the text, dates and files above (e.g. a placeholder ULN)

    def rows_for_copy(self, apprentice: Apprentice, *, final: bool) -> models.QuerySet[Any]:
        """The rows the subject access copy holds."""
        rows = self.rows(apprentice)
        if self.own_only:
            manager: Any = self.model._default_manager
            rows = rows.filter(pk__in=manager.visible_to(apprentice.user).values("pk"))
        if self.provisional_rows is not None and not final:
            rows = rows.exclude(self.provisional_rows)
        return rows

    def rows(self, apprentice: Apprentice) -> models.QuerySet[Any]:
        value = apprentice.pk if self.path == "pk" else apprentice
        return self.model._default_manager.filter(**{self.path: value}).order_by("pk")

    @property
    def label(self) -> str:
        return str(self.model._meta.verbose_name_plural)


def _apprentice_identity(apprentice: Apprentice) -> dict[str, Any]:
    start = to_month(apprentice.start_date)
    gateway = to_month(apprentice.planned_gateway_date)
    if gateway <= start:
        gateway = next_month(start)
    return {
        "uln": _placeholder_uln(apprentice),
        "start_date": start,
        "planned_gateway_date": gateway,
    }


def _user_identity(user: User) -> dict[str, Any]:
    apprentice_id = Apprentice.objects.filter(user=user).values_list("pk", flat=True)[0]
    return {
        "username": f"erased-apprentice-{apprentice_id}",
        "is_active": False,
        "last_login": None,
    }


HOLDINGS: list[Holding] = [
    # The portfolio: evidence and its files, mapping, history, moves, breaks (the off-the-job
    # log and progress reviews: progress.privacy; the gateway, its pack and built reports:
    # epa.privacy).
    Holding(
        Evidence,
        "apprentice",
        PORTFOLIO,
        text=("title", "reflection", "review_comment", "identifiers_confirmed"),
        months=("activity_date", "submitted_at", "reviewed_at", "created_at"),
    ),
    Holding(
        EvidenceFile,
        "evidence__apprentice",
        PORTFOLIO,
        text=("original_name",),
        files=("file",),
        months=("uploaded_at", "removed_at"),
    ),
    Holding(EvidenceKSB, "evidence__apprentice", PORTFOLIO, text=("note",)),
    Holding(
        EvidenceEvent,
        "evidence__apprentice",
        PORTFOLIO,
        text=("comment", "changes"),
        months=("at",),
    ),
    Holding(VersionMove, "apprentice", PORTFOLIO, text=("reason", "old_mappings")),
    Holding(BreakInLearning, "apprentice", PORTFOLIO, text=("reason",)),
    Holding(EmployerMove, "apprentice", PORTFOLIO, text=("reason",), months=("requested_at",)),
    # Who they are (the EPA record kept with the result: epa.privacy).
    Holding(
        Apprentice,
        "pk",
        IDENTITY,
        months=("start_date", "planned_gateway_date"),
        identity_changes=_apprentice_identity,
    ),
    Holding(
        User,
        "apprentice",
        IDENTITY,
        empty=("first_name", "last_name", "email"),
        months=("date_joined",),
        secret=("password",),
        identity_changes=_user_identity,
    ),
    Holding(Notification, "user__apprentice", IDENTITY, delete=True),
    Holding(AccountEmail, "user__apprentice", IDENTITY, delete=True, secret=("detail",)),
    Holding(NotificationPreference, "user__apprentice", IDENTITY, delete=True),
    # Two-factor authentication and sessions (django-allauth's mfa and usersessions).
    Holding(Authenticator, "user__apprentice", IDENTITY, delete=True, secret=("data",)),
    Holding(UserSession, "user__apprentice", IDENTITY, delete=True, secret=("session_key",)),
]


# How the audit trail's entries of a table lead to an apprentice: the column of the row that
# points at its parent row, and the parent's table (parents first). Each table's entries go
# in the stage of its holding (psp_user_groups: with the identity).
AUDIT_LINKS: dict[str, tuple[str, str]] = {
    "apprentices_evidence": ("apprentice_id", "apprentices_apprentice"),
    "apprentices_evidenceksb": ("evidence_id", "apprentices_evidence"),
    "apprentices_evidencefile": ("evidence_id", "apprentices_evidence"),
    "apprentices_versionmove": ("apprentice_id", "apprentices_apprentice"),
    "apprentices_evidenceevent": ("evidence_id", "apprentices_evidence"),
    "apprentices_breakinlearning": ("apprentice_id", "apprentices_apprentice"),
    "psp_user_groups": ("user_id", "psp_user"),
}
# Entries about the apprentice that say what was removed; they hold no personal data.
RECORDS_OF_REMOVAL = ("erasure", "retention")

# What the apps above add (register_holdings, register_result).
_last_changes: list[Callable[[Apprentice], datetime.datetime | None]] = []
_result_kept: Callable[[Apprentice], bool] = lambda apprentice: False  # noqa: E731
_result_final: Callable[[Apprentice], bool] = lambda apprentice: False  # noqa: E731


def register_holdings(
    *holdings: Holding,
    audit_links: dict[str, tuple[str, str]] | None = None,
    last_changed: Callable[[Apprentice], datetime.datetime | None] | None = None,
) -> None:
    """An app's tables holding an apprentice's personal data; how the audit trail's entries
    of its tables lead to the apprentice (parents first, see AUDIT_LINKS); and when its
    records of an apprentice last changed (for ended_at)."""
    HOLDINGS.extend(holdings)
    AUDIT_LINKS.update(audit_links or {})
    if last_changed is not None:
        _last_changes.append(last_changed)


def register_result(
    *, kept: Callable[[Apprentice], bool], final: Callable[[Apprentice], bool]
) -> None:
    """The EPA result: whether one is kept for the apprentice (their identity then stays
    RETENTION_EPA_RESULTS_YEARS), and whether it is final (the subject access copy then holds
    what is withheld until it is: withheld_until_final, provisional_rows and _fields)."""
    global _result_kept, _result_final
    _result_kept, _result_final = kept, final


# When


def ended_at(apprentice: Apprentice) -> datetime.datetime | None:
    """When the apprenticeship ended: the last thing recorded for an apprentice who has
    completed or withdrawn (None while they have not). Any later change restarts the clock,
    so data is never removed early."""
    if apprentice.status not in ENDED:
        return None
    moments = [
        apprentice.updated_at,
        EvidenceEvent.objects.filter(evidence__apprentice=apprentice).aggregate(m=Max("at"))["m"],
        *(last_changed(apprentice) for last_changed in _last_changes),
    ]
    return max(moment for moment in moments if moment is not None)


def _years_after(moment: datetime.datetime, years: int) -> datetime.datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


@dataclass(frozen=True)
class Schedule:
    ended: datetime.datetime | None
    portfolio_due: datetime.datetime | None
    identity_due: datetime.datetime | None
    has_result: bool


def schedule_for(apprentice: Apprentice) -> Schedule:
    ended = ended_at(apprentice)
    has_result = _result_kept(apprentice)
    if ended is None:
        return Schedule(None, None, None, has_result)
    portfolio_due = _years_after(ended, int(settings.RETENTION_EVIDENCE_YEARS))
    identity_due = (
        _years_after(ended, int(settings.RETENTION_EPA_RESULTS_YEARS))
        if has_result
        else portfolio_due
    )
    return Schedule(ended, portfolio_due, max(portfolio_due, identity_due), has_result)


# Removing


@dataclass
class Removal:
    """What one stage removed (or, in a dry run, would remove) for one apprentice."""

    apprentice_id: int
    stages: list[str] = field(default_factory=list)
    rows: Counter[str] = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)  # storage names
    file_hashes: list[str] = field(default_factory=list)
    audit_entries: int = 0  # redacted

    def __bool__(self) -> bool:
        return bool(self.rows or self.files or self.audit_entries)

    def describe(self) -> str:
        parts = [f"{count} {label}" for label, count in sorted(self.rows.items())]
        if self.files:
            parts.append(f"{len(self.files)} stored files")
        if self.audit_entries:
            parts.append(f"personal data in {self.audit_entries} audit entries")
        return ", ".join(parts) or "nothing"


def _erased_text(value: Any, model_field: models.Field[Any, Any]) -> Any:
    if isinstance(model_field, models.JSONField):
        return type(value)() if isinstance(value, dict | list) else value
    return REMOVED if value else value


def to_month(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        local = timezone.localtime(value)
        return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if isinstance(value, datetime.date):
        return value.replace(day=1)
    return value


def next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def _placeholder_uln(apprentice: Apprentice) -> str:
    """Ten digits that are never a valid ULN (wrong check digit), so never a real one."""
    base = f"9{apprentice.pk % 10**8:08d}"
    return f"{base}{(uln_check_digit(base) + 1) % 10}"


def _remove(apprentice: Apprentice, holding: Holding, removal: Removal, *, dry_run: bool) -> None:
    rows = list(holding.rows(apprentice))
    for instance in rows:
        for name in holding.files:
            stored = getattr(instance, name)
            if stored:
                removal.files.append(str(stored.name))
                if isinstance(instance, EvidenceFile):
                    removal.file_hashes.append(instance.sha256)
    if holding.delete:
        if rows:
            removal.rows[holding.label] += len(rows)
            if not dry_run:
                holding.model._default_manager.filter(pk__in=[r.pk for r in rows]).delete()
        return
    for instance in rows:
        changes: dict[str, Any] = {}
        for name in holding.text:
            model_field = instance._meta.get_field(name)
            value = getattr(instance, name)
            erased = _erased_text(value, model_field)  # type: ignore[arg-type]
            if erased != value:
                changes[name] = erased
        for name in holding.empty:
            if getattr(instance, name):
                changes[name] = ""
        for name in holding.months:
            value = getattr(instance, name)
            if to_month(value) != value:
                changes[name] = to_month(value)
        for name in holding.files:
            if getattr(instance, name):
                changes[name] = ""
        if holding.stage == IDENTITY and holding.identity_changes is not None:
            changes.update(
                {
                    k: v
                    for k, v in holding.identity_changes(instance).items()
                    if getattr(instance, k) != v
                }
            )
        if isinstance(instance, User) and instance.has_usable_password():
            changes["password"] = None
        if not changes:
            continue
        removal.rows[holding.label] += 1
        if dry_run:
            continue
        for name, value in changes.items():
            if name == "password":
                instance.set_unusable_password()  # type: ignore[attr-defined]
            else:
                setattr(instance, name, value)
        instance.save(update_fields=list(changes))


def _forget_sign_ins(apprentice: Apprentice, removal: Removal, *, dry_run: bool) -> None:
    """Sign-in lockout records keep the username and address."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    username = apprentice.user.username
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        rows = model.objects.filter(username=username)
        count = rows.count()
        if count:
            removal.rows[str(model._meta.verbose_name_plural)] += count
            if not dry_run:
                rows.delete()


def _stage_of_table(table: str) -> str:
    if table == "psp_user_groups":
        return IDENTITY
    return next(h.stage for h in HOLDINGS if h.model._meta.db_table == table)


def audit_entries(apprentice: Apprentice, stages: list[str]) -> models.QuerySet[AuditEntry]:
    """The audit trail's entries holding the apprentice's personal data of these stages:
    entries about their rows, those deleted since included, and with the identity, every
    entry they made. Records of removals are left out."""
    ids: dict[str, set[str]] = {
        "apprentices_apprentice": {str(apprentice.pk)},
        "psp_user": {str(apprentice.user_id)},
    }
    current = {h.model._meta.db_table: h for h in HOLDINGS}
    for table, (column, parent) in AUDIT_LINKS.items():
        ids[table] = audit.row_ids(table, column, ids[parent])
        if table in current:
            ids[table] |= {
                str(pk) for pk in current[table].rows(apprentice).values_list("pk", flat=True)
            }
    query = Q(pk__in=[])
    for table, row_ids in ids.items():
        if row_ids and _stage_of_table(table) in stages:
            query |= Q(object_type=table, object_id__in=sorted(row_ids))
    if IDENTITY in stages:
        query |= Q(actor_id=apprentice.user_id)
    return AuditEntry.objects.filter(query).exclude(
        object_type=Apprentice._meta.db_table, action__in=RECORDS_OF_REMOVAL
    )


def _redact_audit_trail(
    apprentice: Apprentice,
    stages: list[str],
    removal: Removal,
    *,
    by: User | None,
    action: str,
    dry_run: bool,
) -> None:
    entries = audit_entries(apprentice, stages)
    if dry_run:
        removal.audit_entries = (
            entries.filter(redaction__isnull=True).exclude(action=audit.REDACT).count()
        )
        return
    reason = f"{action} ({', '.join(stages)}) of apprentice {apprentice.pk}"
    removal.audit_entries = audit.redact(entries, apprentice, by=by, reason=reason)


def _run(
    apprentice: Apprentice, stages: list[str], *, by: User | None, action: str, dry_run: bool
) -> Removal:
    removal = Removal(apprentice.pk, stages=stages)
    with transaction.atomic():
        Apprentice.objects.select_for_update().get(pk=apprentice.pk)
        if IDENTITY in stages:
            _forget_sign_ins(apprentice, removal, dry_run=dry_run)
        for holding in HOLDINGS:
            if holding.stage in stages:
                _remove(apprentice, holding, removal, dry_run=dry_run)
        # After the removals, whose own entries hold the text as it was.
        _redact_audit_trail(apprentice, stages, removal, by=by, action=action, dry_run=dry_run)
        if removal and not dry_run:
            _record(apprentice, removal, by=by, action=action)
            # Files go once the database no longer points at them.
            names = list(removal.files)
            transaction.on_commit(lambda: _delete_files(names))
    return removal


def _record(apprentice: Apprentice, removal: Removal, *, by: User | None, action: str) -> None:
    summary = f"{action.capitalize()} ({', '.join(removal.stages)}): removed {removal.describe()}"
    if removal.file_hashes:
        summary += f". Evidence files removed (SHA-256): {', '.join(removal.file_hashes)}"
    audit.log_event(action, apprentice, by=by, summary=summary)
    logger.info("Apprentice %s: %s", apprentice.pk, summary)


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.exception("Retention: could not delete stored file %s", name)


def due_stages(apprentice: Apprentice, *, now: datetime.datetime | None = None) -> list[str]:
    """The stages of the retention schedule whose time has come for this apprentice."""
    now = now or timezone.now()
    plan = schedule_for(apprentice)
    stages = []
    if plan.portfolio_due and plan.portfolio_due <= now:
        stages.append(PORTFOLIO)
    if plan.identity_due and plan.identity_due <= now:
        stages.append(IDENTITY)
    return stages


def apply_retention(
    *, now: datetime.datetime | None = None, dry_run: bool = False
) -> Iterator[Removal]:
    """Apply the retention schedule to every apprentice who has completed or withdrawn;
    yields what was removed (or, in a dry run, what would be) for each one with anything
    left to remove."""
    for apprentice in Apprentice.objects.filter(status__in=ENDED).select_related("user"):
        stages = due_stages(apprentice, now=now)
        if stages:
            removal = _run(apprentice, stages, by=None, action="retention", dry_run=dry_run)
            if removal:
                yield removal


def erasure_problems(apprentice: Apprentice, *, now: datetime.datetime | None = None) -> list[str]:
    """Why the apprentice's personal data cannot be erased now (empty when it can)."""
    now = now or timezone.now()
    if apprentice.status not in ENDED:
        return [
            f"The apprentice is {apprentice.get_status_display().lower()}: the record is in "
            "use. Record that they completed or withdrew first"
        ]
    plan = schedule_for(apprentice)
    if plan.has_result and plan.ended is not None:
        keep_until = _years_after(plan.ended, int(settings.RETENTION_EPA_RESULTS_YEARS))
        if keep_until > now:
            return [
                f"The end-point assessment result must be kept for "
                f"{settings.RETENTION_EPA_RESULTS_YEARS} years after the apprenticeship ended, "
                f"until {dateformat.format(timezone.localtime(keep_until), 'j F Y')}"
            ]
    return []


def erase(apprentice: Apprentice, *, by: User, dry_run: bool = False) -> Removal:
    """Erase the apprentice's personal data now (both stages), leaving anonymous statistics.
    ErasureRefused says why not, when retention forbids it."""
    problems = erasure_problems(apprentice)
    if problems:
        raise ErasureRefused(". ".join(problems))
    return _run(apprentice, [PORTFOLIO, IDENTITY], by=by, action="erasure", dry_run=dry_run)


# Subject access

# The audit entry of a download of the copy (it says nothing about what is in it).
SUBJECT_ACCESS_SUMMARY = "Subject access: a copy of all the personal data held (zip)"


class _Names:
    """Readable names for the rows that rows point at, each looked up once."""

    def __init__(self) -> None:
        self.cache: dict[tuple[type[models.Model], Any], Any] = {}
        self.labels: dict[type[models.Model], Callable[[Any], Any]] = {
            User: lambda u: u.get_full_name() or u.username,
            Organisation: lambda o: o.name,
            StandardVersion: str,
            KSB: lambda k: k.code,
        }

    def __call__(self, model: type[models.Model], pk: Any) -> Any:
        if pk is None or model not in self.labels:
            return pk
        key = (model, pk)
        if key not in self.cache:
            row = model._default_manager.filter(pk=pk).first()
            self.cache[key] = {"id": pk, "name": self.labels[model](row) if row else None}
        return self.cache[key]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or None
    if isinstance(value, bytes | memoryview):
        return None
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)


def _row(instance: models.Model, holding: Holding, names: _Names) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for model_field in instance._meta.concrete_fields:
        if model_field.name in holding.secret:
            continue
        if model_field.is_relation and model_field.related_model is not None:
            related: Any = model_field.related_model
            data[model_field.name] = names(related, getattr(instance, model_field.attname))
        else:
            data[model_field.name] = _jsonable(getattr(instance, model_field.attname))
    return data


def _arcname(folder: str, pk: Any, name: str) -> str:
    return f"{folder}/{pk}-{get_valid_filename(name) or 'file'}"


def export(apprentice: Apprentice, *, into: IO[bytes]) -> None:
    """A zip of everything held about the apprentice (data.json and their files), written to
    `into` as it is made: files are copied from storage in chunks, never held whole."""
    names = _Names()
    final = _result_final(apprentice)
    data: dict[str, Any] = {
        "about": (
            "Everything psp holds about you, as of the time below. Each list is one kind of "
            "record; ids link records to each other. Your files are in the folders beside this "
            "file."
        ),
        "made_at": timezone.now().isoformat(),
        "retention": {
            "portfolio_years": settings.RETENTION_EVIDENCE_YEARS,
            "epa_result_years": settings.RETENTION_EPA_RESULTS_YEARS,
        },
    }
    files: list[tuple[str, str]] = []
    for holding in HOLDINGS:
        if holding.withheld_until_final and not final:
            data[holding.label] = "Not included until your end-point assessment result is final."
            continue
        rows = []
        for instance in holding.rows_for_copy(apprentice, final=final):
            row = _row(instance, holding, names)
            if not final:
                for name in holding.provisional_fields:
                    row.pop(name, None)
            for name in holding.files:
                stored = getattr(instance, name)
                if stored:
                    original = getattr(instance, "original_name", "") or str(
                        getattr(instance, "download_name", stored.name.rsplit("/", 1)[-1])
                    )
                    arcname = _arcname(
                        holding.model._meta.model_name or "file", instance.pk, original
                    )
                    row[f"{name}_in_zip"] = arcname
                    files.append((str(stored.name), arcname))
            rows.append(row)
        data[holding.label] = rows
    with zipfile.ZipFile(into, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False))
        for stored_name, arcname in files:
            try:
                source = default_storage.open(stored_name, "rb")
            except OSError:
                logger.exception("Subject access: stored file %s is missing", stored_name)
                continue
            with source, archive.open(arcname, "w", force_zip64=True) as target:
                shutil.copyfileobj(source, target, length=1024 * 1024)


def export_file(apprentice: Apprentice) -> tuple[IO[bytes], int]:
    """export() into a temporary file on disk, rewound: the file and its size in bytes.
    Whoever takes the file closes it (a response does, once sent)."""
    archive = tempfile.TemporaryFile()  # noqa: SIM115 (the caller closes it)
    try:
        export(apprentice, into=archive)
    except BaseException:
        archive.close()
        raise
    size = archive.seek(0, 2)
    archive.seek(0)
    return archive, size
