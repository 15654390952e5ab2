"""The PDF of a signed progress review: asked for on the review's page, built like the
other reports, and seen by exactly those who may see the review."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import formats, timezone

from progress import reviews
from psp.roles import Role
from reports import building
from reports.models import Report
from tests.factories import make_organisation, make_staff, make_user, put_in_status
from tests.reports.test_building import memory_broker, pdf_text  # noqa: F401 (autouse fixture)

HELD_ON = datetime.date(2025, 4, 7)


@pytest.fixture
def recorded(apprentice, provider_user):
    apprentice.start_date = datetime.date(2024, 9, 2)
    apprentice.save()
    ksb = apprentice.standard_version.ksbs.get(kind="K", number=1)
    review = reviews.schedule_review(apprentice, by=provider_user, due_on=HELD_ON)
    reviews.record_review(
        review,
        reviews.Record(
            held_on=HELD_ON,
            summary="Good progress with widgets",
            progress={},
            targets=[
                ("Map two more KSBs", datetime.date(2025, 6, 30)),
                ("Shadow a widget audit", None),
            ],
            comments={ksb: "Explains widget law clearly"},
        ),
        by=provider_user,
    )
    return review


@pytest.fixture
def signed(recorded, apprentice, provider_user, employer_user):
    for signer, name in (
        (apprentice.user, "Alex Apprentice"),
        (provider_user, "Pat Provider"),
        (employer_user, "Emma Employer"),
    ):
        reviews.sign_review(recorded, by=signer, name=name)
    recorded.refresh_from_db()
    assert recorded.is_locked
    return recorded


def request_url(review):
    return reverse("reports:report_request_review", args=[review.pk])


def test_the_pdf_of_a_signed_review_has_its_dates_targets_comments_and_signatures(
    signed, provider_user
):
    report = building.request_report(signed, requested_by=provider_user)
    assert (report.kind, report.review, report.apprentice_id) == (
        "review",
        signed,
        signed.apprentice_id,
    )
    report = building.build(report.pk)
    assert report.status == "ready"
    text = " ".join(pdf_text(report).split())  # lines wrap in table cells
    for expected in (
        "Signed progress review",
        signed.apprentice.name,
        "Progress review held on 7 April 2025",
        "Good progress with widgets",
        "Map two more KSBs",
        "30 June 2025",
        "Shadow a widget audit",
        "K1",
        "Explains widget law clearly",
        "Period covered 2 September 2024 to 7 April 2025",
        "Off-the-job training overall",
        "Alex Apprentice",
        "Pat Provider",
        "Emma Employer",
    ):
        assert expected in text, expected
    for signature in signed.signatures.all():
        when = formats.date_format(timezone.localtime(signature.signed_at), "j F Y, H:i")
        assert when in text
        assert signature.content_hash in text
    assert "Not signed" not in text


def test_the_review_page_offers_the_pdf_only_once_everyone_has_signed(
    client, recorded, apprentice, provider_user, employer_user
):
    client.force_login(provider_user)
    page = recorded.get_absolute_url()
    reviews.sign_review(recorded, by=apprentice.user)
    reviews.sign_review(recorded, by=provider_user)
    assert request_url(recorded) not in client.get(page).content.decode()
    reviews.sign_review(recorded, by=employer_user)
    assert f'action="{request_url(recorded)}"' in client.get(page).content.decode()


def test_asking_for_the_pdf_of_an_unsigned_review_is_refused_with_a_message(
    client, recorded, apprentice, provider_user
):
    reviews.sign_review(recorded, by=apprentice.user)
    client.force_login(provider_user)
    response = client.post(request_url(recorded))
    assert response["Location"] == recorded.get_absolute_url()
    [message] = get_messages(response.wsgi_request)
    assert str(message) == (
        "This progress review is not signed by the apprentice, the training provider and "
        "the employer yet, so it has no PDF."
    )
    assert not Report.objects.exists()
    with pytest.raises(building.ReportError, match="not signed"):
        building.request_report(recorded, requested_by=provider_user)


def test_the_review_pdf_is_queued_followed_and_downloaded_like_the_others(
    client, signed, employer_user
):
    client.force_login(employer_user)
    response = client.post(request_url(signed))
    report = Report.objects.get()
    assert (report.kind, report.requested_by) == ("review", employer_user)
    assert response["Location"] == report.get_absolute_url()
    status = client.get(report.get_absolute_url()).content.decode()
    assert "Signed progress review PDF" in status
    building.build(report.pk)
    report.refresh_from_db()
    detail = client.get(report.get_absolute_url()).content.decode()
    assert "Your PDF is ready" in detail
    download = client.get(reverse("reports:report_download", args=[report.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    listing = client.get(reverse("reports:report_list")).content.decode()
    assert "progress review of 7 April 2025" in listing


def test_a_failed_review_pdf_is_asked_for_again_from_its_status_page(client, signed, provider_user):
    report = building.request_report(signed, requested_by=provider_user)
    building.fail(report.pk, reason="Broken")
    client.force_login(provider_user)
    page = client.get(report.get_absolute_url()).content.decode()
    assert f'action="{request_url(signed)}"' in page


def test_the_status_page_of_a_review_pdf_names_the_review(
    client, signed, provider_user, django_assert_num_queries
):
    report = building.request_report(signed, requested_by=provider_user)
    client.force_login(provider_user)
    client.get(report.get_absolute_url())  # the user's role and permissions, now cached
    # Session, user, the report with its apprentice, its review, reports ahead, unread count.
    with django_assert_num_queries(6):
        page = client.get(report.get_absolute_url()).content.decode()
    assert f"{signed.apprentice.name}, progress review of 7 April 2025" in page


def test_the_apprentice_and_an_administrator_may_ask_too(client, signed, apprentice):
    for user in (apprentice.user, make_user(role=Role.ADMIN)):
        client.force_login(user)
        assert client.post(request_url(signed)).status_code == 302
        assert Report.objects.filter(requested_by=user, review=signed).exists()


def test_another_organisations_review_is_a_404_and_the_epao_may_not_ask(
    client, signed, apprentice, epao_admin
):
    for outsider in (
        make_staff(role=Role.PROVIDER, organisation=make_organisation()),
        make_staff(role=Role.EMPLOYER, organisation=make_organisation()),
    ):
        client.force_login(outsider)
        assert client.post(request_url(signed)).status_code == 404
    # The EPAO can see the apprentice in EPA, but not their progress reviews.
    put_in_status(apprentice, "in_epa")
    client.force_login(epao_admin)
    assert client.post(request_url(signed)).status_code == 403
    assert not Report.objects.exists()


def test_a_review_pdf_is_seen_only_by_whoever_asked_while_they_may_see_the_review(
    client, signed, apprentice, provider_user, epao_admin
):
    report = building.build(building.request_report(signed, requested_by=provider_user).pk)
    colleague = make_staff(role=Role.PROVIDER, organisation=apprentice.training_provider)
    for user in (colleague, apprentice.user):
        client.force_login(user)
        assert client.get(reverse("reports:report_download", args=[report.pk])).status_code == 404
    # A review report for someone without the review capability is out of sight.
    put_in_status(apprentice, "in_epa")
    theirs = Report.objects.create(
        kind=Report.Kind.REVIEW, requested_by=epao_admin, apprentice=apprentice, review=signed
    )
    assert not Report.objects.visible_to(epao_admin).filter(pk=theirs.pk).exists()
    assert Report.objects.visible_to(provider_user).filter(pk=report.pk).exists()
