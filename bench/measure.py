"""Latency of one client at a time, and throughput of several at once."""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass

from bench.client import Cookies, request

WARM_UP = 3


def percentile(values: list[float], percent: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def latencies(
    port: int, path: str, cookies: Cookies, *, label: str, count: int, expect: int
) -> list[float]:
    """Milliseconds for `count` GETs one after another, after a few unrecorded ones."""
    for _ in range(WARM_UP):
        request(port, "GET", path, cookies=cookies, label=f"{label}:warm-up")
    samples = []
    for _ in range(count):
        response = request(port, "GET", path, cookies=cookies, label=label)
        if response.status != expect:
            raise RuntimeError(f"{label}: GET {path} gave HTTP {response.status}, not {expect}")
        samples.append(response.seconds * 1000)
    return samples


@dataclass(frozen=True)
class Throughput:
    requests_per_second: float
    requests: int
    errors: int
    p95_ms: float
    seconds: float = 0.0


def throughput(
    port: int,
    path: str,
    cookies: Cookies,
    *,
    label: str,
    clients: int,
    seconds: float,
    expect: int,
    name: str = "",
) -> Throughput:
    """`clients` threads each GET the page back to back for `seconds` (X-Bench: `name`,
    or `label`:load)."""
    deadline = time.perf_counter() + seconds
    samples: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()

    def client() -> None:
        own_cookies = dict(cookies)
        while time.perf_counter() < deadline:
            try:
                response = request(
                    port,
                    "GET",
                    path,
                    cookies=own_cookies,
                    label=name or f"{label}:load",
                    timeout=30,
                )
                ok = response.status == expect
            except OSError:
                ok = False
            with lock:
                if ok:
                    samples.append(response.seconds * 1000)
                else:
                    errors.append(1)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return Throughput(
        requests_per_second=len(samples) / elapsed,
        requests=len(samples),
        errors=len(errors),
        p95_ms=percentile(samples, 95) if samples else 0.0,
        seconds=elapsed,
    )
