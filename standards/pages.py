"""What the standards' pages show, when that is more than the object and its form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch
from django.utils.functional import SimpleLazyObject

from standards import revision
from standards.models import KSB, StandardVersion

if TYPE_CHECKING:
    from psp.models import User


def version_page(version: StandardVersion, user: User) -> dict[str, Any]:
    """A version of a standard: its KSBs, duties, EPA plan, revisions and other versions."""
    # The body is cached under the reference data's revision ({% cache %} in the template):
    # everything it shows is loaded lazily, so a cached body costs no query for it.
    plan = SimpleLazyObject(lambda: getattr(version, "epa_plan", None))
    options = SimpleLazyObject(lambda: list(version.options.all()))
    return {
        "version": version,
        "revision": revision.current(),
        "ksb_groups": SimpleLazyObject(lambda: ksb_groups(version)),
        "duties": SimpleLazyObject(
            lambda: list(
                version.duties.prefetch_related(
                    Prefetch("ksbs", queryset=KSB.objects.in_standard_order()),
                    *(["options"] if options else []),
                )
            )
        ),
        "plan": plan,
        "gateway_requirements": SimpleLazyObject(
            lambda: list(plan.gateway_requirements.all()) if plan else []
        ),
        "methods": SimpleLazyObject(
            lambda: (
                list(
                    plan.methods.prefetch_related(
                        Prefetch("ksbs", queryset=KSB.objects.in_standard_order())
                    )
                )
                if plan
                else []
            )
        ),
        "grade_combinations": SimpleLazyObject(
            lambda: list(plan.grade_combinations.all()) if plan else []
        ),
        "revisions": version.revisions.select_related("applied_by"),
        "options": options,
        "other_versions": StandardVersion.objects.visible_to(user)
        .filter(standard=version.standard)
        .exclude(pk=version.pk)
        .select_related("standard"),  # their links name the standard
    }


def ksb_groups(version: StandardVersion) -> list[tuple[str, list[KSB]]]:
    """The version's KSBs in standard order, grouped by kind (knowledge, skills, behaviours)."""
    ksbs = list(version.ksbs.in_standard_order())
    return [(label, [k for k in ksbs if k.kind == kind]) for kind, label in KSB.Kind.choices]
