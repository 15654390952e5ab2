"""The pages the benchmark measures, and how many queries each makes (in-process pass)."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass

from bench import config

config.setup_django()

import django  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from apprentices.models import Apprentice, EvidenceFile  # noqa: E402
from bench.baseline import BIG_BASELINE, SMALL_BASELINE  # noqa: E402
from bench.seed import real_file_bytes  # noqa: E402
from epa.models import Epa, MethodAssessment  # noqa: E402
from progress.models import OffTheJobEntry  # noqa: E402
from psp.demo_accounts import DEMO_ACCOUNTS  # noqa: E402
from psp.models import User  # noqa: E402
from reports.models import Report  # noqa: E402

PASSWORDS = {account.username: account.password for account in DEMO_ACCOUNTS}
SMALL_PAGE_P95_MS = 40.0


@dataclass(frozen=True)
class Page:
    key: str  # names the page in the X-Bench header, the access log and results.json
    name: str
    username: str  # the demo account that opens it
    path: str
    expect: int = 200
    target_p95_ms: float | None = None
    # Compared under load with a bare Django page (bench.baseline): SMALL_BASELINE for the
    # small pages, BIG_BASELINE for the pages of any size; None: latency only.
    baseline: str | None = None


def small_page(key: str, name: str, username: str, path: str) -> Page:
    """A small page: p95 < 40 ms unloaded, and compared with the bare 25-row page."""
    return Page(key, name, username, path, target_p95_ms=SMALL_PAGE_P95_MS, baseline=SMALL_BASELINE)


def main_pages() -> list[Page]:
    """The main pages of the service, each opened by the role that uses it."""
    apprentice = Apprentice.objects.select_related("user").get(user__username="apprentice")
    evidence = apprentice.evidence.order_by("-activity_date", "-id").first()
    assert evidence is not None, "the bench seed gives the demo apprentice 500 items"
    real_file = EvidenceFile.objects.filter(
        sha256=hashlib.sha256(real_file_bytes(0)).hexdigest()
    ).get()
    cohort_size = Apprentice.objects.filter(training_provider__staff__username="provider").count()
    homes = [
        Page(
            f"home-{username}",
            "Home (apprentice: redirect to the portfolio)"
            if username == "apprentice"
            else f"Home ({username})",
            username,
            "/",
            expect=302 if username == "apprentice" else 200,
            target_p95_ms=SMALL_PAGE_P95_MS,
            baseline=SMALL_BASELINE,
        )
        for username in PASSWORDS
    ]
    grading = (
        MethodAssessment.objects.filter(epa__assessor__username="assessor", grade="")
        .select_related("epa")
        .order_by("pk")
        .first()
    )
    gateway_of = Epa.objects.order_by("pk").values_list("apprentice_id", flat=True).first()
    off_the_job_of = (
        OffTheJobEntry.objects.filter(apprentice__training_provider__staff__username="provider")
        .values_list("apprentice_id", flat=True)
        .order_by("apprentice_id")
        .first()
    )
    report = Report.objects.filter(requested_by__username="provider").order_by("pk").first()
    if not (grading and gateway_of and off_the_job_of and report):
        raise RuntimeError("No EPA, off-the-job or report rows: run with --reseed")
    return [
        *homes,
        small_page(
            "standard",
            "Standard version page (ST0494 v1.0)",
            "apprentice",
            "/standards/ST0494/1.0/",
        ),
        small_page(
            "portfolio",
            "Portfolio: evidence list, page 1 of 20",
            "apprentice",
            apprentice.get_absolute_url(),
        ),
        small_page("evidence", "Evidence item", "apprentice", evidence.get_absolute_url()),
        Page("download", "Evidence file download", "apprentice", real_file.get_absolute_url()),
        small_page("reviews", "Review queue (provider)", "provider", "/apprentices/reviews/"),
        small_page(
            "apprentices-provider", "Apprentice list (provider)", "provider", "/apprentices/"
        ),
        small_page("apprentices-admin", "Apprentice list (admin)", "admin", "/apprentices/"),
        small_page(
            "off-the-job",
            "Off-the-job training log (provider)",
            "provider",
            f"/apprentices/{off_the_job_of}/off-the-job/",
        ),
        small_page("gateway", "Gateway (provider)", "provider", f"/epa/gateway/{gateway_of}/"),
        small_page(
            "grading",
            "Grading form (assessor)",
            "assessor",
            f"/epa/{grading.epa_id}/methods/{grading.pk}/record/",
        ),
        small_page("report", "Report status (provider)", "provider", f"/epa/reports/{report.pk}/"),
        Page(
            "coverage",
            "KSB coverage (500 items)",
            "apprentice",
            f"{apprentice.get_absolute_url()}coverage/",
            target_p95_ms=150,
            baseline=BIG_BASELINE,
        ),
        Page(
            "cohort-provider",
            f"Cohort heatmap, provider ({cohort_size} × 34)",
            "provider",
            "/apprentices/cohort/",
            target_p95_ms=300,
            baseline=BIG_BASELINE,
        ),
        Page(
            "cohort-employer",
            "Cohort heatmap, employer",
            "employer",
            "/apprentices/cohort/",
            baseline=BIG_BASELINE,
        ),
        Page(
            "cohort-admin",
            f"Cohort heatmap, admin ({Apprentice.objects.count()} × 34)",
            "admin",
            "/apprentices/cohort/",
            target_p95_ms=300,
            baseline=BIG_BASELINE,
        ),
    ]


def count_queries(pages: list[Page]) -> dict[str, int | str]:
    """Queries per request, in this process with Django's test client on the bench database
    (the second request of each page, so one-off caches are warm as in a running worker).
    A page that fails gets the error instead of a count."""
    users = {user.username: user for user in User.objects.filter(username__in=PASSWORDS)}
    clients: dict[str, Client] = {}
    counts: dict[str, int | str] = {}
    for page in pages:
        if page.username not in clients:
            clients[page.username] = Client(HTTP_HOST="localhost")
            clients[page.username].force_login(users[page.username])
        client = clients[page.username]
        try:
            client.get(page.path).close()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(page.path)
                response.close()
        except Exception as error:  # the view's own exception: report it, measure the rest
            counts[page.key] = f"{type(error).__name__}: {error}"
            continue
        if response.status_code != page.expect:
            counts[page.key] = f"HTTP {response.status_code}, not {page.expect}"
            continue
        counts[page.key] = len(captured)
    return counts


def database_info() -> dict[str, str]:
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        version = sqlite3.sqlite_version
    else:
        number = connection.pg_version  # type: ignore[attr-defined]
        version = f"{number // 10000}.{number % 10000}"
    return {"vendor": connection.vendor, "version": version, "django": django.get_version()}


def demo_apprentice_id() -> int:
    return Apprentice.objects.values_list("pk", flat=True).get(user__username="apprentice")
