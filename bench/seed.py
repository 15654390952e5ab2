"""Seed the bench database: demo accounts, then a realistic volume, inserted in bulk.

    python -m bench.seed [--reseed]

5 training providers, 10 employers, 200 apprentices on ST0494 v1.0 with 500 evidence items
each (100,000): a realistic status mix, each item mapped to 2-4 KSBs, with one file record
and one or two history events. The demo `provider` account works for a provider with 40 of
the apprentices, the demo `employer` for an employer with 20, and the demo `apprentice`
account is one of the 200. A marker table records a finished seed, so later runs skip it.

Organisations, users and apprentices are made with bulk_create; the 690,000 portfolio rows
with insert_rows(), which skips the ORM's per-value work (see there). None of it goes
through the workflow functions, so no row gets the checks those make: the data is built
to satisfy the models' constraints, which the database enforces.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import hashlib
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from bench import config

config.setup_django()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.color import no_style  # noqa: E402
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction  # noqa: E402
from django.db.models import Field, Max, Model  # noqa: E402
from django.utils import timezone  # noqa: E402

from apprentices import tallies  # noqa: E402
from apprentices.models import (  # noqa: E402
    Apprentice,
    Evidence,
    EvidenceEvent,
    EvidenceFile,
    EvidenceKSB,
    complete_uln,
)
from demo.seeding import (  # noqa: E402
    DEMO_PDF,
    seed_demo_epa,
    seed_demo_portfolios,
    seed_demo_progress,
)
from psp.demo_accounts import seed_demo  # noqa: E402
from psp.models import Organisation, User  # noqa: E402
from psp.roles import Role  # noqa: E402
from standards.models import KSB, StandardVersion  # noqa: E402
from standards.reference_data import load_reference_data  # noqa: E402

SEED_VERSION = 2  # bump when the seeded data changes, so old bench databases are reseeded
MARKER_TABLE = "bench_seed"
APPRENTICES = 200
EVIDENCE_PER_APPRENTICE = 500
REAL_FILES = 3  # the demo apprentice's newest items get real file bytes, for download checks

PORTFOLIO_MODELS: list[type[Model]] = [Evidence, EvidenceKSB, EvidenceFile, EvidenceEvent]
Status = Evidence.Status
EVIDENCE_TYPES = Evidence.Type.values
STATUS_MIX = {  # share of each apprentice's items, in percent
    Status.ACCEPTED: 60,
    Status.SUBMITTED: 15,
    Status.CHANGES_REQUESTED: 10,
    Status.DRAFT: 10,
    Status.WITHDRAWN: 5,
}
PROVIDERS = [
    "Riverside Justice Training (bench)",
    "Pennine Skills College (bench)",
    "Harbourline Learning (bench)",
    "Cathedral City Training (bench)",
]  # plus the demo provider
EMPLOYERS = [
    f"{place} Probation Delivery Unit (bench)"
    for place in (
        "Westbrook",
        "Millford",
        "Ashcombe",
        "Northfleet",
        "Coldharbour",
        "Redgate",
        "Stonebridge",
        "Kingsmere",
        "Larkhill",
    )
]  # plus the demo employer
FIRST_NAMES = [
    "Aisha",
    "Ben",
    "Chloe",
    "Dev",
    "Erin",
    "Femi",
    "Grace",
    "Hamza",
    "Isla",
    "Jack",
    "Kiran",
    "Leah",
    "Mo",
    "Nia",
    "Owen",
    "Pooja",
    "Quinn",
    "Rosa",
    "Tariq",
    "Zoe",
]
LAST_NAMES = [
    "Ahmed",
    "Brooks",
    "Campbell",
    "Davies",
    "Evans",
    "Fraser",
    "Gill",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Murphy",
    "Nowak",
    "Osei",
    "Patel",
    "Quinn",
    "Roberts",
    "Singh",
    "Taylor",
]
TITLES = [
    "Anonymised pre-sentence report",
    "Risk assessment and risk management plan",
    "Reflective account of a supervision session",
    "Witness testimony from my practice supervisor",
    "Observation of a three-way meeting",
    "Sentence plan review",
    "Safeguarding referral notes",
    "Professional discussion on desistance",
    "Case recording audit",
    "Breach report",
    "Multi-agency public protection meeting notes",
    "Home visit reflection",
    "Induction appointment record",
    "Court duty log",
    "Unpaid work assessment",
    "Domestic abuse enquiry summary",
]
REFLECTIONS = [
    "I prepared this with guidance from my practice supervisor. It shows how I gathered "
    "information from several sources, weighed it and reached a proposal I could defend. "
    "Next time I would check the accommodation details earlier.",
    "This account describes what happened, what I did and why, and what I learned about "
    "keeping the person's motivation in view while managing risk. I have removed names "
    "and other details that could identify anyone.",
    "My supervisor observed the session and wrote the testimony. It shows that I explained "
    "the licence conditions clearly, checked understanding and recorded the outcome the "
    "same day, as the policy requires.",
]
REVIEW_COMMENTS = {
    Status.ACCEPTED: ["Clear and well anonymised.", "Good evidence of your reasoning."],
    Status.CHANGES_REQUESTED: [
        "Say more about your own part in the meeting.",
        "Link the reflection to the KSBs you mapped.",
        "Remove the initials in paragraph two.",
    ],
}
FILE_KINDS = [
    ("pdf", "application/pdf"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("txt", "text/plain"),
    ("jpg", "image/jpeg"),
]


def real_file_bytes(number: int) -> bytes:
    """A small valid PDF, different for each number: the few files that exist on disk."""
    return DEMO_PDF.replace(b"trailer", f"% bench file {number}\ntrailer".encode())


@dataclass(frozen=True)
class SeedInfo:
    seconds: float
    seeded_at: str
    skipped: bool


def seed(*, reseed: bool = False) -> SeedInfo:
    """Seed the bench database unless it already holds this version of the data."""
    config.create_database()
    marker = None if reseed else _read_marker()
    if marker is not None:
        call_command("migrate", interactive=False, verbosity=0)
        print(f"Bench database already seeded on {marker.seeded_at}; use --reseed to redo it")
        return marker
    started = time.perf_counter()
    disconnect()
    config.drop_database()
    config.create_database()
    call_command("migrate", interactive=False, verbosity=0)
    load_reference_data()
    demo_users = seed_demo()
    prepared = time.perf_counter()
    counts = seed_volume({user.username: user for user in demo_users})
    seed_epa_pages(demo_users)
    _analyze()
    seconds = time.perf_counter() - started
    info = SeedInfo(round(seconds, 1), timezone.now().isoformat(timespec="seconds"), False)
    _write_marker(info)
    print(
        f"Seeded {counts} in {seconds:.1f} s ({prepared - started:.1f} s migrations, "
        f"reference data and demo accounts; {seconds - (prepared - started):.1f} s volume)"
    )
    return info


def _analyze() -> None:
    """PostgreSQL plans by table statistics, which autovacuum would update some time after a
    bulk load; without them its plans for this volume are badly wrong (the portfolio query
    took 290 ms instead of 22). VACUUM also sets the visibility map, as autovacuum would,
    without which no index-only scan pays (the provider's count of evidence awaiting review:
    18-84 ms instead of 1-8). SQLite keeps no statistics unless asked, as in production, so
    it is left as it is."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def disconnect() -> None:
    """Close this process's connections, and its PostgreSQL pool, before a database goes."""
    for database in connections.all():
        database.close()
        if hasattr(database, "close_pool"):
            database.close_pool()


