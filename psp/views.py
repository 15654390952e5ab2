from typing import Any

from allauth.account.internal.flows import login as login_flow
from allauth.account.models import Login
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, permission_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psp import accounts, notifications, pages, twofactor
from psp.audit import client_ip
from psp.forms import (
    NotificationPreferencesForm,
    PasswordChangeForm,
    PasswordResetForm,
    SignInForm,
    TwoFactorResetForm,
)
from psp.health import check_health, check_readiness
from psp.homepages import home_context
from psp.http import AuthenticatedHttpRequest
from psp.models import Notification


def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = home_context(request.user, query=request.GET)
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
@require_GET
@never_cache
def healthz_ready(request: HttpRequest) -> JsonResponse:
    health = check_readiness()
    return JsonResponse(health.as_dict(), status=200 if health.ok else 503)


@login_not_required
@require_GET
@never_cache
def healthz_live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@login_not_required
def accessibility_statement(request: HttpRequest) -> HttpResponse:
    return render(request, "psp/accessibility_statement.html")


class SignInView(auth_views.LoginView):
    """Django's login view; lists the demo accounts when PSP_DEMO_ACCOUNTS is on."""

    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), **pages.sign_in_page()}

    def form_valid(self, form: auth_forms.AuthenticationForm) -> HttpResponse:
        """The password is right: allauth's login flow asks for the second factor, if the
        user has one, before it signs the session in."""
        user = form.get_user()
        login = Login(user=user, redirect_url=self.get_success_url(), email_verification="none")
        credentials = {"username": user.get_username()}
        return login_flow.perform_password_login(self.request, credentials, login)


def locked_out(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' lockout page (AXES_LOCKOUT_CALLABLE), saying how long in words."""
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    wait = f"{minutes} minute{pluralize(minutes)}" if minutes < 120 else f"{minutes // 60} hours"
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "wait": wait}
    return render(request, "registration/locked_out.html", context, status=429)


@login_not_required
def admin_sign_in(request: HttpRequest) -> HttpResponse:
    """The admin site's sign-in is psp's own, with its second factor, never the admin's form."""
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, whose check of the old password counts towards the
    sign-in lockout (psp.forms.recheck_password)."""

    form_class = PasswordChangeForm
    extra_context = {"heading": "Change your password"}

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


_TOO_MANY_RESETS = (
    "Too many password reset requests have come from your network in the last hour. Try "
    "again in {wait} minute{s}, or ask your training provider or administrator to send you "
    "a new link."
)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, limited per client address as well as per account
    (psp.accounts): over the limit the form says so and sends nothing. It says nothing
    about accounts: the limit counts every request from the address."""

    form_class = PasswordResetForm
    extra_context = {"heading": "Reset your password"}

    def form_valid(self, form: auth_forms.PasswordResetForm) -> HttpResponse:
        wait = accounts.reset_wait_for_address(client_ip(self.request))
        if wait:
            form.add_error(None, _TOO_MANY_RESETS.format(wait=wait, s=pluralize(wait)))
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return super().form_valid(form)


# Two-factor authentication is django-allauth's (psp.twofactor); an administrator's reset is psp's.


_RESET = (
    "Two-factor authentication reset for {account} ({account.username}), who is signed out "
    "everywhere. If their role needs it, they set it up again when they next sign in."
)


@require_http_methods(["GET", "POST"])
@permission_required("psp.change_user", raise_exception=True)
def two_factor_reset(request: AuthenticatedHttpRequest) -> HttpResponse:
    """An administrator resets someone's two-factor authentication (a lost phone)."""
    form = TwoFactorResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        account = form.cleaned_data["account"]
        twofactor.reset(account, by=request.user)
        if account == request.user:
            update_session_auth_hash(request, account)
        messages.success(request, _RESET.format(account=account))
        return redirect("two_factor_reset")
    context = {"form": form, "heading": "Reset two-factor authentication"}
    return render(request, "registration/two_factor_reset.html", context)


# Notifications (psp.notifications)

NOTIFICATIONS_PAGE_SIZE = 25


@require_GET
@permission_required("psp.view_notification", raise_exception=True)
def notification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    notifications_ = Notification.objects.visible_to(request.user).only(
        "kind", "subject", "body", "url", "created_at", "read_at", "email_status"
    )
    page = Paginator(notifications_, NOTIFICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "psp/notification_list.html", {"page": page})


@require_POST
@permission_required("psp.change_notification", raise_exception=True)
def notification_read(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification.objects.visible_to(request.user), pk=pk)
    notification.mark_read()
    if request.POST.get("open") and notification.url:
        return redirect(notification.url)
    return redirect("notification_list")


@require_POST
@permission_required("psp.change_notification", raise_exception=True)
def notification_read_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    count = notifications.mark_all_read(request.user)
    messages.success(request, f"{count} notification{'s' * (count != 1)} marked as read.")
    return redirect("notification_list")


@require_http_methods(["GET", "POST"])
@permission_required("psp.change_notificationpreference", raise_exception=True)
def notification_preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = NotificationPreferencesForm(
        request.POST if request.method == "POST" else None,
        kinds=Notification.Kind.choices,
        initial={"emailed": sorted(notifications.emailed_kinds(request.user))},
    )
    if request.method == "POST" and form.is_valid():
        notifications.set_preferences(request.user, form.cleaned_data["emailed"])
        messages.success(request, "Notification settings saved.")
        return redirect("notification_list")
    return render(request, "psp/notification_preferences.html", {"form": form})
