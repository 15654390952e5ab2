"""A model instance and the related rows its query joined (`select_related`), as plain values
for the cache, and back: a page that keeps one row in the cache under a revision (the
portfolio's heading, the evidence item) builds its instances from these, without a query.

Only the loaded fields are kept (a field left out by `only()` stays deferred), so no more of
a row goes into the cache than the page's query read: never a whole user row with its
password hash. Hand-written because Django pickles a model instance with its `_state` and
Django's version, and no library keeps rows as values and rebuilds them with `from_db`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple, TypeVar

from django.db import DEFAULT_DB_ALIAS
from django.db.models import ForeignKey, Model

M = TypeVar("M", bound=Model)


class Snapshot(NamedTuple):
    fields: dict[str, Any]  # the loaded fields by attname, in the model's order
    related: dict[str, Snapshot | None]  # the joined rows by the foreign key's name
    extra: dict[str, Any]  # annotations


def snapshot(instance: Model, annotations: Iterable[str] = ()) -> Snapshot:
    """The instance's loaded fields, its `annotations` and, the same way, every row joined to
    it by a foreign key (`select_related`, any depth; not the rows that point back at it,
    which Django also caches)."""
    deferred = instance.get_deferred_fields()
    fields = {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if field.attname not in deferred
    }
    related = {
        name: None if row is None else snapshot(row)
        for name, row in instance._state.fields_cache.items()
        if isinstance(instance._meta.get_field(name), ForeignKey)  # not the way back
    }
    return Snapshot(fields, related, {name: getattr(instance, name) for name in annotations})


def restore(model: type[M], kept: Snapshot) -> M:
    """The instance `snapshot` kept, as the query had loaded it."""
    instance = model.from_db(DEFAULT_DB_ALIAS, list(kept.fields), list(kept.fields.values()))
    for name, row in kept.related.items():
        field = model._meta.get_field(name)
        assert isinstance(field, ForeignKey)
        field.set_cached_value(instance, None if row is None else restore(field.related_model, row))
    instance.__dict__.update(kept.extra)
    return instance
