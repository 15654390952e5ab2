import datetime
import re
import time
from decimal import Decimal

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from apprentices.models import EvidenceEvent
from progress import reviews
from progress.models import ProgressReview, ReviewSigningLink, ReviewStateError
from psp.models import Notification
from psp.roles import Role
from tests.factories import (
    make_apprentice,
    make_evidence,
    make_organisation,
    make_otj_entry,
    make_progress_review,
    make_staff,
    make_version,
)

START = datetime.date(2025, 1, 6)


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


@pytest.fixture
def version(db):
    return make_version(
        earliest_start_date=datetime.date(2024, 1, 1),
        ksbs={"K": ["Knows widgets", "Knows gadgets"], "S": ["Fixes widgets"]},
    )


@pytest.fixture
def apprentice(version):
    return make_apprentice(
        version=version,
        start_date=START,
        planned_gateway_date=START + datetime.timedelta(weeks=78),
        contracted_hours_per_week=Decimal("30"),
    )


@pytest.fixture(autouse=True)
def signing_contact(apprentice):
    """The employer's contact for signing reviews, on its record."""
    employer = apprentice.employer
    employer.signing_contact_name, employer.signing_contact_email = (
        "Robin Employer",
        "robin@example.org",
    )
    employer.save()
    return employer


@pytest.fixture
def provider_user(apprentice):
    return make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)


@pytest.fixture
def employer_user(apprentice):
    return make_staff(role=Role.EMPLOYER, organisation=apprentice.employer)


def record(held_on, *, progress=None, targets=(), comments=None):
    return reviews.Record(
        held_on=held_on,
        summary="Good progress with widgets",
        progress=progress or {},
        targets=list(targets),
        comments=comments or {},
    )


@pytest.fixture
def recorded(apprentice, provider_user):
    """A review held on 7 April 2025, waiting for signatures."""
    review = reviews.schedule_review(apprentice, by=provider_user, due_on=datetime.date(2025, 4, 7))
    reviews.record_review(
        review,
        record(datetime.date(2025, 4, 7), targets=[("Map two more KSBs", None)]),
        by=provider_user,
    )
    return review


def test_provider_schedules_a_review_and_the_apprentice_and_employer_are_told(
    apprentice, provider_user, employer_user, django_capture_on_commit_callbacks
):
    assert reviews.suggested_date(apprentice) == START + datetime.timedelta(weeks=12)
    with django_capture_on_commit_callbacks(execute=True):
        review = reviews.schedule_review(
            apprentice, by=provider_user, due_on=datetime.date(2025, 3, 31)
        )
    told = Notification.objects.filter(kind="review_due").values_list("user", flat=True)
    assert set(told) == {apprentice.user.pk, employer_user.pk}
    assert review.status == "scheduled"
    with pytest.raises(ReviewStateError, match="already scheduled for 31 March 2025"):
        reviews.schedule_review(apprentice, by=provider_user, due_on=datetime.date(2025, 4, 1))


def test_the_interval_between_reviews_is_configurable(apprentice, recorded):
    apprentice.review_interval_weeks = 8
    assert reviews.suggested_date(apprentice) == datetime.date(2025, 6, 2)


def test_only_the_apprentices_provider_schedules_reviews(client, apprentice, employer_user):
    url = reverse("progress:progress_review_schedule", args=[apprentice.pk])
    client.force_login(employer_user)
    assert client.get(url).status_code == 403
    client.force_login(make_staff(role=Role.PROVIDER, organisation=make_organisation()))
    assert client.get(url).status_code == 404


