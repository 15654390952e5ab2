"""The form that makes an API token (api.views)."""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.layout import Field, Size
from django import forms

from psp.forms import gds_helper


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What will use it, so you can tell tokens apart, like “MIS nightly sync”.",
        error_messages={"required": "Enter a name for the token"},
    )
    scope = forms.ChoiceField(
        label="What may it do?",
        choices=[
            ("read", "Read only: apprentices, coverage, evidence details, results"),
            ("write", "Read, and add or update apprentices"),
        ],
        widget=forms.RadioSelect,
        initial="read",
        error_messages={"required": "Select what the token may do"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(
            "Create token",
            Field.text("name", field_width=30),
            Field.radios("scope"),
            size=Size.SMALL,
        )

    def token(self) -> dict[str, Any]:
        """The arguments of tokens.create_token, beyond the organisation and who."""
        data = self.cleaned_data
        return {"name": data["name"], "can_write": data["scope"] == "write"}
