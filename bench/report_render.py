"""How long the portfolio PDF takes, and how much memory, for an apprentice with 500 evidence
items (about 40 pages), with PDF/UA tagging as the worker builds it.

    .venv/bin/python bench/report_render.py [--items 500] [--json]

Standalone: it seeds a throwaway SQLite database in a temporary folder (ST0494 v1.0, one
apprentice, N evidence items each with a file and 2-4 KSBs), then renders in a fresh process
per evidence-index layout (table, then blocks), so that each peak RSS is that layout's own.
Each process first renders a one-page report, so the times are those of a warm worker, not
of WeasyPrint's one-off start-up. Targets (#17), for each layout: under 3 s and under 300 MB.

bench/run.py can call it as a subprocess and read one JSON object from stdout:
    subprocess.run([sys.executable, "bench/report_render.py", "--json"], capture_output=True)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TITLES = [
    "Case note",
    "Risk assessment",
    "Reflective account of a supervision session",
    "Pre-sentence report",
]
TARGET_SECONDS = 3.0
TARGET_MB = 300


def _environment(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "psp.settings",
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "PSP_VAR_DIR": str(folder),
        "MEDIA_ROOT": str(folder / "media"),
        "DEBUG": "0",
        "SECRET_KEY": "report-render-benchmark-only-not-a-secret-0123456789",
        "HTTPS_ONLY": "0",
        "PSP_STATIC_MANIFEST": "0",
        "LOG_LEVEL": "WARNING",
        "CELERY_BROKER_URL": "memory://",
    }


def _setup(folder: Path) -> None:
    os.environ.update(_environment(folder))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed(folder: Path, items: int) -> int:
    """A fresh database with one apprentice and `items` evidence items; the report's id."""
    _setup(folder)
    import datetime
    import hashlib
    import random

    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.utils import timezone

    from apprentices.models import Apprentice, Evidence, EvidenceFile, EvidenceKSB, complete_uln
    from psp.models import Organisation, User
    from psp.roles import Role
    from reports.models import Report
    from standards.models import StandardVersion
    from standards.reference_data import load_reference_data

    call_command("migrate", verbosity=0, interactive=False)
    load_reference_data()
    version = StandardVersion.objects.get(standard__reference="ST0494", version="1.0")
    ksbs = list(version.ksbs.all())
    provider = Organisation.objects.create(name="Bench provider", kind="provider")
    employer = Organisation.objects.create(name="Bench employer", kind="employer")
    reviewer = User.objects.create(username="reviewer", first_name="Rev", last_name="Iewer")
    reviewer.groups.add(Group.objects.get(name=Role.PROVIDER.label))
    user = User.objects.create(username="bench", first_name="Bench", last_name="Apprentice")
    apprentice = Apprentice.objects.create(
        user=user,
        uln=complete_uln("100000004"),
        standard_version=version,
        start_date=datetime.date(2023, 9, 4),
        planned_gateway_date=datetime.date(2025, 3, 3),
        employer=employer,
        training_provider=provider,
    )
    rng = random.Random(494)
    statuses = ["accepted"] * 6 + ["submitted", "changes_requested", "draft"]
    types = [choice for choice, _ in Evidence.Type.choices]
    now = timezone.now()
    evidence = Evidence.objects.bulk_create(
        Evidence(
            apprentice=apprentice,
            title=f"Evidence {n}: {rng.choice(TITLES)}",
            activity_date=datetime.date(2023, 10, 1) + datetime.timedelta(days=n),
            evidence_type=rng.choice(types),
            status=(status := rng.choice(statuses)),
            submission_count=0 if status == "draft" else 1,
            reviewed_by=reviewer if status in ("accepted", "changes_requested") else None,
            review_comment="Add more detail" if status == "changes_requested" else "",
            personal_data_removed=True,
        )
        for n in range(1, items + 1)
    )
    files, mappings = [], []
    for item in evidence:
        digest = hashlib.sha256(f"file {item.pk}".encode()).hexdigest()
        files.append(
            EvidenceFile(
                evidence=item,
                file=f"evidence/{apprentice.pk}/{digest[:2]}/{digest}",
                original_name=f"{item.title[:60]}.pdf",
                content_type="application/pdf",
                size=rng.randint(20_000, 4_000_000),
                sha256=digest,
                uploaded_by=user,
                uploaded_at=now,
            )
        )
        mappings += [
            EvidenceKSB(evidence=item, ksb=ksb) for ksb in rng.sample(ksbs, rng.randint(2, 4))
        ]
    EvidenceFile.objects.bulk_create(files)
    EvidenceKSB.objects.bulk_create(mappings)
    return Report.objects.create(kind="portfolio", requested_by=reviewer, apprentice=apprentice).pk


