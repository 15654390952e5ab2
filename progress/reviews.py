"""Progress reviews: scheduling, the prefill of what happened since the last review,
recording, sign-off by apprentice, provider and employer, and signed links for employer
contacts without an account.

Recording freezes what happened into the review (its prefill), and the first signature
freezes the review: every signature keeps the SHA-256 of the content it signed. When all
three have signed, the review is locked.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from django.core import signing
from django.db import transaction
from django.db.models import Min, Q, Sum
from django.urls import reverse
from django.utils import timezone

from apprentices.models import Apprentice, EvidenceEvent, EvidenceKSB
from progress import training
from progress.models import (
    OffTheJobEntry,
    ProgressReview,
    ReviewKsbComment,
    ReviewSignature,
    ReviewSigningLink,
    ReviewStateError,
    ReviewTarget,
)
from progress.training import long_date
from psp import notifications, outbox
from psp.roles import Role
from standards.models import KSB, ksb_kind_order

if TYPE_CHECKING:
    from psp.models import User

SIGNING_LINK_DAYS = 14
DUE_SOON_DAYS = 14
# The salt it had in apprentices.reviews: links already emailed still work.
LINK_SALT = "apprentices.reviews.signing-link"
Status = ProgressReview.Status
Party = ReviewSignature.Party
Kind = notifications.Kind


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def last_recorded(
    apprentice: Apprentice, *, before: ProgressReview | None = None
) -> ProgressReview | None:
    """The latest review held (before `before`, if given)."""
    reviews = apprentice.progress_reviews.exclude(status=Status.SCHEDULED)
    if before is not None and before.pk:
        reviews = reviews.exclude(pk=before.pk)
        if before.held_on:
            reviews = reviews.filter(held_on__lte=before.held_on)
    return reviews.order_by("-held_on", "-id").first()


def suggested_date(apprentice: Apprentice) -> datetime.date:
    """The last review (or the start) plus the apprentice's review interval."""
    last = last_recorded(apprentice)
    base = last.held_on if last and last.held_on else apprentice.start_date
    return base + datetime.timedelta(weeks=apprentice.review_interval_weeks)


def _parties(apprentice: Apprentice) -> list[Any]:
    return [apprentice.user, *notifications.staff_of(apprentice.employer_id, Role.EMPLOYER)]


@transaction.atomic
def schedule_review(apprentice: Apprentice, *, by: User, due_on: datetime.date) -> ProgressReview:
    """Provider staff schedule the next review; the apprentice and employer are told."""
    Apprentice.objects.select_for_update().get(pk=apprentice.pk)
    if not apprentice.is_trained_by(by):
        raise ReviewStateError("Only the apprentice's training provider can schedule reviews")
    pending = apprentice.progress_reviews.filter(status=Status.SCHEDULED).first()
    if pending is not None:
        raise ReviewStateError(
            f"A review is already scheduled for {long_date(pending.due_on)}: record it first"
        )
    review = ProgressReview.objects.create(apprentice=apprentice, due_on=due_on, scheduled_by=by)
    transaction.on_commit(
        lambda: notifications.notify_all(
            _parties(apprentice),
            Kind.REVIEW_DUE,
            subject=f"Progress review of {apprentice.name} on {long_date(due_on)}",
            body=f"{by} scheduled a progress review with the apprentice and employer.",
            url=review.get_absolute_url(),
        ),
        robust=True,
    )
    return review


def notify_due(*, today: datetime.date | None = None) -> int:
    """Remind everyone of reviews due within DUE_SOON_DAYS or overdue, once per review.
    Run daily (the notify_due_reviews command). Returns how many reviews were reminded."""
    today = today or timezone.localdate()
    due = ProgressReview.objects.filter(
        status=Status.SCHEDULED,
        due_notified_at__isnull=True,
        due_on__lte=today + datetime.timedelta(days=DUE_SOON_DAYS),
    ).select_related("apprentice__user")
    count = 0
    for review in due:
        apprentice = review.apprentice
        overdue = review.due_on < today
        notifications.notify_all(
            [
                *_parties(apprentice),
                *notifications.staff_of(apprentice.training_provider_id, Role.PROVIDER),
            ],
            Kind.REVIEW_DUE,
            subject=(
                f"Progress review of {apprentice.name} "
                + (
                    f"overdue since {long_date(review.due_on)}"
                    if overdue
                    else f"due {long_date(review.due_on)}"
                )
            ),
            url=review.get_absolute_url(),
        )
        ProgressReview.objects.filter(pk=review.pk).update(due_notified_at=timezone.now())
        count += 1
    return count


