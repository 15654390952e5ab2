"""Settings come from the environment; these run a fresh interpreter for each case."""

import json
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings

from psp.release import code_digest

PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "db = settings.DATABASES['default']; "
    "print(json.dumps({'engine': db['ENGINE'], 'name': str(db['NAME']), "
    "'options': db.get('OPTIONS', {}), 'debug': settings.DEBUG, "
    "'broker': settings.CELERY_BROKER_URL, 'ssl': settings.SECURE_SSL_REDIRECT, "
    "'hosts': settings.ALLOWED_HOSTS, 'cache': settings.CACHES['default'], "
    "'caches': settings.CACHES, 'release': settings.PSP_RELEASE, "
    "'session_cache': settings.SESSION_CACHE_ALIAS}))"
)


def run_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"}
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "psp.settings", **env})
    for key in ("SECRET_KEY", "DEBUG", "HTTPS_ONLY"):
        if env.get(key) == "<unset>":
            clean.pop(key, None)
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=clean,
        cwd=settings.BASE_DIR,
        check=False,
    )


def probe(**env: str) -> dict:
    result = run_settings(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_secret_key_is_required_when_debug_is_off():
    result = run_settings(DEBUG="0", SECRET_KEY="<unset>")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_defaults_are_production_safe():
    values = probe(DEBUG="<unset>", HTTPS_ONLY="<unset>", SECRET_KEY="x" * 50)
    assert values["debug"] is False
    assert values["ssl"] is True
    assert values["hosts"] == []


def test_default_database_is_a_sqlite_file_in_the_project_and_broker_needs_no_redis():
    values = probe(DEBUG="1")
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"].startswith(str(settings.BASE_DIR))
    assert values["broker"] == "filesystem://"


def test_cache_is_per_process_unless_cache_url_names_a_shared_redis():
    assert probe(DEBUG="1")["cache"]["BACKEND"].endswith("LocMemCache")
    shared = probe(DEBUG="1", CACHE_URL="redis://cache.internal:6379/1")["cache"]
    assert shared["BACKEND"] == "psp.cache.RedisCache"  # Django's, sharing its clients
    assert shared["LOCATION"] == "redis://cache.internal:6379/1"


def test_shared_cache_entries_belong_to_this_release_and_sessions_to_every_release():
    values = probe(DEBUG="1", CACHE_URL="redis://cache.internal:6379/1")
    assert values["release"] == code_digest(settings.BASE_DIR)
    assert values["cache"]["KEY_PREFIX"] == f"psp:{values['release']}"
    assert values["session_cache"] == "sessions"
    assert values["caches"]["sessions"]["KEY_PREFIX"] == "psp"
    assert values["caches"]["sessions"]["LOCATION"] == "redis://cache.internal:6379/1"


def test_the_release_digest_changes_with_a_template_or_python_file(tmp_path):
    (tmp_path / "templates" / "psp").mkdir(parents=True)
    (tmp_path / "psp").mkdir()
    (tmp_path / "templates" / "psp" / "home.html").write_text("<h1>Home</h1>")
    (tmp_path / "psp" / "views.py").write_text("x = 1\n")
    first = code_digest(tmp_path)
    assert code_digest(tmp_path) == first
    (tmp_path / "templates" / "psp" / "home.html").write_text("<h1>Your home</h1>")
    second = code_digest(tmp_path)
    assert second != first
    (tmp_path / "psp" / "views.py").write_text("x = 2\n")
    assert code_digest(tmp_path) not in {first, second}


def test_postgres_database_url_uses_the_psycopg_pool():
    values = probe(
        DEBUG="1",
        DATABASE_URL="postgres://psp:secret@db.example:5432/psp",
        DATABASE_POOL_MAX_SIZE="7",
    )
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "psp"
    assert values["options"]["pool"]["max_size"] == 7


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG must be one of 1/0"),
        ("AXES_FAILURE_LIMIT", "ten", "AXES_FAILURE_LIMIT must be a whole number"),
    ],
)
def test_a_malformed_variable_is_a_clear_error(name, value, message):
    result = run_settings(**{"DEBUG": "1", name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_check_deploy_passes_with_production_settings():
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(
        DEBUG="0",
        HTTPS_ONLY="1",
        PSP_STATIC_MANIFEST="1",
        ALLOWED_HOSTS="psp.example.org",
        SECRET_KEY="a-production-like-secret-key-with-enough-length-and-variety-9f8e7d6c5b",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        capture_output=True,
        text=True,
        env=env,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_runserver_prints_a_refusal_once_and_without_a_traceback(settings, capsys):
    # As `make run` logs: Django's own console handler for the "django" logger (DEBUG only)
    # used to print the traceback before psp's handler printed the one line.
    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponseForbidden
    from django.test import RequestFactory
    from django.utils.log import configure_logging, log_response

    settings.DEBUG = True
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)  # streams are capsys's now
    try:
        try:
            raise PermissionDenied
        except PermissionDenied:
            log_response(
                "Forbidden (Permission denied): %s",
                "/epa/1/",
                response=HttpResponseForbidden(),
                request=RequestFactory().get("/epa/1/"),
                exception=sys.exc_info()[1],
            )
        printed = capsys.readouterr().err
    finally:
        configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    assert printed.count("Forbidden (Permission denied): /epa/1/") == 1, printed
    assert "Traceback" not in printed


def test_runserver_request_lines_keep_their_timestamp():
    from django.utils.log import ServerFormatter

    handlers = logging.getLogger("django.server").handlers
    assert any(isinstance(handler.formatter, ServerFormatter) for handler in handlers)


def test_a_refusal_is_logged_in_one_line_without_a_traceback():
    callback = settings.LOGGING["filters"]["no_traceback_below_500"]["callback"]
    try:
        raise PermissionError("not yours")
    except PermissionError:
        refused = logging.LogRecord("django.request", 30, "", 0, "Forbidden", (), sys.exc_info())
        failed = logging.LogRecord("django.request", 40, "", 0, "Error", (), sys.exc_info())
    refused.status_code, failed.status_code = 403, 500
    assert callback(refused)
    assert callback(failed)
    assert refused.exc_info is None
    assert failed.exc_info is not None


def test_a_refusal_under_debug_prints_one_line_and_no_traceback():
    """As `make run` logs a 403: Django's own default handler for "django" loggers
    printed a second copy with the traceback."""
    script = (
        "import logging, sys, django; django.setup(); "
        "from django.core.exceptions import PermissionDenied\n"
        "try:\n    raise PermissionDenied\n"
        "except PermissionDenied:\n"
        "    logging.getLogger('django.request').warning('Forbidden (Permission denied): /x/', "
        "exc_info=sys.exc_info(), extra={'status_code': 403})\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "psp.settings", "DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=settings.BASE_DIR,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Forbidden (Permission denied): /x/") == 1, result.stderr
    assert "Traceback" not in result.stderr
