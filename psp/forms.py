"""Sign-in and password forms, rendered with the GOV.UK Design System (crispy-forms-gds)."""

from typing import Any, TypeVar, cast

from allauth.mfa.base.forms import AuthenticateForm
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.signals import user_login_failed
from django.core.validators import MaxLengthValidator
from django.db.models import Q
from django.http import HttpRequest

from psp import accounts
from psp.models import User

# Free text in any form: at most this many characters (about four pages), a form error
# above it, so a form cannot be used to store megabytes. DATA_UPLOAD_MAX_MEMORY_SIZE caps
# the whole request's text as well.
LONG_TEXT = 10_000

F = TypeVar("F", bound=type[forms.BaseForm])


def limit_text(form: forms.BaseForm, length: int = LONG_TEXT) -> None:
    """Give every text field of the form without a length limit this one."""
    for field in form.fields.values():
        if isinstance(field, forms.CharField) and field.max_length is None:
            field.max_length = length
            field.validators.append(
                MaxLengthValidator(length, f"Keep this to at most {length:,} characters")
            )
            field.widget.attrs.setdefault("maxlength", str(length))


def limited_text(cls: F) -> F:
    """Class decorator: limit_text() once the form has made its fields."""
    made = cls.__init__

    def __init__(self: forms.BaseForm, *args: Any, **kwargs: Any) -> None:
        made(self, *args, **kwargs)
        limit_text(self)

    cls.__init__ = __init__  # type: ignore[method-assign]
    return cls


CHOICE_WIDGETS = (forms.Select, forms.RadioSelect, forms.CheckboxSelectMultiple)


def name_required_errors(form: forms.BaseForm) -> None:
    """Instead of Django's "This field is required.", say what to do and to which field:
    "Enter the title", "Choose the standard version" (GOV.UK error messages). Messages a
    form sets itself are kept. Call at the end of the form's __init__."""
    default = str(forms.Field.default_error_messages["required"])
    for name, field in form.fields.items():
        if str(field.error_messages.get("required")) != default:
            continue
        label = str(field.label or name.replace("_", " "))
        what = label[:1].lower() + label[1:]
        verb = "Choose" if isinstance(field.widget, CHOICE_WIDGETS) else "Enter"
        field.error_messages["required"] = f"{verb} the {what}"


def gds_helper(button: str | None = None, *fields: Any, size: str | None = None) -> FormHelper:
    """The crispy-forms helper of every psp form. The template writes the <form> (and its
    action); the helper lays out `fields` (by default every field in order), then a submit
    button saying `button`, if any. `size` is the size of labels and legends (GOV.UK `Size`)."""
    helper = FormHelper()
    helper.form_tag = False
    if size:
        helper.label_size = size
        helper.legend_size = size
    submit = [Submit("submit", button)] if button else []
    if fields:
        helper.layout = Layout(*fields, *submit)
    else:
        for button_input in submit:
            helper.add_input(button_input)
    return helper


class SignInForm(auth_forms.AuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Django sets only the widget's maxlength: a longer username reached the lockout
        # records (255 characters at most) and failed there.
        length = cast(forms.CharField, self.fields["username"]).max_length or 150
        self.fields["username"].validators.append(
            MaxLengthValidator(length, f"A username is at most {length} characters")
        )
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
        self.helper = gds_helper("Sign in")
        name_required_errors(self)


def recheck_password(request: HttpRequest | None, user: User, password: str) -> None:
    """The password asked for again before a change to how the user signs in. A wrong one
    counts towards the sign-in lockout (django-axes: by username and address), so these
    forms cannot be used to guess it: once locked, even the right one is refused."""
    from axes.handlers.proxy import AxesProxyHandler

    credentials = {"username": user.get_username()}
    if request is not None and AxesProxyHandler.is_locked(request, credentials):
        raise forms.ValidationError(LOCKED)
    if user.check_password(password):
        return
    if request is not None:
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if AxesProxyHandler.is_locked(request, credentials):
            raise forms.ValidationError(LOCKED)
    raise forms.ValidationError("The password is not right")


LOCKED = (
    "Too many wrong passwords. For your security, your password is not being accepted from "
    "this network for now: try again later"
)


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.helper = gds_helper("Change password")
        name_required_errors(self)

    def clean_old_password(self) -> str:
        password = cast(str, self.cleaned_data["old_password"])
        recheck_password(self.request, self.user, password)
        return password


class PasswordResetForm(auth_forms.PasswordResetForm):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper("Send reset link")
        name_required_errors(self)

    def save(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Queue the reset emails (psp.accounts): none is sent inside the request, accounts
        without a password yet get one too, and each account gets a few an hour at most."""
        accounts.request_password_reset(self.cleaned_data["email"])


class SetPasswordForm(auth_forms.SetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper("Set new password")
        name_required_errors(self)


class TwoFactorCodeForm(AuthenticateForm):
    """allauth's second step of signing in: a code from the authenticator app, or one of the
    recovery codes (MFA_FORMS)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        code = self.fields["code"]
        code.label = "Code"
        code.help_text = (
            "The 6-digit code your authenticator app shows now, or one of your recovery codes."
        )
        code.error_messages["required"] = "Enter the code"
        code.widget.attrs = {
            "autocomplete": "one-time-code",
            "spellcheck": "false",
            "autocapitalize": "none",
        }
        self.helper = gds_helper("Continue")

    def clean_code(self) -> str:
        self.cleaned_data["code"] = "".join(self.cleaned_data["code"].split())
        return super().clean_code()


class TwoFactorResetForm(forms.Form):
    """An administrator finds the account whose two-factor authentication to reset."""

    account = forms.CharField(
        label="Username or email address",
        max_length=254,
        error_messages={"required": "Enter the username or email address of the account"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].widget.attrs.update({"spellcheck": "false"})
        self.helper = gds_helper("Reset two-factor authentication")

    def clean_account(self) -> Any:
        value = self.cleaned_data["account"].strip()
        user = User.objects.filter(Q(username=value) | Q(email__iexact=value)).first()
        if user is None:
            raise forms.ValidationError("No account has that username or email address")
        return user


class NotificationPreferencesForm(forms.Form):
    """Which kinds of notification a user also gets by email."""

    emailed = forms.MultipleChoiceField(
        label="Email me about",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Everything still appears in your notifications in psp.",
    )

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["emailed"]).choices = kinds
        self.helper = gds_helper("Save settings")
        self.helper.layout = Layout(Field.checkboxes("emailed", legend_size=Size.MEDIUM))
