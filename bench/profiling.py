"""Where one page's time goes, in-process on the bench database (seed it first).

    python -m bench.profiling home-provider [--requests 200] [--queries] [--top 30]

Requests the page with Django's test client as its user: the queries of one request (with
--queries, their SQL and milliseconds), then cProfile over `--requests` requests, sorted
by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench import pages
from bench.pages import connection
from psp.models import User


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("page", help="a page key of bench.pages, e.g. home-provider")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--queries", action="store_true", help="print each query's SQL")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    page = next(page for page in pages.main_pages() if page.key == args.page)
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username=page.username))
    for _ in range(3):
        client.get(page.path).close()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(page.path)
    assert response.status_code == page.expect, response.status_code
    print(f"{page.key}: {len(captured)} queries, {len(response.content):,} bytes")
    if args.queries:
        for query in captured.captured_queries:
            print(f"  {float(query['time']) * 1000:6.1f} ms  {query['sql'][:300]}")
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for _ in range(args.requests):
        client.get(page.path).close()
    profile.disable()
    elapsed = (time.perf_counter() - started) * 1000 / args.requests
    print(f"{elapsed:.1f} ms a request over {args.requests} (with the profiler)")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
