"""Forms for apprentices, evidence, KSB mapping and review (GOV.UK Design System)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, cast

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Field, Fieldset, Layout, Size, Submit
from crispy_forms_gds.widgets import DateInputWidget
from django import forms
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import construct_instance
from django.utils import dateformat, timezone

from apprentices.filetypes import ALLOWED_DESCRIPTION, FileTypeError
from apprentices.identifiers import describe, find_identifiers, find_in_passages
from apprentices.models import (
    Apprentice,
    BreakInLearning,
    Evidence,
    OffTheJobEntry,
    ProgressReview,
    ReviewTarget,
)
from apprentices.uploads import CheckedUpload, check_upload
from psp import accounts
from psp.forms import limited_text, name_required_errors
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


def _helper(button: str, *fields: Any) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.label_size = Size.SMALL
    helper.legend_size = Size.SMALL
    if fields:
        helper.layout = Layout(*fields, Submit("submit", button))
    else:
        helper.add_input(Submit("submit", button))
    return helper


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
        self.helper = _helper("Save apprentice" if self.instance.pk else "Add apprentice")
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
        )  # _helper() added the submit button
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
        self.helper = _helper(
            "Save and continue",
            Field.text("title"),
            Field("activity_date"),
            Field.radios("evidence_type", legend_size=Size.SMALL),
            Field.textarea("reflection", rows=8),
            Field("uploads"),
            Field.checkbox("personal_data_removed"),
        )
        if self.data.get("confirm_identifiers"):
            self.offer_confirmation()
        name_required_errors(self)

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
        self.helper = _helper(
            "Save decision",
            Field.radios("decision", legend_size=Size.MEDIUM),
            Field.checkbox("personal_data"),
            Field.textarea("comment"),
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
        self.helper = _helper("Withdraw evidence", Field.textarea("reason"))


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
        self.helper = _helper("Show what would happen", Field.select("to_version"))


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
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.label_size = Size.SMALL
        self.helper.layout = Layout(*fields, Field.textarea("reason"))


# Off-the-job training and progress reviews


@limited_text
class OffTheJobEntryForm(forms.ModelForm):
    """An apprentice logs off-the-job training, optionally linked to evidence and KSBs."""

    date = date_field("Date of the training", help_text="For example, 14 5 2025")
    hours = forms.DecimalField(
        label="Hours",
        min_value=Decimal("0.25"),
        max_value=Decimal("24"),
        max_digits=4,
        decimal_places=2,
        help_text="For example, 2.5 for two and a half hours",
        # A text box, as GOV.UK advises for numbers: type="number" takes no error styling.
        widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false"}),
        error_messages={
            "required": "Enter the hours of training",
            "invalid": "Enter the hours as a number, like 2.5",
            "min_value": "The hours must be at least 0.25 (15 minutes)",
            "max_value": "The hours must be 24 or fewer: one entry is one day's training",
            "max_digits": "Enter the hours as a number up to 24, like 2.5",
            "max_decimal_places": "Enter the hours with at most 2 decimal places, like 2.25",
        },
    )

    class Meta:
        model = OffTheJobEntry
        fields = ["date", "hours", "activity", "description", "evidence", "ksbs"]
        labels = {
            "activity": "Type of training",
            "description": "What you did and learned",
            "evidence": "Related evidence (optional)",
            "ksbs": "KSBs it helped you develop (optional)",
        }
        widgets = {"activity": forms.RadioSelect, "ksbs": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, apprentice: Apprentice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.apprentice = apprentice
        fields = cast(dict[str, Any], self.fields)
        fields["activity"].choices = OffTheJobEntry.Activity.choices
        fields["evidence"].queryset = apprentice.evidence.current().order_by("-activity_date")
        fields["evidence"].empty_label = "None"
        fields["ksbs"].queryset = apprentice.standard_version.ksbs.in_standard_order()
        fields["ksbs"].label_from_instance = lambda ksb: f"{ksb.code}: {ksb.text}"
        fields["description"].error_messages["required"] = "Say what you did and learned"
        fields["activity"].error_messages["required"] = "Choose the type of training"
        self.helper = _helper(
            "Save training",
            Field("date"),
            Field.text("hours", field_width=5),
            Field.radios("activity", legend_size=Size.SMALL),
            Field.textarea("description", rows=4),
            Field.select("evidence"),
            Field.checkboxes("ksbs", legend_size=Size.SMALL, small=True),
        )

    def clean_date(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["date"]
        if value > timezone.localdate():
            raise ValidationError("The date of the training must be today or in the past")
        if value < self.apprentice.start_date:
            raise ValidationError(
                "The date of the training must be on or after the start of the apprenticeship, "
                f"{dateformat.format(self.apprentice.start_date, 'j F Y')}"
            )
        return value


@limited_text
class OffTheJobQueryForm(forms.Form):
    query = forms.CharField(
        label="What does the apprentice need to clarify?",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what the apprentice needs to clarify"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Query the entry", Field.textarea("query", rows=3))


def number_field(
    label: str,
    *,
    help_text: str,
    whole: bool,
    min_value: Decimal,
    max_value: Decimal,
    messages: dict[str, str],
    required: bool = True,
) -> forms.Field:
    """A number typed in a GOV.UK text input (`type="number"` takes no error styling and
    changes the value on scroll), with the limits said in plain words."""
    widget = forms.TextInput(
        attrs={"inputmode": "numeric" if whole else "decimal", "spellcheck": "false"}
    )
    if whole:
        return forms.IntegerField(
            label=label,
            help_text=help_text,
            required=required,
            min_value=int(min_value),
            max_value=int(max_value),
            widget=widget,
            error_messages=messages,
        )
    return forms.DecimalField(
        label=label,
        help_text=help_text,
        required=required,
        min_value=min_value,
        max_value=max_value,
        max_digits=6,
        decimal_places=1,
        widget=widget,
        error_messages={
            "max_decimal_places": f"Enter the {label.lower()} with at most 1 decimal place",
            "max_digits": messages["invalid"],
            **messages,
        },
    )


@limited_text
class OffTheJobPlanForm(forms.ModelForm):
    """What the off-the-job requirement is worked out from, and how often reviews are held."""

    contracted_hours_per_week = number_field(
        "Contracted hours a week",
        help_text="Paid working hours a week in the apprentice's contract, without overtime. "
        "For example, 37.5",
        whole=False,
        required=False,
        min_value=Decimal("0.1"),
        max_value=Decimal(168),
        messages={
            "invalid": "Enter the contracted hours as a number, like 37.5",
            "min_value": "Contracted hours must be more than 0, or leave the box empty",
            "max_value": "Contracted hours must be 168 or fewer (the hours in a week)",
        },
    )
    practical_period_weeks = number_field(
        "Planned duration of the practical period, in weeks",
        help_text="Leave empty to use the weeks from the start date to the planned gateway date.",
        whole=True,
        required=False,
        min_value=Decimal(1),
        max_value=Decimal(520),
        messages={
            "invalid": "Enter the duration as a whole number of weeks, like 60",
            "min_value": "The duration must be at least 1 week, or leave the box empty",
            "max_value": "The duration must be 520 weeks (10 years) or fewer",
        },
    )
    prior_learning_reduction = number_field(
        "Reduction for prior learning",
        help_text="Off-the-job training the apprentice does not need because of prior "
        "learning. 0 if none.",
        whole=False,
        min_value=Decimal(0),
        max_value=Decimal("99999.9"),
        messages={
            "required": "Enter the reduction for prior learning, or 0 if there is none",
            "invalid": "Enter the reduction as a number, like 40 or 12.5",
            "min_value": "The reduction cannot be less than 0",
            "max_value": "The reduction must be 99999.9 or less",
        },
    )
    review_interval_weeks = number_field(
        "Weeks between progress reviews",
        help_text="The next review is suggested this many weeks after the last one.",
        whole=True,
        min_value=Decimal(1),
        max_value=Decimal(52),
        messages={
            "required": "Enter the weeks between progress reviews, like 12",
            "invalid": "Enter the weeks between reviews as a whole number, like 12",
            "min_value": "Reviews must be at least 1 week apart",
            "max_value": "Reviews must be at most 52 weeks (a year) apart",
        },
    )

    class Meta:
        model = Apprentice
        fields = [
            "contracted_hours_per_week",
            "practical_period_weeks",
            "prior_learning_reduction",
            "prior_learning_unit",
            "review_interval_weeks",
        ]
        labels = {
            "contracted_hours_per_week": "Contracted hours a week",
            "practical_period_weeks": "Planned duration of the practical period, in weeks",
            "prior_learning_reduction": "Reduction for prior learning",
            "prior_learning_unit": "The reduction is in",
            "review_interval_weeks": "Weeks between progress reviews",
        }
        widgets = {"prior_learning_unit": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["prior_learning_unit"]).choices = [
            ("hours", "Hours"),
            ("percent", "Percent of the requirement"),
        ]
        self.helper = _helper(
            "Save",
            Field.text("contracted_hours_per_week", field_width=4),
            Field.text("practical_period_weeks", field_width=4),
            Field.text("prior_learning_reduction", field_width=5),
            Field.radios("prior_learning_unit", inline=True),
            Field.text("review_interval_weeks", field_width=3),
        )
        name_required_errors(self)

    def _post_clean(self) -> None:
        # Only this form's fields and their constraints: the model's clean() checks the
        # version's start window, which is the apprentice form's to validate, not this one's.
        exclude = self._get_validation_exclusions()  # type: ignore[attr-defined]
        self.instance = construct_instance(self, self.instance, self._meta.fields)
        try:
            self.instance.clean_fields(exclude=exclude)
            self.instance.validate_constraints(exclude=exclude)
        except ValidationError as error:
            self._update_errors(error)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        reduction = cleaned.get("prior_learning_reduction")
        if cleaned.get("prior_learning_unit") == "percent" and reduction and reduction > 100:
            self.add_error("prior_learning_reduction", "A percentage reduction must be 100 or less")
        return cleaned


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
        self.helper = _helper(
            "Add break", Field("starts_on"), Field("ends_on"), Field.text("reason")
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
class ReviewScheduleForm(forms.Form):
    due_on = date_field("Review date", help_text="For example, 5 3 2026")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Schedule review", Field("due_on"))


NEW_TARGET_ROWS = 3
NEW_COMMENT_ROWS = 3


@limited_text
class ReviewRecordForm(forms.Form):
    """The reviewer's record: progress against last time's targets, new targets and
    KSB-specific comments. Blank rows are ignored; saving again adds more rows."""

    held_on = date_field("Date the review was held", help_text="For example, 5 3 2026")
    summary = forms.CharField(
        label="Progress since the last review",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Summarise the progress since the last review"},
    )

    def __init__(
        self,
        *args: Any,
        review: ProgressReview,
        previous_targets: list[ReviewTarget],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.previous_targets = previous_targets
        self.ksbs = list(review.apprentice.standard_version.ksbs.in_standard_order())
        self.initial.setdefault("held_on", review.held_on or timezone.localdate())
        self.initial.setdefault("summary", review.summary)
        layout: list[Any] = [Field("held_on"), Field.textarea("summary", rows=6)]
        for target in previous_targets:
            self.fields[f"progress_{target.pk}"] = forms.ChoiceField(
                label=f"Progress against: {target.text}",
                choices=ReviewTarget.Progress.choices,
                widget=forms.RadioSelect,
                initial=target.progress or None,
                error_messages={"required": f"Record progress against: {target.text}"},
            )
            self.fields[f"progress_note_{target.pk}"] = forms.CharField(
                label="Comment",
                required=False,
                initial=target.progress_note,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            layout += [
                Field.radios(f"progress_{target.pk}", inline=True),
                Field.textarea(f"progress_note_{target.pk}", rows=2),
            ]
        if previous_targets:
            layout.insert(2, HTML('<h2 class="govuk-heading-m">Targets set last time</h2>'))
        targets = [(t.text, t.due_on) for t in review.targets.all()]
        layout.append(HTML('<h2 class="govuk-heading-m">New targets</h2>'))
        for n in range(1, len(targets) + NEW_TARGET_ROWS + 1):
            text, due_on = targets[n - 1] if n <= len(targets) else ("", None)
            self.fields[f"target_{n}"] = forms.CharField(
                label=f"Target {n}",
                required=False,
                initial=text,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"target_due_{n}"] = date_field(f"Target {n} date", required=False)
            self.initial.setdefault(f"target_due_{n}", due_on)
            layout += [Field.textarea(f"target_{n}", rows=2), Field(f"target_due_{n}")]
        self.target_rows = len(targets) + NEW_TARGET_ROWS
        comments = [(c.ksb_id, c.comment) for c in review.ksb_comments.all()]
        choices = [("", "Choose a KSB")] + [(k.pk, f"{k.code}: {k.text[:90]}") for k in self.ksbs]
        if self.ksbs:
            layout.append(HTML('<h2 class="govuk-heading-m">Comments on KSBs</h2>'))
        for n in range(1, (len(comments) + NEW_COMMENT_ROWS + 1) if self.ksbs else 1):
            ksb_id, comment = comments[n - 1] if n <= len(comments) else ("", "")
            self.fields[f"ksb_{n}"] = forms.TypedChoiceField(
                label=f"KSB {n}",
                required=False,
                choices=choices,
                coerce=int,
                empty_value=None,
                initial=ksb_id,
            )
            self.fields[f"ksb_comment_{n}"] = forms.CharField(
                label=f"Comment on KSB {n}",
                required=False,
                initial=comment,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            layout += [Field.select(f"ksb_{n}"), Field.textarea(f"ksb_comment_{n}", rows=2)]
        self.comment_rows = len(comments) + NEW_COMMENT_ROWS if self.ksbs else 0
        self.helper = _helper("Save and ask for signatures", *layout)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        held_on = cleaned.get("held_on")
        if held_on and held_on > timezone.localdate():
            self.add_error("held_on", "The date the review was held must be today or in the past")
        for n in range(1, self.target_rows + 1):
            if cleaned.get(f"target_due_{n}") and not cleaned.get(f"target_{n}", "").strip():
                self.add_error(f"target_{n}", f"Describe target {n}, or remove its date")
        seen: set[int] = set()
        for n in range(1, self.comment_rows + 1):
            ksb, comment = cleaned.get(f"ksb_{n}"), cleaned.get(f"ksb_comment_{n}", "").strip()
            if comment and not ksb:
                self.add_error(f"ksb_{n}", f"Choose the KSB comment {n} is about")
            if ksb and not comment:
                self.add_error(f"ksb_comment_{n}", f"Write the comment on KSB {n}")
            if ksb and ksb in seen:
                self.add_error(f"ksb_{n}", "Write one comment for each KSB")
            if ksb:
                seen.add(ksb)
        texts = [cleaned.get("summary", "")] + [
            cleaned.get(name, "")
            for name in self.fields
            if name.startswith(("target_", "ksb_comment_", "progress_note_"))
            and isinstance(cleaned.get(name), str)
        ]
        # A review names the apprentice's colleagues (Mr Patel, their manager) as a matter of
        # course, and has no box to confirm a finding, so names are not looked for here.
        findings = find_identifiers(*texts, names=False)
        if findings:
            self.add_error("summary", f"This may identify someone: {describe(findings)}. Remove it")
        return cleaned

    def record(self) -> Any:
        from apprentices.reviews import Record

        data = self.cleaned_data
        by_id = {ksb.pk: ksb for ksb in self.ksbs}
        return Record(
            held_on=data["held_on"],
            summary=data["summary"],
            progress={
                t.pk: (data[f"progress_{t.pk}"], data.get(f"progress_note_{t.pk}", ""))
                for t in self.previous_targets
            },
            targets=[
                (data[f"target_{n}"].strip(), data.get(f"target_due_{n}"))
                for n in range(1, self.target_rows + 1)
                if data.get(f"target_{n}", "").strip()
            ],
            comments={
                by_id[data[f"ksb_{n}"]]: data[f"ksb_comment_{n}"].strip()
                for n in range(1, self.comment_rows + 1)
                if data.get(f"ksb_{n}") in by_id
            },
        )


@limited_text
class ReviewSignForm(forms.Form):
    confirm = forms.BooleanField(
        label="I have read this review and agree it is an accurate record",
        error_messages={"required": "Confirm you have read the review and agree with it"},
    )

    def __init__(self, *args: Any, ask_name: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: list[Any] = []
        if ask_name:
            self.fields["name"] = forms.CharField(
                label="Your full name",
                max_length=200,
                error_messages={"required": "Enter your full name"},
            )
            fields.append(Field.text("name", field_width=20))
        fields.append(Field.checkbox("confirm"))
        self.helper = _helper("Sign the review", *fields)


@limited_text
class SigningLinkForm(forms.Form):
    """Send a signing link to the signing contact on the employer's record: the address is
    never typed here, so whoever sends the link cannot send it to themselves."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper("Email a signing link")
        # Its page has another form whose button would have the same id.
        self.helper.inputs[-1].id = "submit-signing-link"


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
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
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
        self.helper = _helper(
            "Ask the new employer to accept", Field.select("to_employer"), Field.textarea("reason")
        )
