"""What each role sees on its home page after signing in."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count

from apprentices.models import Apprentice, Evidence
from epa.models import Epa, GatewayAttempt
from psp.roles import Role
from standards.models import StandardVersion


@dataclass(frozen=True)
class HomePage:
    template: str
    data: dict[str, Any]


def home_context(user: Any) -> HomePage:
    role = user.role
    if role is None:
        return HomePage("psp/home_no_role.html", {})
    data: dict[str, Any] = {"role": role, "organisation": user.organisation}
    if role == Role.APPRENTICE:
        data["apprentice"] = Apprentice.objects.filter(user=user).first()
    if role in (Role.PROVIDER, Role.EMPLOYER, Role.EPAO_ADMIN):
        visible = Apprentice.objects.visible_to(user)
        data["apprentice_counts"] = _counts_by_status(visible)
        data["awaiting_review"] = (
            Evidence.objects.filter(apprentice__in=visible).awaiting_review().count()
        )
    if role == Role.ASSESSOR:
        data["assigned"] = (
            Epa.objects.filter(assessor=user).exclude(status=Epa.Status.FINAL).count()
        )
    if role == Role.EPAO_ADMIN:
        epas = Epa.objects.visible_to(user)
        data["awaiting_moderation"] = epas.filter(status=Epa.Status.AWAITING_MODERATION).count()
        data["unassigned"] = epas.filter(assessor__isnull=True).count()
        data["gateways_to_decide"] = GatewayAttempt.objects.visible_to(user).filter(
            status=GatewayAttempt.Status.SUBMITTED
        )
    if role == Role.ADMIN:
        data["versions"] = (
            StandardVersion.objects.select_related("standard", "epa_plan")
            .annotate(
                ksb_count=Count("ksbs", distinct=True), duty_count=Count("duties", distinct=True)
            )
            .order_by("standard__reference", "version")
        )
    return HomePage(f"psp/home_{role.value}.html", data)


def _counts_by_status(apprentices: Any) -> list[tuple[str, str, int]]:
    counts = dict(apprentices.values_list("status").annotate(n=Count("id")).order_by())
    return [(value, label, counts.get(value, 0)) for value, label in Apprentice.Status.choices]
