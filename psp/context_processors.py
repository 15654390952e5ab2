from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from psp.navigation import items_html, navigation_for


def service(request: HttpRequest) -> dict[str, object]:
    """Service name and the signed-in user's navigation, for the base template."""
    navigation = navigation_for(request)
    return {
        "service_name": settings.PSP_SERVICE_NAME,
        "navigation": navigation,
        # Rendered when the base template shows it, after the page's own template starts.
        "navigation_items": SimpleLazyObject(lambda: items_html(navigation) if navigation else ""),
    }
