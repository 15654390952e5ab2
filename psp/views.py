from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psp import accounts, notifications, sessions, twofactor
from psp.audit import client_ip
from psp.demo_accounts import DEMO_ACCOUNTS
from psp.forms import (
    EndSessionsForm,
    NotificationPreferencesForm,
    PasswordChangeForm,
    PasswordResetForm,
    SignInForm,
    TwoFactorCodeForm,
    TwoFactorResetForm,
)
from psp.health import check_health, check_readiness
from psp.homepages import home_context
from psp.http import AuthenticatedHttpRequest
from psp.middleware import is_verified, mark_verified
from psp.models import Notification, UserSession


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
        context = super().get_context_data(**kwargs)
        context["demo_accounts"] = DEMO_ACCOUNTS if settings.PSP_DEMO_ACCOUNTS else []
        context["staff_2fa_required"] = settings.PSP_REQUIRE_STAFF_2FA
        return context


def locked_out(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' lockout page (AXES_LOCKOUT_CALLABLE), saying how long in words."""
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    wait = f"{minutes} minute{pluralize(minutes)}" if minutes < 120 else f"{minutes // 60} hours"
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "wait": wait}
    return render(request, "registration/locked_out.html", context, status=429)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, whose check of the old password counts towards the
    sign-in lockout (psp.forms.recheck_password)."""

    form_class = PasswordChangeForm
    extra_context = {"heading": "Change your password"}

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, limited per client address as well as per account
    (psp.accounts): over the limit the form says so and sends nothing. It says nothing
    about accounts: the limit counts every request from the address."""

    form_class = PasswordResetForm
    extra_context = {"heading": "Reset your password"}

    def form_valid(self, form: auth_forms.PasswordResetForm) -> HttpResponse:
        wait = accounts.reset_wait_for_address(client_ip(self.request))
        if wait:
            form.add_error(
                None,
                "Too many password reset requests have come from your network in the last "
                f"hour. Try again in {wait} minute{pluralize(wait)}, or ask your training "
                "provider or administrator to send you a new link.",
            )
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return super().form_valid(form)


# Two-factor authentication (psp.twofactor); psp.middleware sends users here when needed.


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("home")


def _recovery_codes_page(
    request: AuthenticatedHttpRequest, codes: list[str], *, first: bool
) -> HttpResponse:
    return render(
        request,
        "registration/two_factor_recovery_codes.html",
        {"codes": codes, "first": first, "next": _next_url(request)},
    )


@require_http_methods(["GET", "POST"])
@never_cache
def two_factor_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    if twofactor.is_enabled_for(request.user):
        return redirect("two_factor_manage")
    device = twofactor.start_enrolment(request.user)
    form = TwoFactorCodeForm(request.POST or None, button="Turn on two-factor authentication")
    if request.method == "POST" and form.is_valid():
        try:
            codes = twofactor.confirm_enrolment(device, form.cleaned_data["code"])
        except twofactor.TwoFactorError as error:
            form.add_error("code", str(error))
        else:
            keep_this_session(request)
            mark_verified(request.session, request.user)
            return _recovery_codes_page(request, codes, first=True)
    uri = twofactor.provisioning_uri(device)
    context = {
        "form": form,
        "qr_code": mark_safe(twofactor.qr_code_svg(uri)),
        "secret": twofactor.grouped(device.secret),
        "required": twofactor.is_required_for(request.user),
        "next": _next_url(request),
    }
    return render(request, "registration/two_factor_setup.html", context)


@require_http_methods(["GET", "POST"])
@never_cache
def two_factor_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    if is_verified(request.session, request.user) or not twofactor.is_enabled_for(request.user):
        return redirect(_next_url(request))
    form = TwoFactorCodeForm(request.POST or None, recovery=True)
    if request.method == "POST" and form.is_valid():
        try:
            used = twofactor.verify(request.user, form.cleaned_data["code"])
        except twofactor.TwoFactorError as error:
            form.add_error("code", str(error))
        else:
            request.session.cycle_key()
            mark_verified(request.session, request.user)
            if used == "recovery":
                left = twofactor.remaining_recovery_codes(request.user)
                messages.warning(
                    request,
                    f"You signed in with a recovery code. You have {left} left: "
                    "get new ones from your account page if you are running out.",
                )
            return redirect(_next_url(request))
    return render(
        request, "registration/two_factor_verify.html", {"form": form, "next": _next_url(request)}
    )


