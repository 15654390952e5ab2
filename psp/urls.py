from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from psp import forms, views

# The auth views with forms that render in the GOV.UK Design System.
account_urls = [
    path("login/", views.SignInView.as_view(), name="login"),
    path(
        "password_change/",
        auth_views.PasswordChangeView.as_view(
            form_class=forms.PasswordChangeForm, extra_context={"heading": "Change your password"}
        ),
        name="password_change",
    ),
    path(
        "password_reset/",
        auth_views.PasswordResetView.as_view(
            form_class=forms.PasswordResetForm, extra_context={"heading": "Reset your password"}
        ),
        name="password_reset",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=forms.SetPasswordForm),
        name="password_reset_confirm",
    ),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accessibility/", views.accessibility_statement, name="accessibility_statement"),
    path("accounts/", include(account_urls)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("standards/", include("standards.urls")),
    path("apprentices/", include("apprentices.urls")),
    path("epa/", include("epa.urls")),
    path("admin/", admin.site.urls),
]
