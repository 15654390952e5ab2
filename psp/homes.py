"""What each role sees on its home page after signing in."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count

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
    if role == Role.ADMIN:
        data["versions"] = (
            StandardVersion.objects.select_related("standard", "epa_plan")
            .annotate(
                ksb_count=Count("ksbs", distinct=True), duty_count=Count("duties", distinct=True)
            )
            .order_by("standard__reference", "version")
        )
    return HomePage(f"psp/home_{role.value}.html", data)
