"""The revision of the reference data: one number, raised by database triggers on every
insert, update or delete in any table of the standards app (standards, versions, duties,
KSBs, EPA plans and their parts, imports, crosswalks, the join tables), however it is made
(the importers, the admin, fixtures, raw SQL). Pages built only from reference data (the
standard version page) cache their body under it: a cached body is exact until the next
change, and costs one query to check.

Hand-written: Django's cache keeps the bodies; what invalidates them must see every write,
which only the database does.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps

from psp import triggers

TABLE = "standards_revision"
REVISION = triggers.Revision(TABLE, function="psp_standards_revision", trigger="psp_revision")
BUMP = REVISION.bump
current = REVISION.current


def watched_tables() -> list[str]:
    """Every table of the standards app, join tables included, but the revision's own."""
    models = apps.get_app_config("standards").get_models(include_auto_created=True)
    return sorted({model._meta.db_table for model in models} - {TABLE})


def install_triggers(using: str = "default", **kwargs: Any) -> None:
    """(Re)create the triggers and the row; connected to post_migrate."""
    REVISION.install(using, watched_tables())
