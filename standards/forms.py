from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms
from django.core.validators import RegexValidator
from django.utils.text import Truncator

from standards.crosswalk import Proposal
from standards.models import KSB, StandardImport, StandardVersion
from standards.validation import Problem


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


# The API's full list of about 2,000 standard versions is some tens of MB.
MAX_UPLOAD_BYTES = 200_000_000


class ImportUploadForm(forms.Form):
    """A JSON file to import: checked, then previewed before anything is written."""

    kind = forms.ChoiceField(
        label="What does the file hold?",
        choices=StandardImport.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what the file holds"},
    )
    file = forms.FileField(
        label="JSON file (.json, or .json.gz for the API's whole download)",
        error_messages={
            "required": "Choose the JSON file to import",
            "empty": "The file you chose is empty",
        },
    )
    reference = forms.CharField(
        label="Standard reference (optional)",
        required=False,
        max_length=6,
        help_text="For the API's full list of standards: which standard to import, such as "
        "ST0494; leave it and the version empty to import every version in the list. For "
        "any other file, psp checks that it is for this standard.",
        validators=[RegexValidator(r"^ST\d{4}$", "Enter a reference like ST0494")],
    )
    version = forms.CharField(
        label="Version (optional)",
        required=False,
        max_length=10,
        help_text="From the API's full list: which version of the standard. Leave it empty "
        "to take the latest version in the file.",
        validators=[RegexValidator(r"^\d+\.\d+$", "Enter a version like 1.1")],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template writes the multipart form
        self.helper.disable_csrf = True  # ...and its CSRF token
        self.helper.layout = Layout(
            Field.radios("kind", legend_size=Size.MEDIUM),
            Field("file"),
            Field.text("reference", field_width=10),
            Field.text("version", field_width=5),
        )
        self.helper.add_input(Submit("upload", "Check and preview"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file must be smaller than {MAX_UPLOAD_BYTES // 1_000_000} MB"
            )
        return upload

    @property
    def takes_every_version(self) -> bool:
        """A list of standard versions with neither reference nor version given: all of it."""
        data = self.cleaned_data
        return (
            data["kind"] == StandardImport.Kind.STANDARD
            and not data["reference"]
            and not data["version"]
        )

    def staging(self) -> dict[str, Any]:
        """The keyword arguments of `uploads.stage_import` the form chose."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "filename": data["file"].name,
            "reference": data["reference"] or None,
            "version": data["version"] or None,
        }

    def add_problems(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.add_error("file", f"{problem.path}: {problem.message}")


class ConfirmImportForm(forms.Form):
    """Confirms one previewed upload: its SHA-256 must be the one that was previewed."""

    sha256 = forms.CharField(widget=forms.HiddenInput, min_length=64, max_length=64)


class CrosswalkForm(forms.Form):
    """One choice for each KSB of the old version: its equivalent in the new one, or none."""

    def __init__(
        self,
        *args: Any,
        proposals: Sequence[Proposal],
        new_ksbs: Sequence[KSB],
        current: Mapping[KSB, KSB | None],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.proposals = proposals
        self.new_ksbs = {str(ksb.pk): ksb for ksb in new_ksbs}
        choices = [("", "No equivalent")] + [
            (str(ksb.pk), f"{ksb.code}: {Truncator(ksb.text).chars(70)}") for ksb in new_ksbs
        ]
        for proposal in proposals:
            chosen = current.get(proposal.old)
            self.fields[self.field_name(proposal.old)] = forms.ChoiceField(
                label=f"Equivalent of {proposal.old.code}",
                choices=choices,
                required=False,
                initial=str(chosen.pk) if chosen else "",
                widget=forms.Select(attrs={"class": "govuk-select"}),
                error_messages={"invalid_choice": "Select a KSB from the list, or no equivalent"},
            )

    @staticmethod
    def field_name(ksb: KSB) -> str:
        return f"ksb_{ksb.pk}"

    def choices_made(self) -> dict[KSB, KSB | None]:
        return {
            proposal.old: self.new_ksbs.get(self.cleaned_data[self.field_name(proposal.old)])
            for proposal in self.proposals
        }
