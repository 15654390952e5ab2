"""Each page side by side with a bare Django page (bench/bare/), measured alternately.

Absolute timings on a shared machine move with everybody else's work; a ratio to a bare
Django page measured seconds before, by the same client against the same server settings
and database, moves much less. For every compared page the run loads the baseline, then the
page, `rounds` times, and keeps per round:

- requests per second with `clients` concurrent clients (wrk if installed, else the Python
  client of bench.measure, which itself needs CPU on the same cores), and
- CPU per request: the gunicorn workers' CPU time plus, on PostgreSQL, the CPU time of the
  database's backend processes for the bench database and, with BENCH_CACHE_URL on this
  machine, the Redis server's (psp's pages read their sessions and cached parts there; the
  bare page reads nothing from it), over the requests made.

The ratios reported are the medians over the rounds of page / baseline (requests per second)
and page / baseline (CPU per request).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
from dataclasses import dataclass
from typing import Any

from bench import config
from bench.client import Cookies
from bench.measure import throughput
from bench.server import Server, cpu_seconds, statuses, workers_cpu_seconds

SMALL_BASELINE = "/rows/25/"  # a 25-row list page, 2 queries
BIG_BASELINE = "/rows/500/"  # the same, 500 rows
SMALL_RPS_RATIO = 0.67  # at least 2/3 of the baseline's requests per second
SMALL_CPU_RATIO = 1.5  # at most 1.5 times its CPU per request
BIG_CPU_RATIO = 2.0  # big pages: at most twice the 500-row page's CPU per request

WRK_REQUESTS = re.compile(r"(\d+) requests in ([\d.]+)(m?s)")
WRK_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
WRK_SOCKET_ERRORS = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
)


def load_client() -> str:
    return "wrk" if shutil.which("wrk") else "python"


class DatabaseProcesses:
    """The PostgreSQL backend processes serving the bench database (none on SQLite, whose
    work is done inside the workers) and the Redis server of BENCH_CACHE_URL, if any. Both
    must run on this machine for /proc."""

    def __init__(self) -> None:
        self.connection: Any = None
        if config.postgres_server_url():
            import psycopg

            self.connection = psycopg.connect(config.database_url(), autocommit=True)
        self.cache_pid = _redis_pid(config.cache_url())

    def pids(self) -> list[int]:
        cache = [self.cache_pid] if self.cache_pid else []
        if self.connection is None:
            return cache
        rows = self.connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
        return [row[0] for row in rows] + cache

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def _redis_pid(url: str) -> int | None:
    """The process id of the Redis server at `url` if it runs on this machine (its CPU is
    then counted with the database's), else None."""
    if not url.startswith(("redis://", "rediss://")):
        return None
    import redis

    with redis.Redis.from_url(url) as client:
        pid = int(client.info("server")["process_id"])
    return pid if os.path.exists(f"/proc/{pid}/stat") else None


@dataclass(frozen=True)
class Load:
    requests: int
    requests_per_second: float
    cpu_ms_per_request: float  # workers + database backends + Redis
    worker_cpu_ms_per_request: float
    errors: int  # responses other than the expected status, and socket errors


def load(
    server: Server,
    database: DatabaseProcesses,
    path: str,
    cookies: Cookies,
    *,
    label: str,
    clients: int,
    seconds: float,
    expect: int,
) -> Load:
    """`clients` clients request the page back to back for `seconds`."""
    name = f"{label}:load"
    before_database = {pid: cpu_seconds([pid]) for pid in database.pids()}
    before_workers = workers_cpu_seconds(server)
    if load_client() == "wrk":
        requests, elapsed, socket_errors = _wrk(server.port, path, cookies, name, clients, seconds)
    else:
        measured = throughput(
            server.port,
            path,
            cookies,
            label=label,
            clients=clients,
            seconds=seconds,
            expect=expect,
            name=name,
        )
        requests, elapsed, socket_errors = measured.requests, measured.seconds, measured.errors
    workers = workers_cpu_seconds(server) - before_workers
    after_database = {pid: cpu_seconds([pid]) for pid in database.pids()}
    # A backend that started meanwhile counts from zero; one that ended is not counted.
    backends = sum(after_database[pid] - before_database.get(pid, 0.0) for pid in after_database)
    wrong = sum(count for status, count in statuses(server, name).items() if status != expect)
    done = max(requests, 1)
    return Load(
        requests=requests,
        requests_per_second=requests / elapsed if elapsed else 0.0,
        cpu_ms_per_request=(workers + backends) * 1000 / done,
        worker_cpu_ms_per_request=workers * 1000 / done,
        errors=wrong + socket_errors,
    )


def _wrk(
    port: int, path: str, cookies: Cookies, name: str, clients: int, seconds: float
) -> tuple[int, float, int]:
    """Requests, seconds and socket errors of one wrk run (2 threads)."""
    command = [
        "wrk",
        f"-t{min(2, clients)}",
        f"-c{clients}",
        f"-d{max(1, round(seconds))}s",
        "--timeout=30s",  # wrk's own 2 s counts slow pages on a busy machine as errors
        "-H",
        f"X-Bench: {name}",
    ]
    if cookies:
        cookie = "; ".join(f"{key}={value}" for key, value in cookies.items())
        command += ["-H", f"Cookie: {cookie}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    found = WRK_REQUESTS.search(output)
    if not found:
        raise RuntimeError(f"wrk printed no request count:\n{output}")
    elapsed = float(found.group(2)) / (1000 if found.group(3) == "ms" else 1)
    socket_errors = WRK_SOCKET_ERRORS.search(output)
    # gunicorn's sync workers close every connection, which wrk may count as a read error
    # although the response was whole; connect, write and timeout errors are real.
    errors = (
        sum(int(n) for n in socket_errors.groups()[0:1] + socket_errors.groups()[2:])
        if (socket_errors)
        else 0
    )
    return int(found.group(1)), elapsed, errors


@dataclass(frozen=True)
class Comparison:
    baseline: str  # the baseline's path
    rounds: list[tuple[Load, Load]]  # (baseline, page) per round

    @property
    def rps_ratio(self) -> float:
        return statistics.median(
            page.requests_per_second / base.requests_per_second
            for base, page in self.rounds
            if base.requests_per_second
        )

    @property
    def cpu_ratio(self) -> float:
        return statistics.median(
            page.cpu_ms_per_request / base.cpu_ms_per_request
            for base, page in self.rounds
            if base.cpu_ms_per_request
        )

    def median(self, attribute: str, *, of_baseline: bool = False) -> float:
        return statistics.median(
            getattr(base if of_baseline else page, attribute) for base, page in self.rounds
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "rps_ratio": round(self.rps_ratio, 2),
            "cpu_ratio": round(self.cpu_ratio, 2),
            "requests_per_second": round(self.median("requests_per_second"), 1),
            "baseline_requests_per_second": round(
                self.median("requests_per_second", of_baseline=True), 1
            ),
            "cpu_ms_per_request": round(self.median("cpu_ms_per_request"), 2),
            "baseline_cpu_ms_per_request": round(
                self.median("cpu_ms_per_request", of_baseline=True), 2
            ),
            "worker_cpu_ms_per_request": round(self.median("worker_cpu_ms_per_request"), 2),
            "errors": sum(page.errors + base.errors for base, page in self.rounds),
            "rounds": [
                {
                    "baseline_rps": round(base.requests_per_second, 1),
                    "page_rps": round(page.requests_per_second, 1),
                    "baseline_cpu_ms": round(base.cpu_ms_per_request, 2),
                    "page_cpu_ms": round(page.cpu_ms_per_request, 2),
                }
                for base, page in self.rounds
            ],
        }


def compare(
    psp: Server,
    bare: Server,
    database: DatabaseProcesses,
    *,
    path: str,
    cookies: Cookies,
    label: str,
    expect: int,
    baseline: str,
    rounds: int,
    clients: int,
    seconds: float,
) -> Comparison:
    """Baseline, page, baseline, page… `rounds` times."""
    measured = []
    for number in range(rounds):
        base = load(
            bare,
            database,
            baseline,
            {},
            label=f"{label}:baseline{number}",
            clients=clients,
            seconds=seconds,
            expect=200,
        )
        page = load(
            psp,
            database,
            path,
            cookies,
            label=f"{label}:{number}",
            clients=clients,
            seconds=seconds,
            expect=expect,
        )
        measured.append((base, page))
    return Comparison(baseline=baseline, rounds=measured)
