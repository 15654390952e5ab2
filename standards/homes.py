"""What standards adds to the administrator's home page (psp.homepages)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Count

from psp.models import User
from standards import revision
from standards.models import StandardVersion


def standard_versions(user: User, query: Mapping[str, str]) -> dict[str, Any]:
    """The administrator's list of standard versions and what of each is imported. The
    template caches the table under the reference data's revision (standards.revision: every
    table it shows is a standards table): the versions are a lazy query, so a cached table
    costs the revision's query instead of theirs (9 ms of planning and counting on the bench
    database)."""
    return {
        "standards_revision": revision.current(),
        "versions": (
            StandardVersion.objects.select_related("standard", "epa_plan")
            .annotate(
                ksb_count=Count("ksbs", distinct=True), duty_count=Count("duties", distinct=True)
            )
            .order_by("standard__reference", "version")
        ),
    }
