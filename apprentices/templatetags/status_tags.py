"""{{ evidence|evidence_status_tag }} and {{ apprentice|apprentice_status_tag }}: the
status tags that apprentices/_evidence_status_tag.html and _apprentice_status_tag.html
print, without an {% include %} per row of a long list."""

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

_EVIDENCE_COLOURS = {
    "accepted": "green",
    "changes_requested": "orange",
    "submitted": "blue",
    "withdrawn": "grey",
}
_APPRENTICE_COLOURS = {
    "on_programme": "blue",
    "completed": "green",
    "withdrawn": "grey",
    "break": "orange",
}


def _tag(colour: str, label: str) -> SafeString:
    return format_html('<strong class="govuk-tag govuk-tag--{}">{}</strong>', colour, label)


@register.filter
def evidence_status_tag(evidence: Any) -> SafeString:
    return _tag(_EVIDENCE_COLOURS.get(evidence.status, "yellow"), evidence.status_label)


@register.filter
def apprentice_status_tag(apprentice: Any) -> SafeString:
    colour = _APPRENTICE_COLOURS.get(apprentice.status, "purple")
    return _tag(colour, apprentice.get_status_display())
