"""The header navigation each role sees."""

from dataclasses import dataclass

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
    items = [("Home", reverse("home"))]
    if user.has_perm("apprentices.review_evidence"):
        items.append(("Reviews", reverse("apprentices:review_queue")))
    if user.role != Role.APPRENTICE and user.has_perm("apprentices.view_apprentice"):
        items.append(("Apprentices", reverse("apprentices:apprentice_list")))
    if user.has_perm("apprentices.view_cohort"):
        items.append(("Cohort", reverse("apprentices:cohort")))
    if user.role in (Role.ASSESSOR, Role.EPAO_ADMIN):
        label = "Your assessments" if user.role == Role.ASSESSOR else "End-point assessments"
        items.append((label, reverse("epa:epa_list")))
    items.append(("Standards", reverse("standards:standard_list")))
    if user.role == Role.ADMIN:
        items.append(("Import standards", reverse("standards:import_list")))
        items.append(("Users and organisations", reverse("admin:index")))
    notifications_url = reverse("notification_list")
    items.append(("Notifications", notifications_url))
    items.append(("Your account", reverse("password_change")))
    # The active item is the one whose address is the longest prefix of this page's.
    path = request.path
    matches = [url for _, url in items if (path == url if url == "/" else path.startswith(url))]
    active = max(matches, key=len, default=None)
    unread = unread_count(user)
    return [
        NavItem(label, url, active=url == active, count=unread if url == notifications_url else 0)
        for label, url in items
    ]