# What happened since the last review


@dataclass(frozen=True)
class Prefill:
    period_start: datetime.date
    period_end: datetime.date
    evidence_submitted: list[dict[str, Any]]
    evidence_accepted: list[dict[str, Any]]
    ksbs_newly_covered: list[str]
    otj_logged: Decimal
    otj_approved: Decimal
    otj_working: str
    previous_targets: list[ReviewTarget] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "period": [self.period_start.isoformat(), self.period_end.isoformat()],
            "evidence_submitted": self.evidence_submitted,
            "evidence_accepted": self.evidence_accepted,
            "ksbs_newly_covered": self.ksbs_newly_covered,
            "otj": {
                "logged": str(training.hours(self.otj_logged)),
                "approved": str(training.hours(self.otj_approved)),
                "working": self.otj_working,
            },
        }


def _evidence_moved(
    apprentice: Apprentice, action: str, since: datetime.datetime, until: datetime.datetime
) -> list[dict[str, Any]]:
    rows = (
        EvidenceEvent.objects.filter(
            evidence__apprentice=apprentice, action=action, at__gte=since, at__lt=until
        )
        .values("evidence_id", "evidence__title")
        .annotate(first=Min("at"))
        .order_by("first", "evidence_id")
    )
    return [{"id": row["evidence_id"], "title": row["evidence__title"]} for row in rows]


def prefill_for(review: ProgressReview, *, until: datetime.date | None = None) -> Prefill:
    """Evidence submitted and accepted, KSBs newly covered by accepted evidence and
    off-the-job hours since the last review (or the start), and the targets set last time."""
    apprentice = review.apprentice
    previous = last_recorded(apprentice, before=review)
    start = previous.held_on if previous and previous.held_on else apprentice.start_date
    end = until or review.held_on or timezone.localdate()
    # After a review, from the next day: the day of the last review belongs to that review.
    first_day = start + datetime.timedelta(days=1) if previous else start
    since, before = _start_of(first_day), _start_of(end + datetime.timedelta(days=1))
    first_accepted = (
        EvidenceKSB.objects.filter(evidence__apprentice=apprentice, evidence__status="accepted")
        .values("ksb_id")
        .annotate(first=Min("evidence__reviewed_at"))
        .filter(first__gte=since, first__lt=before)
        .values("ksb_id")
    )
    codes = [
        ksb.code
        for ksb in KSB.objects.filter(pk__in=first_accepted)
        .alias(kind_order=ksb_kind_order("kind"))
        .order_by("kind_order", "number")
    ]
    sums = apprentice.off_the_job.filter(date__gte=first_day, date__lte=end).aggregate(
        logged=Sum("hours"),
        approved=Sum("hours", filter=Q(status=OffTheJobEntry.Status.APPROVED)),
    )
    return Prefill(
        period_start=start,
        period_end=end,
        evidence_submitted=_evidence_moved(
            apprentice, EvidenceEvent.Action.SUBMITTED, since, before
        ),
        evidence_accepted=_evidence_moved(apprentice, EvidenceEvent.Action.ACCEPTED, since, before),
        ksbs_newly_covered=codes,
        otj_logged=sums["logged"] or Decimal(0),
        otj_approved=sums["approved"] or Decimal(0),
        otj_working=training.working_for(apprentice, today=end).summary,
        previous_targets=list(previous.targets.all()) if previous else [],
    )


@dataclass(frozen=True)
class Record:
    """What the reviewer records: progress against last time's targets (id → (progress,
    note)), new targets (text, date) and KSB-specific comments (KSB → comment)."""

    held_on: datetime.date
    summary: str
    progress: dict[int, tuple[str, str]]
    targets: list[tuple[str, datetime.date | None]]
    comments: dict[KSB, str]


