"""Where the benchmark keeps its database and files, and the environment its processes use.

The benchmark never touches the development database: it has its own SQLite file under
var/bench/, or a database on the PostgreSQL server in BENCH_DATABASE_URL named psp_bench, or
the URL's own database name if that starts with psp_bench (psp_bench_mine: several people
can bench on one server).
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the virtualenv running the benchmark
BENCH_DIR = ROOT / "var" / "bench"
MEDIA_DIR = BENCH_DIR / "media"
STATIC_DIR = BENCH_DIR / "static"
SQLITE_PATH = BENCH_DIR / "bench.sqlite3"
PG_DATABASE_PREFIX = "psp_bench"
RESULTS_PATH = ROOT / "bench" / "results.json"

# One throwaway key per benchmark run, shared by every process of that run.
_SECRET_KEY = secrets.token_urlsafe(50)


def postgres_server_url() -> str:
    """BENCH_DATABASE_URL as given (any database name in it is replaced), or "" for SQLite."""
    return os.environ.get("BENCH_DATABASE_URL", "").strip()


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def pg_database_name() -> str:
    """psp_bench, or the URL's database name if it starts with that (nothing else is ever
    created or dropped)."""
    name = urlsplit(postgres_server_url()).path.lstrip("/")
    return name if name.startswith(PG_DATABASE_PREFIX) else PG_DATABASE_PREFIX


def database_url() -> str:
    server = postgres_server_url()
    return _with_database(server, pg_database_name()) if server else f"sqlite:///{SQLITE_PATH}"


def cache_url() -> str:
    """BENCH_CACHE_URL (e.g. redis://127.0.0.1:6379/8), or "" for a per-process cache."""
    return os.environ.get("BENCH_CACHE_URL", "").strip()


def bench_environment() -> dict[str, str]:
    """Production-shaped settings over plain HTTP on 127.0.0.1, with the bench database."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "psp.settings",
        "DATABASE_URL": database_url(),
        "PSP_VAR_DIR": str(BENCH_DIR),
        "MEDIA_ROOT": str(MEDIA_DIR),
        "STATIC_ROOT": str(STATIC_DIR),  # empty: no page measured here needs static files
        # Django's cache, as production has it (a Redis database all workers share, which
        # also holds the sessions: psp.settings); without BENCH_CACHE_URL each worker has its
        # own in memory and sessions are read from the database.
        "CACHE_URL": cache_url(),
        "DEBUG": "0",
        "HTTPS_ONLY": "0",
        "PSP_STATIC_MANIFEST": "0",
        "AXES_ENABLED": "0",
        # The bench signs in with passwords only. With two-factor authentication on, a
        # verified session costs a request the same (the middleware reads the session).
        "PSP_REQUIRE_STAFF_2FA": "0",
        "PSP_DEMO_ACCOUNTS": "0",
        "SECRET_KEY": _SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def setup_django() -> None:
    """Point this process's Django at the bench database and settings."""
    import django

    os.environ.update(bench_environment())
    STATIC_DIR.mkdir(parents=True, exist_ok=True)
    for folder in ("queue", "processed", "control"):  # the folder broker of queued tasks
        (BENCH_DIR / "celery" / folder).mkdir(parents=True, exist_ok=True)
    django.setup()


def create_database() -> None:
    """Make sure the bench database exists (PostgreSQL: create it if missing)."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    server = postgres_server_url()
    if not server:
        return
    import psycopg

    with psycopg.connect(_with_database(server, "postgres"), autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [pg_database_name()]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{pg_database_name()}"')


def drop_database() -> None:
    """Throw the bench database and its stored files away (the caller closed connections)."""
    shutil.rmtree(MEDIA_DIR, ignore_errors=True)
    server = postgres_server_url()
    if not server:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(_with_database(server, "postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{pg_database_name()}" WITH (FORCE)')
