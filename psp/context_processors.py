from django.conf import settings
from django.http import HttpRequest

from psp.navigation import navigation_for


def service(request: HttpRequest) -> dict[str, object]:
    """Service name and the signed-in user's navigation, for the base template."""
    return {
        "service_name": settings.PSP_SERVICE_NAME,
        "navigation": navigation_for(request),
    }