def _read_marker() -> SeedInfo | None:
    if MARKER_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT seeded_at, seconds FROM {MARKER_TABLE} WHERE version = %s", [SEED_VERSION]
        )
        row = cursor.fetchone()
    return SeedInfo(seconds=row[1], seeded_at=row[0], skipped=True) if row else None


def _write_marker(info: SeedInfo) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} "
            "(version integer NOT NULL, seeded_at varchar(40) NOT NULL, "
            "seconds double precision NOT NULL)"
        )
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (version, seeded_at, seconds) VALUES (%s, %s, %s)",
            [SEED_VERSION, info.seeded_at, info.seconds],
        )


@transaction.atomic
def seed_volume(demo: dict[str, User]) -> str:
    """Organisations, staff, apprentices and their portfolios; returns what it made."""
    rng = random.Random(494)
    version = StandardVersion.objects.get(standard__reference="ST0494", version="1.0")
    ksbs = list(version.ksbs.in_standard_order())
    providers = [_organisation_of(demo["provider"]), *_organisations(PROVIDERS, "provider")]
    employers = [_organisation_of(demo["employer"]), *_organisations(EMPLOYERS, "employer")]
    epao = _organisation_of(demo["assessor"])
    reviewers = [demo["provider"], *_provider_staff(providers[1:])]
    apprentices = _apprentices(rng, version, providers, employers, epao, demo["apprentice"])
    reviewer_of = dict(zip((p.pk for p in providers), reviewers, strict=True))
    first_id = (Evidence.objects.aggregate(last=Max("id"))["last"] or 0) + 1
    totals = [0, 0, 0, 0]
    with triggers_suspended(PORTFOLIO_MODELS):
        for number, apprentice in enumerate(apprentices):
            made = _portfolio(
                rng,
                apprentice,
                first_id=first_id + number * EVIDENCE_PER_APPRENTICE,
                reviewer=reviewer_of[apprentice.training_provider_id],
                ksbs=ksbs,
                real_files=REAL_FILES if apprentice.user_id == demo["apprentice"].pk else 0,
            )
            totals = [a + b for a, b in zip(totals, made, strict=True)]
    tallies.rebuild()  # their triggers were suspended too
    _reset_sequences(Evidence)
    evidence, mappings, files, events = totals
    return (
        f"{len(apprentices)} apprentices, {evidence:,} evidence items, {mappings:,} KSB "
        f"mappings, {files:,} files and {events:,} events"
    )