def test_prefill_shows_what_happened_since_the_last_review(
    apprentice, version, provider_user, recorded
):
    k1, _k2, s1 = version.ksbs.in_standard_order()
    before = make_evidence(
        apprentice=apprentice,
        status="accepted",
        ksbs=[k1],
        reviewed_at=at(datetime.date(2025, 3, 1)),
    )
    after = make_evidence(
        apprentice=apprentice,
        status="accepted",
        ksbs=[k1, s1],
        reviewed_at=at(datetime.date(2025, 5, 2)),
        title="Widget repair log",
    )
    for evidence, day in ((before, datetime.date(2025, 3, 1)), (after, datetime.date(2025, 5, 1))):
        for action in (EvidenceEvent.Action.SUBMITTED, EvidenceEvent.Action.ACCEPTED):
            EvidenceEvent.objects.create(
                evidence=evidence, actor=apprentice.user, action=action, at=at(day)
            )
    make_otj_entry(apprentice=apprentice, status="approved", date=datetime.date(2025, 4, 7))
    make_otj_entry(
        apprentice=apprentice, status="approved", date=datetime.date(2025, 4, 8), hours=3
    )
    make_otj_entry(
        apprentice=apprentice, status="submitted", date=datetime.date(2025, 6, 1), hours=4
    )
    second = make_progress_review(apprentice=apprentice, due_on=datetime.date(2025, 6, 30))
    prefill = reviews.prefill_for(second, until=datetime.date(2025, 6, 30))
    assert prefill.period_start == datetime.date(2025, 4, 7)
    assert prefill.evidence_submitted == [{"id": after.pk, "title": "Widget repair log"}]
    assert prefill.evidence_accepted == [{"id": after.pk, "title": "Widget repair log"}]
    assert prefill.ksbs_newly_covered == ["S1"]  # K1 was covered before the last review
    assert (prefill.otj_logged, prefill.otj_approved) == (Decimal("7"), Decimal("3"))
    assert [t.text for t in prefill.previous_targets] == ["Map two more KSBs"]
    assert prefill.otj_working.startswith("Required ")


def test_recording_needs_progress_against_last_times_targets_and_keeps_new_ones(
    apprentice, version, provider_user, recorded
):
    second = reviews.schedule_review(
        apprentice, by=provider_user, due_on=datetime.date(2025, 6, 30)
    )
    with pytest.raises(ReviewStateError, match="Record progress against every target"):
        reviews.record_review(second, record(datetime.date(2025, 6, 30)), by=provider_user)
    target = recorded.targets.get()
    k1 = version.ksbs.in_standard_order().first()
    reviews.record_review(
        second,
        record(
            datetime.date(2025, 6, 30),
            progress={target.pk: ("met", "Mapped K2 and S1")},
            targets=[("Observe a court hearing", datetime.date(2025, 9, 1))],
            comments={k1: "Strong understanding"},
        ),
        by=provider_user,
    )
    target.refresh_from_db()
    assert (target.progress, target.progress_review) == ("met", second)
    second.refresh_from_db()
    assert second.status == "awaiting_signatures"
    assert second.prefill["period"] == ["2025-04-07", "2025-06-30"]
    assert [t.text for t in second.targets.all()] == ["Observe a court hearing"]
    assert second.ksb_comments.get().comment == "Strong understanding"


def test_three_signatures_lock_the_review(recorded, apprentice, provider_user, employer_user):
    reviews.sign_review(recorded, by=apprentice.user)
    assert not recorded.can_be_recorded_by(provider_user)  # signed content no longer changes
    with pytest.raises(ReviewStateError, match="has been signed"):
        reviews.record_review(recorded, record(datetime.date(2025, 4, 8)), by=provider_user)
    with pytest.raises(ReviewStateError, match="apprentice has already signed"):
        reviews.sign_review(recorded, by=apprentice.user)
    reviews.sign_review(recorded, by=provider_user)
    assert ProgressReview.objects.get(pk=recorded.pk).status == "awaiting_signatures"
    reviews.sign_review(recorded, by=employer_user)
    recorded.refresh_from_db()
    assert recorded.is_locked
    assert recorded.signed_at is not None
    hashes = set(recorded.signatures.values_list("content_hash", flat=True))
    assert hashes == {reviews.content_hash(recorded)}
    with pytest.raises(ReviewStateError, match="already signed by everyone"):
        reviews.sign_review(recorded, by=employer_user)


def test_someone_unrelated_cannot_sign(recorded):
    outsider = make_staff(role=Role.EMPLOYER, organisation=make_organisation())
    assert not recorded.can_be_signed_by(outsider)
    with pytest.raises(ReviewStateError, match="cannot sign"):
        reviews.sign_review(recorded, by=outsider)


def test_apprentice_signs_on_the_review_page_after_confirming(client, recorded, apprentice):
    client.force_login(apprentice.user)
    page = client.get(reverse("progress:progress_review_detail", args=[recorded.pk]))
    assert "Sign the review" in page.content.decode()
    url = reverse("progress:progress_review_sign", args=[recorded.pk])
    client.post(url, {})
    assert not recorded.signatures.exists()
    client.post(url, {"confirm": "on"})
    assert recorded.signatures.get().party == "apprentice"


