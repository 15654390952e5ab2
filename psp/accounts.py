"""Account emails that are not part of Django's own password reset."""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from psp.models import User


def set_password_path(user: User) -> str:
    """A single-use path for choosing a password (valid 3 days, ends once a password is set)."""
    return reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


def send_set_password_email(user: User, *, request: HttpRequest) -> None:
    """Email a new user a single-use link to choose their password (valid 3 days)."""
    path = set_password_path(user)
    body = render_to_string(
        "registration/welcome_email.txt",
        {"user": user, "link": request.build_absolute_uri(path)},
    )
    send_mail("Your psp account", body, None, [user.email])
