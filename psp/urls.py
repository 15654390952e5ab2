from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from psp import forms, views

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
    path("admin/", admin.site.urls),
]

# Two-factor authentication (psp.twofactor).
urlpatterns += [
    path("accounts/two-factor/", views.two_factor_manage, name="two_factor_manage"),
    path("accounts/two-factor/set-up/", views.two_factor_setup, name="two_factor_setup"),
    path("accounts/two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path(
        "accounts/two-factor/recovery-codes/",
        views.two_factor_recovery_codes,
        name="two_factor_recovery_codes",
    ),
    path("accounts/two-factor/turn-off/", views.two_factor_disable, name="two_factor_disable"),
    path("accounts/two-factor/reset/", views.two_factor_reset, name="two_factor_reset"),
    path("accounts/sessions/", views.session_list, name="session_list"),
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
