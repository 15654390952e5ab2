"""The grading form's fields printed in Python, with the markup crispy-forms-gds prints for
them: `{{ field|govuk_field }}` (a text input, textarea or radios with its form group, label
or legend, hint and errors), `{{ field|govuk_control }}` (the input or textarea alone) and
`{{ field|govuk_hidden }}` (a hidden input, or a form's: a formset's management form).

Why by hand: the grading form has some thirty inputs, and crispy's field template (a dozen
nested includes) and Django's widget templates (one template render per input) made it the
costliest page of the service: 32 ms of CPU a request against the bare page's 3.6. Only the
widgets listed below are printed here; any other raises TypeError, so a new kind of field
goes through crispy (the date of the assessment does). tests/epa/test_question_rows.py
compares the markup, parsed, with crispy's for empty, filled and invalid fields.

One difference: crispy prints labels and legends unescaped (`|safe`); here they are
escaped, as they are plain text (the grading criteria's descriptors come from EPA plans).
"""

from __future__ import annotations

from typing import Any, cast

from django import forms, template
from django.forms import BoundField
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# crispy-forms-gds's class for each widget (its CrispyGDSFieldNode's converters).
_CLASSES = {forms.TextInput: "govuk-input", forms.Textarea: "govuk-textarea"}
# The widget templates printed here: text and hidden inputs (both include input.html),
# and textareas.
_TEXTAREA = "django/forms/widgets/textarea.html"
_TEMPLATES = {"django/forms/widgets/text.html", "django/forms/widgets/hidden.html", _TEXTAREA}
_ERROR = (
    '<span id="{}_{}_error" class="govuk-error-message">'
    '<span class="govuk-visually-hidden">Error:</span> {}</span>'
)


def _attrs(attrs: dict[str, Any]) -> str:
    """Attributes as django/forms/widgets/attrs.html prints them: True as the bare name,
    False left out, anything else as a string."""
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def _widget(field: BoundField, extra: dict[str, Any]) -> SafeString:
    """What `field.as_widget(attrs=extra)` prints for an input or textarea, without its
    template: the same attributes (the widget's, then required, aria-invalid and id, as
    BoundField.as_widget adds them) and the same value."""
    widget = field.field.widget
    attrs = field.build_widget_attrs(extra, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    if widget.template_name not in _TEMPLATES:
        raise TypeError(f"{type(widget).__name__} is printed by crispy, not govuk_fields")
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    name = conditional_escape(context["name"])
    if widget.template_name == _TEXTAREA:
        value = conditional_escape(context["value"]) if context["value"] else ""
        return mark_safe(f'<textarea name="{name}"{_attrs(context["attrs"])}>\n{value}</textarea>')
    value = context["value"]
    shown = "" if value is None else f' value="{conditional_escape(str(value))}"'
    return mark_safe(
        f'<input type="{context["type"]}" name="{name}"{shown}{_attrs(context["attrs"])}>'
    )


def _describedby(field: BoundField) -> list[str]:
    hint = [f"{field.auto_id}_hint"] if field.help_text else []
    return hint + [f"{field.auto_id}_{n}_error" for n in range(1, len(field.errors) + 1)]


@register.filter
def govuk_control(field: BoundField) -> SafeString:
    """The text input or textarea with the classes and aria-describedby crispy gives it."""
    widget = field.field.widget
    kind = _CLASSES.get(type(widget))
    if kind is None:
        raise TypeError(f"{type(widget).__name__} is printed by crispy, not govuk_fields")
    classes = [kind]
    classes += [c for c in widget.attrs.get("class", "").split() if c not in classes]
    if field.errors:  # on a textarea too, as crispy does; Django adds aria-invalid
        classes.append("govuk-input--error")
    extra: dict[str, Any] = {"class": " ".join(classes)}
    if described := _describedby(field):
        extra["aria-describedby"] = " ".join(described)
    return _widget(field, extra)


def _hint_and_errors(field: BoundField) -> str:
    hint = (
        format_html('<div id="{}_hint" class="govuk-hint">{}</div>', field.auto_id, field.help_text)
        if field.help_text
        else ""
    )
    errors = "".join(
        format_html(_ERROR, field.auto_id, n, error) for n, error in enumerate(field.errors, 1)
    )
    return hint + errors


def _radios(field: BoundField) -> str:
    chosen = str(field.value())
    choices: Any = cast(forms.ChoiceField, field.field).choices  # (value, label) pairs
    items = []
    for position, (value, label) in enumerate(choices, 1):
        item_id = f"id_{field.html_name}_{position}"
        checked = ' checked="checked"' if str(value) == chosen else ""
        items.append(
            format_html(
                '<div class="govuk-radios__item"><input type="radio" name="{}" '
                'class="govuk-radios__input" id="{}" value="{}"{}>'
                '<label class="govuk-label govuk-radios__label" for="{}">{}</label></div>',
                field.html_name,
                item_id,
                value,
                mark_safe(checked),
                item_id,
                label,
            )
        )
    # crispy's radios.html: the hint's id, then a space before each error's.
    described = (
        format_html(
            ' aria-describedby="{}{}"',
            f"{field.auto_id}_hint" if field.help_text else "",
            "".join(f" {field.auto_id}_{n}_error" for n in range(1, len(field.errors) + 1)),
        )
        if field.help_text or field.errors
        else ""
    )
    return format_html(
        '<fieldset class="govuk-fieldset"{}><legend class="govuk-fieldset__legend '
        'govuk-fieldset__legend--s">{}</legend>{}<div class="govuk-radios">{}</div></fieldset>',
        mark_safe(described),
        field.label,
        mark_safe(_hint_and_errors(field)),
        mark_safe("".join(items)),
    )


@register.filter
def govuk_field(field: BoundField) -> SafeString:
    """The field's form group as crispy's gds/field.html prints it with small labels and
    legends (epa/_field.html): a text input, a textarea or radios."""
    widget = field.field.widget
    if isinstance(widget, forms.RadioSelect):
        body = _radios(field)
    else:
        control = govuk_control(field)  # raises TypeError for any other widget
        body = format_html(
            '<label for="{}" class="govuk-label govuk-label--s">{}</label>{}{}',
            field.id_for_label,
            field.label,
            mark_safe(_hint_and_errors(field)),
            control,
        )
    error = " govuk-form-group--error" if field.errors else ""
    return format_html(
        '<div id="div_{}" class="govuk-form-group{}">\n{}\n</div>\n',
        field.auto_id,
        error,
        mark_safe(body),
    )


@register.filter
def govuk_hidden(hidden: BoundField | forms.BaseForm) -> SafeString:
    """A hidden field's input; or a form's hidden inputs one after the other, as Django
    prints a form of hidden fields only (a formset's management form). A form with errors
    (a management form tampered with) is printed by Django, with them."""
    if isinstance(hidden, BoundField):
        return _widget(hidden, {})
    if hidden.errors:
        return SafeString(str(hidden))
    return mark_safe("".join(_widget(field, {}) for field in hidden.hidden_fields()))