def measure(folder: Path, report_id: int, layout: str) -> dict[str, Any]:
    """Render once (warm-up, a one-page document), then the report; time and memory."""
    import resource

    _setup(folder)
    from django.conf import settings

    from reports import building
    from reports.models import Report
    from reports.pdf import html_to_pdf

    static = Path(settings.BASE_DIR) / "static"
    html_to_pdf(
        '<html lang="en"><head><title>Warm-up</title><link rel="stylesheet" '
        'href="css/print.css"></head><body><p>Warm-up</p></body></html>',
        base_url=static,
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = Report.objects.select_related("requested_by").get(pk=report_id)
    cpu_started = time.process_time()
    started = time.perf_counter()
    html = building.render_html(report, evidence_layout=layout)
    html_done = time.perf_counter()
    pdf = html_to_pdf(html, base_url=static)
    finished = time.perf_counter()
    cpu = time.process_time() - cpu_started
    import io

    from pypdf import PdfReader  # a dev dependency, only to count the pages

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    return {
        "layout": layout,
        "default": layout == building.EVIDENCE_LAYOUT,
        "pages": pages,
        "pdf_kb": round(len(pdf) / 1024),
        "html_seconds": round(html_done - started, 2),
        "pdf_seconds": round(finished - html_done, 2),
        "total_seconds": round(finished - started, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "rss_before_mb": round(rss_before),
        "load_average": round(os.getloadavg()[0], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=500, help="evidence items (500)")
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    # Internal: each step runs in its own process.
    parser.add_argument("--seed", metavar="FOLDER", help=argparse.SUPPRESS)
    parser.add_argument(
        "--measure", nargs=3, metavar=("FOLDER", "REPORT", "LAYOUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.seed:
        print(seed(Path(args.seed), args.items))
        return 0
    if args.measure:
        folder, report_id, layout = args.measure
        print(json.dumps(measure(Path(folder), int(report_id), layout)))
        return 0
    with tempfile.TemporaryDirectory(prefix="psp-report-bench-") as name:
        folder = Path(name)
        started = time.perf_counter()
        seeder = subprocess.run(
            [sys.executable, __file__, "--items", str(args.items), "--seed", name],
            capture_output=True,
            text=True,
            check=True,
        )
        report_id = int(seeder.stdout.strip().splitlines()[-1])
        seed_seconds = round(time.perf_counter() - started, 1)
        results = []
        for layout in ("table", "blocks"):
            done = subprocess.run(
                [sys.executable, __file__, "--measure", name, str(report_id), layout],
                capture_output=True,
                text=True,
                check=True,
            )
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    summary = {
        "items": args.items,
        "seed_seconds": seed_seconds,
        "targets": {"seconds": TARGET_SECONDS, "peak_rss_mb": TARGET_MB},
        "layouts": results,
        "met": all(
            r["total_seconds"] < TARGET_SECONDS and r["peak_rss_mb"] < TARGET_MB for r in results
        ),
    }
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f"Portfolio report, {args.items} evidence items (seeded in {seed_seconds} s)")
    print(
        "| layout | pages | HTML s | PDF s | total s | CPU s | peak RSS MB "
        "| RSS before MB | PDF KB | load avg |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['layout']}{' (used)' if r['default'] else ''} | {r['pages']} | "
            f"{r['html_seconds']} | {r['pdf_seconds']} | "
            f"{r['total_seconds']} | {r['cpu_seconds']} | {r['peak_rss_mb']} | "
            f"{r['rss_before_mb']} | {r['pdf_kb']} | {r['load_average']} |"
        )
    verdict = "met" if summary["met"] else "MISSED"
    print(f"Targets for each layout: under {TARGET_SECONDS:g} s and {TARGET_MB} MB: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
