"""PDF reports: asking for one, handing it to a worker, and building it.

Asking commits a Report row (queued) and returns at once. Reports are an outbox (psp.outbox):
after the commit the build task is handed to the broker with a short timeout and the row
records `dispatched_at`; if the broker is down the row simply stays undispatched.
`dispatch_pending` sends such rows later, and again any whose message was lost or whose
worker died: every worker runs it every SWEEP_SECONDS (see reports.tasks.ReportSweep), and so
does the `dispatch_reports` command. Building is idempotent: the row is claimed under a row
lock, and the file, named from the report's id, is written through the storage API (folder or
object store) by its one owner, under the row lock.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from pathlib import Path
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Q, QuerySet
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.safestring import mark_safe

from apprentices.models import Apprentice
from epa.models import Epa, GatewayAttempt
from progress.models import ProgressReview
from psp import notifications, outbox
from psp.background import WorkStatus
from psp.models import Organisation, User
from psp.storage import StorageUnavailable, storage_errors
from reports import contexts
from reports.models import Report, ReportError, report_file_path
from reports.pdf import html_to_pdf
from standards.models import StandardVersion

logger = logging.getLogger(__name__)

# Errors worth another try with backoff: the database or the file store went away for a
# moment.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    StorageUnavailable,
)
BUILD_SOFT_TIME_LIMIT = 120  # seconds; 500 evidence items (27 pages) take about 2
BUILD_TIME_LIMIT = 150
MAX_ATTEMPTS = 5  # builds started (retries and takeovers included) before giving up
SWEEP_SECONDS = 30
# A queued report sent this long ago was probably lost by the broker: send it again.
REDISPATCH_AFTER = datetime.timedelta(minutes=10)
# A report running this long has lost its worker (killed past the hard time limit).
RUNNING_STALE_AFTER = datetime.timedelta(seconds=BUILD_TIME_LIMIT + 60)
# The evidence index as one paragraph per item ("blocks") renders about twice as fast in
# WeasyPrint as a table of the same content; bench/report_render.py measures both.
EVIDENCE_LAYOUTS = ("blocks", "table")
EVIDENCE_LAYOUT = "blocks"


Subject = Apprentice | GatewayAttempt | Epa | ProgressReview | Organisation


def _subject_fields(subject: Subject, version: StandardVersion | None) -> dict[str, Any]:
    if isinstance(subject, Apprentice):
        return {"kind": Report.Kind.PORTFOLIO, "apprentice": subject}
    if isinstance(subject, GatewayAttempt):
        if subject.pack is None:
            raise ReportError(
                "This gateway attempt has not been submitted, so it has no gateway pack yet"
            )
        return {
            "kind": Report.Kind.GATEWAY_PACK,
            "apprentice_id": subject.apprentice_id,
            "gateway": subject,
        }
    if isinstance(subject, Epa):
        return {
            "kind": Report.Kind.EPA_RESULT,
            "apprentice_id": subject.apprentice_id,
            "epa": subject,
        }
    if isinstance(subject, ProgressReview):
        if not subject.is_locked:
            raise ReportError(
                "This progress review is not signed by the apprentice, the training provider "
                "and the employer yet, so it has no PDF"
            )
        return {
            "kind": Report.Kind.REVIEW,
            "apprentice_id": subject.apprentice_id,
            "review": subject,
        }
    if version is None:
        raise ReportError("Choose the standard version of the cohort")
    return {"kind": Report.Kind.COHORT, "organisation": subject, "standard_version": version}


@transaction.atomic
def request_report(
    subject: Subject, *, requested_by: User, version: StandardVersion | None = None
) -> Report:
    """Queue a report on an apprentice's portfolio, a gateway pack, an EPA, a signed progress
    review, or the cohort of an organisation on a standard version. The build is sent to a
    worker after the commit. Asking again while one is queued or running returns that one
    (sent again if its message looks lost), even when the requests come at the same time:
    each person's requests take turns on their user row."""
    fields = _subject_fields(subject, version)
    User.objects.select_for_update().filter(pk=requested_by.pk).values_list("pk").first()
    report = Report.objects.pending().filter(requested_by=requested_by, **fields).first()
    if report is None:
        report = Report.objects.create(requested_by=requested_by, **fields)
    elif report.pk not in reports_to_dispatch(ids=[report.pk]):
        return report  # already with a worker
    outbox.dispatch_after_commit(report)
    return report


def dispatch(report_id: int) -> bool:
    """Hand the build to the broker, giving up quickly if it is unreachable; never raises
    (psp.outbox). What it could not send, dispatch_pending sends."""
    return outbox.dispatch(Report, report_id)