def seed_epa_pages(demo_users: list[User]) -> None:
    """The demo's own apprentices (demo/) beside the volume, through the workflow: off-the-job
    logs, gateways, EPAs with a method to grade, and a report the provider asked for, so the
    bench can open those pages."""
    from reports.building import request_report

    seed_demo_portfolios(demo_users)
    seed_demo_epa(demo_users)
    seed_demo_progress(demo_users)
    provider = next(user for user in demo_users if user.username == "provider")
    request_report(Apprentice.objects.get(user__username="apprentice"), requested_by=provider)


@contextlib.contextmanager
def triggers_suspended(models: list[type[Model]]) -> Iterator[None]:
    """The tables' own triggers do not fire for the rows inserted meanwhile, and are back,
    unchanged, afterwards. psp.audit's write an audit entry for every row and hash it into
    the chain, which made this seed four times slower: so the seeded portfolio has no audit
    trail; what the benchmark itself changes has one. apprentices.tallies' recount each
    inserted mapping's KSB: the caller rebuilds the tallies once at the end instead."""
    quote = connection.ops.quote_name
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Not ALTER TABLE ... DISABLE TRIGGER: psp.audit's event trigger refuses that on
            # audited tables. In the replica role (a superuser's setting, for this session
            # only) no ordinary trigger fires, the foreign key checks included: the seed
            # writes consistent rows.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET session_replication_role = replica")
            try:
                yield
            finally:
                cursor.execute("SET session_replication_role = DEFAULT")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            return
        placeholders = ", ".join(["%s"] * len(tables))
        cursor.execute(
            "SELECT name, sql FROM sqlite_master "
            f"WHERE type = 'trigger' AND tbl_name IN ({placeholders})",
            tables,
        )
        saved = cursor.fetchall()
        for name, _sql in saved:
            cursor.execute(f"DROP TRIGGER {quote(name)}")
        try:
            yield
        finally:
            for _name, sql in saved:
                cursor.execute(sql)


