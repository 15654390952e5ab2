"""Forms for off-the-job training and progress reviews (GOV.UK Design System)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, cast

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Size
from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance
from django.utils import dateformat, timezone

from apprentices.forms import date_field
from apprentices.identifiers import describe, find_identifiers
from apprentices.models import Apprentice
from progress.models import OffTheJobEntry, ProgressReview, ReviewSigningLink, ReviewTarget
from progress.reviews import Record, suggested_date
from psp.forms import gds_helper, limited_text, name_required_errors
from standards.models import KSB


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
        self.helper = gds_helper(
            "Save training",
            Field("date"),
            Field.text("hours", field_width=5),
            Field.radios("activity", legend_size=Size.SMALL),
            Field.textarea("description", rows=4),
            Field.select("evidence"),
            Field.checkboxes("ksbs", legend_size=Size.SMALL, small=True),
            size=Size.SMALL,
        )

    @classmethod
    def for_apprentice(cls, data: Any, apprentice: Apprentice) -> OffTheJobEntryForm:
        """The form logging a new entry of `apprentice`'s training."""
        return cls(data, instance=OffTheJobEntry(apprentice=apprentice), apprentice=apprentice)

    @classmethod
    def for_entry(cls, data: Any, entry: OffTheJobEntry) -> OffTheJobEntryForm:
        """The form changing `entry`."""
        return cls(data, instance=entry, apprentice=entry.apprentice)

    def resubmit(self) -> OffTheJobEntry:
        """Save the changed entry, sent for approval again."""
        self.instance.status = OffTheJobEntry.Status.SUBMITTED
        return self.save()

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
        self.helper = gds_helper(
            "Query the entry", Field.textarea("query", rows=3), size=Size.SMALL
        )


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
        self.helper = gds_helper(
            "Save",
            Field.text("contracted_hours_per_week", field_width=4),
            Field.text("practical_period_weeks", field_width=4),
            Field.text("prior_learning_reduction", field_width=5),
            Field.radios("prior_learning_unit", inline=True),
            Field.text("review_interval_weeks", field_width=3),
            size=Size.SMALL,
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
class ReviewScheduleForm(forms.Form):
    due_on = date_field("Review date", help_text="For example, 5 3 2026")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper("Schedule review", Field("due_on"), size=Size.SMALL)

    @classmethod
    def for_apprentice(cls, data: Any, apprentice: Apprentice) -> ReviewScheduleForm:
        """The form scheduling `apprentice`'s next review, on the date it falls due."""
        return cls(data, initial={"due_on": suggested_date(apprentice)})

    def schedule(self) -> dict[str, Any]:
        """The arguments of reviews.schedule_review, beyond the apprentice and who."""
        return {"due_on": self.cleaned_data["due_on"]}


NEW_TARGET_ROWS = 3
NEW_COMMENT_ROWS = 3
MAX_ROWS = 100  # of each kind; a longer review is a tampered form


def _row_helper(*fields: Any) -> FormHelper:
    """Fields only: the review's form and each of its rows go inside one <form> and button."""
    helper = gds_helper(None, *fields, size=Size.SMALL)
    helper.disable_csrf = True
    return helper


class RowFormSet(forms.BaseFormSet):
    """Numbers its rows from 1 for their labels and error messages ("Target 2 date")."""

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "number": (index or 0) + 1}


@limited_text
class TargetProgressForm(forms.Form):
    """Progress against one of the targets set in the last review."""

    progress = forms.ChoiceField(choices=ReviewTarget.Progress.choices, widget=forms.RadioSelect)
    note = forms.CharField(label="Comment", required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, target: ReviewTarget, number: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.target = target
        self.fields["progress"].label = f"Progress against: {target.text}"
        self.fields["progress"].error_messages["required"] = (
            f"Record progress against: {target.text}"
        )
        self.helper = _row_helper(
            Field.radios("progress", inline=True), Field.textarea("note", rows=2)
        )


class BaseTargetProgressFormSet(RowFormSet):
    def __init__(self, data: Any = None, *, targets: list[ReviewTarget]) -> None:
        self.targets = targets
        initial = [{"progress": t.progress or None, "note": t.progress_note} for t in targets]
        super().__init__(data, initial=initial, prefix="progress")

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "target": self.targets[index or 0]}

    def total_form_count(self) -> int:
        return len(self.targets)  # one row for each target, whatever the form says


