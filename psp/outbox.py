"""Background work after a commit, and the transactional outbox that makes it survive a broker
that is down.

`queue_after_commit(task_name, *args)` is the one way workflows queue a Celery task: once the
transaction commits, the task is handed to the broker by name (so domain code never imports a
tasks module, and tasks modules import domain code, never the reverse), giving up quickly if
the broker is unreachable; a failure is logged, never raised into the action.

An outbox is a table whose rows each stand for one piece of such work (an email to send, a PDF
to build): the row is committed first, its task is handed to the broker after the commit and
the row records when (`dispatch`), and each app's sweep hands over again the rows its outbox
says are due (`dispatch_pending`): never handed over because the broker was down, or handed
over so long ago that the message was lost. Each app registers its outboxes (`register`), from
its tasks module, imported in its AppConfig.ready().

Rows that send one email each (psp.models.EmailOutbox: notifications, account emails, review
signing links) share the rest here too: `deliver_email` claims the pending email (once only,
however often the task runs), sends it, retries with backoff, and marks it sent or failed.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from psp.models import EmailOutbox

logger = logging.getLogger(__name__)

Email = EmailOutbox.Email

# A pending email never handed to the broker (it was down) is sent by the sweep after this.
RESEND_AFTER = datetime.timedelta(minutes=1)
# One handed to the broker this long ago and still pending was lost: send it again. A task
# that retries counts its email as handed over when the retry is due (release_email), so a
# retry waiting out its countdown is never doubled.
REDISPATCH_AFTER = datetime.timedelta(minutes=1)
# A claim this old belongs to a task that died while sending. It may have sent, so it is
# marked failed rather than sent again: an email is never sent twice.
CLAIM_STALE_AFTER = datetime.timedelta(minutes=15)
SWEEP_BATCH = 200
EMAIL_MAX_RETRIES = 5


def queue(task_name: str, *args: Any, sent: Callable[[], object] | None = None) -> bool:
    """Hand a task to the broker now, giving up quickly if it is unreachable; never raises.
    Calls `sent` once the broker has it. False if it was not handed over."""
    task = current_app.tasks[task_name]
    app = task.app
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(
                max_retries=1,
                interval_start=0,
                interval_step=0.2,
                timeout=app.conf.broker_connection_timeout,
            )
            task.apply_async(args=args, connection=connection, retry=False)
    except Exception:
        logger.warning(
            "%s%r was not sent to the broker; it is sent again when the broker is back",
            task_name,
            args,
            exc_info=True,
        )
        return False
    if sent is not None:
        sent()
    return True


def queue_after_commit(
    task_name: str, *args: Any, sent: Callable[[], object] | None = None
) -> None:
    """Queue a task by name once the current transaction commits (see queue)."""
    transaction.on_commit(partial(queue, task_name, *args, sent=sent), robust=True)


@dataclass(frozen=True)
class Outbox:
    """A table of work to hand to the broker: the task (by name) that does one row's work by
    id, which rows are due to be handed over (again) at a time, oldest first, the field that
    records when a row was handed over, and, for emails, whether a row's email is still
    wanted and what to load with it."""

    model: type[models.Model]
    task: str
    due: Callable[[datetime.datetime], QuerySet[Any]]
    dispatched: str = "email_dispatched_at"
    wanted: Callable[[Any], bool] | None = None
    related: tuple[str, ...] = ()


_outboxes: dict[type[models.Model], Outbox] = {}


def register(outbox: Outbox) -> None:
    _outboxes[outbox.model] = outbox


def outbox_of(model: type[models.Model]) -> Outbox:
    return _outboxes[model]  # registered by each app's tasks module, imported in ready()


def email_outboxes() -> list[type[models.Model]]:
    return [model for model in _outboxes if issubclass(model, EmailOutbox)]


def _mark_dispatched(model: type[models.Model], row_id: int) -> None:
    field = outbox_of(model).dispatched
    model._default_manager.filter(pk=row_id).update(**{field: timezone.now()})


def dispatch(model: type[models.Model], row_id: int) -> bool:
    """Hand a committed row's task to the broker and record when; never raises."""
    return queue(outbox_of(model).task, row_id, sent=partial(_mark_dispatched, model, row_id))


def dispatch_after_commit(row: models.Model) -> None:
    """Hand the row's task to the broker once the row is committed."""
    model = type(row)
    task = outbox_of(model).task
    queue_after_commit(task, row.pk, sent=partial(_mark_dispatched, model, row.pk))


def dispatch_pending(
    models_: Iterable[type[models.Model]], *, now: datetime.datetime | None = None
) -> tuple[int, int]:
    """Hand over the due rows of these outboxes (emails no longer wanted are marked so);
    stop at the first failure (the broker is down). Returns (sent, still waiting).

    Sending one twice is harmless: each task claims its row, and only one claim succeeds.
    """
    now = now or timezone.now()
    sent = waiting_total = 0
    for model in models_:
        outbox = outbox_of(model)
        if issubclass(model, EmailOutbox):
            _abandon_stale_claims(model, now)
        waiting = []
        for row in outbox.due(now)[:SWEEP_BATCH]:
            if outbox.wanted is None or outbox.wanted(row):
                waiting.append(row.pk)
            else:
                model._default_manager.filter(pk=row.pk, email_status=Email.QUEUED).update(
                    email_status=Email.NOT_WANTED
                )
        waiting_total += len(waiting)
        for row_id in waiting:
            if not dispatch(model, row_id):
                return sent, waiting_total - sent
            sent += 1
    return sent, waiting_total - sent


