"""Forms for apprentices, evidence, KSB mapping and review (GOV.UK Design System)."""

from __future__ import annotations

import datetime
from typing import Any, cast

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.layout import Field, Fieldset, Layout, Size, Submit
from crispy_forms_gds.widgets import DateInputWidget
from django import forms
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apprentices import portfolio
from apprentices.filetypes import ALLOWED_DESCRIPTION, FileTypeError
from apprentices.identifiers import describe, find_identifiers, find_in_passages
from apprentices.models import Apprentice, BreakInLearning, Evidence
from apprentices.uploads import CheckedUpload, check_upload
from psp import accounts
from psp.forms import gds_helper, limited_text, name_required_errors
from psp.models import Organisation, User
from psp.roles import Role
from standards.models import Option, StandardVersion


class GovukDateWidget(DateInputWidget):
    """crispy-forms-gds's date widget, without the empty aria-describedby="" that its
    template tag leaves on the day, month and year when the error is the whole date's
    (invalid HTML: an IDREF list may not be empty)."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> Any:
        context = super().get_context(name, value, attrs)
        for subwidget in context["widget"]["subwidgets"]:
            if not subwidget["attrs"].get("aria-describedby"):
                subwidget["attrs"].pop("aria-describedby", None)
        return context


class GovukDateField(DateInputField):
    """The GOV.UK date input, with errors in plain words and four-digit years."""

    widget = GovukDateWidget

    def compress(self, data_list: Any) -> datetime.date | None:
        day, month, year = data_list
        if not (day and month and year):
            # Parts of only spaces arrive here empty (tests/test_properties.py).
            if self.required or day or month or year:
                raise ValidationError(self.error_messages["required"], code="required")
            return None
        if len(str(year)) != 4:
            raise ValidationError(f"{self.label} must include a four-digit year, like 2025")
        try:
            return datetime.date(int(year), int(month), int(day))
        except (ValueError, OverflowError):
            raise ValidationError(
                f"{self.label} must be a real date, like 27 3 2025 (day, month, year)"
            ) from None


def date_field(label: str, *, help_text: str = "", required: bool = True) -> DateInputField:
    field = GovukDateField(label=label, help_text=help_text, required=required)
    field.error_messages.update(
        required=f"Enter the {label.lower()}", incomplete=f"Enter the {label.lower()} in full"
    )
    return field


class OptionChoiceField(forms.ModelChoiceField):
    """Options named with their version, so one list serves every version."""

    def label_from_instance(self, obj: Any) -> str:
        version = obj.version
        return f"{version.standard.reference} version {version.version}: {obj.title}"


@limited_text
class ApprenticeForm(forms.ModelForm):
    """Create or edit an apprentice. Creating also makes their sign-in account."""

    first_name = forms.CharField(max_length=150, label="First name")
    last_name = forms.CharField(max_length=150, label="Last name")
    email = forms.EmailField(
        label="Email address", help_text="We email a link to set their password."
    )
    start_date = date_field("Start date", help_text="For example, 27 3 2025")
    planned_gateway_date = date_field("Planned gateway date", help_text="For example, 30 9 2026")

    class Meta:
        model = Apprentice
        fields = [
            "uln",
            "standard_version",
            "option",
            "start_date",
            "planned_gateway_date",
            "employer",
            "training_provider",
            "epao",
            "status",
        ]
        labels = {
            "uln": "Unique learner number (ULN)",
            "standard_version": "Standard version",
            "option": "Option",
        }
        help_texts = {
            "uln": "10 digits, from the Learning Records Service",
            "option": "Only for a core-and-options version: the option the apprentice does "
            "on top of the core. Leave empty for any other version.",
        }
        field_classes = {"option": OptionChoiceField}

    def __init__(self, *args: Any, by: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.by = by
        choices = cast(dict[str, forms.ModelChoiceField], self.fields)
        choices["standard_version"].queryset = StandardVersion.objects.select_related("standard")
        choices["option"].queryset = Option.objects.select_related("version__standard").order_by(
            "version__standard__reference", "version__version", "number"
        )
        choices["option"].empty_label = "No option"
        choices["employer"].queryset = Organisation.objects.filter(kind=Organisation.Kind.EMPLOYER)
        choices["epao"].queryset = Organisation.objects.filter(kind=Organisation.Kind.EPAO)
        providers = Organisation.objects.filter(kind=Organisation.Kind.TRAINING_PROVIDER)
        if by.role == Role.PROVIDER:
            # Provider staff add apprentices to their own organisation only.
            providers = providers.filter(staff=by)
            self.fields["training_provider"].initial = by.organisation_id
        choices["training_provider"].queryset = providers
        # "At gateway", "In EPA" and "Completed" are reached through gateway and the EPA only.
        status = cast(forms.ChoiceField, self.fields["status"])
        if self.instance.pk and self.instance.status in Apprentice.EPA_STATUSES:
            status.disabled = True
            status.help_text = "Set by gateway and the end-point assessment, not by editing."
        else:
            status.choices = [
                (value, label)
                for value, label in Apprentice.Status.choices
                if value not in Apprentice.EPA_STATUSES
            ]
            status.help_text = "Gateway and the end-point assessment set the later statuses."
        if self.instance.pk:
            # A move to another employer is its own action, accepted by the new employer.
            employer = self.fields["employer"]
            employer.disabled = True
            employer.help_text = "To change it, use “Move to another employer”."
        if self.instance.pk:
            user = self.instance.user
            self.initial.update(
                first_name=user.first_name, last_name=user.last_name, email=user.email
            )
        self.helper = gds_helper(
            "Save apprentice" if self.instance.pk else "Add apprentice", size=Size.SMALL
        )
        self.helper.layout = Layout(
            Fieldset(
                Field.text("first_name", field_width=20),
                Field.text("last_name", field_width=20),
                Field.text("email", field_width=30),
                Field.text("uln", field_width=10),
                legend="Apprentice",
            ),
            Fieldset(
                Field.select("standard_version"),
                Field.select("option"),
                Field("start_date"),
                Field("planned_gateway_date"),
                Field.select("status"),
                legend="Apprenticeship",
            ),
            Fieldset(
                Field.select("employer"),
                Field.select("training_provider"),
                Field.select("epao"),
                legend="Organisations",
            ),
        )  # gds_helper() added the submit button
        name_required_errors(self)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        others = User.objects.filter(email__iexact=email)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.user_id)
        if others.exists():
            raise ValidationError("Another account already uses this email address")
        return email

    @transaction.atomic
    def save(self, commit: bool = True) -> Apprentice:
        apprentice: Apprentice = super().save(commit=False)
        old_email = ""
        if apprentice.pk:
            user = apprentice.user
            old_email = user.email
        else:
            user = User(username=self.cleaned_data["email"])
            user.set_unusable_password()
        user.first_name = self.cleaned_data["first_name"]
        user.last_name = self.cleaned_data["last_name"]
        user.email = self.cleaned_data["email"]
        if not user.pk:
            user.username = self.cleaned_data["email"]
        user.save()
        user.groups.add(Group.objects.get(name=Role.APPRENTICE.label))
        apprentice.user = user
        apprentice.save()
        if old_email:
            # Tells the old address and drops pending signatures (psp.accounts).
            accounts.changed_by_staff(user, by=self.by, old_email=old_email)
        return apprentice

    def _post_clean(self) -> None:
        # The user is created in save(); give the model a placeholder so clean() runs.
        if not self.instance.pk and not hasattr(self.instance, "user"):
            self.instance.user = User(username="pending")
        super()._post_clean()  # type: ignore[misc]


class MultipleFileInput(forms.FileInput):
    """Several files at once; with JavaScript, GOV.UK Frontend adds drag and drop."""

    allow_multiple_selected = True
    template_name = "widgets/drop_zone_file_input.html"


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


@limited_text
class EvidenceForm(forms.ModelForm):
    """Upload or edit an evidence item. Text is checked for likely personal identifiers."""

    activity_date = date_field("Date of the activity", help_text="For example, 14 5 2025")
    uploads = MultipleFileField(
        label="Files",
        required=False,
        help_text=(
            f"You can choose several files. Each can be up to {{limit}} MB: {ALLOWED_DESCRIPTION}."
        ),
        error_messages={"required": "Choose at least one file to upload"},
    )
    confirm_identifiers = forms.BooleanField(
        required=False,
        label="I have checked: none of the things listed identify a person",
    )

    class Meta:
        model = Evidence
        fields = ["title", "activity_date", "evidence_type", "reflection", "personal_data_removed"]
        labels = {
            "title": "Title",
            "evidence_type": "Type of evidence",
            "reflection": "Reflection",
            "personal_data_removed": (
                "I have removed names, addresses, case numbers and other details that identify "
                "people on probation, victims or anyone else"
            ),
        }
        help_texts = {
            "reflection": "What you did, what you learned and how it shows the KSBs you map it to.",
            "personal_data_removed": "",
        }
        widgets = {"evidence_type": forms.RadioSelect}

    def __init__(
        self, *args: Any, oversized: list[str] | None = None, max_mb: int = 100, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.oversized = oversized or []
        self.fields["uploads"].help_text = self.fields["uploads"].help_text.replace(
            "{limit}", str(max_mb)
        )
        self.max_mb = max_mb
        # A file dropped for its size is reported by clean_uploads, not as a missing file.
        self.fields["uploads"].required = not self.instance.pk and not self.oversized
        self.fields["personal_data_removed"].required = True
        self.fields["personal_data_removed"].error_messages["required"] = (
            "Confirm you have removed details that identify people"
        )
        cast(forms.ChoiceField, self.fields["evidence_type"]).choices = Evidence.Type.choices
        self.findings: list[str] = []
        self.checked_files: list[CheckedUpload] = []
        self.helper = gds_helper(
            "Save and continue",
            Field.text("title"),
            Field("activity_date"),
            Field.radios("evidence_type", legend_size=Size.SMALL),
            Field.textarea("reflection", rows=8),
            Field("uploads"),
            Field.checkbox("personal_data_removed"),
            size=Size.SMALL,
        )
        if self.data.get("confirm_identifiers"):
            self.offer_confirmation()
        name_required_errors(self)

    def changes(self) -> dict[str, Any]:
        """The keyword arguments of `portfolio.create_evidence` and `update_evidence`."""
        data = self.cleaned_data
        editable = {k: v for k, v in data.items() if k in portfolio.EDITABLE_FIELDS}
        return {"files": data["uploads"], **editable}

    def offer_confirmation(self) -> None:
        """Show the 'none of these identify a person' box, once something was found."""
        names = {pointer.name for pointer in self.helper.layout.get_field_names()}
        if "confirm_identifiers" not in names:
            self.helper.layout.insert(-1, Field.checkbox("confirm_identifiers"))

    def clean_activity_date(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["activity_date"]
        if value > timezone.localdate():
            raise ValidationError("The date of the activity must be today or in the past")
        return value

    def clean_uploads(self) -> list[CheckedUpload]:
        if self.oversized:
            # The upload handler dropped these while they streamed in.
            raise ValidationError(
                f"{', '.join(self.oversized)} is larger than the limit of {self.max_mb} MB, so it "
                "was not uploaded. Make it smaller or split it, then try again"
            )
        checked = []
        errors = []
        for upload in self.cleaned_data.get("uploads") or []:
            try:
                checked.append(check_upload(upload))
            except FileTypeError as error:
                errors.append(ValidationError(f"{upload.name}: {error}"))
        if errors:
            raise ValidationError(errors)
        return checked

    def clean(self) -> dict[str, Any]:
        """Likely identifiers in the text and in the text of each new file, with where each
        one is; the apprentice removes them or ticks the box to confirm they are not."""
        cleaned = super().clean() or {}
        confirmed = set(self.instance.identifiers_confirmed or [])
        findings = [
            finding
            for finding in find_identifiers(cleaned.get("title", ""), cleaned.get("reflection", ""))
            if finding.key not in confirmed
        ]
        in_files = [
            (checked.name, found)
            for checked in cleaned.get("uploads") or []
            if (
                found := [
                    finding
                    for finding in find_in_passages(checked.passages)
                    if finding.key not in confirmed
                ]
            )
        ]
        every = findings + [finding for _, found in in_files for finding in found]
        if every:
            self.offer_confirmation()
        if every and not cleaned.get("confirm_identifiers"):
            if findings:
                self.add_error(
                    "reflection",
                    f"This may identify someone: {describe(findings)}. Remove it, or if it does "
                    "not identify anyone, tick the box to confirm",
                )
            for name, found in in_files:
                self.add_error(
                    "uploads",
                    f"{name} may identify someone: {describe(found)}. Remove them from the file "
                    "and choose it again, or if they do not identify anyone, choose the file "
                    "again and tick the box to confirm",
                )
        cleaned["identifiers_confirmed"] = sorted(confirmed | {f.key for f in every})
        chosen = cleaned.get("uploads") or []
        if self.errors and chosen and "uploads" not in self.errors:
            # A browser cannot keep chosen files across an answer from the server: say so
            # on the field, naming them, instead of dropping them without a word.
            names = ", ".join(upload.name for upload in chosen)
            self.add_error(
                "uploads",
                f"Choose your files again ({names}): they were not saved because of the "
                "other problems on this page, and a browser cannot keep chosen files",
            )
        return cleaned


@limited_text
class MappingForm(forms.Form):
    """The KSB checklist: a checkbox and a note for every KSB of the apprentice's version."""

    def __init__(self, *args: Any, ksbs: list[Any], current: dict[int, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ksbs = ksbs
        for ksb in ksbs:
            self.fields[f"ksb_{ksb.pk}"] = forms.BooleanField(
                required=False, label=f"{ksb.code}: {ksb.text}", initial=ksb.pk in current
            )
            self.fields[f"note_{ksb.pk}"] = forms.CharField(
                required=False,
                max_length=500,
                label=f"How the evidence shows {ksb.code}",
                initial=current.get(ksb.pk, ""),
            )

    def rows(self) -> list[tuple[Any, Any, Any]]:
        return [(ksb, self[f"ksb_{ksb.pk}"], self[f"note_{ksb.pk}"]) for ksb in self.ksbs]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not any(cleaned.get(f"ksb_{ksb.pk}") for ksb in self.ksbs):
            raise ValidationError("Select at least one KSB that the evidence shows")
        notes = [cleaned.get(f"note_{ksb.pk}", "") for ksb in self.ksbs]
        findings = find_identifiers(*notes)
        if findings:
            raise ValidationError(f"A note may identify someone: {describe(findings)}. Remove it")
        return cleaned

    def selected(self) -> dict[Any, str]:
        return {
            ksb: self.cleaned_data.get(f"note_{ksb.pk}", "").strip()
            for ksb in self.ksbs
            if self.cleaned_data.get(f"ksb_{ksb.pk}")
        }


@limited_text
class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[("accept", "Accept the evidence"), ("changes", "Ask for changes")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to accept the evidence or ask for changes"},
    )
    personal_data = forms.BooleanField(
        required=False,
        label="It contains personal data that must be removed",
        help_text="The apprentice is told it was returned because it contains personal data.",
    )
    comment = forms.CharField(
        required=False,
        label="Comment for the apprentice",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Required when you ask for changes: say what needs to change.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(
            "Save decision",
            Field.radios("decision", legend_size=Size.MEDIUM),
            Field.checkbox("personal_data"),
            Field.textarea("comment"),
            size=Size.SMALL,
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("personal_data"):
            cleaned["decision"] = "changes"
        if cleaned.get("decision") == "changes" and not cleaned.get("comment", "").strip():
            self.add_error("comment", "Say what the apprentice needs to change")
        return cleaned


@limited_text
class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why are you withdrawing this evidence?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why you are withdrawing this evidence"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper("Withdraw evidence", Field.textarea("reason"), size=Size.SMALL)


@limited_text
class MoveVersionForm(forms.Form):
    to_version = forms.ModelChoiceField(
        label="Move to version",
        queryset=StandardVersion.objects.none(),
        empty_label="Choose a version",
        error_messages={"required": "Choose the version to move to"},
    )

    def __init__(self, *args: Any, apprentice: Apprentice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["to_version"])
        field.queryset = StandardVersion.objects.filter(
            standard_id=apprentice.standard_version.standard_id
        ).exclude(pk=apprentice.standard_version_id)
        self.helper = gds_helper(
            "Show what would happen", Field.select("to_version"), size=Size.SMALL
        )


@limited_text
class ConfirmMoveForm(forms.Form):
    """The reason for a move and, when the new version is core and options, the
    apprentice's option in it (their old option, if any, is cleared otherwise)."""

    reason = forms.CharField(
        label="Why is the apprentice moving version?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the apprentice is moving version"},
    )

    def __init__(self, *args: Any, to_version: StandardVersion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: list[Any] = []
        options = to_version.options.all()
        if options.exists():
            self.fields["option"] = forms.ModelChoiceField(
                label=f"Option in version {to_version.version}",
                queryset=options,
                empty_label="Choose an option",
                help_text="The version is core and options: the apprentice does the core "
                "and one option.",
                error_messages={"required": "Choose the apprentice's option in the new version"},
            )
            fields.append(Field.select("option"))
        self.helper = gds_helper(None, *fields, Field.textarea("reason"), size=Size.SMALL)

    def move(self) -> dict[str, Any]:
        """The keyword arguments of `moving.move_apprentice`."""
        return {"reason": self.cleaned_data["reason"], "option": self.cleaned_data.get("option")}


@limited_text
class BreakForm(forms.ModelForm):
    starts_on = date_field("First day of the break", help_text="For example, 3 2 2025")
    ends_on = date_field(
        "Last day of the break", help_text="Leave empty while the break goes on", required=False
    )

    class Meta:
        model = BreakInLearning
        fields = ["starts_on", "ends_on", "reason"]
        labels = {"reason": "Reason (optional)"}

    def __init__(self, *args: Any, apprentice: Apprentice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.apprentice = apprentice
        self.helper = gds_helper(
            "Add break", Field("starts_on"), Field("ends_on"), Field.text("reason"), size=Size.SMALL
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and starts < self.apprentice.start_date:
            self.add_error("starts_on", "The break must start after the apprenticeship starts")
        if starts and ends and ends < starts:
            self.add_error("ends_on", "The last day of the break must be on or after the first")
        if starts:
            far = datetime.date.max
            overlapping = [
                b
                for b in self.apprentice.breaks.all()
                if b.starts_on <= (ends or far) and starts <= (b.ends_on or far)
            ]
            if overlapping:
                self.add_error(
                    "starts_on",
                    "This overlaps the " + str(overlapping[0]).replace("Break", "break", 1),
                )
        return cleaned


@limited_text
class ErasureForm(forms.Form):
    """An administrator confirms the erasure of an apprentice's personal data."""

    confirm = forms.BooleanField(
        label=(
            "I have checked there is no other reason to keep this data, such as a funding audit, "
            "a complaint or an appeal"
        ),
        error_messages={"required": "Confirm you have checked there is no reason to keep it"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(
            None,
            Field.checkbox("confirm"),
            Submit("submit", "Erase personal data", css_class="govuk-button--warning"),
        )


class EmployerMoveForm(forms.Form):
    to_employer = forms.ModelChoiceField(
        label="New employer",
        queryset=Organisation.objects.none(),
        empty_label="Choose the new employer",
        error_messages={"required": "Choose the new employer"},
    )
    reason = forms.CharField(
        label="Why is the apprentice moving?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the apprentice is moving"},
    )

    def __init__(self, *args: Any, apprentice: Apprentice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["to_employer"])
        field.queryset = Organisation.objects.filter(kind=Organisation.Kind.EMPLOYER).exclude(
            pk=apprentice.employer_id
        )
        self.helper = gds_helper(
            "Ask the new employer to accept",
            Field.select("to_employer"),
            Field.textarea("reason"),
            size=Size.SMALL,
        )
