"""{{ rag|rag_tag }}: the red, amber or green tag of a progress flag, as
apprentices/_rag_tag.html prints it, without an {% include %} per cell of a long list."""

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_TAGS = {
    "red": mark_safe('<strong class="govuk-tag govuk-tag--red">Red</strong>'),
    "amber": mark_safe('<strong class="govuk-tag govuk-tag--orange">Amber</strong>'),
    "green": mark_safe('<strong class="govuk-tag govuk-tag--green">Green</strong>'),
}
_UNKNOWN = mark_safe('<strong class="govuk-tag govuk-tag--grey">Not known</strong>')


@register.filter
def rag_tag(rag: object) -> SafeString:
    return _TAGS.get(rag, _UNKNOWN) if isinstance(rag, str) else _UNKNOWN
