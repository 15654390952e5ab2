"""Bulk onboarding: apprentices from a file a training provider exports from its MIS.

One record is one apprentice, keyed by ULN. `plan()` checks every record with the same rules
as the add-apprentice form (the model's field validators and `Apprentice.clean()`: the ULN
check digit, the planned end after the start, the version open for starts on the start date;
an email no other account uses) plus the file's own (duplicates within it, a ULN at another
provider, an employer psp does not know yet), and says per record what applying would do:
new, updated, unchanged or refused, with the column and the reason. `apply()` plans again
inside one transaction (so what changed since the preview is seen), writes everything or
nothing, and tells each new apprentice through the notification outbox. Applying the same
records twice changes nothing the second time. The CSV upload, `manage.py
import_apprentices` and the API's create call (api.views) all go through these functions.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from apprentices.models import Apprentice, OnboardingBatch
from psp import accounts, outbox
from psp.background import WorkStatus
from psp.models import Organisation, User
from psp.roles import Role
from standards.models import Option, StandardVersion

# The template's columns, in order, with what each holds (shown on the upload page).
COLUMNS: list[tuple[str, str]] = [
    ("uln", "Unique Learner Number: 10 digits, from the Learning Records Service"),
    ("given_name", "Given (first) name"),
    ("family_name", "Family (last) name"),
    ("email", "Email address: the apprentice signs in with it"),
    ("employer", "Employer's name as psp knows it; a new name is created when you confirm"),
    ("standard_reference", "Standard reference, like ST0494"),
    ("standard_version", "Version of the standard, like 1.1"),
    (
        "option",
        "The option, by its title or number, for a core-and-options version; empty for any other",
    ),
    ("start_date", "Start date, as 2025-03-27 or 27/03/2025"),
    ("planned_end_date", "Planned end of the practical period (planned gateway date)"),
    ("contracted_hours_per_week", "Paid working hours a week, like 37.5; may be empty"),
    ("prior_learning_hours", "Off-the-job hours not needed because of prior learning; 0 or empty"),
]
COLUMN_NAMES = [name for name, _ in COLUMNS]
OPTIONAL = {"option", "contracted_hours_per_week", "prior_learning_hours"}
REQUIRED = [name for name in COLUMN_NAMES if name not in OPTIONAL]
MAX_ROWS = 5000
# The model field behind each column, for the errors of Apprentice.full_clean().
FIELD_COLUMNS = {
    "uln": "uln",
    "standard_version": "standard_version",
    "option": "option",
    "start_date": "start_date",
    "planned_gateway_date": "planned_end_date",
    "employer": "employer",
    "contracted_hours_per_week": "contracted_hours_per_week",
    "prior_learning_reduction": "prior_learning_hours",
}
# Apprentices whose record bulk onboarding may change; later ones change on their own pages.
CHANGEABLE = (Apprentice.Status.ON_PROGRAMME, Apprentice.Status.BREAK_IN_LEARNING)


class Outcome(StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


class OnboardingError(Exception):
    """The records cannot be applied as they are; the message says what to fix."""


@dataclass
class Problem:
    column: str
    message: str


@dataclass
class RowPlan:
    line: int
    uln: str
    name: str
    outcome: str
    problems: list[Problem] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    new_employer: str = ""
    apprentice_id: int | None = None


@dataclass
class Plan:
    rows: list[RowPlan] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts = {outcome.value: 0 for outcome in Outcome}
        for row in self.rows:
            counts[row.outcome] += 1
        return counts

    @property
    def new_employers(self) -> list[str]:
        names: dict[str, str] = {}
        for row in self.rows:
            if row.new_employer and row.outcome != Outcome.REFUSED:
                names.setdefault(row.new_employer.casefold(), row.new_employer)
        return sorted(names.values(), key=str.casefold)

    @property
    def refused(self) -> list[RowPlan]:
        return [row for row in self.rows if row.outcome == Outcome.REFUSED]

    @property
    def can_apply(self) -> bool:
        return not self.file_problems and not self.refused

    @property
    def changes_anything(self) -> bool:
        counts = self.counts
        return bool(counts[Outcome.NEW] or counts[Outcome.UPDATED])

    def to_json(self) -> dict[str, Any]:
        return {"rows": [asdict(row) for row in self.rows], "file_problems": self.file_problems}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        rows = [
            RowPlan(**{**row, "problems": [Problem(**p) for p in row["problems"]]})
            for row in data.get("rows", [])
        ]
        return cls(rows=rows, file_problems=list(data.get("file_problems", [])))


# A record as read: column name -> text, and the line it came from.
Record = tuple[int, dict[str, str]]


def template_csv() -> str:
    """The downloadable template: the header and one fictional example row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMN_NAMES)
    writer.writerow(
        [
            "1234567899",  # a valid ULN: its check digit matches
            "Sam",
            "Example",
            "sam.example@example.org",
            "Example Probation Region",
            "ST0494",
            "1.1",
            "",
            "2025-09-01",
            "2027-03-01",
            "37.5",
            "0",
        ]
    )
    return out.getvalue()


