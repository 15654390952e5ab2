"""`make bench`: seed the bench database, serve psp with gunicorn, measure the main pages.

    python -m bench.run [--reseed] [--requests 50] [--clients 8] [--load-seconds 5]
                        [--workers 3] [--skip-upload] [--skip-report] [--strict]

Prints a markdown table and writes bench/results.json. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from django.db import connections

from bench import config, pages, report, seed
from bench.client import sign_in
from bench.measure import WARM_UP, Throughput, latencies, percentile, throughput
from bench.server import Server, gunicorn, server_times, workers_cpu_seconds
from bench.upload import measure_upload

SMALL_PAGE_REQUESTS_PER_SECOND = 150
REPORT_BENCH = config.ROOT / "bench" / "report_render.py"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reseed", action="store_true", help="drop the bench data, seed again")
    parser.add_argument("--requests", type=int, default=50, help="timed GETs per page (50)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument("--load-seconds", type=float, default=5.0, help="per small page (5)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (3)")
    parser.add_argument("--skip-upload", action="store_true", help="no 100 MB upload")
    parser.add_argument("--skip-report", action="store_true", help="no PDF report rendering")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    return parser.parse_args()


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the with-blocks that stop gunicorn


def page_result(
    page: pages.Page,
    samples: list[float],
    server_ms: list[float],
    cpu_ms: float | None,
    queries: int | str,
    load: Throughput | None,
    error: str | None,
) -> dict[str, Any]:
    """One row of the results; a page that failed (error, or no query count) is not ok."""
    failure = error or (queries if isinstance(queries, str) else None)
    p95 = percentile(samples, 95) if samples else None
    targets, checks = [], []
    if page.target_p95_ms is not None:
        targets.append(f"p95 < {page.target_p95_ms:.0f} ms")
        checks.append(p95 is not None and p95 < page.target_p95_ms)
    if page.small:
        targets.append(f"≥ {SMALL_PAGE_REQUESTS_PER_SECOND} req/s")
        checks.append(
            load is not None and load.requests_per_second >= SMALL_PAGE_REQUESTS_PER_SECOND
        )
    return {
        "key": page.key,
        "name": page.name,
        "user": page.username,
        "path": page.path,
        "status": page.expect,
        "error": failure,
        "requests": len(samples),
        "p50_ms": round(percentile(samples, 50), 1) if samples else None,
        "p95_ms": round(p95, 1) if p95 is not None else None,
        "max_ms": round(max(samples), 1) if samples else None,
        "server_p50_ms": round(percentile(server_ms, 50), 1) if server_ms else None,
        "server_p95_ms": round(percentile(server_ms, 95), 1) if server_ms else None,
        "worker_cpu_ms": round(cpu_ms, 1) if cpu_ms is not None else None,
        "queries": queries if isinstance(queries, int) else None,
        "requests_per_second": round(load.requests_per_second, 1) if load else None,
        "load_requests": load.requests if load else None,
        "load_errors": load.errors if load else None,
        "load_p95_ms": round(load.p95_ms, 1) if load else None,
        "target": ", ".join(targets) or "–",
        "ok": False if failure else (all(checks) if checks else None),
    }


def report_render() -> dict[str, Any] | None:
    """The PDF report benchmark (its own seed and processes); None if it fails."""
    try:
        done = subprocess.run(
            [sys.executable, str(REPORT_BENCH), "--json"],
            cwd=config.ROOT,
            env=config.bench_environment(),
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        if not {"items", "targets", "layouts", "met"} <= result.keys():
            raise ValueError(f"unexpected result {result}")
    except (subprocess.SubprocessError, ValueError, IndexError) as error:
        print(f"  The report benchmark failed, so it is left out: {error}", flush=True)
        return None
    return result


@dataclass
class Measured:
    samples: dict[str, list[float]] = field(default_factory=dict)  # ms, as the client saw
    cpu_ms: dict[str, float] = field(default_factory=dict)  # worker CPU per request
    loads: dict[str, Throughput] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def measure_pages(server: Server, site: list[pages.Page], args: argparse.Namespace) -> Measured:
    """Latencies of every page one request at a time, then the small pages under load.
    A page that gives the wrong status is reported, and the others still measured."""
    sessions = {
        username: sign_in(server.port, username, pages.PASSWORDS[username])
        for username in sorted({page.username for page in site})
    }
    measured = Measured()
    samples, loads, errors = measured.samples, measured.loads, measured.errors
    for page in site:
        cpu_before = workers_cpu_seconds(server)
        try:
            samples[page.key] = latencies(
                server.port,
                page.path,
                sessions[page.username],
                label=page.key,
                count=args.requests,
                expect=page.expect,
            )
        except RuntimeError as error:
            errors[page.key] = str(error)
            print(f"  {page.key:<22} failed: {error}", flush=True)
            continue
        cpu = workers_cpu_seconds(server) - cpu_before
        measured.cpu_ms[page.key] = cpu * 1000 / (args.requests + WARM_UP)
        print(
            f"  {page.key:<22} p50 {percentile(samples[page.key], 50):7.1f} ms"
            f"  p95 {percentile(samples[page.key], 95):7.1f} ms"
            f"  worker CPU {measured.cpu_ms[page.key]:6.1f} ms/request",
            flush=True,
        )
    for page in site:
        if page.small and page.key in samples:
            loads[page.key] = throughput(
                server.port,
                page.path,
                sessions[page.username],
                label=page.key,
                clients=args.clients,
                seconds=args.load_seconds,
                expect=page.expect,
            )
            print(
                f"  {page.key:<22} {loads[page.key].requests_per_second:7.1f} req/s "
                f"with {args.clients} clients",
                flush=True,
            )
    return measured


def main() -> int:
    args = _arguments()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    started = time.perf_counter()
    machine = report.machine_info()  # before the benchmark itself loads the machine
    busy = machine["load_average_1_5_15"][0]
    if busy > 0.5 * (machine["cores"] or 1):
        print(f"The machine is busy (load {busy} on {machine['cores']} cores): expect slower")
    seeded = seed.seed(reseed=args.reseed)
    site = pages.main_pages()
    print(f"Counting queries of {len(site)} pages in-process…", flush=True)
    queries = pages.count_queries(site)
    database = pages.database_info()
    apprentice_id = pages.demo_apprentice_id()
    connections.close_all()

    print(f"Serving with gunicorn ({args.workers} sync workers)…", flush=True)
    with gunicorn(workers=args.workers, name="pages") as server:
        measured = measure_pages(server, site, args)
        server_ms = server_times(server)

    upload = None
    if not args.skip_upload:
        print("Uploading a 100 MB file to a single gunicorn worker…", flush=True)
        upload = measure_upload(apprentice_id, pages.PASSWORDS["apprentice"]).as_dict()

    pdf = None
    if not args.skip_report and REPORT_BENCH.exists():
        print("Rendering the portfolio PDF report (bench/report_render.py)…", flush=True)
        pdf = report_render()

    results = [
        page_result(
            page,
            measured.samples.get(page.key, []),
            server_ms.get(page.key, []),
            measured.cpu_ms.get(page.key),
            queries[page.key],
            measured.loads.get(page.key),
            measured.errors.get(page.key),
        )
        for page in site
    ]
    print()
    print(report.table(results, upload, pdf))
    config.RESULTS_PATH.write_text(
        json.dumps(
            {
                "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "machine": machine,
                "database": database,
                "seed": {"seconds": seeded.seconds, "seeded_at": seeded.seeded_at},
                "settings": {
                    "gunicorn_workers": args.workers,
                    "requests_per_page": args.requests,
                    "clients": args.clients,
                    "load_seconds": args.load_seconds,
                },
                "pages": results,
                "upload": upload,
                "report_render": pdf,
                "run_seconds": round(time.perf_counter() - started, 1),
            },
            indent=2,
        )
        + "\n"
    )
    elapsed = time.perf_counter() - started
    print(f"\nWrote {config.RESULTS_PATH.relative_to(config.ROOT)}; the run took {elapsed:.0f} s")
    missed = [r["key"] for r in results if r["ok"] is False]
    missed += ["upload"] if upload and not upload["ok"] else []
    missed += ["report"] if pdf and not pdf.get("met") else []
    if missed:
        print(f"Targets missed or pages failed: {', '.join(missed)}")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
