"""The audit trail: who changed what, when, before and after, and from where.

How it works:
- Database triggers on the audited tables write an AuditEntry for every insert, update
  and delete, whatever made it (the ORM, a bulk update, raw SQL). They read who is acting
  from the audit context: on PostgreSQL a connection setting (`psp.context`) set just
  before the first write of a request; on SQLite a Python function (`psp_audit_context()`)
  registered on each connection.
- Events that change no row (downloads, sign-ins) are logged with `log_event`.
- Another trigger chains every entry to the one before. The personal content of an entry
  (the actor's name, their address, summary, before and after) is reduced to a digest,
  content_hash = SHA-256 of the SHA-256s of those five columns in that order; the payload
  is the rest of the entry (id, time, actor id, source, action, object) and that digest as
  JSON text, made by the database; and hash = SHA-256(previous hash + payload).
  The database refuses updates and deletes of entries. `verify_chain` (the `verify_audit`
  command) recomputes the chain and reports a removed or altered entry.
- Erasure and retention must remove personal data from the trail too. `redact` blanks the
  content of the entries about someone and keeps their digests, so the chain still
  verifies; it records who redacted which entries, when and why, as an entry of its own.
  The database lets through only that change (content blanked, everything else kept,
  pointing at the redaction entry named in the transaction by `redact`). `verify_chain`
  accepts blank content only for an entry listed by its redaction entry.
"""

from __future__ import annotations

import contextvars
import datetime
import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Model, Q, QuerySet, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, NullIf
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from psp import triggers
from psp.models import AuditEntry, User

logger = logging.getLogger(__name__)

# Tables whose every change is recorded: psp's here, each other app's added by
# register_audited() from its AppConfig.ready(), before any migrate installs the triggers
# (install_triggers, after every migrate).
AUDITED_TABLES = [
    "psp_user",
    "psp_user_groups",
    "psp_organisation",
    "auth_group_permissions",
]
# Columns never copied into the trail.
SECRET_COLUMNS = {"password", "pack", "payload"}
PAGE_SIZE = 50  # audit entries a page of history shows (audit_page=2 and on for older ones)
_CHAIN_LOCK = 770_494

APPEND_ONLY = "The audit trail is append-only: entries cannot be changed or deleted"
NO_TRUNCATE = "Audited tables cannot be truncated: delete rows instead, so each is recorded"
NO_DDL = (
    "The audit trail (its table, triggers and functions) cannot be altered or dropped "
    "(a superuser must disable the event trigger psp_audit_ddl_guard first: docs/security.md)"
)
# Only the test suite's database flush may empty the trail (see tests/conftest.py). On
# PostgreSQL that is also only ever let through in a database whose name starts "test_".
ALLOW_PURGE = False

# The personal content of an entry, in the order its digest covers it.
CONTENT_FIELDS = ("actor_label", "ip", "summary", "before", "after")
# The rest of the entry, signed in its payload.
_HEADER_FIELDS = ("id", "at", "actor_id", "source", "action", "object_type", "object_id")
REDACT = "redact"

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "psp_audit_context", default=None
)
# The redaction entry whose redactions the database lets through, while redact() runs.
_redaction: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "psp_audit_redaction", default=None
)


def register_audited(*tables: str) -> None:
    """Record every change to these tables in the trail (an app's own tables)."""
    AUDITED_TABLES.extend(table for table in tables if table not in AUDITED_TABLES)


def current_context() -> dict[str, Any]:
    return _context.get() or {}


@contextmanager
def acting_as(user: User | None = None, *, ip: str = "", label: str = "") -> Iterator[None]:
    """Attribute the database changes made inside the block to this user and address."""
    value = {
        "actor_id": getattr(user, "pk", None),
        "actor_label": label or (str(user) if user is not None else ""),
        "ip": ip,
    }
    token = _context.set(value)
    if connection.vendor == "postgresql":
        # Inside another block that already wrote: the next write says who acts now.
        connection._psp_audit_set = False  # type: ignore[attr-defined]
    try:
        yield
    finally:
        _context.reset(token)
        if connection.vendor == "postgresql" and getattr(connection, "_psp_audit_set", False):
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('psp.context', '', false)")
            connection._psp_audit_set = False  # type: ignore[attr-defined]


def postgres_context_wrapper(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """Before the first write on a PostgreSQL connection, tell the triggers who is acting."""
    conn = context["connection"]
    if (
        _context.get()
        and not getattr(conn, "_psp_audit_set", False)
        and sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE")
    ):
        conn._psp_audit_set = True
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('psp.context', %s, false)", [json.dumps(_context.get())]
            )
    return execute(sql, params, many, context)