# Rows that send one email each (psp.models.EmailOutbox).


def emails_due(model: type[EmailOutbox], created: str = "created_at") -> Callable[..., Any]:
    """The `due` of an email outbox: pending emails never handed to the broker for
    RESEND_AFTER, or handed to it REDISPATCH_AFTER ago (the message was lost)."""

    def due(now: datetime.datetime) -> QuerySet[Any]:
        return (
            model._default_manager.filter(
                Q(email_dispatched_at__isnull=True, **{f"{created}__lt": now - RESEND_AFTER})
                | Q(email_dispatched_at__lt=now - REDISPATCH_AFTER),
                email_status=Email.QUEUED,
            )
            .select_related(*outbox_of(model).related)
            .order_by(created, "id")
        )

    return due


def _abandon_stale_claims(model: type[models.Model], now: datetime.datetime) -> None:
    abandoned = model._default_manager.filter(
        email_status=Email.SENDING, email_claimed_at__lt=now - CLAIM_STALE_AFTER
    ).update(
        email_status=Email.FAILED,
        email_error="Sending stopped part way; not sent again, so it is never sent twice.",
    )
    if abandoned:
        logger.warning("%s emails (%s) were abandoned while being sent", abandoned, model)


def claim_email(row_id: int, model: type[EmailOutbox]) -> Any:
    """Take a pending email to send it, or None if it is not pending (sent, being sent by
    another task, failed) or no longer wanted (it is then marked not wanted)."""
    outbox = outbox_of(model)
    pending = model._default_manager.filter(pk=row_id, email_status=Email.QUEUED)
    row = pending.select_related(*outbox.related).first()
    if row is None:
        return None
    if outbox.wanted is not None and not outbox.wanted(row):
        pending.update(email_status=Email.NOT_WANTED)
        return None
    # One conditional UPDATE: of two deliveries at once, only one changes the row.
    claimed = pending.update(
        email_status=Email.SENDING,
        email_claimed_at=timezone.now(),
        email_attempts=F("email_attempts") + 1,
    )
    return row if claimed else None


def release_email(row_id: int, model: type[EmailOutbox], *, retry_in: int = 0) -> None:
    """Give a claimed email back, pending, for the task's own retry in `retry_in` seconds
    (counted as handed to the broker then, so the sweep leaves it to the retry and resends
    it only if that message is lost too)."""
    due = timezone.now() + datetime.timedelta(seconds=retry_in)
    model._default_manager.filter(pk=row_id, email_status=Email.SENDING).update(
        email_status=Email.QUEUED, email_dispatched_at=due
    )


def finish_email(row_id: int, model: type[EmailOutbox], *, error: str | None) -> None:
    """Record that the claimed email was sent, or failed for good."""
    claimed = model._default_manager.filter(pk=row_id, email_status=Email.SENDING)
    if error is None:
        claimed.update(email_status=Email.SENT, emailed_at=timezone.now(), email_error="")
    else:
        claimed.update(email_status=Email.FAILED, email_error=error[:300])


def retry_delay(retries: int) -> int:
    """Seconds before the next try: 30 s, 1 min, 2 min, 4 min, 8 min."""
    return 30 * 2**retries


def site_url(path: str) -> str:
    """The full address of a path of this service, for links in emails."""
    return f"{settings.PSP_SITE_URL.rstrip('/')}{path}"


def render_email(name: str, context: dict[str, Any]) -> tuple[str, str]:
    """The subject and body of templates/emails/<name>_subject.txt and <name>.txt."""
    subject = render_to_string(f"emails/{name}_subject.txt", context)
    return " ".join(subject.split()), render_to_string(f"emails/{name}.txt", context)


def deliver_email(
    task: Any,
    model: type[EmailOutbox],
    row_id: int,
    message: Callable[[Any], tuple[str, str, str]],
) -> None:
    """From a bound task: claim the row's email, send it (`message` gives its subject, body
    and address), and mark it sent. A failure is retried with backoff; after the last try
    the email is marked failed, logged, and nothing is raised."""
    row = claim_email(row_id, model)
    if row is None:
        return
    subject, body, to = message(row)
    try:
        send_mail(subject, body, None, [to])
    except Exception as error:
        if task.request.retries >= EMAIL_MAX_RETRIES:
            logger.warning("Gave up emailing %s %s: %s", model._meta.verbose_name, row_id, error)
            finish_email(row_id, model, error=str(error))
            return
        countdown = retry_delay(task.request.retries)
        release_email(row_id, model, retry_in=countdown)
        raise task.retry(exc=error, countdown=countdown) from error
    finish_email(row_id, model, error=None)
