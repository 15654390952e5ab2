"""The markdown table the benchmark prints, and the machine it ran on."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any


def machine_info() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        # Other work on the machine skews every number: the load when the run started.
        "load_average_1_5_15": [round(load, 2) for load in os.getloadavg()],
    }


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _ok(value: bool | None) -> str:
    return "–" if value is None else ("yes" if value else "**no**")


def table(
    pages: list[dict[str, Any]], upload: dict[str, Any] | None, pdf: dict[str, Any] | None
) -> str:
    lines = [
        "| page | p50 ms | p95 ms | server p50 / p95 ms | worker CPU ms | queries "
        "| req/s ratio | CPU ratio | target | ok? |",
        "|---|--:|--:|--:|--:|--:|--:|--:|---|---|",
    ]
    for page in pages:
        if page["error"]:
            lines.append(
                f"| {page['name']} | – | – | – | – | – | – | – | {page['target']} "
                f"| **failed**: {page['error'][:80]} |"
            )
            continue
        compared = page["compared"] or {}
        lines.append(
            f"| {page['name']} | {_ms(page['p50_ms'])} | {_ms(page['p95_ms'])} "
            f"| {_ms(page['server_p50_ms'])} / {_ms(page['server_p95_ms'])} "
            f"| {_ms(page['worker_cpu_ms'])} | {page['queries']} "
            f"| {_ratio(compared.get('rps_ratio'))} | {_ratio(compared.get('cpu_ratio'))} "
            f"| {page['target']} | {_ok(page['ok'])} |"
        )
    if upload:
        lines.append(
            f"| Upload of a 100 MB file: worker memory growth {upload['growth_mb']:.1f} MB "
            f"(peak {upload['peak_mb']:.0f} MB from {upload['rss_before_mb']:.0f} MB) "
            f"| {upload['wall_seconds'] * 1000:.0f} | – "
            f"| {upload['server_seconds'] * 1000:.0f} / – | – | – | – "
            f"| growth ≤ {upload['limit_mb']:.0f} MB | {_ok(upload['ok'])} |"
        )
    lines += _pdf_rows(pdf) if pdf else []
    return "\n".join(lines)


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def ratio_table(pages: list[dict[str, Any]]) -> str:
    """Each compared page beside its bare Django baseline, measured alternately (medians)."""
    lines = [
        "| page | baseline | req/s page / bare | ratio | CPU ms/request page / bare "
        "| ratio | ok? |",
        "|---|---|--:|--:|--:|--:|---|",
    ]
    for page in pages:
        compared = page["compared"]
        if not compared:
            continue
        rows = compared["baseline"].strip("/").split("/")[-1]
        lines.append(
            f"| {page['name']} | bare {rows} rows "
            f"| {compared['requests_per_second']:.0f} / "
            f"{compared['baseline_requests_per_second']:.0f} | {compared['rps_ratio']:.2f} "
            f"| {compared['cpu_ms_per_request']:.1f} / "
            f"{compared['baseline_cpu_ms_per_request']:.1f} | {compared['cpu_ratio']:.2f} "
            f"| {_ok(page['ok'])} |"
        )
    return "\n".join(lines)


def _pdf_rows(pdf: dict[str, Any]) -> list[str]:
    """Rows for bench/report_render.py's result; its targets are for each layout."""
    seconds, megabytes = pdf["targets"]["seconds"], pdf["targets"]["peak_rss_mb"]
    rows = []
    for layout in pdf["layouts"]:
        ok = layout["total_seconds"] < seconds and layout["peak_rss_mb"] < megabytes
        rows.append(
            f"| Portfolio PDF report, {pdf['items']} items, {layout['layout']} layout "
            f"({layout['pages']} pages, peak RSS {layout['peak_rss_mb']} MB) "
            f"| {layout['total_seconds'] * 1000:.0f} | – | – | – | – | – "
            f"| < {seconds:g} s, < {megabytes} MB "
            f"| {_ok(ok)} |"
        )
    return rows
