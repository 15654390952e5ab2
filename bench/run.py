"""`make bench`: seed the bench database, serve psp with gunicorn, measure the main pages.

    python -m bench.run [--reseed] [--requests 50] [--clients 8] [--load-seconds 5]
                        [--rounds 3] [--pages home-,standard] [--workers 3]
                        [--skip-upload] [--skip-report] [--strict]

Every compared page is measured under load alternately with a bare Django page served the
same way (bench/bare/, bench/baseline.py); the ratios are the figures to track. Prints a
markdown table and writes bench/results.json. See docs/performance.md.
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

from bench import baseline, config, pages, report, seed
from bench.baseline import Comparison
from bench.client import sign_in
from bench.measure import WARM_UP, latencies, percentile
from bench.server import Server, gunicorn, server_times, workers_cpu_seconds
from bench.upload import measure_upload

REPORT_BENCH = config.ROOT / "bench" / "report_render.py"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reseed", action="store_true", help="drop the bench data, seed again")
    parser.add_argument("--requests", type=int, default=50, help="timed GETs per page (50)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument(
        "--load-seconds", type=float, default=5.0, help="per page and round under load (5)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="baseline-then-page rounds per page (3)"
    )
    parser.add_argument(
        "--pages", default="", help="only pages whose key starts with one of these (a,b,…)"
    )
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
    compared: Comparison | None,
    error: str | None,
) -> dict[str, Any]:
    """One row of the results; a page that failed (error, or no query count) is not ok.
    Its targets: the ratios to the baseline where it has one (#17; p95 moves with the
    machine's load, which the ratios cancel), else p95 where a page has one (#3, #8)."""
    failure = error or (queries if isinstance(queries, str) else None)
    p95 = percentile(samples, 95) if samples else None
    targets, checks = [], []
    if page.target_p95_ms is not None and page.baseline is None:
        targets.append(f"p95 < {page.target_p95_ms:.0f} ms")
        checks.append(p95 is not None and p95 < page.target_p95_ms)
    if page.baseline == baseline.SMALL_BASELINE:
        targets.append(
            f"req/s ≥ {baseline.SMALL_RPS_RATIO}×, CPU ≤ {baseline.SMALL_CPU_RATIO}× bare 25"
        )
        checks.append(
            compared is not None
            and compared.rps_ratio >= baseline.SMALL_RPS_RATIO
            and compared.cpu_ratio <= baseline.SMALL_CPU_RATIO
        )
    elif page.baseline == baseline.BIG_BASELINE:
        targets.append(f"CPU ≤ {baseline.BIG_CPU_RATIO}× bare 500")
        checks.append(compared is not None and compared.cpu_ratio <= baseline.BIG_CPU_RATIO)
    if compared is not None and compared.as_dict()["errors"]:
        failure = failure or f"{compared.as_dict()['errors']} failed requests under load"
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
        "compared": compared.as_dict() if compared else None,
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
    compared: dict[str, Comparison] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def measure_pages(
    server: Server, site: list[pages.Page], args: argparse.Namespace, apprentice_id: int
) -> Measured:
    """Latencies of every page one request at a time, then each compared page under load,
    alternately with its bare baseline. A page that gives the wrong status is reported, and
    the others still measured."""
    sessions = {
        username: sign_in(server.port, username, pages.PASSWORDS[username])
        for username in sorted({page.username for page in site})
    }
    measured = Measured()
    samples, errors = measured.samples, measured.errors
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
    compared = [page for page in site if page.baseline and page.key in samples]
    if not compared:
        return measured
    print(
        f"Under load ({baseline.load_client()}, {args.clients} clients, "
        f"{args.load_seconds:g} s): the bare Django baseline, then the page, "
        f"{args.rounds} rounds each…",
        flush=True,
    )
    database = baseline.DatabaseProcesses()
    try:
        with gunicorn(
            workers=args.workers,
            name="bare",
            application="bench.bare.wsgi:application",
            environment={"BARE_APPRENTICE_ID": str(apprentice_id)},
            ready_path=baseline.SMALL_BASELINE,
        ) as bare:
            for page in compared:
                assert page.baseline is not None
                result = baseline.compare(
                    server,
                    bare,
                    database,
                    path=page.path,
                    cookies=sessions[page.username],
                    label=page.key,
                    expect=page.expect,
                    baseline=page.baseline,
                    rounds=args.rounds,
                    clients=args.clients,
                    seconds=args.load_seconds,
                )
                measured.compared[page.key] = result
                print(
                    f"  {page.key:<22} {result.median('requests_per_second'):7.1f} req/s"
                    f" vs {result.median('requests_per_second', of_baseline=True):6.1f}"
                    f" (ratio {result.rps_ratio:4.2f});"
                    f" CPU {result.median('cpu_ms_per_request'):5.1f}"
                    f" vs {result.median('cpu_ms_per_request', of_baseline=True):5.1f}"
                    f" ms/request (ratio {result.cpu_ratio:4.2f})",
                    flush=True,
                )
    finally:
        database.close()
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
    if config.cache_url():
        # A reseed starts the revisions that name cached entries again from 1.
        from django.core.cache import cache

        cache.clear()
    site = pages.main_pages()
    if args.pages:
        chosen = tuple(args.pages.split(","))
        site = [page for page in site if page.key.startswith(chosen)]
    print(f"Counting queries of {len(site)} pages in-process…", flush=True)
    queries = pages.count_queries(site)
    database = pages.database_info()
    apprentice_id = pages.demo_apprentice_id()
    connections.close_all()

    print(f"Serving with gunicorn ({args.workers} sync workers)…", flush=True)
    with gunicorn(workers=args.workers, name="pages") as server:
        measured = measure_pages(server, site, args, apprentice_id)
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
            measured.compared.get(page.key),
            measured.errors.get(page.key),
        )
        for page in site
    ]
    print()
    print(report.table(results, upload, pdf))
    print()
    print(report.ratio_table(results))
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
                    "rounds": args.rounds,
                    "load_client": baseline.load_client(),
                    "cache": "redis" if config.cache_url() else "per process",
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