@transaction.atomic
def record_review(review: ProgressReview, record: Record, *, by: User) -> None:
    """Save the review (again, until someone signs) and ask the others to sign it."""
    locked = ProgressReview.objects.select_for_update().get(pk=review.pk)
    if not locked.can_be_recorded_by(by):
        raise ReviewStateError(
            "This review can no longer be changed: it has been signed"
            if locked.signatures.exists()
            else "Only the apprentice's training provider can record this review"
        )
    if record.held_on > timezone.localdate():
        raise ReviewStateError("The review date must be today or in the past")
    review.held_on = record.held_on
    prefill = prefill_for(review, until=record.held_on)
    missing = [t.text for t in prefill.previous_targets if t.pk not in record.progress]
    if missing:
        raise ReviewStateError(f"Record progress against every target: {'; '.join(missing)}")
    version_id = review.apprentice.standard_version_id
    foreign = [ksb.code for ksb in record.comments if ksb.version_id != version_id]
    if foreign:
        raise ReviewStateError(f"{', '.join(foreign)} are not KSBs of the apprentice's version")
    for target in prefill.previous_targets:
        target.progress, target.progress_note = record.progress[target.pk]
        target.progress_review = review
        target.save(update_fields=["progress", "progress_note", "progress_review"])
    review.targets.all().delete()
    ReviewTarget.objects.bulk_create(
        ReviewTarget(review=review, text=text, due_on=due_on) for text, due_on in record.targets
    )
    review.ksb_comments.all().delete()
    ReviewKsbComment.objects.bulk_create(
        ReviewKsbComment(review=review, ksb=ksb, comment=comment)
        for ksb, comment in record.comments.items()
    )
    first_time = locked.status == Status.SCHEDULED
    review.period_start = prefill.period_start
    review.prefill = prefill.as_json()
    review.summary = record.summary
    review.status = Status.AWAITING_SIGNATURES
    review.recorded_by, review.recorded_at = by, timezone.now()
    review.save()
    if first_time:
        apprentice = review.apprentice
        transaction.on_commit(
            lambda: notifications.notify_all(
                _parties(apprentice),
                Kind.REVIEW_SIGNATURE,
                subject=f"Progress review of {apprentice.name} is waiting for your signature",
                body=f"{by} recorded the review held on {long_date(record.held_on)}.",
                url=review.get_absolute_url(),
            ),
            robust=True,
        )