def log_event(
    action: str, obj: Model, *, by: User | None = None, summary: str = "", ip: str = ""
) -> None:
    """Record an event that changes no row, such as a download."""
    context = current_context()
    AuditEntry.objects.create(
        actor_id=getattr(by, "pk", None) or context.get("actor_id"),
        actor_label=str(by) if by is not None else context.get("actor_label", ""),
        ip=ip or context.get("ip", ""),
        source="app",
        action=action,
        object_type=obj._meta.db_table,
        object_id=str(obj.pk),
        summary=summary,
    )


def history_for(obj: Model, *related: tuple[str, list[Any]]) -> Any:
    """Audit entries of an object, newest first (plus rows of related tables, e.g. files)."""
    query = Q(object_type=obj._meta.db_table, object_id=str(obj.pk))
    for table, ids in related:
        query |= Q(object_type=table, object_id__in=[str(i) for i in ids])
    return AuditEntry.objects.filter(query).order_by("-id")


# --- redaction ------------------------------------------------------------------------


def row_ids(table: str, column: str, values: list[Any] | set[Any]) -> set[str]:
    """Ids of the rows of an audited table that had one of these values in a column, in
    any entry (so rows deleted since are found too), e.g. every evidence an apprentice
    ever had: row_ids("apprentices_evidence", "apprentice_id", [apprentice.pk])."""
    if not values:
        return set()
    wanted = [str(value) for value in values]

    def value_in(content: str) -> Cast:
        row = Cast(NullIf(F(content), Value("")), models.JSONField())
        return Cast(KeyTextTransform(column, row), models.TextField())  # compared as text

    return set(
        AuditEntry.objects.filter(object_type=table, source="db")
        .annotate(value_before=value_in("before"), value_after=value_in("after"))
        .filter(Q(value_before__in=wanted) | Q(value_after__in=wanted))
        .order_by()
        .values_list("object_id", flat=True)
        .distinct()
    )


@contextmanager
def _redacting(redaction_id: int) -> Iterator[None]:
    """Let the database through the redactions made by this redaction entry. On
    PostgreSQL the setting is local to the transaction (or savepoint): a failed redaction
    rolls it back with everything else."""
    token = _redaction.set(redaction_id)
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('psp.redaction', %s, true)", [str(redaction_id)])
        yield
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('psp.redaction', '', true)")
    finally:
        _redaction.reset(token)


