"""The header navigation: what each user's permissions let them reach."""

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString

from psp.notifications import unread_count


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
        reviews=user.has_perm("apprentices.review_evidence"),
        apprentices=user.has_perm("apprentices.list_apprentices"),
        cohort=user.has_perm("apprentices.view_cohort"),
        grading=user.has_perm("epa.grade_epa"),
        managing=user.has_perm("epa.manage_epa"),
        importing=user.has_perm("standards.add_standardversion"),
        administering=user.has_perm("psp.change_user"),
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
    *,
    reviews: bool,
    apprentices: bool,
    cohort: bool,
    grading: bool,
    managing: bool,
    importing: bool,
    administering: bool,
) -> tuple[tuple[str, str], ...]:
    """(label, address) of each item: the same for everyone with the same permissions, so
    reversed once per process."""
    items = [("Home", reverse("home"))]
    if reviews:
        items.append(("Reviews", reverse("apprentices:review_queue")))
    if apprentices:
        items.append(("Apprentices", reverse("apprentices:apprentice_list")))
    if cohort:
        items.append(("Cohort", reverse("apprentices:cohort")))
    if grading or managing:
        label = "Your assessments" if grading else "End-point assessments"
        items.append((label, reverse("epa:epa_list")))
    items.append(("Standards", reverse("standards:standard_list")))
    if importing:
        items.append(("Import standards", reverse("standards:import_list")))
    if administering:
        items.append(("Users and organisations", reverse("admin:index")))
    items.append(("Notifications", reverse("notification_list")))  # second to last
    items.append(("Your account", reverse("password_change")))
    return tuple(items)


def items_html(items: list[NavItem]) -> SafeString:
    """The items' HTML (templates/includes/navigation_items.html). A user's list differs
    from page to page only in its active item and unread count, so each distinct list is
    rendered once per process and kept (0.15 ms of template work a page); while developing
    (DEBUG), every time, so edits to the template show."""
    if settings.DEBUG:
        return _render_items(tuple(items))
    return _kept_items(tuple(items))


def _render_items(items: tuple[NavItem, ...]) -> SafeString:
    return SafeString(render_to_string("includes/navigation_items.html", {"navigation": items}))


_kept_items = lru_cache(maxsize=1024)(_render_items)
