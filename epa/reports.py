"""PDF reports: asking for one, handing it to a worker, and building it.

Asking commits a Report row (queued) and returns at once. After the commit, `dispatch` tries
to hand the build task to the broker with a short timeout and records `dispatched_at`; if the
broker is down the row simply stays undispatched (a transactional outbox). `dispatch_pending`
sends such rows later, and again any whose message was lost or whose worker died: every
worker runs it every SWEEP_SECONDS (see epa.tasks.ReportSweep), and so does the
`dispatch_reports` command. Building is idempotent: the row is claimed under a row lock, and
the file, named from the report's id, is written through the storage API (folder or object
store) by its one owner, under the row lock.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import Prefetch, Q
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.safestring import mark_safe

from apprentices.coverage import Coverage, cohort_for, coverage_for
from apprentices.models import Apprentice, Evidence, EvidenceFile, EvidenceKSB
from epa import gateway as gateway_flow
from epa import grading
from epa.models import Epa, GatewayAttempt, GatewayItem, Report, report_file_path
from progress.models import ProgressReview, ReviewSignature
from psp import notifications
from psp.models import Organisation, User
from psp.storage import StorageUnavailable, storage_errors
from standards.models import KSB, AssessmentMethod, StandardVersion, ksb_kind_order

logger = logging.getLogger(__name__)

# Errors worth another try with backoff: the database or the file store went away for a
# moment.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    StorageUnavailable,
)
BUILD_SOFT_TIME_LIMIT = 120  # seconds; 500 evidence items (30 pages) take about 5
BUILD_TIME_LIMIT = 150
MAX_ATTEMPTS = 5  # builds started (retries and takeovers included) before giving up
SWEEP_SECONDS = 30
# A queued report sent this long ago was probably lost by the broker: send it again.
REDISPATCH_AFTER = datetime.timedelta(minutes=10)
# A report running this long has lost its worker (killed past the hard time limit).
RUNNING_STALE_AFTER = datetime.timedelta(seconds=BUILD_TIME_LIMIT + 60)
# The evidence index as one paragraph per item ("blocks") renders two to three times faster
# in WeasyPrint than a table of the same content; bench/report_render.py measures both.
EVIDENCE_LAYOUTS = ("blocks", "table")
EVIDENCE_LAYOUT = "blocks"


class ReportError(Exception):
    """This report cannot be asked for; the message says why, in words for the user."""


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
    transaction.on_commit(partial(dispatch, report.pk), robust=True)
    return report


def dispatch(report_id: int) -> bool:
    """Hand the build to the broker, giving up quickly if it is unreachable; never raises.

    Called after the Report row is committed; what it could not send, dispatch_pending sends.
    """
    from epa.tasks import build_report

    app = build_report.app
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(
                max_retries=1,
                interval_start=0,
                interval_step=0.2,
                timeout=app.conf.broker_connection_timeout,
            )
            build_report.apply_async((report_id,), connection=connection, retry=False)
    except Exception:
        logger.warning(
            "Report %s was not sent to the broker; it will be sent when the broker is back",
            report_id,
            exc_info=True,
        )
        return False
    Report.objects.filter(pk=report_id).update(dispatched_at=timezone.now())
    return True


def reports_to_dispatch(
    *, now: datetime.datetime | None = None, ids: list[int] | None = None
) -> list[int]:
    """Reports never sent, sent long ago and still queued, or running past any time limit
    (of those ids, if given), oldest first."""
    now = now or timezone.now()
    Status = Report.Status
    due = Report.objects.filter(
        Q(status=Status.QUEUED, dispatched_at__isnull=True)
        | Q(status=Status.QUEUED, dispatched_at__lt=now - REDISPATCH_AFTER)
        | Q(status=Status.RUNNING, started_at__lt=now - RUNNING_STALE_AFTER)
    )
    if ids is not None:
        due = due.filter(pk__in=ids)
    return list(due.order_by("requested_at", "id").values_list("pk", flat=True)[:200])


def dispatch_pending(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Send the reports that need sending; stop at the first failure (the broker is down).

    Returns (sent, still waiting). Sending twice is harmless: a build claims its report.
    """
    waiting = reports_to_dispatch(now=now)
    sent = 0
    for report_id in waiting:
        if not dispatch(report_id):
            break
        sent += 1
    return sent, len(waiting) - sent


