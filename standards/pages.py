"""What the standards' pages show, when that is more than the object and its form."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db.models import Prefetch
from django.utils.functional import SimpleLazyObject

from standards import revision
from standards.crosswalk import confirmed_crosswalk, crosswalk_for, propose_crosswalk
from standards.forms import CrosswalkForm
from standards.models import KSB, StandardVersion, VersionRevision

if TYPE_CHECKING:
    from psp.models import User


@dataclass(frozen=True)
class VersionHead:
    """What the version page shows outside its cached body: its title and breadcrumbs."""

    pk: int
    reference: str
    version: str
    standard_url: str


def version_head(reference: str, version: str) -> tuple[VersionHead | None, int]:
    """The head of a version's page, or None if there is no such version, and the reference
    data's revision. Cached under the revision, as the body is: a page seen before costs
    the revision's query alone, not the version's select (0.4 ms of the ORM's CPU a
    request). Unknown versions are not cached, so no one fills the cache by guessing."""
    current = revision.current()
    asked = hashlib.sha256(f"{reference}\0{version}".encode()).hexdigest()[:32]
    key = f"standards:version-head:{current}:{asked}"
    head: VersionHead | None = cache.get(key)
    if head is None:
        found = (
            StandardVersion.objects.filter(standard__reference=reference, version=version)
            .select_related("standard")
            .only("pk", "version", "standard__reference")
            .first()
        )
        if found is None:
            return None, current
        head = VersionHead(
            found.pk, found.standard.reference, found.version, found.standard.get_absolute_url()
        )
        cache.set(key, head, 86400)
    return head, current


def version_page(head: VersionHead, current: int, user: User) -> dict[str, Any]:
    """A version of a standard: its KSBs, duties, EPA plan, revisions and other versions.

    The body is cached under the reference data's revision ({% cache %} in the template):
    everything it shows, the version itself included, is loaded lazily, so a cached body
    costs no query for it."""
    version: Any = SimpleLazyObject(
        lambda: StandardVersion.objects.visible_to(user).select_related("standard").get(pk=head.pk)
    )
    plan = SimpleLazyObject(lambda: getattr(version, "epa_plan", None))
    options = SimpleLazyObject(lambda: list(version.options.all()))
    return {
        "head": head,
        "version": version,
        "revision": current,
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
        "revisions": VersionRevision.objects.filter(version_id=head.pk).select_related(
            "applied_by"
        ),
        "options": options,
        "other_versions": StandardVersion.objects.visible_to(user)
        .filter(standard__reference=head.reference)
        .exclude(pk=head.pk)
        .select_related("standard"),  # their links name the standard
    }


def ksb_groups(version: StandardVersion) -> list[tuple[str, list[KSB]]]:
    """The version's KSBs in standard order, grouped by kind (knowledge, skills, behaviours)."""
    ksbs = list(version.ksbs.in_standard_order())
    return [(label, [k for k in ksbs if k.kind == kind]) for kind, label in KSB.Kind.choices]


def crosswalk_page(old: StandardVersion, new: StandardVersion, data: Any) -> dict[str, Any]:
    """The crosswalk from `old` to `new`: each KSB of the old version with its proposed
    equivalent, the choice the form offers and the one confirmed before. Proposed and
    chosen only once both versions' KSBs are imported (`ready`)."""
    ready = old.ksbs_imported and new.ksbs_imported
    proposals = propose_crosswalk(old, new) if ready else []
    confirmed = confirmed_crosswalk(old, new)
    form = CrosswalkForm(
        data,
        proposals=proposals,
        new_ksbs=list(new.ksbs.in_standard_order()),
        current=crosswalk_for(old, new) if ready else {},
    )
    rows = [(p, form[form.field_name(p.old)], confirmed.get(p.old)) for p in proposals]
    return {"old": old, "new": new, "form": form, "rows": rows, "ready": ready}
