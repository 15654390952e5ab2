"""Background tasks of the reports app: building PDF reports, and sweeping up unsent ones.

Tasks take ids, load rows and call reports.building. build_report is sent only by
reports.building.dispatch: after the commit of the request that created the report, or by the
sweep for reports already committed. dispatch_reports is sent by every worker's ReportSweep.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task

from psp import outbox
from psp.storage import StorageUnavailable
from psp.sweeping import WorkerSweep, register_sweep
from reports import building
from reports.models import Report

logger = logging.getLogger(__name__)


class ReportTask(Task):  # type: ignore[misc]
    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        # Retries used up, or an error outside the build: say so on the report.
        report_id = args[0] if args else kwargs.get("report_id")
        if isinstance(exc, building.TRANSIENT_ERRORS):
            what = "file store" if isinstance(exc, StorageUnavailable) else "database"
            reason = (
                f"The {what} could not be reached while building the report "
                f"(tried {self.request.retries + 1} times). Ask for it again later."
            )
        else:
            reason = f"The PDF could not be built: {building.short_reason(exc)}"
        building.fail(report_id, reason=reason)


@shared_task(
    base=ReportTask,
    bind=True,
    autoretry_for=building.TRANSIENT_ERRORS,
    max_retries=4,
    retry_backoff=5,
    retry_backoff_max=120,
    retry_jitter=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=building.BUILD_SOFT_TIME_LIMIT,
    time_limit=building.BUILD_TIME_LIMIT,
)
def build_report(self: Task, report_id: int) -> None:
    building.build(report_id, retrying=self.request.retries > 0)


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def dispatch_reports() -> None:
    sent, waiting = building.dispatch_pending()
    if sent or waiting:
        logger.info("Reports sent to the broker: %s; still waiting: %s", sent, waiting)


class ReportSweep(WorkerSweep):
    """Every SWEEP_SECONDS each worker sends dispatch_reports, which re-sends reports the
    broker never got (it was down when they were asked for) or lost (psp.sweeping)."""

    task = dispatch_reports
    seconds = building.SWEEP_SECONDS
    label = "Report sweep"


outbox.register(
    outbox.Outbox(
        Report, task=build_report.name, due=building.due_reports, dispatched="dispatched_at"
    )
)
register_sweep(ReportSweep)