@limited_text
class NewTargetForm(forms.Form):
    text = forms.CharField(required=False, widget=forms.Textarea)
    due_on = date_field("Target date", required=False)

    def __init__(self, *args: Any, number: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.number = number
        self.fields["text"].label = f"Target {number}"
        self.fields["due_on"].label = f"Target {number} date"
        self.fields["due_on"].error_messages["incomplete"] = (
            f"Enter the target {number} date in full"
        )
        self.helper = _row_helper(Field.textarea("text", rows=2), Field("due_on"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("due_on") and not cleaned.get("text", "").strip():
            self.add_error("text", f"Describe target {self.number}, or remove its date")
        return cleaned


@limited_text
class KsbCommentForm(forms.Form):
    ksb = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    comment = forms.CharField(required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, number: int, ksbs: list[KSB], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.number = number
        ksb = cast(forms.TypedChoiceField, self.fields["ksb"])
        ksb.label = f"KSB {number}"
        ksb.choices = [("", "Choose a KSB")] + [(k.pk, f"{k.code}: {k.text[:90]}") for k in ksbs]
        self.fields["comment"].label = f"Comment on KSB {number}"
        self.helper = _row_helper(Field.select("ksb"), Field.textarea("comment", rows=2))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        ksb, comment = cleaned.get("ksb"), cleaned.get("comment", "").strip()
        if comment and not ksb:
            self.add_error("ksb", f"Choose the KSB comment {self.number} is about")
        if ksb and not comment:
            self.add_error("comment", f"Write the comment on KSB {self.number}")
        return cleaned


class BaseKsbCommentFormSet(RowFormSet):
    def clean(self) -> None:
        seen: set[int] = set()
        for form in self.forms:
            ksb = form.cleaned_data.get("ksb") if hasattr(form, "cleaned_data") else None
            if ksb and ksb in seen:
                form.add_error("ksb", "Write one comment for each KSB")
            if ksb:
                seen.add(ksb)


NewTargetFormSet = forms.formset_factory(
    NewTargetForm, formset=RowFormSet, extra=NEW_TARGET_ROWS, max_num=MAX_ROWS, validate_max=True
)
KsbCommentFormSet = forms.formset_factory(
    KsbCommentForm,
    formset=BaseKsbCommentFormSet,
    extra=NEW_COMMENT_ROWS,
    max_num=MAX_ROWS,
    validate_max=True,
)
TargetProgressFormSet = cast(
    type[BaseTargetProgressFormSet],
    forms.formset_factory(TargetProgressForm, formset=BaseTargetProgressFormSet, extra=0),
)


@limited_text
class ReviewRecordForm(forms.Form):
    """The reviewer's record: the date and summary here, and three formsets of rows:
    progress against last time's targets, new targets and KSB-specific comments. Blank
    rows are ignored; saving again adds more rows. Valid when all four are."""

    held_on = date_field("Date the review was held", help_text="For example, 5 3 2026")
    summary = forms.CharField(
        label="Progress since the last review",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Summarise the progress since the last review"},
    )

    def __init__(
        self,
        data: Any = None,
        *,
        review: ProgressReview,
        previous_targets: list[ReviewTarget],
    ) -> None:
        super().__init__(data)
        self.ksbs = list(review.apprentice.standard_version.ksbs.in_standard_order())
        self.initial.setdefault("held_on", review.held_on or timezone.localdate())
        self.initial.setdefault("summary", review.summary)
        self.helper = _row_helper(Field("held_on"), Field.textarea("summary", rows=6))
        self.progress = TargetProgressFormSet(data, targets=previous_targets)
        self.targets = NewTargetFormSet(
            data,
            prefix="targets",
            initial=[{"text": t.text, "due_on": t.due_on} for t in review.targets.all()],
        )
        self.comments = KsbCommentFormSet(
            data,
            prefix="comments",
            initial=[{"ksb": c.ksb_id, "comment": c.comment} for c in review.ksb_comments.all()],
            form_kwargs={"ksbs": self.ksbs},
        )
        self.formsets = [self.progress, self.targets] + ([self.comments] if self.ksbs else [])

    def is_valid(self) -> bool:
        valid = [super().is_valid()] + [formset.is_valid() for formset in self.formsets]
        return all(valid)

    @property
    def all_forms(self) -> list[forms.Form]:
        """This form and every row, for the error summary."""
        return [self] + [form for formset in self.formsets for form in formset]

    @property
    def has_errors(self) -> bool:
        return any(form.errors for form in self.all_forms) or any(
            formset.non_form_errors() for formset in self.formsets
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        held_on = cleaned.get("held_on")
        if held_on and held_on > timezone.localdate():
            self.add_error("held_on", "The date the review was held must be today or in the past")
        texts = [cleaned.get("summary", "")] + [
            row.cleaned_data.get(name, "")
            for formset in self.formsets
            if formset.is_bound
            for row in formset
            if row.is_valid()
            for name in ("note", "text", "comment")
            if isinstance(row.cleaned_data.get(name), str)
        ]
        # A review names the apprentice's colleagues (Mr Patel, their manager) as a matter of
        # course, and has no box to confirm a finding, so names are not looked for here.
        findings = find_identifiers(*texts, names=False)
        if findings:
            self.add_error("summary", f"This may identify someone: {describe(findings)}. Remove it")
        return cleaned

    def record(self) -> Record:
        data = self.cleaned_data
        by_id = {ksb.pk: ksb for ksb in self.ksbs}
        rows = [row.cleaned_data for row in self.comments] if self.ksbs else []
        return Record(
            held_on=data["held_on"],
            summary=data["summary"],
            progress={
                row.target.pk: (row.cleaned_data["progress"], row.cleaned_data.get("note", ""))
                for row in self.progress
            },
            targets=[
                (row.cleaned_data["text"].strip(), row.cleaned_data.get("due_on"))
                for row in self.targets
                if row.cleaned_data.get("text", "").strip()
            ],
            comments={
                by_id[row["ksb"]]: row["comment"].strip() for row in rows if row.get("ksb") in by_id
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
        self.helper = gds_helper("Sign the review", *fields, size=Size.SMALL)

    @classmethod
    def for_link(cls, data: Any, link: ReviewSigningLink) -> ReviewSignForm:
        """The form an employer contact signs with through `link`: it asks their name."""
        return cls(data, ask_name=True, initial={"name": link.name})


@limited_text
class SigningLinkForm(forms.Form):
    """Send a signing link to the signing contact on the employer's record: the address is
    never typed here, so whoever sends the link cannot send it to themselves."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper("Email a signing link", size=Size.SMALL)
        # Its page has another form whose button would have the same id.
        self.helper.inputs[-1].id = "submit-signing-link"
