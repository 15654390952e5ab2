"""Request type for views (LoginRequiredMiddleware guarantees a signed-in user), and the
refusal of a domain call as the views say it."""

from typing import ClassVar, Self

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from psp.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User  # type: ignore[assignment]


class Refusal:
    """`with Refusal(request, form, field) as refused:` around a domain call that may refuse
    with one of `refusals` (an app's state errors): the reason goes on the form's `field`
    when there is a form, else into an error message (`says` around it), and `refused` is
    true; any other exception passes. Each app names its errors in a subclass
    (`_Refusal` in its views) and may say them otherwise (`refuse`)."""

    refusals: ClassVar[tuple[type[Exception], ...]] = ()

    def __init__(
        self,
        request: HttpRequest | None,
        form: forms.Form | None = None,
        field: str | None = None,
        *,
        says: str = "{}",
    ) -> None:
        self.request, self.form, self.field, self.says = request, form, field, says
        self.refused = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> bool:
        if not isinstance(error, self.refusals):
            return False
        self.refused = True
        self.refuse(error)
        return True

    def refuse(self, error: Exception) -> None:
        if self.form is not None:
            self.form.add_error(self.field, str(error))
        else:
            assert self.request is not None
            messages.error(self.request, self.says.format(error))

    def __bool__(self) -> bool:
        return self.refused