def read_csv(data: bytes) -> tuple[list[Record], list[str]]:
    """The records of a CSV file, or what is wrong with the file as a whole."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [
            "The file is not UTF-8 text: in your spreadsheet, save it as “CSV UTF-8” and "
            "upload it again"
        ]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header:
            return [], ["The file is empty: start from the template, which has the columns"]
        names = [name.strip().lower().replace(" ", "_") for name in header]
        problems = []
        missing = [name for name in REQUIRED if name not in names]
        if missing:
            problems.append(
                "The first row must name the columns. Missing: "
                + ", ".join(missing)
                + " (the template has them all)"
            )
        unknown = [name for name in names if name and name not in COLUMN_NAMES]
        if unknown:
            problems.append(
                "Unknown columns: " + ", ".join(unknown) + ". Use the template's column names"
            )
        repeated = sorted({name for name in names if name and names.count(name) > 1})
        if repeated:
            problems.append("Columns named twice: " + ", ".join(repeated))
        if problems:
            return [], problems
        records: list[Record] = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(records) >= MAX_ROWS:
                return [], [f"The file has more than {MAX_ROWS} apprentices: split it in two"]
            record = {name: "" for name in COLUMN_NAMES}
            for name, cell in zip(names, cells, strict=False):
                if name:
                    record[name] = cell.strip()
            if len(cells) > len(names):
                record["_extra"] = "yes"
            records.append((reader.line_num, record))
    except csv.Error as error:
        return [], [f"Line {reader.line_num} is not valid CSV ({error}): check its quotes"]
    if not records:
        return [], ["The file has the column names but no apprentices"]
    return records, []


def _date(text: str) -> datetime.date:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007 a date
        except ValueError:
            continue
    raise ValueError(f"“{text}” is not a date: write it as 2025-03-27 or 27/03/2025")


def _number(text: str, *, what: str, most: Decimal) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"“{text}” is not a number of {what}, like 37.5") from None
    if not value.is_finite() or value < 0 or value > most:
        raise ValueError(f"{what.capitalize()} must be between 0 and {most}")
    if value != value.quantize(Decimal("0.1")):
        raise ValueError(f"Give {what} to one decimal place at most, like 37.5")
    return value


def _has_control(text: str) -> bool:
    """Characters no column holds, and PostgreSQL cannot store (NUL)."""
    return any(ord(c) < 32 and c != "\t" for c in text)


@dataclass
class _Context:
    """What psp already has for the records, fetched once for them all."""

    provider: Organisation
    versions: dict[tuple[str, str], StandardVersion]
    employers: dict[str, Organisation]
    apprentices: dict[str, Apprentice]
    emails: dict[str, int]

    @classmethod
    def load(cls, records: Sequence[Record], *, provider: Organisation, lock: bool) -> _Context:
        ulns = {r["uln"].replace(" ", "") for _, r in records if not _has_control(r["uln"])}
        emails = {r["email"].lower() for _, r in records if not _has_control(r["email"])}
        apprentices = Apprentice.objects.filter(uln__in=ulns).select_related("user", "employer")
        if lock:
            apprentices = apprentices.select_for_update(of=("self",))
        # The options come in one more query, for every version: each row's are then at hand.
        versions = StandardVersion.objects.select_related("standard").prefetch_related("options")
        return cls(
            provider=provider,
            versions={(v.standard.reference.upper(), v.version): v for v in versions},
            employers={
                o.name.casefold(): o
                for o in Organisation.objects.filter(kind=Organisation.Kind.EMPLOYER)
            },
            apprentices={a.uln: a for a in apprentices},
            emails=dict(
                User.objects.filter(email__in=emails).values_list("email", "pk") if emails else []
            ),
        )


def _check(
    line: int, record: dict[str, str], ctx: _Context, seen: dict[str, dict[str, int]]
) -> tuple[RowPlan, Apprentice]:
    """Check one record: its plan, and the apprentice as it would be saved."""
    uln = record["uln"].replace(" ", "")
    name = f"{record['given_name']} {record['family_name']}".strip()
    row = RowPlan(line=line, uln=uln, name=name, outcome=Outcome.NEW)
    problems = row.problems

    def problem(column: str, message: str) -> None:
        problems.append(Problem(column, message))

    unreadable = {column for column in COLUMN_NAMES if _has_control(record[column])}
    for column in sorted(unreadable):
        problem(column, "Remove the control characters (such as line breaks) from this")
    record = {**record, **dict.fromkeys(unreadable, "")}
    if record.get("_extra"):
        problem("", "This row has more cells than there are columns: check for a stray comma")
    for column in REQUIRED:
        if not record[column] and column not in unreadable:
            problem(column, f"Enter the {column.replace('_', ' ')}")
    for column in ("given_name", "family_name"):
        if len(record[column]) > 150:
            problem(column, "Shorten this to 150 characters or fewer")
    email = record["email"].lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problem("email", f"“{record['email']}” is not an email address, like name@example.org")
    values: dict[str, Any] = {}
    for column in ("start_date", "planned_end_date"):
        if record[column]:
            try:
                values[column] = _date(record[column])
            except ValueError as error:
                problem(column, str(error))
    for column, what, most in (
        ("contracted_hours_per_week", "hours a week", Decimal(168)),
        ("prior_learning_hours", "hours", Decimal("99999.9")),
    ):
        try:
            values[column] = _number(record[column], what=what, most=most)
        except ValueError as error:
            problem(column, str(error))
    if values.get("contracted_hours_per_week") == 0:
        problem("contracted_hours_per_week", "Contracted hours must be more than 0, or empty")
    reference = record["standard_reference"].upper()
    version = ctx.versions.get((reference, record["standard_version"]))
    if reference and record["standard_version"] and version is None:
        known = sorted(v for (ref, v) in ctx.versions if ref == reference)
        problem(
            "standard_version",
            f"psp has no version {record['standard_version']} of {reference}"
            + (f": it has {', '.join(known)}" if known else ": check the reference"),
        )
    option = _option(version, record["option"], problem) if version is not None else None

    for column, value in (("uln", uln), ("email", email)):
        if value and value in seen[column]:
            problem(column, f"This {column.upper()} is also on line {seen[column][value]}")
        elif value:
            seen[column][value] = line

    existing = ctx.apprentices.get(uln)
    if existing is not None and existing.training_provider_id != ctx.provider.pk:
        problem(
            "uln",
            "psp already has an apprentice with this ULN at another training provider: ask "
            "them, or an administrator, to move the apprentice to you",
        )
        existing = None
        row.outcome = Outcome.REFUSED
    if email and ctx.emails.get(email) not in (None, existing.user_id if existing else None):
        problem("email", "Another account already uses this email address")

    employer = ctx.employers.get(record["employer"].casefold())
    if record["employer"] and employer is None:
        if len(record["employer"]) > 200:
            problem("employer", "Shorten the employer's name to 200 characters or fewer")
        row.new_employer = record["employer"]

    # The model's own rules, as the add-apprentice form applies them.
    apprentice = Apprentice(
        training_provider=ctx.provider,
        status=Apprentice.Status.ON_PROGRAMME,
        user=User(username="pending"),
    )
    if existing is not None:
        apprentice = _copy(existing)
    apprentice.uln = uln
    if version is not None:
        apprentice.standard_version = version
        apprentice.option = option
    apprentice.start_date = values.get("start_date")  # type: ignore[assignment]
    apprentice.planned_gateway_date = values.get("planned_end_date")  # type: ignore[assignment]
    if employer is not None:
        apprentice.employer = employer
    apprentice.contracted_hours_per_week = values.get("contracted_hours_per_week")
    apprentice.prior_learning_reduction = values.get("prior_learning_hours") or Decimal(0)
    apprentice.prior_learning_unit = "hours"
    # Foreign keys were found above, among the rows fetched once: not looked up again per row.
    # The check constraints' ranges were checked as the numbers were read; the database
    # enforces them on saving, so they are not asked of it once a row (four queries each).
    exclude = [
        "user",
        "training_provider",
        "epao",
        "status",
        "employer",
        "standard_version",
        "option",
    ]
    reported = {p.column for p in problems}
    try:
        apprentice.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for model_field, messages in error.message_dict.items():
            column = FIELD_COLUMNS.get(model_field, "")
            if column in reported:
                continue
            for message in messages:
                problem(column, message.rstrip("."))

    if existing is not None and not problems:
        row.apprentice_id = existing.pk
        row.changes = _changes(existing, apprentice, record, email, employer)
        if not row.changes:
            row.outcome = Outcome.UNCHANGED
        elif existing.status not in CHANGEABLE:
            problem(
                "",
                f"{existing.name} is {existing.get_status_display().lower()}: change their "
                "record on their page, not by upload",
            )
        elif "standard_version" in row.changes:
            problem(
                "standard_version",
                f"{existing.name} is on version {existing.standard_version.version}: move them "
                "with “Move to another version” on their page, which keeps their evidence mapped",
            )
        else:
            row.outcome = Outcome.UPDATED
    if problems:
        row.outcome = Outcome.REFUSED
    return row, apprentice


def _option(
    version: StandardVersion, text: str, problem: Callable[[str, str], None]
) -> Option | None:
    """The option a record names, by title (any case) or number, among the version's
    (prefetched); None and a problem when it names none."""
    options = list(version.options.all())
    name = f"{version.standard.reference} version {version.version}"
    listed = "; ".join(f"{o.number} {o.title}" for o in options)
    if not options:
        if text:
            problem("option", f"{name} has no options: leave this empty")
        return None
    if not text:
        problem("option", f"Enter the option: {name} is core and options ({listed})")
        return None
    for option in options:
        if text.strip().casefold() in (option.title.casefold(), str(option.number)):
            return option
    problem("option", f"{name} has no option “{text}”: enter one of {listed}")
    return None


def _copy(existing: Apprentice) -> Apprentice:
    copy = Apprentice(**{f.attname: getattr(existing, f.attname) for f in Apprentice._meta.fields})
    copy.user = existing.user
    return copy


def _changes(
    existing: Apprentice,
    planned: Apprentice,
    record: dict[str, str],
    email: str,
    employer: Organisation | None,
) -> list[str]:
    user = existing.user
    pairs = [
        ("given_name", user.first_name, record["given_name"]),
        ("family_name", user.last_name, record["family_name"]),
        ("email", user.email.lower(), email),
        ("employer", existing.employer_id, employer.pk if employer else None),
        ("standard_version", existing.standard_version_id, planned.standard_version_id),
        ("option", existing.option_id, planned.option_id),
        ("start_date", existing.start_date, planned.start_date),
        ("planned_end_date", existing.planned_gateway_date, planned.planned_gateway_date),
        (
            "contracted_hours_per_week",
            existing.contracted_hours_per_week,
            planned.contracted_hours_per_week,
        ),
        (
            "prior_learning_hours",
            (existing.prior_learning_reduction, existing.prior_learning_unit),
            (planned.prior_learning_reduction, "hours"),
        ),
    ]
    return [column for column, before, after in pairs if before != after]


def plan(
    records: Sequence[Record],
    *,
    provider: Organisation,
    progress: Callable[[int], object] | None = None,
    lock: bool = False,
) -> Plan:
    """What applying the records would do, record by record; changes nothing."""
    result, _ = _plan(records, provider=provider, progress=progress, lock=lock)
    return result


def _plan(
    records: Sequence[Record],
    *,
    provider: Organisation,
    progress: Callable[[int], object] | None = None,
    lock: bool = False,
) -> tuple[Plan, list[Apprentice]]:
    ctx = _Context.load(records, provider=provider, lock=lock)
    seen: dict[str, dict[str, int]] = {"uln": {}, "email": {}}
    result = Plan()
    planned = []
    for count, (line, record) in enumerate(records, start=1):
        row, apprentice = _check(line, record, ctx, seen)
        result.rows.append(row)
        planned.append(apprentice)
        if progress is not None and count % 50 == 0:
            progress(count)
    return result, planned


@transaction.atomic
def apply(
    records: Sequence[Record],
    *,
    provider: Organisation,
    by: User | None,
    new_employers_confirmed: Iterable[str] = (),
) -> Plan:
    """Apply the records: all of them, or none (OnboardingError says why, nothing changed).

    New apprentices get a sign-in account and a welcome notification, emailed through the
    outbox after the commit. Records that change nothing are left alone.
    """
    result, planned = _plan(records, provider=provider, lock=True)
    if not result.can_apply:
        refused = len(result.refused)
        raise OnboardingError(
            "; ".join(result.file_problems)
            or f"{refused} apprentice{'s' if refused != 1 else ''} cannot be added as they "
            "are: fix the rows listed and upload the file again. Nothing was changed"
        )
    confirmed = {name.casefold() for name in new_employers_confirmed}
    unconfirmed = [name for name in result.new_employers if name.casefold() not in confirmed]
    if unconfirmed:
        raise OnboardingError(
            "Confirm the new employers first: " + ", ".join(unconfirmed) + ". Nothing was changed"
        )
    employers = {
        name.casefold(): Organisation.objects.create(kind=Organisation.Kind.EMPLOYER, name=name)
        for name in result.new_employers
    }
    group = Group.objects.get(name=Role.APPRENTICE.label)
    welcomed = []
    for row, apprentice, (_, record) in zip(result.rows, planned, records, strict=True):
        if row.outcome not in (Outcome.NEW, Outcome.UPDATED):
            continue
        if row.new_employer:
            apprentice.employer = employers[row.new_employer.casefold()]
        email = record["email"].lower()
        if row.outcome == Outcome.NEW:
            user = User(username=email)
            user.set_unusable_password()
        else:
            user = apprentice.user
        user.first_name = record["given_name"]
        user.last_name = record["family_name"]
        user.email = email
        user.save()
        if row.outcome == Outcome.NEW:
            welcomed.append(user)
        apprentice.user = user
        apprentice.save()
        row.apprentice_id = apprentice.pk
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=user.pk, group_id=group.pk) for user in welcomed]
    )
    for user in welcomed:
        accounts.send_set_password_email(user)
    return result


# --- uploads: a file checked, previewed and confirmed (views and the worker) -------------


def inline_rows() -> int:
    """Files with more apprentices than this are checked and applied in the worker."""
    return int(settings.PSP_ONBOARDING_INLINE_ROWS)


def batch_records(batch: OnboardingBatch) -> list[Record]:
    records, _ = read_csv(batch.content.encode())
    return records


@transaction.atomic
def start_batch(
    provider: Organisation, *, by: User, filename: str, data: bytes
) -> tuple[OnboardingBatch | None, list[str]]:
    """Keep an uploaded file and check it: here for a small file, in the worker for a large
    one. A file that cannot be read is not kept; the problems say what to fix."""
    records, problems = read_csv(data)
    if problems:
        return None, problems
    batch = OnboardingBatch.objects.create(
        provider=provider,
        uploaded_by=by,
        filename=filename[:200],
        content=data.decode("utf-8-sig"),
        sha256=hashlib.sha256(data).hexdigest(),
        rows_total=len(records),
    )
    if len(records) <= inline_rows():
        check_batch(batch, records=records)
    else:
        outbox.queue_after_commit("apprentices.tasks.check_onboarding", batch.pk)
    return batch, []


def status_of(batch: OnboardingBatch) -> WorkStatus:
    """Where a batch is, for its page (templates/includes/work_pending.html while pending)."""
    Status = OnboardingBatch.Status
    doing = "Checked" if batch.status == Status.CHECKING else "Applying:"
    return WorkStatus(
        state=batch.status,
        pending=batch.status in (Status.CHECKING, Status.APPLYING),
        url=batch.get_absolute_url(),
        message=f"{doing} {batch.rows_checked} of {batch.rows_total} rows. A large file is "
        "handled in the background; you can leave this page and come back.",
    )


def check_batch(batch: OnboardingBatch, *, records: list[Record] | None = None) -> None:
    """Plan the batch's records and keep the preview, saying how far it got as it goes."""
    records = batch_records(batch) if records is None else records

    def progress(count: int) -> None:
        OnboardingBatch.objects.filter(pk=batch.pk).update(rows_checked=count)

    result = plan(records, provider=batch.provider, progress=progress)
    batch.preview = result.to_json()
    batch.rows_checked = batch.rows_total
    batch.status = OnboardingBatch.Status.READY
    batch.save(update_fields=["preview", "rows_checked", "status"])


