"""The header navigation each role sees."""

from dataclasses import dataclass
from functools import lru_cache

from django.http import HttpRequest
from django.urls import reverse

from psp.notifications import unread_count
from psp.roles import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool
    count: int = 0  # shown beside the label, e.g. unread notifications


def navigation_for(request: HttpRequest) -> list[NavItem]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    items = _items(
        user.role,
        reviews=user.has_perm("apprentices.review_evidence"),
        apprentices=user.role != Role.APPRENTICE and user.has_perm("apprentices.view_apprentice"),
        cohort=user.has_perm("apprentices.view_cohort"),
    )
    notifications_url = items[-2][1]
    # The active item is the one whose address is the longest prefix of this page's.
    path = request.path
    matches = [url for _, url in items if (path == url if url == "/" else path.startswith(url))]
    active = max(matches, key=len, default=None)
    unread = unread_count(user)
    return [
        NavItem(label, url, active=url == active, count=unread if url == notifications_url else 0)
        for label, url in items
    ]


@lru_cache(maxsize=64)
def _items(
    role: Role | None, *, reviews: bool, apprentices: bool, cohort: bool
) -> tuple[tuple[str, str], ...]:
    """(label, address) of each item: the same for everyone with the same role and these
    permissions, so reversed once per process."""
    items = [("Home", reverse("home"))]
    if reviews:
        items.append(("Reviews", reverse("apprentices:review_queue")))
    if apprentices:
        items.append(("Apprentices", reverse("apprentices:apprentice_list")))
    if cohort:
        items.append(("Cohort", reverse("apprentices:cohort")))
    if role in (Role.ASSESSOR, Role.EPAO_ADMIN):
        label = "Your assessments" if role == Role.ASSESSOR else "End-point assessments"
        items.append((label, reverse("epa:epa_list")))
    items.append(("Standards", reverse("standards:standard_list")))
    if role == Role.ADMIN:
        items.append(("Import standards", reverse("standards:import_list")))
        items.append(("Users and organisations", reverse("admin:index")))
    items.append(("Notifications", reverse("notification_list")))  # second to last
    items.append(("Your account", reverse("password_change")))
    return tuple(items)