def test_review_page_is_404_for_another_provider_and_record_is_403_for_the_employer(
    client, recorded, employer_user
):
    client.force_login(make_staff(role=Role.PROVIDER, organisation=make_organisation()))
    assert (
        client.get(reverse("progress:progress_review_detail", args=[recorded.pk])).status_code
        == 404
    )
    client.force_login(employer_user)
    assert (
        client.get(reverse("progress:progress_review_record", args=[recorded.pk])).status_code
        == 403
    )


def management(**rows: int) -> dict[str, str]:
    """The formsets' management data: how many rows each prefix sent, none from the database."""
    return {
        field: str(value)
        for prefix, total in rows.items()
        for field, value in ((f"{prefix}-TOTAL_FORMS", total), (f"{prefix}-INITIAL_FORMS", 0))
    }


def test_provider_records_a_review_on_its_page(client, apprentice, provider_user, version):
    review = make_progress_review(apprentice=apprentice, scheduled_by=provider_user)
    client.force_login(provider_user)
    url = reverse("progress:progress_review_record", args=[review.pk])
    assert "What happened since the last review" in client.get(url).content.decode()
    k1 = version.ksbs.in_standard_order().first()
    response = client.post(
        url,
        {
            "held_on_0": "31",
            "held_on_1": "3",
            "held_on_2": "2025",
            "summary": "Settled in well",
            **management(progress=0, targets=3, comments=3),
            "targets-0-text": "Write a reflective account",
            "targets-0-due_on_0": "1",
            "targets-0-due_on_1": "6",
            "targets-0-due_on_2": "2025",
            "comments-0-ksb": str(k1.pk),
            "comments-0-comment": "Good grasp of widgets",
        },
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == "awaiting_signatures"
    assert review.targets.get().due_on == datetime.date(2025, 6, 1)
    assert review.ksb_comments.get().ksb == k1


def test_record_errors_keep_what_was_typed_and_link_to_the_rows(
    client, apprentice, provider_user, version
):
    review = make_progress_review(apprentice=apprentice, scheduled_by=provider_user)
    client.force_login(provider_user)
    url = reverse("progress:progress_review_record", args=[review.pk])
    k1, k2 = version.ksbs.in_standard_order()[:2]
    response = client.post(
        url,
        {
            "held_on_0": "31",
            "held_on_1": "3",
            "held_on_2": "2025",
            "summary": "Settled in well",
            **management(progress=0, targets=3, comments=3),
            "targets-1-due_on_0": "1",
            "targets-1-due_on_1": "6",
            "targets-1-due_on_2": "2025",
            "comments-0-ksb": str(k1.pk),
            "comments-0-comment": "Good grasp of widgets",
            "comments-1-ksb": str(k1.pk),
            "comments-1-comment": "Typed again, for the same KSB",
            "comments-2-ksb": str(k2.pk),
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="govuk-error-summary"') == 1
    for field_id, error in [
        ("id_targets-1-text", "Describe target 2, or remove its date"),
        ("id_comments-1-ksb", "Write one comment for each KSB"),
        ("id_comments-2-comment", "Write the comment on KSB 3"),
    ]:
        assert f'<a href="#{field_id}">{error}</a>' in page
        assert f'id="{field_id}"' in page
    assert "Typed again, for the same KSB</textarea>" in page
    assert "Settled in well</textarea>" in page
    review.refresh_from_db()
    assert review.status == "scheduled"
    assert not review.targets.exists()


def test_a_record_without_its_rows_management_data_is_refused(client, apprentice, provider_user):
    review = make_progress_review(apprentice=apprentice, scheduled_by=provider_user)
    client.force_login(provider_user)
    url = reverse("progress:progress_review_record", args=[review.pk])
    data = {"held_on_0": "31", "held_on_1": "3", "held_on_2": "2025", "summary": "Fine"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    review.refresh_from_db()
    assert review.status == "scheduled"


def test_list_of_reviews_for_the_apprentice(client, recorded, apprentice):
    client.force_login(apprentice.user)
    page = client.get(reverse("progress:progress_review_list", args=[apprentice.pk]))
    assert "Waiting for signatures" in page.content.decode()
    client.force_login(make_apprentice().user)
    assert (
        client.get(reverse("progress:progress_review_list", args=[apprentice.pk])).status_code
        == 404
    )


# Signed links for employer contacts without an account


def send_link(client, review, provider_user, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(provider_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("progress:progress_review_link", args=[review.pk]),
        )
    client.logout()
    assert mailoutbox[-1].to == ["robin@example.org"]
    return re.search(r"http\S+/progress-reviews/sign/\S+/", mailoutbox[-1].body).group(0)


def test_employer_contact_signs_once_through_an_emailed_link(
    client,
    recorded,
    provider_user,
    mailoutbox,
    send_emails_inline,
    django_capture_on_commit_callbacks,
):
    url = send_link(client, recorded, provider_user, mailoutbox, django_capture_on_commit_callbacks)
    path = url[url.index("/progress-reviews") - len("/apprentices") :]
    page = client.get(path)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Good progress with widgets" in html
    assert "Sign out" not in html  # no account, no navigation: this one review only
    assert page["Cache-Control"].startswith("max-age=0")
    unconfirmed = client.post(path, {"name": "Robin Employer"})
    assert "Confirm you have read the review" in unconfirmed.content.decode()
    signed = client.post(path, {"name": "Robin Q. Employer", "confirm": "on"})
    assert "Review signed" in signed.content.decode()
    signature = recorded.signatures.get()
    assert (signature.party, signature.name, signature.user) == (
        "employer",
        "Robin Q. Employer",
        None,
    )
    assert ReviewSigningLink.objects.get().used_at is not None
    again = client.get(path)
    assert again.status_code == 410
    assert "This link has already been used" in again.content.decode()
    assert client.post(path, {"name": "Someone", "confirm": "on"}).status_code == 410
    assert recorded.signatures.count() == 1


def test_expired_link_gets_a_clear_page(client, recorded, provider_user):
    link = reviews.create_signing_link(recorded, by=provider_user)
    ReviewSigningLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    page = client.get(reviews.signing_path(link))
    assert page.status_code == 410
    assert "This link has expired" in page.content.decode()


def test_a_token_signed_too_long_ago_has_expired(client, recorded, provider_user):
    link = reviews.create_signing_link(recorded, by=provider_user)

    class LongAgo(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time()) - 15 * 24 * 3600)

    token = LongAgo(salt=reviews.LINK_SALT).sign(str(link.pk))
    page = client.get(reverse("progress:progress_review_sign_link", args=[token]))
    assert page.status_code == 410
    assert "This link has expired" in page.content.decode()


@pytest.mark.parametrize(
    "token",
    ["nonsense", "1:1abcde:forged-signature", "999999:1tAbCd:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"],
)
def test_wrong_or_tampered_token_gets_a_clear_page_not_an_error(client, recorded, token):
    page = client.get(reverse("progress:progress_review_sign_link", args=[token]))
    assert page.status_code == 410
    assert "This link is not valid" in page.content.decode()


def test_a_link_for_one_review_cannot_be_moved_to_another(client, recorded, provider_user):
    link = reviews.create_signing_link(recorded, by=provider_user)
    token = reviews.signing_path(link).rstrip("/").rsplit("/", 1)[1]
    _link_id, rest = token.split(":", 1)
    forged = f"{link.pk + 1}:{rest}"
    page = client.get(reverse("progress:progress_review_sign_link", args=[forged]))
    assert page.status_code == 410


def test_link_stops_working_once_the_employer_signed_in_the_service(
    client, recorded, provider_user, employer_user
):
    link = reviews.create_signing_link(recorded, by=provider_user)
    reviews.sign_review(recorded, by=employer_user)
    page = client.get(reviews.signing_path(link))
    assert "The employer has already signed this review" in page.content.decode()
    with pytest.raises(ReviewStateError, match="already signed"):
        reviews.create_signing_link(recorded, by=provider_user)


# Where each apprentice is with reviews


@pytest.mark.parametrize(
    ("due_in_days", "status", "rag"),
    [
        (-1, "scheduled", "red"),
        (10, "scheduled", "amber"),
        (60, "scheduled", "green"),
    ],
)
def test_review_state_flags_overdue_and_due_soon(apprentice, due_in_days, status, rag):
    today = datetime.date(2025, 9, 1)
    make_progress_review(
        apprentice=apprentice, due_on=today + datetime.timedelta(days=due_in_days), status=status
    )
    assert reviews.review_states([apprentice], today=today)[apprentice.pk].rag == rag


def test_no_review_scheduled_is_overdue_an_interval_after_the_start(apprentice):
    state = reviews.review_states([apprentice], today=START + datetime.timedelta(weeks=13))
    assert (state[apprentice.pk].rag, state[apprentice.pk].scheduled) == ("red", False)
    assert state[apprentice.pk].label == "No review scheduled; one overdue since 31 March 2025"


def test_a_review_waiting_for_signatures_is_amber(apprentice, recorded):
    make_progress_review(apprentice=apprentice, due_on=datetime.date(2025, 12, 1))
    state = reviews.review_states([apprentice], today=datetime.date(2025, 9, 1))
    assert state[apprentice.pk].rag == "amber"
    assert "1 waiting for signatures" in state[apprentice.pk].label


def test_due_reviews_are_reminded_once(
    apprentice, provider_user, employer_user, django_capture_on_commit_callbacks
):
    make_progress_review(
        apprentice=apprentice, scheduled_by=provider_user, due_on=timezone.localdate()
    )
    assert reviews.notify_due() == 1
    assert reviews.notify_due() == 0
    told = set(Notification.objects.values_list("user", flat=True))
    assert told == {apprentice.user.pk, employer_user.pk, provider_user.pk}


# Issue 15, finding 5: the employer's signing address comes from its record, and a
# signature by link says where the link went and who sent it.


def test_a_signing_link_goes_to_the_employers_contact_whatever_the_sender_types(
    client,
    recorded,
    provider_user,
    mailoutbox,
    send_emails_inline,
    django_capture_on_commit_callbacks,
):
    client.force_login(provider_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("progress:progress_review_link", args=[recorded.pk]),
            {"name": "Me Myself", "email": "attacker@example.net"},
        )
    assert [m.to for m in mailoutbox] == [["robin@example.org"]]
    link = ReviewSigningLink.objects.get()
    assert (link.name, link.email, link.email_status) == (
        "Robin Employer",
        "robin@example.org",
        "sent",
    )


def test_without_a_contact_on_the_employers_record_no_link_is_sent(
    client, recorded, provider_user, signing_contact
):
    signing_contact.signing_contact_name = signing_contact.signing_contact_email = ""
    signing_contact.save()
    with pytest.raises(ReviewStateError, match="no contact for signing reviews"):
        reviews.create_signing_link(recorded, by=provider_user)
    client.force_login(provider_user)
    page = client.get(recorded.get_absolute_url())
    assert "record has no contact for signing reviews" in page.content.decode()
    assert not ReviewSigningLink.objects.exists()


def test_a_signature_by_link_records_the_address_and_the_sender(recorded, provider_user):
    link = reviews.create_signing_link(recorded, by=provider_user)
    signature = reviews.sign_review(recorded, link=link, name="Robin")
    assert (signature.sent_to, signature.sent_by) == ("robin@example.org", provider_user)


def test_the_database_refuses_a_link_signature_without_its_address_and_sender(
    recorded, provider_user
):
    from django.db import IntegrityError, connection, transaction

    link = reviews.create_signing_link(recorded, by=provider_user)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO apprentices_reviewsignature (review_id, party, link_id, name, "
            "sent_to, signed_at, content_hash) VALUES (%s, 'employer', %s, 'X', '', %s, %s)",
            [recorded.pk, link.pk, timezone.now(), "0" * 64],
        )


# Issue 15, finding 6: signing links go through the notifications' outbox.


def test_a_signing_link_asked_for_while_the_broker_is_down_is_sent_by_the_sweep_once(
    recorded, provider_user, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    from progress.tasks import send_signing_link
    from psp import notifications, outbox

    queue, up = [], {"broker": False}

    def apply_async(args=(), **options):
        if not up["broker"]:
            raise ConnectionRefusedError("Redis is down")
        queue.append(args[0])

    monkeypatch.setattr(send_signing_link, "apply_async", apply_async)
    with django_capture_on_commit_callbacks(execute=True):
        link = reviews.create_signing_link(recorded, by=provider_user)
    link.refresh_from_db()
    assert (link.email_status, link.email_dispatched_at) == ("queued", None)
    later = timezone.now() + outbox.RESEND_AFTER + datetime.timedelta(seconds=5)
    up["broker"] = True
    assert notifications.dispatch_pending_emails(now=later) == (1, 0)
    assert queue == [link.pk]
    for link_id in queue * 2:  # delivered twice, sent once
        send_signing_link.apply(args=[link_id])
    assert [m.to for m in mailoutbox] == [["robin@example.org"]]
    link.refresh_from_db()
    assert link.email_status == "sent"
    # A lost message is sent again about a minute later, not ten.
    assert datetime.timedelta(minutes=1) >= outbox.REDISPATCH_AFTER


def _edit_form(apprentice, **changes):
    user = apprentice.user
    data = {
        "first_name": user.first_name or "Ann",
        "last_name": user.last_name or "Apprentice",
        "email": user.email,
        "uln": apprentice.uln,
        "standard_version": apprentice.standard_version_id,
        "start_date_0": apprentice.start_date.day,
        "start_date_1": apprentice.start_date.month,
        "start_date_2": apprentice.start_date.year,
        "planned_gateway_date_0": apprentice.planned_gateway_date.day,
        "planned_gateway_date_1": apprentice.planned_gateway_date.month,
        "planned_gateway_date_2": apprentice.planned_gateway_date.year,
        "employer": apprentice.employer_id,
        "training_provider": apprentice.training_provider_id,
        "status": apprentice.status,
    }
    data.update(changes)
    return data


def test_staff_changing_an_apprentices_email_tells_the_old_address_and_unsigns_pending_reviews(
    client,
    apprentice,
    recorded,
    provider_user,
    mailoutbox,
    send_emails_inline,
    django_capture_on_commit_callbacks,
):
    # Issue 15, finding 5: one provider could sign as the apprentice after changing their
    # address. Now the real apprentice hears of it, and what was signed so far goes.
    old = apprentice.user.email = "ann.apprentice@example.org"
    apprentice.user.save()
    reviews.sign_review(recorded, by=apprentice.user)
    reviews.sign_review(recorded, by=provider_user)
    link = reviews.create_signing_link(recorded, by=provider_user)
    client.force_login(provider_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("apprentices:apprentice_edit", args=[apprentice.pk]),
            _edit_form(apprentice, email="someone.else@example.net"),
        )
    assert response.status_code == 302, response.content.decode()[-3000:]
    [notice] = [m for m in mailoutbox if m.to == [old]]
    assert "someone.else@example.net" in notice.body
    assert str(provider_user) in notice.body
    assert recorded.signatures.count() == 0
    link.refresh_from_db()
    assert link.expires_at <= timezone.now()
    assert Notification.objects.filter(
        user=provider_user, subject__contains="needs signing again"
    ).exists()
    # Every removed signature is in the audit trail.
    from psp.models import AuditEntry

    assert (
        AuditEntry.objects.filter(
            object_type="apprentices_reviewsignature", action="delete"
        ).count()
        == 2
    )


def test_saving_an_apprentice_without_changing_the_email_keeps_the_signatures(
    client, apprentice, recorded, provider_user, mailoutbox, django_capture_on_commit_callbacks
):
    reviews.sign_review(recorded, by=apprentice.user)
    client.force_login(provider_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("apprentices:apprentice_edit", args=[apprentice.pk]),
            _edit_form(apprentice, first_name="Renamed"),
        )
    assert recorded.signatures.count() == 1


def test_an_administrator_setting_an_apprentices_password_unsigns_pending_reviews(
    apprentice, recorded, mailoutbox, send_emails_inline, django_capture_on_commit_callbacks
):
    from psp.admin import PasswordChangeByStaffForm

    apprentice.user.email = "ann.apprentice@example.org"
    apprentice.user.save()
    reviews.sign_review(recorded, by=apprentice.user)
    form = PasswordChangeByStaffForm(
        apprentice.user,
        {"password1": "a-brand-new-passphrase", "password2": "a-brand-new-passphrase"},
    )
    assert form.is_valid(), form.errors
    with django_capture_on_commit_callbacks(execute=True):
        form.save()
    assert recorded.signatures.count() == 0
    subjects = {m.subject for m in mailoutbox if m.to == [apprentice.user.email]}
    assert "The password of your psp account was changed" in subjects