def content_hash(review: ProgressReview) -> str:
    """SHA-256 of everything a signature vouches for."""
    content = {
        "apprentice": review.apprentice_id,
        "held_on": review.held_on.isoformat() if review.held_on else None,
        "summary": review.summary,
        "prefill": review.prefill,
        "progress": [
            [t.pk, t.text, t.progress, t.progress_note]
            for t in review.assessed_targets.order_by("id")
        ],
        "targets": [
            [t.text, t.due_on.isoformat() if t.due_on else None]
            for t in review.targets.order_by("id")
        ],
        "comments": [[c.ksb.code, c.comment] for c in review.ksb_comments.select_related("ksb")],
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def sign_review(
    review: ProgressReview,
    *,
    by: User | None = None,
    link: ReviewSigningLink | None = None,
    name: str = "",
) -> ReviewSignature:
    """Sign for the apprentice, the provider or the employer: as a signed-in user (`by`), or
    as an employer contact through an emailed link (`link`, used once)."""
    locked = ProgressReview.objects.select_for_update().get(pk=review.pk)
    if locked.status != Status.AWAITING_SIGNATURES:
        raise ReviewStateError(
            "This review is already signed by everyone"
            if locked.status == Status.SIGNED
            else "This review has not been recorded yet, so it cannot be signed"
        )
    if link is not None:
        current = ReviewSigningLink.objects.select_for_update().get(pk=link.pk)
        if (
            current.review_id != review.pk
            or current.used_at
            or current.expires_at <= timezone.now()
        ):
            raise ReviewStateError("This signing link has expired or has already been used")
        party: str | None = Party.EMPLOYER
        name = name.strip() or current.name
        # Where the link went and who sent it, kept with the signature.
        sent_to, sent_by_id = current.email, current.created_by_id
    else:
        party = review.party_of(by) if by is not None else None
        name = name.strip() or str(by)
        sent_to, sent_by_id = "", None
    if party is None:
        raise ReviewStateError("You cannot sign this review")
    if locked.signatures.filter(party=party).exists():
        raise ReviewStateError(f"The {Party(party).label.lower()} has already signed this review")
    signature = ReviewSignature.objects.create(
        review=review,
        party=party,
        user=by if link is None else None,
        link=link,
        name=name,
        sent_to=sent_to,
        sent_by_id=sent_by_id,
        content_hash=content_hash(review),
    )
    if link is not None:
        ReviewSigningLink.objects.filter(pk=link.pk).update(used_at=signature.signed_at)
    if locked.signatures.count() == len(Party.values):
        ProgressReview.objects.filter(pk=review.pk).update(
            status=Status.SIGNED, signed_at=signature.signed_at
        )
        review.status, review.signed_at = Status.SIGNED, signature.signed_at
    return signature


# Signed links for employer contacts without an account


class SigningLinkError(Exception):
    """The link cannot be used; the message says why, in words for the person who opened it."""


@transaction.atomic
def unsign_pending(apprentice: Apprentice) -> int:
    """Remove the signatures of the apprentice's reviews still waiting for signatures and
    end their unused signing links: staff changed how the apprentice signs in, so who
    signed can no longer be trusted. Each removal is in the audit trail. Returns how many
    signatures were removed."""
    pending = ProgressReview.objects.filter(
        apprentice=apprentice, status=Status.AWAITING_SIGNATURES
    )
    signatures = ReviewSignature.objects.filter(review__in=pending)
    unsigned = list(pending.filter(signatures__isnull=False).distinct())
    count = signatures.count()
    signatures.delete()
    ReviewSigningLink.objects.filter(review__in=pending, used_at__isnull=True).update(
        expires_at=timezone.now()
    )
    for review in unsigned:
        transaction.on_commit(
            partial(
                notifications.notify_all,
                [
                    *_parties(apprentice),
                    *notifications.staff_of(apprentice.training_provider_id, Role.PROVIDER),
                ],
                Kind.REVIEW_SIGNATURE,
                subject=f"Progress review of {apprentice.name} needs signing again",
                body="Staff changed the apprentice's sign-in details, so the signatures it "
                "had were removed.",
                url=review.get_absolute_url(),
            ),
            robust=True,
        )
    return count


def on_sign_in_changed_by_staff(sender: Any, *, user: User, **kwargs: Any) -> None:
    """psp.accounts.sign_in_changed_by_staff: an apprentice's pending signatures go."""
    apprentice = Apprentice.objects.filter(user=user).first()
    if apprentice is not None:
        unsign_pending(apprentice)


def signing_contact(apprentice: Apprentice) -> tuple[str, str] | None:
    """The name and address a signing link goes to: the contact on the employer's record,
    kept by administrators, never an address typed by whoever sends the link."""
    employer = apprentice.employer
    if employer is None or not employer.signing_contact_email:
        return None
    return employer.signing_contact_name, employer.signing_contact_email


@transaction.atomic
def create_signing_link(review: ProgressReview, *, by: User) -> ReviewSigningLink:
    """Email the employer's signing contact a link to read and sign this one review (once,
    for SIGNING_LINK_DAYS days). The email goes through the notifications' outbox: sent in
    the background after the commit, or by the sweep if the broker is down."""
    locked = ProgressReview.objects.select_for_update().get(pk=review.pk)
    if not review.apprentice.is_trained_by(by):
        raise ReviewStateError("Only the apprentice's training provider can send signing links")
    if locked.status != Status.AWAITING_SIGNATURES:
        raise ReviewStateError("Only a recorded review waiting for signatures can be sent")
    if locked.signatures.filter(party=Party.EMPLOYER).exists():
        raise ReviewStateError("The employer has already signed this review")
    contact = signing_contact(review.apprentice)
    if contact is None:
        raise ReviewStateError(
            "The employer's record has no contact for signing reviews: ask an administrator "
            "to add one, or ask someone at the employer with an account to sign"
        )
    name, email = contact
    link = ReviewSigningLink.objects.create(
        review=review,
        name=name,
        email=email,
        created_by=by,
        expires_at=timezone.now() + datetime.timedelta(days=SIGNING_LINK_DAYS),
        email_status=ReviewSigningLink.Email.QUEUED,
    )
    outbox.dispatch_after_commit(link)
    return link


def link_wanted(link: ReviewSigningLink) -> bool:
    """A link's email is still worth sending: unused, unexpired, the employer not signed."""
    return (
        link.used_at is None
        and link.expires_at > timezone.now()
        and not link.review.signatures.filter(party=Party.EMPLOYER).exists()
    )


def signing_path(link: ReviewSigningLink) -> str:
    """The link's address in this service. The token is signed over the link's id."""
    token = signing.TimestampSigner(salt=LINK_SALT).sign(str(link.pk))
    return reverse("progress:progress_review_sign_link", args=[token])


def link_for_token(token: str) -> ReviewSigningLink:
    """The link a token stands for, if it can still be used; SigningLinkError otherwise."""
    try:
        link_id = signing.TimestampSigner(salt=LINK_SALT).unsign(
            token, max_age=datetime.timedelta(days=SIGNING_LINK_DAYS)
        )
    except signing.SignatureExpired:
        raise SigningLinkError("This link has expired") from None
    except signing.BadSignature:
        raise SigningLinkError("This link is not valid") from None
    link = (
        ReviewSigningLink.objects.select_related(
            "review__apprentice__user",
            "review__apprentice__employer",
            "review__apprentice__training_provider",
            "review__apprentice__standard_version__standard",
        )
        .filter(pk=int(link_id))
        .first()
    )
    if link is None:
        raise SigningLinkError("This link is not valid")
    if link.used_at is not None:
        raise SigningLinkError("This link has already been used")
    if link.expires_at <= timezone.now():
        raise SigningLinkError("This link has expired")
    if link.review.signatures.filter(party=Party.EMPLOYER).exists():
        raise SigningLinkError("The employer has already signed this review")
    return link


# Where each apprentice is with reviews, for the provider's dashboard


@dataclass(frozen=True)
class ReviewState:
    due_on: datetime.date  # the scheduled review, or when the next one should be
    scheduled: bool
    awaiting_signatures: int
    today: datetime.date

    @property
    def overdue(self) -> bool:
        return self.due_on < self.today

    @property
    def rag(self) -> str:
        if self.overdue:
            return "red"
        soon = self.due_on <= self.today + datetime.timedelta(days=DUE_SOON_DAYS)
        return "amber" if soon or self.awaiting_signatures else "green"

    @property
    def label(self) -> str:
        what = "Review" if self.scheduled else "No review scheduled; one"
        if self.overdue:
            text = f"{what} overdue since {long_date(self.due_on)}"
        else:
            text = f"{what} due {long_date(self.due_on)}"
        if self.awaiting_signatures:
            text += f"; {self.awaiting_signatures} waiting for signatures"
        return text


def review_states(
    apprentices: Sequence[Apprentice], *, today: datetime.date | None = None
) -> dict[int, ReviewState]:
    """Each apprentice's review state, in one query however many there are."""
    today = today or timezone.localdate()
    rows: dict[int, list[Any]] = {a.pk: [] for a in apprentices}
    for row in ProgressReview.objects.filter(apprentice_id__in=list(rows)).values(
        "apprentice_id", "status", "due_on", "held_on"
    ):
        rows[row["apprentice_id"]].append(row)
    states = {}
    for apprentice in apprentices:
        reviews = rows[apprentice.pk]
        scheduled = [r["due_on"] for r in reviews if r["status"] == Status.SCHEDULED]
        held = [r["held_on"] for r in reviews if r["held_on"]]
        if scheduled:
            due_on = min(scheduled)
        else:
            base = max(held, default=apprentice.start_date)
            due_on = base + datetime.timedelta(weeks=apprentice.review_interval_weeks)
        states[apprentice.pk] = ReviewState(
            due_on=due_on,
            scheduled=bool(scheduled),
            awaiting_signatures=sum(r["status"] == Status.AWAITING_SIGNATURES for r in reviews),
            today=today,
        )
    return states
