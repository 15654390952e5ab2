"""What the off-the-job and progress review pages show, when that is more than the object and
its form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import SafeString

from apprentices import revision as evidence_revision
from apprentices.models import Apprentice
from apprentices.pages import PAGE_SIZE, portfolio_apprentice
from progress import reviews, revision, training
from progress.forms import ReviewSignForm, SigningLinkForm
from progress.models import ProgressReview, ReviewSignature, ReviewSigningLink
from psp import access, triggers

if TYPE_CHECKING:
    from psp.models import User


def off_the_job_log_page(user: User, pk: int, page_number: str | None) -> dict[str, Any]:
    """The working of the requirement, planned against actual, breaks and the entries of
    apprentice `pk`, if `user` sees them (else 404)."""
    progress, evidence = triggers.numbers(revision.REVISION, evidence_revision.REVISION)
    # The apprentice as the portfolio's heading has them: from the cache under the evidence
    # revision, for those who see them (a query only when not cached).
    apprentice = portfolio_apprentice(user, pk, evidence_revision=evidence)
    # The working and its chart are cached under the progress revision and the date
    # ({% cache %} in the template): the log is worked out only when they are not.
    today = timezone.localdate()
    log = training.LazyLog(apprentice, today=today)

    can_log = user.has_perm("progress.add_offthejobentry", apprentice)
    can_plan = user.has_perm("apprentices.change_apprentice", apprentice)

    def entries_page() -> Page:
        # What paging and each viewer's actions need; the cells come from entry_cells.
        entries = apprentice.off_the_job.only("apprentice", "date", "hours", "status")
        page = Paginator(entries, PAGE_SIZE).get_page(page_number)
        page.object_list = list(page.object_list)  # read once, by the cells and the template
        return page

    def body() -> LogBody:
        page = entries_page()
        html = render_to_string(
            "progress/_off_the_job_body.html",
            {
                "apprentice": apprentice,
                "user": user,
                "page": page,
                "rows": training.entry_cells(list(page.object_list), progress, evidence),
                "breaks": log.breaks,
                "can_log": can_log,
                "can_remove_breaks": can_plan
                and user.has_perm("apprentices.delete_breakinlearning"),
            },
        )
        return LogBody(SafeString(html), 'form="otj-post"' in html)

    # The breaks and the entries, with what this viewer may do with each, are kept in the
    # cache under both revisions (the breaks, entries, their KSBs and the apprentice's row
    # raise the progress revision; the linked evidence's titles the evidence revision), the
    # date, the page asked for and the viewer: their permissions as of their access version
    # (psp.access, which names the user), their organisation (whose apprentices they train).
    # Its buttons send the page's one CSRF form (form="otj-post"), so it holds no token; the
    # form is printed only when a button needs it. Built only when not cached.
    key = ":".join(
        (
            f"progress:otj-body:{apprentice.pk}:{progress}:{evidence}:{today.isoformat()}",
            (page_number or "")[:20],
            f"{access.cache_key(user)}:{user.organisation_id}",
        )
    )
    shown: LogBody | None = cache.get(key)
    if shown is None:
        shown = body()
        cache.set(key, shown, BODY_SECONDS)
    return {
        "apprentice": apprentice,
        "progress_revision": progress,
        "today": today.isoformat(),
        "working": SimpleLazyObject(lambda: log.log.working),
        "chart": SimpleLazyObject(lambda: log.log.chart),
        "months": SimpleLazyObject(lambda: log.log.months),
        "body": shown,
        "can_log": can_log,
        "can_plan": can_plan,
        "is_apprentice": apprentice.user_id == user.pk,
    }


class LogBody(NamedTuple):
    """The off-the-job log's breaks and entries as one viewer sees them, and whether its
    buttons send the page's CSRF form."""

    html: SafeString
    sends_form: bool


BODY_SECONDS = 86400  # exact until a revision, the date or the viewer's access changes


def review_list_page(apprentice: Apprentice) -> dict[str, Any]:
    """The apprentice's reviews, latest first, with how many have signed each."""
    progress_reviews = apprentice.progress_reviews.annotate(
        signature_count=Count("signatures")
    ).order_by("-due_on", "-id")
    return {
        "apprentice": apprentice,
        "progress_reviews": progress_reviews,
        "state": reviews.review_states([apprentice])[apprentice.pk],
    }


def review_shown(review: ProgressReview) -> dict[str, Any]:
    """What the review shows: recorded, or (while scheduled) what happened so far."""
    if review.status == ProgressReview.Status.SCHEDULED:
        prefill = reviews.prefill_for(review)
        return {
            "prefill": prefill.as_json(),
            "period_start": prefill.period_start,
            "period_end": prefill.period_end,
            "previous_targets": prefill.previous_targets,
        }
    return {
        "prefill": review.prefill,
        "period_start": review.period_start,
        "period_end": review.held_on,
        "assessed_targets": review.assessed_targets.all(),
        "targets": review.targets.all(),
        "ksb_comments": review.ksb_comments.select_related("ksb"),
    }


def review_page(review: ProgressReview, user: User) -> dict[str, Any]:
    """The review, who has signed it and who has not, and the forms `user` may use: to sign
    it, and to email the employer's signing contact a link to sign it."""
    signatures = list(review.signatures.all())
    signed = {s.party for s in signatures}
    sends_links = user.has_perm("progress.send_signing_link", review)
    return {
        "review": review,
        "apprentice": review.apprentice,
        **review_shown(review),
        "signatures": signatures,
        "unsigned": [
            label for value, label in ReviewSignature.Party.choices if value not in signed
        ],
        "links": review.signing_links.all() if sends_links else [],
        "sign_form": ReviewSignForm()
        if user.has_perm("progress.sign_progressreview", review)
        else None,
        "signing_contact": reviews.signing_contact(review.apprentice),
        "link_form": SigningLinkForm()
        if review.status == ProgressReview.Status.AWAITING_SIGNATURES
        and ReviewSignature.Party.EMPLOYER not in signed
        and sends_links
        else None,
    }


def record_page(review: ProgressReview, prefill: reviews.Prefill) -> dict[str, Any]:
    """What the reviewer sees beside the form: the review and what happened so far."""
    return {"review": review, "apprentice": review.apprentice, "prefill": prefill.as_json()}


def sign_link_page(link: ReviewSigningLink, form: ReviewSignForm) -> dict[str, Any]:
    """The review an employer contact signs through `link`, with its form."""
    review = link.review
    return {
        "review": review,
        "apprentice": review.apprentice,
        **review_shown(review),
        "signatures": review.signatures.all(),
        "form": form,
        "link": link,
    }
