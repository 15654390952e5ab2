from collections.abc import Sequence
from typing import Any, cast

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Submit
from django import forms

from standards.models import StandardVersion


class CompareForm(forms.Form):
    """Pick two versions of one standard to see side by side."""

    old = forms.ChoiceField(
        label="Compare version",
        error_messages={
            "required": "Select the version to compare",
            "invalid_choice": "Select one of the versions in the list",
        },
    )
    new = forms.ChoiceField(
        label="With version",
        error_messages={
            "required": "Select the version to compare it with",
            "invalid_choice": "Select one of the versions in the list",
        },
    )

    def __init__(self, *args: Any, versions: Sequence[StandardVersion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.versions = {v.version: v for v in versions}
        choices = [(v.version, f"{v.version} – {v.title}") for v in versions]
        for name in ("old", "new"):
            cast(forms.ChoiceField, self.fields[name]).choices = choices
        if len(versions) >= 2 and not self.is_bound:
            self.initial = {"old": versions[-2].version, "new": versions[-1].version}
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template writes the GET form and its action
        self.helper.add_input(Submit("compare", "Compare versions"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        old, new = cleaned.get("old"), cleaned.get("new")
        if old and new:
            if old == new:
                self.add_error("new", "Choose a different version from the one you compare it with")
            else:
                cleaned["old"] = self.versions[old]
                cleaned["new"] = self.versions[new]
        return cleaned
