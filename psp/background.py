"""What a page about background work (a PDF being built, a list of standards being imported,
a file of apprentices being checked or applied) shows while it waits: one shape for the
shared status templates (templates/work_status_page.html, templates/includes/work_pending.html).
"""

from __future__ import annotations

from dataclasses import dataclass

# The states static/js/report-status.js keeps checking the page for.
POLLED = ("queued", "running")


@dataclass(frozen=True)
class WorkStatus:
    """state: the work's status code, which the page's script watches; announcement: what a
    screen reader is told when the state changes; pending: whether the work is still to do
    (the page then shows the tag, the message, the hint and a "Check now" link to url)."""

    state: str
    pending: bool
    url: str
    announcement: str = ""
    tag: str = ""
    tag_class: str = "govuk-tag--grey"
    message: str = ""
    hint: str = ""
