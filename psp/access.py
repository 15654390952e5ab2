"""A user's groups (their role) and permissions, loaded once and kept across requests.

Django's ModelBackend loads a user's permissions with two queries on every request that
checks one (the navigation does, on every page), and User.role their groups with a third.
They change rarely, so they are kept in Django's cache under the user's `access_version`,
a number on the user's row (read with the user on every request anyway) that database
triggers raise whenever something they depend on changes, however it is changed (forms,
the admin, data migrations, raw SQL): the user's groups or own permissions, the
permissions of any of their groups, a group's name (roles are group names), a permission's
codename or its content type. A stale entry is never read again; the cache drops it in time.
User fills ModelBackend's own per-object permission attributes from here (psp.models), so
the stock backend answers every check as before, without its queries.

Hand-written: Django's cache framework keeps the entries, but nothing in Django or a
well-kept library versions permission caches by database triggers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import Permission
from django.core.cache import cache

from psp import triggers

if TYPE_CHECKING:
    from psp.models import User

CACHE_SECONDS = 24 * 3600  # an entry is exact until the version changes; this only frees memory


@dataclass(frozen=True)
class Access:
    group_names: frozenset[str]
    user_permissions: frozenset[str]  # "app_label.codename"
    group_permissions: frozenset[str]


def cache_key(user: User) -> str:
    return f"psp:access:{user.pk}:{user.access_version}:{int(user.is_superuser)}"


def access_of(user: User) -> Access:
    """The user's groups and permissions as of their access_version (3 queries when not yet
    cached, none after)."""
    key = cache_key(user)
    found: Access | None = cache.get(key)
    if found is None:
        found = _load(user)
        cache.set(key, found, CACHE_SECONDS)
    return found


def _load(user: User) -> Access:
    def names(permissions: Any) -> frozenset[str]:
        rows = permissions.values_list("content_type__app_label", "codename").order_by()
        return frozenset(f"{app}.{codename}" for app, codename in rows)

    everything = Permission.objects.all()
    return Access(
        group_names=frozenset(user.groups.values_list("name", flat=True)),
        user_permissions=names(everything if user.is_superuser else user.user_permissions),
        group_permissions=names(
            everything if user.is_superuser else Permission.objects.filter(group__user=user)
        ),
    )


def refresh_version(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    """After user.groups or user.user_permissions change through the ORM, the same user
    object reads its new version (the triggers raised it) and forgets what it had loaded."""
    from psp.models import User

    if isinstance(instance, User) and action in ("post_add", "post_remove", "post_clear"):
        instance.refresh_from_db(fields=["access_version"])
        for attribute in (
            "_access",
            "role",
            "_user_perm_cache",
            "_group_perm_cache",
            "_perm_cache",
        ):
            instance.__dict__.pop(attribute, None)


# --- the triggers that raise access_version ------------------------------------------------

USER = "psp_user"
BUMP_USER = f"UPDATE {USER} SET access_version = access_version + 1 WHERE id = {{}}"
BUMP_GROUP = (
    f"UPDATE {USER} SET access_version = access_version + 1 "
    "WHERE id IN (SELECT user_id FROM psp_user_groups WHERE group_id = {})"
)
BUMP_ALL = f"UPDATE {USER} SET access_version = access_version + 1"
# (name, table, events, statements with {row} for OLD or NEW)
_TRIGGERS = [
    ("psp_access_user_groups", "psp_user_groups", "user_id", BUMP_USER),
    ("psp_access_user_permissions", "psp_user_user_permissions", "user_id", BUMP_USER),
    ("psp_access_group_permissions", "auth_group_permissions", "group_id", BUMP_GROUP),
]


def install_triggers(using: str = "default", **kwargs: Any) -> None:
    """(Re)create the triggers; connected to post_migrate. Not on a database migrated back
    before the access version."""
    triggers.install(
        using,
        {"postgresql": _postgres_statements, "sqlite": _sqlite_statements},
        needs=[USER],
        column=(USER, "access_version"),
    )


def _postgres_statements() -> list[str]:
    statements = []
    for name, table, column, bump in _TRIGGERS:
        statements += [
            f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') THEN {bump.format(f"OLD.{column}")}; END IF;
                IF TG_OP IN ('UPDATE', 'INSERT') THEN {bump.format(f"NEW.{column}")}; END IF;
                RETURN NULL;
            END
            $$ LANGUAGE plpgsql""",
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"""CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {name}()""",
        ]
    statements += [
        """CREATE OR REPLACE FUNCTION psp_access_group_name() RETURNS trigger AS $$
        BEGIN
            IF OLD.name IS DISTINCT FROM NEW.name THEN """
        + BUMP_GROUP.format("NEW.id")
        + """; END IF;
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS psp_access_group_name ON auth_group",
        """CREATE TRIGGER psp_access_group_name AFTER UPDATE ON auth_group
            FOR EACH ROW EXECUTE FUNCTION psp_access_group_name()""",
        f"""CREATE OR REPLACE FUNCTION psp_access_everyone() RETURNS trigger AS $$
        BEGIN {BUMP_ALL}; RETURN NULL; END
        $$ LANGUAGE plpgsql""",
    ]
    for table in ("auth_permission", "django_content_type"):
        statements += [
            f"DROP TRIGGER IF EXISTS psp_access_{table} ON {table}",
            f"""CREATE TRIGGER psp_access_{table} AFTER UPDATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION psp_access_everyone()""",
        ]
    return statements


def _sqlite_statements() -> list[str]:
    statements = []
    for name, table, column, bump in _TRIGGERS:
        for event, rows in (
            ("INSERT", ["NEW"]),
            ("DELETE", ["OLD"]),
            ("UPDATE", ["OLD", "NEW"]),
        ):
            body = "".join(f"{bump.format(f'{row}.{column}')}; " for row in rows)
            statements += [
                f"DROP TRIGGER IF EXISTS {name}_{event.lower()}",
                f"CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON {table} BEGIN {body}END",
            ]
    statements += [
        "DROP TRIGGER IF EXISTS psp_access_group_name",
        "CREATE TRIGGER psp_access_group_name AFTER UPDATE OF name ON auth_group "
        f"WHEN OLD.name IS NOT NEW.name BEGIN {BUMP_GROUP.format('NEW.id')}; END",
    ]
    for table in ("auth_permission", "django_content_type"):
        statements += [
            f"DROP TRIGGER IF EXISTS psp_access_{table}",
            f"CREATE TRIGGER psp_access_{table} AFTER UPDATE ON {table} BEGIN {BUMP_ALL}; END",
        ]
    return statements
