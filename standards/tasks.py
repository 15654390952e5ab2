"""Background work of the standards app (Celery)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from psp import outbox
from standards.models import BulkImport
from standards.uploads import run_bulk_import

# The API's whole download (about 2,000 versions) takes 1 to 2 minutes on a busy 2-core
# machine (docs/performance.md): well beyond the default limit of a task.
BULK_IMPORT_SOFT_LIMIT = 1800


@shared_task(
    acks_late=True,
    ignore_result=True,
    soft_time_limit=BULK_IMPORT_SOFT_LIMIT,
    time_limit=BULK_IMPORT_SOFT_LIMIT + 60,
)
def import_standards_file(bulk_import_id: int) -> None:
    """Import every version of an uploaded list of standard versions (standards.uploads)."""
    run_bulk_import(bulk_import_id)


def queue_bulk_import(sender: Any, bulk_import: BulkImport, **kwargs: Any) -> None:
    """Queue the import once the upload's transaction commits (standards.uploads'
    bulk_import_started, connected in StandardsConfig.ready())."""
    outbox.queue_after_commit(import_standards_file.name, bulk_import.pk)
