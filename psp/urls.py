from allauth.account import views as account_views
from allauth.mfa.base import views as mfa_views
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from psp import forms, sessions, twofactor, views

# The auth views with forms that render in the GOV.UK Design System.
account_urls = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("password_change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=forms.SetPasswordForm),
        name="password_reset_confirm",
    ),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("healthz/ready", views.healthz_ready, name="healthz_ready"),
    path("healthz/live", views.healthz_live, name="healthz_live"),
    path("accessibility/", views.accessibility_statement, name="accessibility_statement"),
    path("accounts/", include(account_urls)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("standards/", include("standards.urls")),
    path("apprentices/", include("apprentices.urls")),
    path("apprentices/", include("progress.urls")),  # off-the-job training, progress reviews
    path("epa/", include("epa.urls")),
    path("epa/", include("reports.urls")),
    path("", include("api.urls")),
    path("admin/login/", views.admin_sign_in, name="admin_sign_in"),
    path("admin/", admin.site.urls),
]

# Two-factor authentication and sessions: django-allauth's mfa and usersessions pages
# (psp.twofactor, psp.sessions), only those psp uses; "account_login" and
# "account_reauthenticate" are the names allauth sends people to.
mfa_urls = [
    path("", twofactor.index, name="mfa_index"),
    path("authenticate/", mfa_views.authenticate, name="mfa_authenticate"),
    path("reauthenticate/", mfa_views.reauthenticate, name="mfa_reauthenticate"),
    path("totp/", include("allauth.mfa.totp.urls")),
    path("recovery-codes/", include("allauth.mfa.recovery_codes.urls")),
    path("webauthn/", include("allauth.mfa.webauthn.urls")),
    path("reset/", views.two_factor_reset, name="two_factor_reset"),
]
urlpatterns += [
    path("accounts/two-factor/", include(mfa_urls)),
    path("accounts/sessions/", sessions.session_list, name="usersessions_list"),
    path("accounts/login/", views.SignInView.as_view(), name="account_login"),
    path(
        "accounts/reauthenticate/",
        account_views.reauthenticate,
        name="account_reauthenticate",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="account_logout"),
]

# Notifications (psp.notifications).
urlpatterns += [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
    path(
        "notifications/settings/",
        views.notification_preferences,
        name="notification_preferences",
    ),
]
