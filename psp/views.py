from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from psp.demo import DEMO_ACCOUNTS
from psp.forms import SignInForm
from psp.health import check_health
from psp.homes import home_context


def home(request: HttpRequest) -> HttpResponse:
    context = home_context(request.user)
    apprentice = context.data.get("apprentice")
    if apprentice is not None:
        # An apprentice's home is their portfolio.
        return redirect(apprentice)
    return render(request, context.template, context.data)


@login_not_required
@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    health = check_health()
    return JsonResponse(health.as_dict(), status=200 if health.ok else 503)


@login_not_required
def accessibility_statement(request: HttpRequest) -> HttpResponse:
    return render(request, "psp/accessibility_statement.html")


class SignInView(auth_views.LoginView):
    """Django's login view; lists the demo accounts when PSP_DEMO_ACCOUNTS is on."""

    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["demo_accounts"] = DEMO_ACCOUNTS if settings.PSP_DEMO_ACCOUNTS else []
        return context
