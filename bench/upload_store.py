"""The 100 MB upload of bench/upload.py with the files kept in the folder and in an object
store (PSP_STORAGE=s3), side by side: `python -m bench.upload_store` (docs/performance.md).

It needs no seeded bench database: a small one of its own (var/bench-upload/, SQLite, or
psp_bench_upload on BENCH_DATABASE_URL's server) with the demo accounts. The object store
is moto's S3 server from PyPI (moto[server], a test stand-in) in this process on 127.0.0.1,
so its memory is not the gunicorn worker's. With the store, the stored object is read back
and its SHA-256 compared with the one recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys

from bench import config

config.BENCH_DIR = config.ROOT / "var" / "bench-upload"
config.MEDIA_DIR = config.BENCH_DIR / "media"
config.STATIC_DIR = config.BENCH_DIR / "static"
config.SQLITE_PATH = config.BENCH_DIR / "bench.sqlite3"
config.PG_DATABASE = "psp_bench_upload"
config.create_database()
for folder in ("queue", "processed", "control"):  # the folder broker of the demo seeding
    (config.BENCH_DIR / "celery" / folder).mkdir(parents=True, exist_ok=True)

from django.core.management import call_command  # noqa: E402

from bench import upload  # noqa: E402  (sets Django up on the database above)
from bench.pages import PASSWORDS  # noqa: E402

BUCKET = "psp-bench"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _prepare() -> int:
    from apprentices.models import Apprentice
    from demo.seeding import seed_demo_portfolios
    from psp.demo_accounts import seed_demo

    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_reference_data", verbosity=0)
    if not Apprentice.objects.filter(user__username="apprentice").exists():
        seed_demo_portfolios(seed_demo())
    return int(Apprentice.objects.get(user__username="apprentice").pk)


def _object_store() -> tuple[object, dict[str, str]]:
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per S3 request

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    environment = {
        "PSP_STORAGE": "s3",
        "S3_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "S3_REGION": "eu-west-2",
        "S3_ACCESS_KEY_ID": "bench",
        "S3_SECRET_ACCESS_KEY": "bench",
        "S3_PATH_STYLE": "1",
    }
    boto3.client(
        "s3",
        endpoint_url=environment["S3_ENDPOINT_URL"],
        region_name="eu-west-2",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    ).create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    return server, environment


def _stored_sha256_in(environment: dict[str, str]) -> list[str]:
    """SHA-256 of every object in the bucket, read back in chunks."""
    from storages.backends.s3 import S3Storage

    from psp.objectstore import s3_storage_options
    from psp.storage import sha256_of

    os.environ.update(environment)
    store = S3Storage(**s3_storage_options())
    return [sha256_of(item.key, store) for item in store.bucket.objects.all()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("folder", "s3", "both"), default="both")
    args = parser.parse_args(argv)
    apprentice_id = _prepare()
    results: dict[str, object] = {}
    ok = True
    if args.store in ("folder", "both"):
        print("100 MB upload, files in the folder…", flush=True)
        folder = upload.measure_upload(apprentice_id, PASSWORDS["apprentice"]).as_dict()
        results["folder"] = folder
        ok = ok and bool(folder["ok"])
    if args.store in ("s3", "both"):
        print("100 MB upload, files in the object store (moto's S3 server)…", flush=True)
        server, environment = _object_store()
        saved = {name: os.environ.get(name) for name in environment}
        os.environ.update(environment)  # bench_environment() passes it to gunicorn
        try:
            s3 = upload.measure_upload(apprentice_id, PASSWORDS["apprentice"]).as_dict()
            _, expected = upload.upload_file()
            read_back = _stored_sha256_in(environment)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            server.stop()  # type: ignore[attr-defined]
        s3["object_read_back_sha256_matches"] = expected in read_back
        results["s3"] = s3
        ok = ok and bool(s3["ok"]) and expected in read_back
    print(json.dumps(results, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
