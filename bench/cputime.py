"""Worker CPU a request of some pages, in-process on the bench database (seed it first).

    python -m bench.cputime grading off-the-job [--requests 200]

Requests each page with Django's test client as its user, after five warm-up requests, in
five batches, and prints the median batch's CPU time of this process a request (the
worker's share only: PostgreSQL's is not counted). For A/B comparisons of a change in the
same minutes: CPU time moves far less with the machine's load than wall time does, but the
figures are not the bench's ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time

from django.test import Client

from bench import pages
from psp.models import User

BATCHES = 5


def main() -> None:
    site = {page.key: page for page in pages.main_pages()}
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="+", choices=sorted(site), metavar="page")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    per_batch = max(1, args.requests // BATCHES)
    for key in args.pages:
        page = site[key]
        client = Client(HTTP_HOST="localhost")
        client.force_login(User.objects.get(username=page.username))
        for _ in range(5):
            response = client.get(page.path)
            assert response.status_code == page.expect, (key, response.status_code)
        batches = []
        for _ in range(BATCHES):
            started = time.process_time()
            for _ in range(per_batch):
                client.get(page.path).close()
            batches.append((time.process_time() - started) * 1000 / per_batch)
        print(f"{key:28s} {statistics.median(batches):6.2f} ms of worker CPU a request")


if __name__ == "__main__":
    main()