@transaction.atomic
def redact(entries: QuerySet[AuditEntry], subject: Model, *, by: User | None, reason: str) -> int:
    """Remove the personal content of these entries: the actor's name and address, the
    summary, before and after. Their digests stay, so the chain still verifies, and so do
    when, who (by id), what and which row. The redaction is recorded as an entry about
    `subject` saying who, why and which entries. Returns how many entries were redacted
    (redaction entries themselves never are)."""
    ids = list(
        entries.filter(redaction__isnull=True)
        .exclude(action=REDACT)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if not ids:
        return 0
    context = current_context()
    record = AuditEntry.objects.create(
        actor_id=getattr(by, "pk", None) or context.get("actor_id"),
        actor_label=str(by) if by is not None else context.get("actor_label", ""),
        ip=context.get("ip", ""),
        source="app",
        action=REDACT,
        object_type=subject._meta.db_table,
        object_id=str(subject.pk),
        summary=f"Personal data removed from {len(ids)} audit entries: {reason}",
        after=json.dumps({"entries": ids}),
    )
    blank = dict.fromkeys(CONTENT_FIELDS, "")
    with _redacting(record.pk):
        for start in range(0, len(ids), 1000):
            AuditEntry.objects.filter(id__in=ids[start : start + 1000]).update(
                redaction_id=record.pk, **blank
            )
    return len(ids)


# --- verifying ------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    message: str


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def entry_hash(prev_hash: str, payload: str) -> str:
    return sha256(prev_hash + payload)


def content_digest(content: tuple[str, ...] | list[str]) -> str:
    """The digest of an entry's personal content (CONTENT_FIELDS, in order), as the
    database computes it."""
    return sha256("".join(sha256(value or "") for value in content))


def _redacted_by() -> dict[int, set[int]]:
    """The entries each redaction entry lists as redacted."""
    listed: dict[int, set[int]] = {}
    for entry_id, after in AuditEntry.objects.filter(action=REDACT).values_list("id", "after"):
        try:
            listed[entry_id] = {int(i) for i in json.loads(after)["entries"]}
        except (ValueError, TypeError, KeyError):
            listed[entry_id] = set()  # its own check reports the altered content
    return listed


def _same_moment(signed: Any, at: Any) -> bool:
    moment = parse_datetime(signed) if isinstance(signed, str) else None
    if moment is None or at is None:
        return False
    if timezone.is_naive(moment):  # SQLite keeps UTC without an offset
        moment = moment.replace(tzinfo=datetime.UTC)
    return bool(moment == at)


def _check_entry(row: dict[str, Any], listed: dict[int, set[int]]) -> list[str]:
    """What is wrong with one entry, its link to the one before aside."""
    problems = []
    if entry_hash(row["prev_hash"], row["payload"]) != row["hash"]:
        problems.append("its content does not match its hash")
    content = tuple(row[name] for name in CONTENT_FIELDS)
    if content_digest(content) != row["content_hash"]:
        redacted = (
            not any(content)
            and row["redaction_id"] is not None
            and row["id"] in listed.get(row["redaction_id"], set())
        )
        if not redacted:
            problems.append(
                "its content was removed outside a redaction"
                if not any(content)
                else "its content does not match its digest"
            )
    try:
        signed = json.loads(row["payload"])
        if not isinstance(signed, dict):
            raise ValueError
    except ValueError:
        return [*problems, "its payload is not valid JSON"]
    names = (*_HEADER_FIELDS[:1], *_HEADER_FIELDS[2:], "content_hash")
    stored = tuple(None if row[n] is None else str(row[n]) for n in names)
    given = tuple(None if signed.get(n) is None else str(signed.get(n)) for n in names)
    if stored != given or not _same_moment(signed.get("at"), row["at"]):
        problems.append("its columns differ from its payload")
    if "problem_before_reseal" in signed:
        problems.append(f"before the chain was resealed, {signed['problem_before_reseal']}")
    return problems


def verify_chain(
    batch: int = 5000, *, after: int = 0, previous: str = ""
) -> tuple[int, list[ChainProblem]]:
    """Recompute the chain (of the entries after entry `after`, whose hash is `previous`).
    Returns the number of entries checked and the problems found."""
    problems: list[ChainProblem] = []
    listed = _redacted_by()
    count = 0
    last_id = after
    fields = (*_HEADER_FIELDS, *CONTENT_FIELDS, "payload", "content_hash", "redaction_id")
    while True:
        rows = list(
            AuditEntry.objects.filter(id__gt=last_id)
            .order_by("id")
            .values(*fields, "prev_hash", "hash")[:batch]
        )
        if not rows:
            break
        for row in rows:
            count += 1
            last_id = row["id"]
            if row["prev_hash"] != previous:
                problems.append(
                    ChainProblem(row["id"], "the entry before it is missing or was altered")
                )
            problems += [ChainProblem(row["id"], m) for m in _check_entry(row, listed)]
            previous = row["hash"]
    return count, problems


# --- triggers -------------------------------------------------------------------------


def prepare_connection(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """SQLite triggers call back into Python for the hash and for who is acting. On
    PostgreSQL, only the test suite (ALLOW_PURGE) asks to empty its test database."""
    if connection.vendor == "postgresql" and ALLOW_PURGE:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('psp.test_purge', 'on', false)")
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function(
        "psp_sha256",
        1,
        lambda text: hashlib.sha256((text or "").encode()).hexdigest(),
        deterministic=True,
    )
    raw.create_function("psp_audit_context", 0, lambda: json.dumps(current_context()))
    raw.create_function("psp_audit_locked", 0, lambda: 0 if ALLOW_PURGE else 1)
    raw.create_function("psp_audit_redaction", 0, _redaction.get)


def _columns(using: str, table: str) -> list[str]:
    connection = connections[using]
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, table)
    return [column.name for column in description if column.name not in SECRET_COLUMNS]


def install_triggers(using: str = "default", **kwargs: Any) -> None:
    """(Re)create the audit triggers; run after every migrate, so new columns are covered."""

    def audited() -> list[str]:
        existing = triggers.tables(using)
        return [table for table in AUDITED_TABLES if table in existing]

    triggers.install(
        using,
        {
            "postgresql": lambda: _postgres_statements(using, audited()),
            "sqlite": lambda: _sqlite_statements(using, audited()),
        },
        needs=["psp_auditentry"],
    )


def _kept_unchanged(quote: Callable[[str], str] = str) -> list[str]:
    """Conditions, in SQL, that a redaction changes nothing but the content and its mark."""
    kept = (*_HEADER_FIELDS, "payload", "content_hash", "prev_hash", "hash")
    return [
        *(f"NEW.{quote(f)} IS NOT DISTINCT FROM OLD.{quote(f)}" for f in kept),
        *(f"NEW.{quote(f)} = ''" for f in CONTENT_FIELDS),
        "OLD.redaction_id IS NULL",
        f"OLD.action <> '{REDACT}'",
        "NEW.redaction_id > OLD.id",
    ]


# Functions whose names the DDL guard protects on PostgreSQL (psp_audit_guard_*).
_PROTECTED_FUNCTIONS = r"(^|\.)psp_(audit_[a-z_]+|sha256)\("
_AUDIT_TABLE = r"(^|\.)psp_auditentry$"


def _postgres_functions() -> list[tuple[str, str, str, str]]:
    """(name, signature and return type, body, language) of each function of the trail."""
    secret = ", ".join(f"'{c}'" for c in sorted(SECRET_COLUMNS))
    digest = " || ".join(f"psp_sha256(NEW.{f})" for f in CONTENT_FIELDS)
    payload = ", ".join(f"'{f}', NEW.{f}" for f in _HEADER_FIELDS)
    redaction = " AND ".join(
        [
            *_kept_unchanged(),
            "NEW.redaction_id::text = current_setting('psp.redaction', true)",
        ]
    )
    return [
        (
            "psp_sha256",
            "(text) RETURNS text",
            "\n    SELECT encode(sha256(convert_to(coalesce($1, ''), 'UTF8')), 'hex')\n",
            "sql IMMUTABLE",
        ),
        (
            # The test suite's flush, in a test database only (see ALLOW_PURGE).
            "psp_audit_maintenance",
            "() RETURNS boolean",
            "\n    SELECT current_database() LIKE 'test\\_%'"
            " AND coalesce(current_setting('psp.test_purge', true), '') = 'on'\n",
            "sql STABLE",
        ),
        (
            "psp_audit_chain",
            "() RETURNS trigger",
            f"""
DECLARE previous text;
BEGIN
    PERFORM pg_advisory_xact_lock({_CHAIN_LOCK});
    SELECT hash INTO previous FROM psp_auditentry ORDER BY id DESC LIMIT 1;
    NEW.prev_hash := coalesce(previous, '');
    NEW.content_hash := psp_sha256({digest});
    NEW.payload := jsonb_build_object({payload}, 'content_hash', NEW.content_hash)::text;
    NEW.hash := psp_sha256(NEW.prev_hash || NEW.payload);
    RETURN NEW;
END """,
            "plpgsql",
        ),
        (
            "psp_audit_refuse",
            "() RETURNS trigger",
            f"""
BEGIN
    IF TG_OP = 'UPDATE' AND ({redaction}) IS TRUE THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '{APPEND_ONLY}';
END """,
            "plpgsql",
        ),
        (
            "psp_audit_refuse_truncate",
            "() RETURNS trigger",
            f"""
BEGIN
    IF psp_audit_maintenance() THEN RETURN NULL; END IF;
    RAISE EXCEPTION '{NO_TRUNCATE}';
END """,
            "plpgsql",
        ),
        (
            "psp_audit_capture",
            "() RETURNS trigger",
            f"""
DECLARE context jsonb; old_row jsonb; new_row jsonb;
BEGIN
    context := coalesce(nullif(current_setting('psp.context', true), ''), '{{}}')::jsonb;
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD) - ARRAY[{secret}]; END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW) - ARRAY[{secret}]; END IF;
    IF TG_OP = 'UPDATE' AND old_row = new_row THEN RETURN NULL; END IF;
    INSERT INTO psp_auditentry
        (at, actor_id, actor_label, ip, source, action, object_type, object_id,
         summary, before, after, payload, content_hash, prev_hash, hash)
    VALUES
        (now(), (context ->> 'actor_id')::bigint, coalesce(context ->> 'actor_label', ''),
         coalesce(context ->> 'ip', ''), 'db', lower(TG_OP), TG_TABLE_NAME,
         coalesce(new_row ->> 'id', old_row ->> 'id', ''), '',
         coalesce(old_row::text, ''), coalesce(new_row::text, ''), '', '', '', '');
    RETURN NULL;
END """,
            "plpgsql",
        ),
        (
            # After any DDL: nothing touched the trail's table or functions, and every
            # trigger of the trail is still enabled, unconditional and calling its own.
            "psp_audit_guard_ddl",
            "() RETURNS event_trigger",
            f"""
DECLARE item record;
BEGIN
    IF psp_audit_maintenance() THEN RETURN; END IF;
    FOR item IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
        IF item.object_identity ~ '{_AUDIT_TABLE}'
           OR (item.object_type = 'function'
               AND item.object_identity ~ '{_PROTECTED_FUNCTIONS}') THEN
            RAISE EXCEPTION '{NO_DDL}';
        END IF;
    END LOOP;
    IF EXISTS (
        SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE t.tgname LIKE 'psp\\_audit\\_%'
          AND (t.tgenabled <> 'O' OR t.tgqual IS NOT NULL OR p.proname NOT LIKE 'psp\\_audit\\_%')
    ) THEN
        RAISE EXCEPTION '{NO_DDL}';
    END IF;
END """,
            "plpgsql",
        ),
        (
            "psp_audit_guard_drop",
            "() RETURNS event_trigger",
            f"""
DECLARE item record;
BEGIN
    IF psp_audit_maintenance() THEN RETURN; END IF;
    FOR item IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
        IF item.object_identity ~ '{_AUDIT_TABLE}'
           OR item.object_identity ~ ' on [a-z_]+\\.psp_auditentry$'
           OR (item.original AND item.object_type = 'trigger'
               AND item.object_identity ~ '^psp_audit_')
           OR (item.object_type = 'function'
               AND item.object_identity ~ '{_PROTECTED_FUNCTIONS}') THEN
            RAISE EXCEPTION '{NO_DDL}';
        END IF;
    END LOOP;
END """,
            "plpgsql",
        ),
    ]


def _postgres_statements(using: str, tables: list[str]) -> list[str]:
    """Create what is missing and replace what changed. Once the DDL guard is installed
    (by a superuser), changing the trail's functions or the triggers on its table is
    refused: a superuser disables the guard for that (docs/security.md)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT proname, prosrc FROM pg_proc WHERE proname LIKE 'psp\\_audit\\_%%' "
            "OR proname = 'psp_sha256'",
            [],
        )
        installed = dict(cursor.fetchall())
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
            "WHERE tgname LIKE 'psp\\_audit%%'",
            [],
        )
        present = set(cursor.fetchall())
    statements = [
        f"CREATE OR REPLACE FUNCTION {name}{signature} AS $${body}$$ LANGUAGE {language}"
        for name, signature, body, language in _postgres_functions()
        if installed.get(name) != body
    ]
    wanted = [
        ("psp_auditentry", "psp_audit_chain", "BEFORE INSERT", "ROW", "psp_audit_chain"),
        (
            "psp_auditentry",
            "psp_audit_refuse",
            "BEFORE UPDATE OR DELETE",
            "ROW",
            "psp_audit_refuse",
        ),
        *(
            (table, name, "BEFORE TRUNCATE", "STATEMENT", "psp_audit_refuse_truncate")
            for table in ["psp_auditentry", *tables]
            for name in ["psp_audit_truncate"]
        ),
        *(
            (
                table,
                "psp_audit_capture",
                "AFTER INSERT OR UPDATE OR DELETE",
                "ROW",
                "psp_audit_capture",
            )
            for table in tables
        ),
    ]
    statements += [
        f"CREATE TRIGGER {name} {when} ON {table} FOR EACH {each} EXECUTE FUNCTION {function}()"
        for table, name, when, each, function in wanted
        if (table, name) not in present
    ]
    return statements + _ddl_guard_statements(using)


def _ddl_guard_statements(using: str) -> list[str]:
    """Event triggers refusing DDL on the trail; only a superuser may create them."""
    wanted = {
        "psp_audit_ddl_guard": ("ddl_command_end", "psp_audit_guard_ddl"),
        "psp_audit_drop_guard": ("sql_drop", "psp_audit_guard_drop"),
    }
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT evtname FROM pg_event_trigger WHERE evtname LIKE 'psp\\_audit%%'", []
        )
        present = {row[0] for row in cursor.fetchall()}
        if set(wanted) <= present:
            return []
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cursor.fetchone()[0]
    if not superuser:
        logger.warning(
            "The audit trail's DDL guard is not installed: run `manage.py migrate` once as a "
            "superuser (docs/security.md, database roles)"
        )
        return []
    return [
        f"CREATE EVENT TRIGGER {name} ON {event} EXECUTE FUNCTION {function}()"
        for name, (event, function) in wanted.items()
        if name not in present
    ]


def _sqlite_statements(using: str, tables: list[str]) -> list[str]:
    # In an UPDATE, every expression sees the row as it was, so each is written out whole.
    digest = "psp_sha256(" + " || ".join(f"psp_sha256(NEW.{f})" for f in CONTENT_FIELDS) + ")"
    payload = (
        "json_object("
        + ", ".join(f"'{f}', NEW.{f}" for f in _HEADER_FIELDS)
        + f", 'content_hash', {digest})"
    )
    previous = (
        "coalesce((SELECT hash FROM psp_auditentry WHERE id < NEW.id ORDER BY id DESC LIMIT 1), '')"
    )
    redaction = " AND ".join(
        [
            *(c.replace("IS NOT DISTINCT FROM", "IS") for c in _kept_unchanged(lambda f: f'"{f}"')),
            "NEW.redaction_id = coalesce(psp_audit_redaction(), -1)",
        ]
    )
    statements = [
        "DROP TRIGGER IF EXISTS psp_audit_chain",
        f"""CREATE TRIGGER psp_audit_chain AFTER INSERT ON psp_auditentry
            BEGIN
                UPDATE psp_auditentry SET
                    prev_hash = {previous},
                    content_hash = {digest},
                    payload = {payload},
                    hash = psp_sha256({previous} || {payload})
                WHERE id = NEW.id;
            END""",
        "DROP TRIGGER IF EXISTS psp_audit_refuse_update",
        f"""CREATE TRIGGER psp_audit_refuse_update BEFORE UPDATE ON psp_auditentry
            WHEN OLD.hash <> '' AND NOT coalesce(({redaction}), 0)
            BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
        "DROP TRIGGER IF EXISTS psp_audit_refuse_delete",
        f"""CREATE TRIGGER psp_audit_refuse_delete BEFORE DELETE ON psp_auditentry
            WHEN psp_audit_locked()
            BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
    ]
    for table in tables:
        columns = _columns(using, table)

        def row(alias: str, columns: list[str] = columns) -> str:
            return "json_object(" + ", ".join(f"'{c}', {alias}.\"{c}\"" for c in columns) + ")"

        context = "psp_audit_context()"
        insert = (
            "INSERT INTO psp_auditentry (at, actor_id, actor_label, ip, source, action, "
            "object_type, object_id, summary, before, after, payload, content_hash, prev_hash, "
            "hash) VALUES ("
            "strftime('%Y-%m-%d %H:%M:%f', 'now'), "
            f"json_extract({context}, '$.actor_id'), "
            f"coalesce(json_extract({context}, '$.actor_label'), ''), "
            f"coalesce(json_extract({context}, '$.ip'), ''), 'db', '{{op}}', '{table}', "
            "{id}, '', {before}, {after}, '', '', '', '')"
        )
        changed = " OR ".join(f'OLD."{c}" IS NOT NEW."{c}"' for c in columns) or "0"
        for op, when, ident, before, after in (
            ("insert", "AFTER INSERT", "NEW.id", "''", row("NEW")),
            ("update", "AFTER UPDATE", "NEW.id", row("OLD"), row("NEW")),
            ("delete", "AFTER DELETE", "OLD.id", row("OLD"), "''"),
        ):
            name = f"psp_audit_{op}_{table}"
            guard = f" WHEN {changed}" if op == "update" else ""
            statements += [
                f"DROP TRIGGER IF EXISTS {name}",
                f"CREATE TRIGGER {name} {when} ON {table}{guard} BEGIN "
                + insert.format(op=op, id=f"CAST({ident} AS TEXT)", before=before, after=after)
                + "; END",
            ]
    return statements


class AuditContextMiddleware:
    """Attributes the database changes of each request to the signed-in user and address."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        user = request.user if request.user.is_authenticated else None
        with acting_as(user, ip=client_ip(request)):
            if connection.vendor == "postgresql":
                with connection.execute_wrapper(postgres_context_wrapper):
                    return self.get_response(request)
            return self.get_response(request)


def client_ip(request: HttpRequest) -> str:
    """The client address, as axes sees it (honouring PROXY_COUNT)."""
    from axes.helpers import get_client_ip_address

    return str(get_client_ip_address(request) or "")
