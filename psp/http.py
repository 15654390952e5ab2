"""Request type for views: LoginRequiredMiddleware guarantees a signed-in user."""

from django.http import HttpRequest

from psp.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User  # type: ignore[assignment]