def due_reports(now: datetime.datetime) -> QuerySet[Report]:
    """Reports never sent, sent long ago and still queued, or running past any time limit,
    oldest first: the report outbox's rows to hand to the broker (again)."""
    Status = Report.Status
    return Report.objects.filter(
        Q(status=Status.QUEUED, dispatched_at__isnull=True)
        | Q(status=Status.QUEUED, dispatched_at__lt=now - REDISPATCH_AFTER)
        | Q(status=Status.RUNNING, started_at__lt=now - RUNNING_STALE_AFTER)
    ).order_by("requested_at", "id")


def reports_to_dispatch(
    *, now: datetime.datetime | None = None, ids: list[int] | None = None
) -> list[int]:
    """The ids of the due reports (of those ids, if given), oldest first."""
    due = due_reports(now or timezone.now())
    if ids is not None:
        due = due.filter(pk__in=ids)
    return list(due.values_list("pk", flat=True)[: outbox.SWEEP_BATCH])


def dispatch_pending(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Send the reports that need sending; stop at the first failure (the broker is down).

    Returns (sent, still waiting). Sending twice is harmless: a build claims its report.
    """
    return outbox.dispatch_pending([Report], now=now)


# The reports queued ahead of one, in SQL written once: the ORM spent about 0.25 ms of CPU
# building the same COUNT on each visit to a queued report's page (which refreshes itself),
# this 0.05 ms (tests/reports/test_building.py compares the two). On the index of status.
_AHEAD_SQL = (
    f"SELECT COUNT(*) FROM {Report._meta.db_table} "
    "WHERE status = %s AND requested_at < %s AND id <> %s"
)


def queued_ahead(report: Report) -> int:
    """How many other reports were queued before this one and wait still."""
    # As the ORM passes a time (SQLite compares them as text in its own format).
    requested_at = connection.ops.adapt_datetimefield_value(report.requested_at)
    with connection.cursor() as cursor:
        cursor.execute(_AHEAD_SQL, [Report.Status.QUEUED.value, requested_at, report.pk])
        row = cursor.fetchone()
    return int(row[0])


def status_of(report: Report) -> WorkStatus:
    """Where a report is, for its status page (templates/work_status_page.html)."""
    announcements: dict[str, str] = {
        Report.Status.READY: "Your PDF is ready to download",
        Report.Status.FAILED: "The PDF could not be built",
        Report.Status.RUNNING: "Building the PDF",
    }
    running = report.status == Report.Status.RUNNING
    return WorkStatus(
        state=report.status,
        pending=report.is_pending,
        url=report.get_absolute_url(),
        announcement=announcements.get(report.status, ""),
        tag=report.get_status_display(),
        tag_class="govuk-tag--blue" if running else "govuk-tag--grey",
        # Shown only while the report is queued or running.
        message=_waiting_message(report) if report.is_pending else "",
        hint="Building a PDF usually takes less than a minute.",
    )


def _waiting_message(report: Report) -> str:
    if report.status == Report.Status.RUNNING:
        again = f" (try {report.attempts})" if report.attempts > 1 else ""
        return f"Building the PDF{again}. Long portfolios take up to a minute."
    late = timezone.now() - report.requested_at > datetime.timedelta(seconds=10)
    if report.dispatched_at is None and late:
        return (
            "The background service that builds reports cannot be reached at the moment. "
            "Your report is saved and will be built as soon as it is back: you can leave this "
            "page and find it later in your reports."
        )
    ahead = queued_ahead(report)
    if ahead:
        return f"Waiting for {ahead} report{pluralize(ahead)} ahead of it."
    return "Waiting for the report builder to start."


# Building


def build(report_id: int, *, retrying: bool = False) -> Report | None:
    """Build the report's PDF unless it is built, failed, or being built by another worker.

    Transient database errors propagate (the task retries them with backoff); any other
    failure marks the report failed with a reason a user can read.
    """
    report = _claim(report_id, retrying=retrying)
    if report is None:
        return None
    try:
        content = render_pdf(report)
    except TRANSIENT_ERRORS:
        raise
    except SoftTimeLimitExceeded:
        return fail(
            report_id,
            reason=(
                f"The PDF took more than {BUILD_SOFT_TIME_LIMIT // 60} minutes to build and was "
                "stopped. Try again later."
            ),
        )
    except Exception as error:
        logger.exception("Report %s could not be built", report_id)
        return fail(report_id, reason=f"The PDF could not be built: {short_reason(error)}")
    return _store(report, content)


@transaction.atomic
def _claim(report_id: int, *, retrying: bool) -> Report | None:
    report = Report.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        logger.warning("Report %s does not exist; nothing to build", report_id)
        return None
    now = timezone.now()
    if report.status in (Report.Status.READY, Report.Status.FAILED):
        return None
    if (
        report.status == Report.Status.RUNNING
        and not retrying
        and report.started_at
        and report.started_at > now - RUNNING_STALE_AFTER
    ):
        return None  # another worker is building it now
    if report.attempts >= MAX_ATTEMPTS:
        report.status = Report.Status.FAILED
        report.failure_reason = (
            f"The report could not be built: it was tried {report.attempts} times without "
            "finishing. Ask for it again, and tell support if it fails again."
        )
        report.finished_at = now
        report.save(update_fields=["status", "failure_reason", "finished_at"])
        return None
    report.status = Report.Status.RUNNING
    report.started_at = now
    report.attempts += 1
    report.save(update_fields=["status", "started_at", "attempts"])
    return report


def _store(report: Report, content: bytes) -> Report:
    """Write the PDF to storage under the row lock, if this build still owns the report.

    Through the storage API only (a folder or an object store): the one owner deletes the
    previous file of the same name and writes the new one. A store that cannot be reached
    raises StorageUnavailable, which the task retries with backoff."""
    name = report_file_path(report, "")
    with transaction.atomic():
        current = Report.objects.select_for_update().get(pk=report.pk)
        if current.status != Report.Status.RUNNING or current.attempts != report.attempts:
            return current  # a later build took it over; that build writes the file
        try:
            default_storage.delete(name)
            stored_name = default_storage.save(name, ContentFile(content))
        except storage_errors() as error:
            raise StorageUnavailable(
                "The file store could not be reached to keep the report"
            ) from error
        current.file.name = stored_name
        current.sha256 = hashlib.sha256(content).hexdigest()
        current.size = len(content)
        current.status = Report.Status.READY
        current.failure_reason = ""
        current.finished_at = timezone.now()
        current.save(
            update_fields=["file", "sha256", "size", "status", "failure_reason", "finished_at"]
        )
        # Once, with the row that says it is ready: the person who asked need not wait on it.
        notifications.notify(
            current.requested_by,
            notifications.REPORT_READY,
            subject=f"Your report is ready: {current.get_kind_display()}",
            body=f"The PDF you asked for ({current.subject_name}) is ready to download.",
            url=current.get_absolute_url(),
        )
        return current


def fail(report_id: int, *, reason: str) -> Report | None:
    """Mark a queued or running report failed, with a reason a user can read."""
    try:
        Report.objects.filter(
            pk=report_id, status__in=(Report.Status.QUEUED, Report.Status.RUNNING)
        ).update(status=Report.Status.FAILED, failure_reason=reason, finished_at=timezone.now())
    except DatabaseError:
        logger.exception("Report %s could not be marked failed", report_id)
        return None
    return Report.objects.filter(pk=report_id).first()


def short_reason(error: BaseException, limit: int = 200) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def render_pdf(report: Report) -> bytes:
    return html_to_pdf(render_html(report), base_url=Path(settings.BASE_DIR) / "static")


def render_html(
    report: Report,
    *,
    generated_at: datetime.datetime | None = None,
    evidence_layout: str = EVIDENCE_LAYOUT,
) -> str:
    """The report as one HTML document. Its content hash covers everything but the
    generated-at time, so the same data always gives the same hash."""
    if evidence_layout not in EVIDENCE_LAYOUTS:
        raise ValueError(f"evidence_layout must be one of {EVIDENCE_LAYOUTS}")
    context = contexts.CONTEXTS[report.kind](report)
    context["evidence_layout"] = evidence_layout
    body = render_to_string(f"reports/pdf/{report.kind}.html", context)
    content_hash = hashlib.sha256(body.encode()).hexdigest()
    generated_at = timezone.localtime(generated_at or timezone.now())
    margins = {
        "top_left": report.get_kind_display(),
        "top_right": f"{context['subject_name']} · {context['standard_name']}",
        "bottom_left": (
            f"Generated {formats.date_format(generated_at, 'j F Y, H:i T')} for "
            f"{report.requested_by} · report {report.pk}\nContent SHA-256 {content_hash}"
        ),
    }
    return render_to_string(
        "reports/pdf/document.html",
        {
            **context,
            "report": report,
            # Both rendered by our own autoescaping code just above.
            "body": mark_safe(body),
            "margins": {name: mark_safe(css_string(text)) for name, text in margins.items()},
            "content_hash": content_hash,
            "generated_at": generated_at,
        },
    )


def css_string(text: str) -> str:
    """A quoted CSS string; anything but letters, digits and plain punctuation is escaped,
    so it is also safe inside an HTML <style> element."""
    plain = " ,.:;()/·–-"
    escaped = "".join(c if c.isalnum() or c in plain else f"\\{ord(c):x} " for c in text)
    return f'"{escaped}"'
