"""The status tags of long lists are filters (apprentices.templatetags.status_tags) and
their addresses reversed once (psp.addresses): the same HTML as before."""

import pytest
from django.template import Context, Template
from django.urls import reverse

from apprentices.models import Apprentice, Evidence

# What apprentices/_evidence_status_tag.html and _apprentice_status_tag.html printed as
# {% if %} chains before they became filters.
EVIDENCE_COLOURS = {
    "draft": "yellow",
    "submitted": "blue",
    "changes_requested": "orange",
    "accepted": "green",
    "withdrawn": "grey",
}
APPRENTICE_COLOURS = {
    "on_programme": "blue",
    "break": "orange",
    "gateway": "purple",
    "in_epa": "purple",
    "completed": "green",
    "withdrawn": "grey",
}


def render(source, **context):
    return Template(source).render(Context(context)).strip()


@pytest.mark.parametrize("status", [value for value, _ in Evidence.Status.choices])
@pytest.mark.parametrize("submission_count", [1, 2])
def test_evidence_status_tag(status, submission_count):
    evidence = Evidence(status=status, submission_count=submission_count)
    expected = (
        f'<strong class="govuk-tag govuk-tag--{EVIDENCE_COLOURS[status]}">'
        f"{evidence.status_label}</strong>"
    )
    assert render("{% load status_tags %}{{ e|evidence_status_tag }}", e=evidence) == expected
    assert render('{% include "apprentices/_evidence_status_tag.html" %}', evidence=evidence) == (
        expected
    )
    if status == "submitted" and submission_count == 2:
        assert "Resubmitted" in expected


@pytest.mark.parametrize("status", [value for value, _ in Apprentice.Status.choices])
def test_apprentice_status_tag(status):
    apprentice = Apprentice(status=status)
    expected = (
        f'<strong class="govuk-tag govuk-tag--{APPRENTICE_COLOURS[status]}">'
        f"{apprentice.get_status_display()}</strong>"
    )
    assert render("{% load status_tags %}{{ a|apprentice_status_tag }}", a=apprentice) == expected
    included = render(
        '{% include "apprentices/_apprentice_status_tag.html" %}', apprentice=apprentice
    )
    assert included == expected


@pytest.mark.parametrize(
    "name",
    ["apprentices:evidence_review", "apprentices:evidence_detail", "apprentices:apprentice_detail"],
)
@pytest.mark.parametrize("pk", [1, 7, 918_273_645, 12_345_678_901])
def test_address_is_what_reverse_gives(name, pk):
    assert render("{% load addresses %}{{ pk|address:name }}", pk=pk, name=name) == reverse(
        name, args=[pk]
    )
    assert Evidence(pk=pk).get_absolute_url() == reverse("apprentices:evidence_detail", args=[pk])
    assert Apprentice(pk=pk).get_absolute_url() == reverse(
        "apprentices:apprentice_detail", args=[pk]
    )