@dataclass(frozen=True)
class Progress:
    """Where a report is, for its status page."""

    queued_ahead: int  # reports asked for earlier and not yet started
    waiting_for_broker: bool  # not yet handed to a worker: the broker was unreachable


def progress(report: Report) -> Progress:
    queued = report.status == Report.Status.QUEUED
    ahead = (
        Report.objects.filter(status=Report.Status.QUEUED, requested_at__lt=report.requested_at)
        .exclude(pk=report.pk)
        .count()
        if queued
        else 0
    )
    late = timezone.now() - report.requested_at > datetime.timedelta(seconds=10)
    return Progress(ahead, waiting_for_broker=queued and report.dispatched_at is None and late)


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
    from epa.pdf import html_to_pdf

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
    context = CONTEXTS[report.kind](report)
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


def _subject_id(value: int | None) -> int:
    if value is None:  # the report_has_its_subject constraint makes this impossible
        raise ReportError("The report has no subject")
    return value


def _apprentice(pk: int) -> Apprentice:
    return Apprentice.objects.select_related(
        "user",
        "standard_version__standard",
        "standard_version__epa_plan",
        "employer",
        "training_provider",
        "epao",
    ).get(pk=pk)


def _heading(version: StandardVersion) -> dict[str, Any]:
    return {
        "version": version,
        "standard_name": f"{version.standard.reference} {version.title}, version {version.version}",
    }


@dataclass(frozen=True)
class EvidenceEntry:
    number: int
    evidence: Evidence
    codes: str
    files: list[EvidenceFile]


def _evidence_index(apprentice: Apprentice) -> list[EvidenceEntry]:
    evidence = (
        apprentice.evidence.current()
        .order_by("activity_date", "id")
        .prefetch_related(
            Prefetch("files", queryset=EvidenceFile.objects.filter(removed_at__isnull=True)),
            Prefetch(
                "mappings",
                queryset=EvidenceKSB.objects.select_related("ksb").order_by(
                    ksb_kind_order("ksb__kind"), "ksb__number"
                ),
            ),
        )
    )
    return [
        EvidenceEntry(
            number,
            item,
            ", ".join(mapping.ksb.code for mapping in item.mappings.all()),
            list(item.files.all()),
        )
        for number, item in enumerate(evidence, start=1)
    ]


def _method_matrix(coverage: Coverage) -> list[tuple[Any, list[bool]]]:
    """Each KSB's coverage with, for each assessment method, whether the method assesses it."""
    methods = [m.method for m in coverage.methods]
    assessed = set(
        AssessmentMethod.ksbs.through.objects.filter(
            assessmentmethod__in=[m.pk for m in methods]
        ).values_list("assessmentmethod_id", "ksb_id")
    )
    return [
        (row, [(method.pk, row.ksb.pk) in assessed for method in methods]) for row in coverage.rows
    ]


def portfolio_context(report: Report) -> dict[str, Any]:
    apprentice = _apprentice(_subject_id(report.apprentice_id))
    coverage = coverage_for(apprentice)
    index = _evidence_index(apprentice)
    return {
        **_heading(apprentice.standard_version),
        "subject_name": apprentice.name,
        "apprentice": apprentice,
        "coverage": coverage,
        "matrix": _method_matrix(coverage),
        "methods": [m.method for m in coverage.methods],
        "evidence_index": index,
        "file_count": sum(len(entry.files) for entry in index),
        "withdrawn_count": apprentice.evidence.filter(status=Evidence.Status.WITHDRAWN).count(),
    }


def gateway_pack_context(report: Report) -> dict[str, Any]:
    attempt = GatewayAttempt.objects.select_related("submitted_by", "decided_by").get(
        pk=_subject_id(report.gateway_id)
    )
    apprentice = _apprentice(attempt.apprentice_id)
    items = list(attempt.items.select_related("confirmed_by", "decided_by"))
    declarations = (GatewayItem.Kind.EMPLOYER, GatewayItem.Kind.PROVIDER)
    pack = attempt.pack or {"evidence": []}
    pack_evidence = [
        {
            **item,
            "activity_date": datetime.date.fromisoformat(item["activity_date"]),
            "accepted_at": datetime.datetime.fromisoformat(item["accepted_at"])
            if item.get("accepted_at")
            else None,
        }
        for item in pack["evidence"]
    ]
    return {
        **_heading(apprentice.standard_version),
        "subject_name": apprentice.name,
        "apprentice": apprentice,
        "attempt": attempt,
        "pack": pack,
        "pack_evidence": pack_evidence,
        "pack_verified": gateway_flow.pack_hash(pack) == attempt.pack_hash,
        "supplement": gateway_flow.supplement(attempt),
        "checklist": [item for item in items if item.kind not in declarations],
        "declarations": [item for item in items if item.kind in declarations],
        "file_count": sum(len(item["files"]) for item in pack["evidence"]),
    }


