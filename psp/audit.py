"""The audit trail: who changed what, when, before and after, and from where.

How it works:
- Database triggers on the audited tables write an AuditEntry for every insert, update
  and delete, whatever made it (the ORM, a bulk update, raw SQL). They read who is acting
  from the audit context: on PostgreSQL a connection setting (`psp.context`) set just
  before the first write of a request; on SQLite a Python function (`psp_audit_context()`)
  registered on each connection.
- Events that change no row (downloads, sign-ins) are logged with `log_event`.
- Another trigger chains every entry to the one before: hash = SHA-256(previous hash +
  payload), where the payload is the entry's content as JSON text, made by the database.
  The database refuses updates and deletes of entries. `verify_chain` (the `verify_audit`
  command) recomputes the chain and reports a removed or altered entry.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

from psp.models import AuditEntry
from psp.roles import Role

# Tables whose every change is recorded, and columns never copied into the trail.
AUDITED_TABLES = [
    "apprentices_apprentice",
    "apprentices_evidence",
    "apprentices_evidenceksb",
    "apprentices_evidencefile",
    "apprentices_versionmove",
    "epa_gatewayattempt",
    "epa_gatewayitem",
    "epa_epa",
    "epa_methodassessment",
    "epa_criteriondecision",
    "epa_eparesult",
    "epa_amendment",
    "psp_user",
    "psp_user_groups",
    "psp_organisation",
    "auth_group_permissions",
    "standards_standardversion",
    "standards_standardimport",
    "standards_ksbcrosswalk",
]
SECRET_COLUMNS = {"password", "pack", "payload"}
# Staff who may read an object's audit history on its page.
HISTORY_ROLES = (Role.PROVIDER, Role.EPAO_ADMIN, Role.ADMIN)
_CHAIN_LOCK = 770_494

APPEND_ONLY = "The audit trail is append-only: entries cannot be changed or deleted"
# Only the test suite's database flush may empty the trail (see tests/conftest.py).
ALLOW_PURGE = False

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "psp_audit_context", default=None
)


def current_context() -> dict[str, Any]:
    return _context.get() or {}


@contextmanager
def acting_as(user: Any = None, *, ip: str = "", label: str = "") -> Iterator[None]:
    """Attribute the database changes made inside the block to this user and address."""
    value = {
        "actor_id": getattr(user, "pk", None),
        "actor_label": label or (str(user) if user is not None else ""),
        "ip": ip,
    }
    token = _context.set(value)
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


def log_event(action: str, obj: Model, *, by: Any = None, summary: str = "", ip: str = "") -> None:
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
    from django.db.models import Q

    query = Q(object_type=obj._meta.db_table, object_id=str(obj.pk))
    for table, ids in related:
        query |= Q(object_type=table, object_id__in=[str(i) for i in ids])
    return AuditEntry.objects.filter(query).order_by("-id")


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    message: str


def entry_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


def verify_chain(batch: int = 5000) -> tuple[int, list[ChainProblem]]:
    """Recompute the chain. Returns the number of entries checked and the problems found."""
    problems: list[ChainProblem] = []
    previous = ""
    count = 0
    last_id = 0
    fields = (
        "id",
        "at",
        "actor_id",
        "source",
        "action",
        "object_type",
        "object_id",
        "payload",
        "prev_hash",
        "hash",
    )
    while True:
        rows = list(
            AuditEntry.objects.filter(id__gt=last_id).order_by("id").values_list(*fields)[:batch]
        )
        if not rows:
            break
        for (
            entry_id,
            _at,
            actor_id,
            source,
            action,
            object_type,
            object_id,
            payload,
            prev,
            digest,
        ) in rows:
            count += 1
            last_id = entry_id
            if prev != previous:
                problems.append(
                    ChainProblem(entry_id, "the entry before it is missing or was altered")
                )
            if entry_hash(prev, payload) != digest:
                problems.append(ChainProblem(entry_id, "its content does not match its hash"))
            try:
                content = json.loads(payload)
            except ValueError:
                problems.append(ChainProblem(entry_id, "its payload is not valid JSON"))
            else:
                stored = (entry_id, actor_id, source, action, object_type, object_id)
                signed = tuple(
                    content.get(key)
                    for key in ("id", "actor_id", "source", "action", "object_type", "object_id")
                )
                if tuple(str(v) if v is not None else None for v in stored) != tuple(
                    str(v) if v is not None else None for v in signed
                ):
                    problems.append(ChainProblem(entry_id, "its columns differ from its payload"))
            previous = digest
    return count, problems


# --- triggers -------------------------------------------------------------------------


def register_sqlite_functions(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """SQLite triggers call back into Python for the hash and for who is acting."""
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


def _columns(connection: BaseDatabaseWrapper, cursor: Any, table: str) -> list[str]:
    return [
        column.name
        for column in connection.introspection.get_table_description(cursor, table)
        if column.name not in SECRET_COLUMNS
    ]


def install_triggers(using: str = "default", **kwargs: Any) -> None:
    """(Re)create the audit triggers; run after every migrate, so new columns are covered."""
    from django.db import connections

    connection = connections[using]
    if "psp_auditentry" not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        if connection.vendor == "postgresql":
            _install_postgres(cursor, [t for t in AUDITED_TABLES if t in tables])
        elif connection.vendor == "sqlite":
            _install_sqlite(connection, cursor, [t for t in AUDITED_TABLES if t in tables])


_ENTRY_FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor_label",
    "ip",
    "source",
    "action",
    "object_type",
    "object_id",
    "summary",
    "before",
    "after",
)


def _install_postgres(cursor: Any, tables: list[str]) -> None:
    secret = ", ".join(f"'{c}'" for c in sorted(SECRET_COLUMNS))
    payload = ", ".join(f"'{f}', NEW.{f}" for f in _ENTRY_FIELDS)
    cursor.execute(f"""
        CREATE OR REPLACE FUNCTION psp_audit_chain() RETURNS trigger AS $$
        DECLARE previous text;
        BEGIN
            PERFORM pg_advisory_xact_lock({_CHAIN_LOCK});
            SELECT hash INTO previous FROM psp_auditentry ORDER BY id DESC LIMIT 1;
            NEW.prev_hash := coalesce(previous, '');
            NEW.payload := jsonb_build_object({payload})::text;
            NEW.hash := encode(sha256(convert_to(NEW.prev_hash || NEW.payload, 'UTF8')), 'hex');
            RETURN NEW;
        END $$ LANGUAGE plpgsql;

        CREATE OR REPLACE FUNCTION psp_audit_refuse() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '{APPEND_ONLY}';
        END $$ LANGUAGE plpgsql;

        CREATE OR REPLACE FUNCTION psp_audit_capture() RETURNS trigger AS $$
        DECLARE context jsonb; old_row jsonb; new_row jsonb;
        BEGIN
            context := coalesce(nullif(current_setting('psp.context', true), ''), '{{}}')::jsonb;
            IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD) - ARRAY[{secret}]; END IF;
            IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW) - ARRAY[{secret}]; END IF;
            IF TG_OP = 'UPDATE' AND old_row = new_row THEN RETURN NULL; END IF;
            INSERT INTO psp_auditentry
                (at, actor_id, actor_label, ip, source, action, object_type, object_id,
                 summary, before, after, payload, prev_hash, hash)
            VALUES
                (now(), (context ->> 'actor_id')::bigint, coalesce(context ->> 'actor_label', ''),
                 coalesce(context ->> 'ip', ''), 'db', lower(TG_OP), TG_TABLE_NAME,
                 coalesce(new_row ->> 'id', old_row ->> 'id', ''), '',
                 coalesce(old_row::text, ''), coalesce(new_row::text, ''), '', '', '');
            RETURN NULL;
        END $$ LANGUAGE plpgsql;

        DROP TRIGGER IF EXISTS psp_audit_chain ON psp_auditentry;
        CREATE TRIGGER psp_audit_chain BEFORE INSERT ON psp_auditentry
            FOR EACH ROW EXECUTE FUNCTION psp_audit_chain();
        DROP TRIGGER IF EXISTS psp_audit_refuse ON psp_auditentry;
        CREATE TRIGGER psp_audit_refuse BEFORE UPDATE OR DELETE ON psp_auditentry
            FOR EACH ROW EXECUTE FUNCTION psp_audit_refuse();
    """)
    for table in tables:
        cursor.execute(f"""
            DROP TRIGGER IF EXISTS psp_audit_capture ON {table};
            CREATE TRIGGER psp_audit_capture AFTER INSERT OR UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION psp_audit_capture();
        """)


def _install_sqlite(connection: BaseDatabaseWrapper, cursor: Any, tables: list[str]) -> None:
    payload = "json_object(" + ", ".join(f"'{f}', NEW.{f}" for f in _ENTRY_FIELDS) + ")"
    previous = (
        "coalesce((SELECT hash FROM psp_auditentry WHERE id < NEW.id ORDER BY id DESC LIMIT 1), '')"
    )
    statements = [
        "DROP TRIGGER IF EXISTS psp_audit_chain",
        f"""CREATE TRIGGER psp_audit_chain AFTER INSERT ON psp_auditentry
            BEGIN
                UPDATE psp_auditentry SET
                    prev_hash = {previous},
                    payload = {payload},
                    hash = psp_sha256({previous} || {payload})
                WHERE id = NEW.id;
            END""",
        "DROP TRIGGER IF EXISTS psp_audit_refuse_update",
        f"""CREATE TRIGGER psp_audit_refuse_update BEFORE UPDATE ON psp_auditentry
            WHEN OLD.hash <> ''
            BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
        "DROP TRIGGER IF EXISTS psp_audit_refuse_delete",
        f"""CREATE TRIGGER psp_audit_refuse_delete BEFORE DELETE ON psp_auditentry
            WHEN psp_audit_locked()
            BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
    ]
    for table in tables:
        columns = _columns(connection, cursor, table)

        def row(alias: str, columns: list[str] = columns) -> str:
            return "json_object(" + ", ".join(f"'{c}', {alias}.\"{c}\"" for c in columns) + ")"

        context = "psp_audit_context()"
        insert = (
            "INSERT INTO psp_auditentry (at, actor_id, actor_label, ip, source, action, "
            "object_type, object_id, summary, before, after, payload, prev_hash, hash) VALUES ("
            "strftime('%Y-%m-%d %H:%M:%f', 'now'), "
            f"json_extract({context}, '$.actor_id'), "
            f"coalesce(json_extract({context}, '$.actor_label'), ''), "
            f"coalesce(json_extract({context}, '$.ip'), ''), 'db', '{{op}}', '{table}', "
            "{id}, '', {before}, {after}, '', '', '')"
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
    for statement in statements:
        cursor.execute(statement)


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


def client_ip(request: Any) -> str:
    """The client address, as axes sees it (honouring PROXY_COUNT)."""
    from axes.helpers import get_client_ip_address

    return str(get_client_ip_address(request) or "")