def _organisation_of(user: User) -> Organisation:
    assert user.organisation is not None, "seed_demo() gives staff accounts an organisation"
    return user.organisation


def _organisations(names: list[str], kind: str) -> list[Organisation]:
    return Organisation.objects.bulk_create(Organisation(name=name, kind=kind) for name in names)


def _provider_staff(providers: list[Organisation]) -> list[User]:
    staff = User.objects.bulk_create(
        User(
            username=f"reviewer{number}@example.org",
            email=f"reviewer{number}@example.org",
            first_name="Reviewer",
            last_name=str(number),
            organisation=provider,
            password=make_password(None),
        )
        for number, provider in enumerate(providers, start=1)
    )
    _join_group(staff, Role.PROVIDER)
    return staff


def _join_group(users: list[User], role: Role) -> None:
    group = Group.objects.get(name=role.label)
    Membership: Any = User.groups.through
    Membership.objects.bulk_create(Membership(user_id=user.pk, group_id=group.pk) for user in users)


def _valid_ulns() -> list[str]:
    ulns: list[str] = []
    base = 300_000_000
    while len(ulns) < APPRENTICES:
        base += 1
        try:
            ulns.append(complete_uln(str(base)))
        except ValueError:
            continue
    return ulns


def _apprentices(
    rng: random.Random,
    version: StandardVersion,
    providers: list[Organisation],
    employers: list[Organisation],
    epao: Organisation,
    demo_user: User,
) -> list[Apprentice]:
    """Apprentice number i trains with provider i % 5 and works for employer (i // 5) % 10,
    so each provider has 40 apprentices across all employers; number 0 is the demo account."""
    names = [(rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)) for _ in range(1, APPRENTICES)]
    users = User.objects.bulk_create(
        User(
            username=f"{first}.{last}.{number}@example.org".lower(),
            email=f"{first}.{last}.{number}@example.org".lower(),
            first_name=first,
            last_name=last,
            password=make_password(None),
        )
        for number, (first, last) in enumerate(names, start=1)
    )
    _join_group(users, Role.APPRENTICE)
    earliest = datetime.date(2022, 9, 1)
    latest = version.latest_start_date or datetime.date(2024, 7, 15)
    statuses = Apprentice.Status
    apprentices = []
    for number, (user, uln) in enumerate(zip([demo_user, *users], _valid_ulns(), strict=True)):
        start = earliest + datetime.timedelta(days=rng.randrange((latest - earliest).days))
        status = (
            statuses.ON_PROGRAMME
            if number == 0
            else rng.choices(
                [
                    statuses.ON_PROGRAMME,
                    statuses.BREAK_IN_LEARNING,
                    statuses.AT_GATEWAY,
                    statuses.IN_EPA,
                    statuses.COMPLETED,
                ],
                weights=[80, 5, 7, 5, 3],
            )[0]
        )
        apprentices.append(
            Apprentice(
                user=user,
                uln=uln,
                standard_version=version,
                start_date=start,
                planned_gateway_date=start + datetime.timedelta(days=548),
                employer=employers[(number // len(providers)) % len(employers)],
                training_provider=providers[number % len(providers)],
                epao=epao if status != statuses.ON_PROGRAMME or rng.random() < 0.5 else None,
                status=status,
            )
        )
    # The volume's statuses from gateway on stand for apprentices whose gateway and EPA the
    # bench does not model (the demo's own go through the workflow: seed_epa_pages); the
    # database refuses such a status without those records (epa.progression), so its
    # triggers, and the audit trail's, are off for these rows only.
    with triggers_suspended([Apprentice]):
        return Apprentice.objects.bulk_create(apprentices)


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=datetime.UTC)


def _portfolio(
    rng: random.Random,
    apprentice: Apprentice,
    *,
    first_id: int,
    reviewer: User,
    ksbs: list[KSB],
    real_files: int,
) -> tuple[int, int, int, int]:
    """One apprentice's evidence (ids from first_id) with its mappings, files and events."""
    today = timezone.localdate()
    first_day = apprentice.start_date
    # Activities end ten days ago at the latest, so submissions and reviews are in the past.
    last_day = min(today - datetime.timedelta(days=10), apprentice.planned_gateway_date)
    days = max((last_day - first_day).days, 1)
    statuses = [
        status
        for status, percent in STATUS_MIX.items()
        for _ in range(round(percent * EVIDENCE_PER_APPRENTICE / 100))
    ]
    rng.shuffle(statuses)
    # Most apprentices have not yet shown a few KSBs: the heatmap has gaps.
    own_ksbs = rng.sample(ksbs, len(ksbs) - rng.choice([0, 0, 1, 2, 3, 5]))
    evidence = []
    for number, status in enumerate(statuses):
        day = first_day + datetime.timedelta(days=rng.randrange(days))
        submissions = 0 if status == Status.DRAFT else rng.choice([1, 1, 1, 2])
        if status == Status.WITHDRAWN:
            submissions = rng.choice([0, 1])
        reviewed = status in (Status.ACCEPTED, Status.CHANGES_REQUESTED)
        evidence.append(
            {
                "id": first_id + number,
                "apprentice_id": apprentice.pk,
                "title": f"{rng.choice(TITLES)} {rng.randrange(1, 40)}",
                "activity_date": day,
                "evidence_type": rng.choice(EVIDENCE_TYPES),
                "reflection": rng.choice(REFLECTIONS),
                "status": status.value,
                "personal_data_removed": status != Status.DRAFT or rng.random() < 0.5,
                "submission_count": submissions,
                "submitted_at": _at(day + datetime.timedelta(days=2), 9) if submissions else None,
                "reviewed_at": _at(day + datetime.timedelta(days=9), 14) if reviewed else None,
                "reviewed_by_id": reviewer.pk if reviewed else None,
                "review_comment": rng.choice(REVIEW_COMMENTS[status]) if reviewed else "",
                "returned_for_personal_data": status == Status.CHANGES_REQUESTED
                and rng.random() < 0.2,
            }
        )
    mappings = [
        {
            "evidence_id": item["id"],
            "ksb_id": ksb.pk,
            "note": "" if rng.random() < 0.3 else f"Shown in the {rng.choice(TITLES).lower()}",
        }
        for item in evidence
        for ksb in rng.sample(own_ksbs, rng.randint(2, 4))
    ]
    newest = sorted(evidence, key=lambda item: (item["activity_date"], item["id"]), reverse=True)
    real = {item["id"]: real_file_bytes(n) for n, item in enumerate(newest[:real_files])}
    files = [_file_row(rng, item, apprentice.user_id, real.get(item["id"])) for item in evidence]
    events = [event for item in evidence for event in _events(item, apprentice.user_id, reviewer)]
    for model, rows in zip(PORTFOLIO_MODELS, (evidence, mappings, files, events), strict=True):
        insert_rows(model, rows)
    return len(evidence), len(mappings), len(files), len(events)


def _file_row(
    rng: random.Random, item: dict[str, Any], user_id: int, content: bytes | None
) -> dict[str, Any]:
    """The item's file record; given content, the file is also written where it would be."""
    if content is None:
        extension, content_type = rng.choice(FILE_KINDS)
        sha256 = hashlib.sha256(f"bench evidence {item['id']}".encode()).hexdigest()
        size = rng.randrange(20_000, 5_000_000)
    else:
        extension, content_type = "pdf", "application/pdf"
        sha256 = hashlib.sha256(content).hexdigest()
        size = len(content)
    name = f"evidence/{item['apprentice_id']}/{sha256[:2]}/{sha256}"
    if content is not None:
        path = config.MEDIA_DIR / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return {
        "evidence_id": item["id"],
        "file": name,
        "original_name": f"{item['title']}.{extension}",
        "content_type": content_type,
        "size": size,
        "sha256": sha256,
        "uploaded_by_id": user_id,
        "uploaded_at": _at(item["activity_date"], 17),
    }


def _events(item: dict[str, Any], user_id: int, reviewer: User) -> list[dict[str, Any]]:
    """Created, then the move into the item's present status (if it left draft)."""
    Action = EvidenceEvent.Action
    created = {
        "evidence_id": item["id"],
        "actor_id": user_id,
        "action": Action.CREATED.value,
        "at": _at(item["activity_date"], 18),
        "changes": {"title": [None, item["title"]]},
    }
    status = item["status"]
    if status == Status.DRAFT:
        return [created]
    if status in (Status.ACCEPTED, Status.CHANGES_REQUESTED):
        actor_id, at, before = reviewer.pk, item["reviewed_at"], Status.SUBMITTED
    elif status == Status.SUBMITTED:
        actor_id, at = user_id, item["submitted_at"]
        before = Status.CHANGES_REQUESTED if item["submission_count"] > 1 else Status.DRAFT
    else:  # withdrawn
        actor_id, at = user_id, _at(item["activity_date"] + datetime.timedelta(days=20), 10)
        before = Status.SUBMITTED if item["submission_count"] else Status.DRAFT
    moved = {
        "evidence_id": item["id"],
        "actor_id": actor_id,
        "action": status,  # each status has the action of the same name
        "at": at,
        "comment": item["review_comment"],
        "changes": {"status": [before.value, status]},
    }
    return [created, moved]


def insert_rows(model: type[Model], rows: list[dict[str, Any]]) -> None:
    """INSERT rows (attribute name -> value), many per statement, filling in field defaults
    and auto_now values as Django would.

    bulk_create prepares every value through the field API (~40 µs a row on this machine),
    which made this seed take 100 s on SQLite; plain parameters with cached date conversion
    take a third of that.
    """
    if not rows:
        return
    now = timezone.now()
    fields = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key or field.attname in rows[0]
    ]
    columns = []
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            default: Any = now
        else:
            default = field.get_default()  # "" for text without a default, None if null
        columns.append((field.attname, default, _preparer(field)))
    params = [
        [
            row.get(name, default) if prepare is None else prepare(row.get(name, default))
            for name, default, prepare in columns
        ]
        for row in rows
    ]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(cast(str, field.column)) for field in fields)  # concrete: set
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # sqlite3 runs executemany() as one prepared statement: the fastest way in.
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", params)
            return
        # PostgreSQL (the other database psp runs on): COPY. Django's psycopg cursor runs
        # executemany() as a round trip a row, and big multi-row INSERTs parse slowly.
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in params:
                copy.write_row(row)


def _preparer(field: Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How a value becomes a query parameter, if it is not one already: dates through the
    backend's conversion (cached: the seed has a few thousand distinct ones), JSON encoded."""
    database = connections[DEFAULT_DB_ALIAS]
    if isinstance(field, models.DateField):  # and DateTimeField
        return functools.lru_cache(maxsize=None)(
            functools.partial(field.get_db_prep_save, connection=database)
        )
    if isinstance(field, models.JSONField):
        return functools.partial(database.ops.adapt_json_value, encoder=field.encoder)
    return None


def _reset_sequences(*seeded: type[Model]) -> None:
    """After rows with explicit ids, PostgreSQL's sequences must move past them."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(seeded)):
            cursor.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reseed", action="store_true", help="drop the bench data and seed again")
    seed(reseed=parser.parse_args().reseed)


if __name__ == "__main__":
    main()