def epa_result_context(report: Report) -> dict[str, Any]:
    epa = Epa.objects.select_related("assessor", "gateway").get(pk=_subject_id(report.epa_id))
    apprentice = _apprentice(epa.apprentice_id)
    epa.apprentice = apprentice
    assessments = list(
        epa.assessments.select_related("method", "recorded_by").prefetch_related(
            "questions", "criterion_decisions__criterion", "moderations__moderator"
        )
    )
    results = list(
        epa.results.select_related("assessor", "moderator").prefetch_related("amendments__by")
    )
    # As on the EPA page: grades show once final, or to the EPAO's own people.
    show_grades = report.requested_by.has_perm("epa.view_grades", epa)
    return {
        **_heading(apprentice.standard_version),
        "subject_name": apprentice.name,
        "apprentice": apprentice,
        "epa": epa,
        "amendments": [(r, amendment) for r in results for amendment in r.amendments.all()],
        "assessments": assessments,
        "results": results,
        "plan_revision": epa.plan.revision,
        "show_grades": show_grades,
        "provisional": grading.current_overall(epa)
        if show_grades and epa.status != Epa.Status.FINAL
        else None,
    }


def cohort_context(report: Report) -> dict[str, Any]:
    organisation = report.organisation
    version = StandardVersion.objects.select_related("standard").get(
        pk=_subject_id(report.standard_version_id)
    )
    apprentices = Apprentice.objects.visible_to(report.requested_by).filter(
        Q(employer=organisation) | Q(training_provider=organisation)
    )
    cohort = cohort_for(apprentices, version)
    tables = []
    for kind, label in KSB.Kind.choices:
        columns = [i for i, ksb in enumerate(cohort.ksbs) if ksb.kind == kind]
        if columns:
            tables.append(
                {
                    "label": label,
                    "ksbs": [cohort.ksbs[i] for i in columns],
                    "totals": [cohort.ksb_totals[i] for i in columns],
                    "rows": [(row, [row.cells[i] for i in columns]) for row in cohort.rows],
                }
            )
    return {
        **_heading(version),
        "subject_name": str(organisation),
        "organisation": organisation,
        "cohort": cohort,
        "summary": [(row, row.percent_accepted(), row.gaps) for row in cohort.rows],
        "tables": tables,
    }


def review_context(report: Report) -> dict[str, Any]:
    """The signed review as its page shows it, with the three signatures."""
    review = ProgressReview.objects.select_related("recorded_by").get(
        pk=_subject_id(report.review_id)
    )
    apprentice = _apprentice(review.apprentice_id)
    review.apprentice = apprentice
    signatures = {s.party: s for s in review.signatures.all()}
    return {
        **_heading(apprentice.standard_version),
        "subject_name": apprentice.name,
        "apprentice": apprentice,
        "review": review,
        "prefill": review.prefill,
        "period_start": review.period_start,
        "period_end": review.held_on,
        "assessed_targets": list(review.assessed_targets.order_by("id")),
        "targets": list(review.targets.order_by("id")),
        "ksb_comments": list(review.ksb_comments.select_related("ksb").order_by("id")),
        "signatures": [
            (label, signatures.get(party)) for party, label in ReviewSignature.Party.choices
        ],
    }


CONTEXTS: dict[str, Callable[[Report], dict[str, Any]]] = {
    Report.Kind.PORTFOLIO: portfolio_context,
    Report.Kind.GATEWAY_PACK: gateway_pack_context,
    Report.Kind.EPA_RESULT: epa_result_context,
    Report.Kind.COHORT: cohort_context,
    Report.Kind.REVIEW: review_context,
}
