"""{{ field|govuk_control }}: a text input or textarea with the classes and error attributes
crispy-forms-gds gives it, for the repeated question rows of the grading form
(epa/_question_row.html), which crispy's field template made two thirds of the page's time.
Only for fields without help text; tests/epa/test_question_rows.py compares the markup with
crispy's for empty, filled and invalid fields."""

from typing import Any

from django import template
from django.utils.safestring import SafeString

register = template.Library()

_CLASSES = {"TextInput": "govuk-input", "Textarea": "govuk-textarea"}


@register.filter
def govuk_control(field: Any) -> SafeString:
    widget = field.field.widget
    attrs = {"class": _CLASSES[type(widget).__name__]}
    if field.errors:  # Django adds aria-invalid
        attrs["class"] += " govuk-input--error"
        attrs["aria-describedby"] = " ".join(
            f"{field.auto_id}_{n}_error" for n in range(1, len(field.errors) + 1)
        )
    return SafeString(field.as_widget(attrs=attrs))