def keep_this_session(request: AuthenticatedHttpRequest) -> None:
    """After request.user.end_sessions() (directly or through psp.twofactor): the session of
    this request carries on, under a new key, and every other one has ended."""
    request.user.refresh_from_db(fields=["session_epoch"])
    update_session_auth_hash(request, request.user)
    sessions.keep(request)


@require_http_methods(["GET", "POST"])
@never_cache
def session_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Where you are signed in, and signing out of the sessions you choose."""
    this = request.session.get(sessions.SESSION_ID_KEY)
    rows = list(UserSession.objects.active().filter(user=request.user))
    others = [row for row in rows if row.public_id != this]
    choices = [
        (
            row.public_id,
            f"{row.browser}, from {row.ip or 'an unknown address'}, "
            f"signed in {date_format(timezone.localtime(row.signed_in_at), 'j F Y, H:i')}",
        )
        for row in others
    ]
    form = EndSessionsForm(
        request.POST or None, user=request.user, choices=choices, request=request
    )
    if request.method == "POST" and form.is_valid():
        ended = sessions.end(request.user, form.cleaned_data["sessions"], keep_id=this)
        messages.success(request, f"Signed out of {ended} other session{pluralize(ended)}.")
        return redirect("session_list")
    context = {
        "rows": rows,
        "this": this,
        "form": form,
        "others": others,
        "idle_minutes": settings.PSP_SESSION_IDLE_MINUTES,
        "age_hours": f"{settings.SESSION_COOKIE_AGE / 3600:g}",
    }
    return render(request, "psp/session_list.html", context)


@require_GET
def two_factor_manage(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {
        "enabled": twofactor.is_enabled_for(request.user),
        "required": twofactor.is_required_for(request.user),
        "remaining": twofactor.remaining_recovery_codes(request.user),
    }
    return render(request, "registration/two_factor_manage.html", context)


@require_http_methods(["GET", "POST"])
@never_cache
def two_factor_recovery_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not twofactor.is_enabled_for(request.user):
        return redirect("two_factor_setup")
    form = TwoFactorCodeForm(request.POST or None, button="Get new recovery codes", password=True)
    if request.method == "POST" and form.is_valid():
        try:
            twofactor.verify(
                request.user, form.cleaned_data["code"], password=form.cleaned_data["password"]
            )
        except twofactor.TwoFactorError as error:
            form.add_error("code", str(error))
        else:
            codes = twofactor.regenerate_recovery_codes(request.user)
            keep_this_session(request)
            return _recovery_codes_page(request, codes, first=False)
    return render(
        request,
        "registration/two_factor_confirm.html",
        {
            "form": form,
            "heading": "Get new recovery codes",
            "intro": "Your old recovery codes will stop working. To confirm it is you, enter "
            "your password and the code your authenticator app shows now.",
        },
    )


@require_http_methods(["GET", "POST"])
@never_cache
def two_factor_disable(request: AuthenticatedHttpRequest) -> HttpResponse:
    if twofactor.is_required_for(request.user):
        raise PermissionDenied
    if not twofactor.is_enabled_for(request.user):
        return redirect("two_factor_manage")
    form = TwoFactorCodeForm(
        request.POST or None, button="Turn off two-factor authentication", password=True
    )
    if request.method == "POST" and form.is_valid():
        try:
            twofactor.verify(
                request.user, form.cleaned_data["code"], password=form.cleaned_data["password"]
            )
        except twofactor.TwoFactorError as error:
            form.add_error("code", str(error))
        else:
            twofactor.reset(request.user, by=request.user)
            keep_this_session(request)
            messages.success(
                request, "Two-factor authentication is off. You are signed out everywhere else."
            )
            return redirect("two_factor_manage")
    return render(
        request,
        "registration/two_factor_confirm.html",
        {
            "form": form,
            "heading": "Turn off two-factor authentication",
            "intro": "You will sign in with your password only. To confirm it is you, enter "
            "your password and the code your authenticator app shows now.",
        },
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
            keep_this_session(request)
        messages.success(
            request,
            f"Two-factor authentication reset for {account} ({account.username}), who is "
            "signed out everywhere. If their role needs it, they set it up again when they "
            "next sign in.",
        )
        return redirect("two_factor_reset")
    return render(
        request,
        "registration/two_factor_reset.html",
        {"form": form, "heading": "Reset two-factor authentication"},
    )


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
