"""The header navigation each role sees."""

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

from psp.roles import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    active: bool


def navigation_for(request: HttpRequest) -> list[NavItem]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    items = [("Home", reverse("home")), ("Standards", reverse("standards:standard_list"))]
    if user.role == Role.ADMIN:
        items.append(("Users and organisations", reverse("admin:index")))
    items.append(("Your account", reverse("password_change")))
    path = request.path
    return [
        NavItem(label, url, active=(path == url if url == "/" else path.startswith(url)))
        for label, url in items
    ]
