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
from bench.seed import real_file_bytes  # noqa: E402
from psp.demo import DEMO_ACCOUNTS  # noqa: E402
from psp.models import User  # noqa: E402

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
    small: bool = False  # a small page: also measured with 8 clients at once


def main_pages() -> list[Page]:
    """The main pages of the portfolio, each opened by the role that uses it. Pages of later
    features (gateway, grading, reports) need data this seed does not make yet."""
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
            small=True,
        )
        for username in PASSWORDS
    ]
    return [
        *homes,
        Page(
            "standard",
            "Standard version page (ST0494 v1.0)",
            "apprentice",
            "/standards/ST0494/1.0/",
            target_p95_ms=SMALL_PAGE_P95_MS,
            small=True,
        ),
        Page(
            "portfolio",
            "Portfolio: evidence list, page 1 of 20",
            "apprentice",
            apprentice.get_absolute_url(),
        ),
        Page("evidence", "Evidence item", "apprentice", evidence.get_absolute_url()),
        Page("download", "Evidence file download", "apprentice", real_file.get_absolute_url()),
        Page(
            "coverage",
            "KSB coverage (500 items)",
            "apprentice",
            f"{apprentice.get_absolute_url()}coverage/",
            target_p95_ms=150,
        ),
        Page(
            "cohort-provider",
            f"Cohort heatmap, provider ({cohort_size} × 34)",
            "provider",
            "/apprentices/cohort/",
            target_p95_ms=300,
        ),
        Page("cohort-employer", "Cohort heatmap, employer", "employer", "/apprentices/cohort/"),
        Page(
            "cohort-admin",
            f"Cohort heatmap, admin ({Apprentice.objects.count()} × 34)",
            "admin",
            "/apprentices/cohort/",
            target_p95_ms=300,
        ),
        Page("reviews", "Review queue (provider)", "provider", "/apprentices/reviews/"),
        Page("apprentices-provider", "Apprentice list (provider)", "provider", "/apprentices/"),
        Page("apprentices-admin", "Apprentice list (admin)", "admin", "/apprentices/"),
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