def confirm_batch(batch: OnboardingBatch, *, by: User, new_employers: Iterable[str]) -> bool:
    """Apply a previewed batch: here for a small one (True when done), in the worker for a
    large one (False: it is being applied). OnboardingError says why nothing was changed."""
    if batch.status != OnboardingBatch.Status.READY:
        raise OnboardingError(
            f"This upload is {batch.get_status_display().lower()}, so it cannot be confirmed"
        )
    batch.new_employers_confirmed = list(new_employers)
    batch.applied_by = by
    if batch.rows_total > inline_rows():
        batch.status = OnboardingBatch.Status.APPLYING
        batch.rows_checked = 0
        batch.save(
            update_fields=["new_employers_confirmed", "applied_by", "status", "rows_checked"]
        )
        outbox.queue_after_commit("apprentices.tasks.apply_onboarding", batch.pk)
        return False
    apply_batch(batch)
    return True


def apply_batch(batch: OnboardingBatch) -> None:
    """Apply the batch in one transaction; on refusal, keep a fresh preview saying why."""
    records = batch_records(batch)
    assert batch.applied_by is not None
    try:
        result = apply(
            records,
            provider=batch.provider,
            by=batch.applied_by,
            new_employers_confirmed=batch.new_employers_confirmed,
        )
    except (OnboardingError, IntegrityError) as error:
        fresh = plan(records, provider=batch.provider)
        batch.preview = fresh.to_json()
        batch.status = OnboardingBatch.Status.READY
        batch.rows_checked = batch.rows_total
        batch.error = (
            str(error)
            if isinstance(error, OnboardingError)
            else "psp changed while this was applied (someone added one of these apprentices "
            "at the same time). Nothing was changed: check the preview again"
        )
        batch.save(update_fields=["preview", "status", "rows_checked", "error"])
        raise OnboardingError(batch.error) from error
    batch.preview = result.to_json()
    batch.status = OnboardingBatch.Status.APPLIED
    batch.applied_at = timezone.now()
    batch.content = ""
    batch.rows_checked = batch.rows_total
    batch.error = ""
    batch.save()


def discard_batch(batch: OnboardingBatch) -> None:
    if not batch.is_open:
        raise OnboardingError(
            f"This upload is {batch.get_status_display().lower()}, so it cannot be discarded"
        )
    batch.status = OnboardingBatch.Status.DISCARDED
    batch.content = ""
    batch.save(update_fields=["status", "content"])
