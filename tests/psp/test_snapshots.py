"""Rows kept in the cache as plain values (psp.snapshots)."""

import pickle

import pytest
from django.db.models.functions import Upper

from apprentices.models import Apprentice
from psp.snapshots import restore, snapshot
from tests.factories import make_apprentice

pytestmark = pytest.mark.django_db


def test_a_row_and_its_joined_rows_come_back_as_the_query_loaded_them():
    make_apprentice()
    found = (
        Apprentice.objects.select_related("user", "standard_version__standard")
        .only(
            "uln",
            "status",
            "user__username",
            "standard_version__title",
            "standard_version__standard__reference",
        )
        .annotate(shouted=Upper("user__username"))
    )
    apprentice = found.get()
    kept = pickle.loads(pickle.dumps(snapshot(apprentice, ["shouted"])))
    back = restore(Apprentice, kept)
    assert (back.pk, back.uln, back.status, back.shouted) == (
        apprentice.pk,
        apprentice.uln,
        apprentice.status,
        apprentice.user.username.upper(),
    )
    assert back.get_deferred_fields() == apprentice.get_deferred_fields()
    assert back.user.username == apprentice.user.username
    assert "password" in back.user.get_deferred_fields()  # never read, never kept
    standard = apprentice.standard_version.standard
    assert back.standard_version.standard.reference == standard.reference
    assert not back._state.adding
