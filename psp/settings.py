"""Settings for psp: one file, driven by environment variables.

Every variable is documented in README.md. The defaults are safe for production:
DEBUG is off, SECRET_KEY must be given, cookies are secure and HTTPS is enforced.
`make run` sets DEBUG=1 for the embedded development server.
"""

import logging
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from psp.environment import env_bool, env_int, env_list, env_str
from psp.release import code_digest

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PSP_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. "
            'Generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-on-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "psp",
    "standards",
    "apprentices",
    "progress",
    "epa",
    "reports",
    "api",
    "demo",  # the seed_demo command (`make run`)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "crispy_forms",
    "crispy_forms_gds",
    "csp",
    "axes",
    "rules.apps.AutodiscoverRulesConfig",  # each app's rules.py: its object permissions
    # Two-factor authentication (TOTP, recovery codes, passkeys) and the list of where a
    # user is signed in; psp's own sign-in page starts allauth's login flow (psp.views).
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "ninja",  # the REST API (api.v1); its Swagger UI is served from its own static files
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "psp.middleware.RequestLimitsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "psp.middleware.StaffTwoFactorMiddleware",
    "psp.audit.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "psp.middleware.DemoNotFoundMiddleware",  # loaded only in the demo (`make run`)
    "psp.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "psp.urls"
WSGI_APPLICATION = "psp.wsgi.application"
# Widget templates can live in templates/ (e.g. templates/widgets/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "psp.context_processors.service",
            ],
        },
    },
]

# Database: SQLite file in var/ unless DATABASE_URL is set. PostgreSQL goes through
# psycopg 3 with its connection pool (DATABASE_POOL_MIN_SIZE / DATABASE_POOL_MAX_SIZE).
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'psp.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["OPTIONS"] = {
        "pool": {
            "min_size": env_int("DATABASE_POOL_MIN_SIZE", 1),
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 10),
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
        },
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Keep each worker's connection between requests (reopening the file and rerunning the
    # PRAGMAs cost 2-3 ms a request); PostgreSQL's pool requires 0, its default.
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "psp.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Capabilities: a role's group permissions (psp.access keeps them cached).
    "django.contrib.auth.backends.ModelBackend",
    # Object permissions, user.has_perm(perm, obj): the rules of each app's rules.py.
    "rules.permissions.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failures for one username from one address, with a cool-off,
# so that someone elsewhere cannot lock a real user out.
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)
AXES_VERBOSE = False
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "psp.views.locked_out"  # says how long in words
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0)

# Two-factor authentication (django-allauth's mfa: an authenticator app, recovery codes and
# passkeys): required for every staff role unless turned off (demo mode and the test suite
# turn it off; psp.middleware.StaffTwoFactorMiddleware); apprentices may choose it. After
# TWO_FACTOR_FAILURE_LIMIT wrong codes codes are refused for TWO_FACTOR_COOLOFF_MINUTES.
PSP_REQUIRE_STAFF_2FA = env_bool("PSP_REQUIRE_STAFF_2FA", default=True)
TWO_FACTOR_FAILURE_LIMIT = env_int("TWO_FACTOR_FAILURE_LIMIT", 5)
TWO_FACTOR_COOLOFF_MINUTES = env_int("TWO_FACTOR_COOLOFF_MINUTES", 15)
ACCOUNT_ADAPTER = "psp.twofactor.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_RATE_LIMITS = {
    # Wrong two-factor codes, per account (allauth counts them as failed sign-ins).
    "login_failed": (f"20/m/ip,{TWO_FACTOR_FAILURE_LIMIT}/{TWO_FACTOR_COOLOFF_MINUTES * 60}s/key"),
}
MFA_ADAPTER = "psp.twofactor.MFAAdapter"
MFA_FORMS = {"authenticate": "psp.forms.TwoFactorCodeForm"}
USERSESSIONS_ADAPTER = "psp.sessions.UserSessionsAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_ALLOW_UNVERIFIED_EMAIL = True  # psp signs in by username; email addresses are not verified
MFA_TOTP_ISSUER = "psp"
MFA_TOTP_TOLERANCE = 1  # codes from one 30-second step either side, for clocks a little out
MFA_RECOVERY_CODE_COUNT = 10
MFA_PASSKEY_LOGIN_ENABLED = False  # a passkey is a second factor after the password
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env_bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=False)
# A session's last use is written once a minute by psp.middleware.SessionTimeoutMiddleware
# (allauth's own middleware would write it on every request).
USERSESSIONS_TRACK_ACTIVITY = True
# Keys for secrets kept encrypted in the database (psp.encryption: TOTP secrets and the
# seeds of recovery codes, through psp.twofactor.MFAAdapter), comma
# separated: the first encrypts, all decrypt. Empty: derived from SECRET_KEY.
PSP_FIELD_KEY = env_str("PSP_FIELD_KEY", "")
# The audit trail's checkpoints (psp.checkpoints): the count and chain head, signed with
# PSP_AUDIT_KEY (empty: derived from SECRET_KEY), appended to a file the database cannot
# reach. Keep the file on storage the database's administrators cannot write.
PSP_AUDIT_KEY = env_str("PSP_AUDIT_KEY", "")
PSP_AUDIT_CHECKPOINTS = Path(
    env_str("PSP_AUDIT_CHECKPOINTS", str(VAR_DIR / "audit" / "checkpoints.jsonl"))
)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d/m/Y"

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Stored files (evidence, reports) are private: no MEDIA_URL is served; views check access
# and then stream them or redirect to a short-lived signed URL (psp.downloads). The folder
# MEDIA_ROOT by default; PSP_STORAGE=s3 keeps them in an S3-compatible object store
# (django-storages), so web and worker nodes need no shared disk (psp.storage).
PSP_STORAGE = env_str("PSP_STORAGE", "folder")
if PSP_STORAGE not in ("folder", "s3"):
    raise ImproperlyConfigured("PSP_STORAGE must be folder or s3")
PSP_DOWNLOADS = env_str("PSP_DOWNLOADS", "stream")
if PSP_DOWNLOADS not in ("stream", "signed-url"):
    raise ImproperlyConfigured("PSP_DOWNLOADS must be stream or signed-url")
PSP_SIGNED_URL_SECONDS = env_int("PSP_SIGNED_URL_SECONDS", 60)
DEFAULT_FILE_STORAGE_CONFIG: dict[str, object] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage"
}
if PSP_STORAGE == "s3":
    from psp.objectstore import s3_storage_options

    DEFAULT_FILE_STORAGE_CONFIG = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": s3_storage_options(),
    }
STORAGES = {
    "default": DEFAULT_FILE_STORAGE_CONFIG,
    "staticfiles": {
        # Hashed, compressed names after `collectstatic`; plain names in development
        # and tests, where no collectstatic has run.
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("PSP_STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}
WHITENOISE_KEEP_ONLY_HASHED_FILES = True

# Evidence uploads: the size limit is enforced while a file streams in; files over
# FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file on disk, never whole into memory.
EVIDENCE_MAX_UPLOAD_MB = env_int("EVIDENCE_MAX_UPLOAD_MB", 100)
# Everything in one request, all files together (psp.middleware.RequestLimitsMiddleware),
# and how many files one request may carry.
PSP_MAX_REQUEST_MB = env_int("PSP_MAX_REQUEST_MB", 2 * EVIDENCE_MAX_UPLOAD_MB)
DATA_UPLOAD_MAX_NUMBER_FILES = env_int("DATA_UPLOAD_MAX_NUMBER_FILES", 20)
# The text of one request, files aside (forms limit each text field: psp.forms.LONG_TEXT).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 512 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "apprentices.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

# Virus scanning (apprentices.scanning): with CLAMD_SOCKET, or CLAMD_HOST and CLAMD_PORT,
# every upload is streamed to ClamAV's clamd before it is kept; a file larger than
# CLAMD_MAX_BYTES (keep it at most clamd's StreamMaxLength) or a scan that fails is refused.
CLAMD_SOCKET = env_str("CLAMD_SOCKET", "")
CLAMD_HOST = env_str("CLAMD_HOST", "")
CLAMD_PORT = env_int("CLAMD_PORT", 3310)
CLAMD_TIMEOUT = env_int("CLAMD_TIMEOUT", 30)
CLAMD_MAX_BYTES = env_int("CLAMD_MAX_BYTES", 25 * 1024 * 1024)

# Retention schedule (apprentices.privacy, `manage.py apply_retention`), counted from the
# last activity on an apprentice's record once they have completed or withdrawn.
RETENTION_EVIDENCE_YEARS = env_int("RETENTION_EVIDENCE_YEARS", 6)
RETENTION_EPA_RESULTS_YEARS = env_int("RETENTION_EPA_RESULTS_YEARS", 10)

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

# Background work: Celery. Without CELERY_BROKER_URL the broker is a folder in var/
# (kombu's filesystem transport), so `make run` needs no Redis and still runs work
# in a separate worker process. Results are never stored in a result backend.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_FOLDER = VAR_DIR / "celery"
if CELERY_BROKER_URL == "filesystem://":
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "processed_folder": str(CELERY_BROKER_FOLDER / "processed"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 3, "socket_timeout": 5}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Seconds to wait for the broker when sending a task. A web request that queues work gives
# up after this and leaves the work for the sweeper (see psp/outbox.py), so keep it short.
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECTION_TIMEOUT", 3)
CELERY_TIMEZONE = TIME_ZONE

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "psp <no-reply@localhost>")

# Security. HTTPS_ONLY defaults to on unless DEBUG is on; turn it off only for a local
# production-shaped run over plain HTTP (docker compose on localhost).
HTTPS_ONLY = env_bool("HTTPS_ONLY", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS_ONLY
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS_ONLY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if env_bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)  # also the longest a sign-in lasts
PSP_SESSION_IDLE_MINUTES = env_int("PSP_SESSION_IDLE_MINUTES", 60)  # psp.middleware
# Password reset requests from one client address in an hour (psp.accounts); each account
# also gets at most 3 reset emails an hour.
PSP_PASSWORD_RESET_PER_ADDRESS = env_int("PSP_PASSWORD_RESET_PER_ADDRESS", 20)
X_FRAME_OPTIONS = "DENY"

# No inline scripts or styles anywhere: every script and stylesheet is a static file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Django's cache: the API's rate limit (api.v1) and the permission cache (psp.access).
# Without CACHE_URL each process keeps its own in memory, so with several web processes a
# token gets the rate once per process; production sets CACHE_URL to a Redis database that
# all processes share (docker-compose.yml does).
# Entries of the default cache belong to one release of the code (psp.release: cached HTML
# and rows are read back only by the code that made them); sessions, which every release
# must share while a deployment rolls out, are kept under a prefix of their own.
CACHE_URL = env_str("CACHE_URL", "")
PSP_RELEASE = code_digest(BASE_DIR)
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "psp.cache.RedisCache",  # Django's, sharing its Redis clients
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": f"psp:{PSP_RELEASE}",
        },
        "sessions": {
            "BACKEND": "psp.cache.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "psp",
        },
    }
    SESSION_CACHE_ALIAS = "sessions"
# Sessions: with a cache all processes share, read from it and written through to the
# database (`cached_db`), which saves every request its session query. Ending a session
# deletes it from both (psp.sessions goes through the session store), and a user's sessions
# all end when their epoch or password changes (the user row is read on every request).
# Without CACHE_URL each process has its own cache, where a session ended in one process
# would live on in the others: the database alone then.
if CACHE_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# REST API (api.v1): calls allowed per token, counted in Django's cache (above).
PSP_API_RATE = env_str("PSP_API_RATE", "600/min")
# Bulk onboarding (apprentices.onboarding): larger files are checked and applied in the worker.
PSP_ONBOARDING_INLINE_ROWS = env_int("PSP_ONBOARDING_INLINE_ROWS", 250)

# The login page lists the demo accounts only when this is on (`make run` turns it on).
PSP_DEMO_ACCOUNTS = env_bool("PSP_DEMO_ACCOUNTS", default=False)
PSP_SERVICE_NAME = "Probation service practitioner portfolio and EPA"
# Where the service is reached, for links in emails sent in the background (no request there).
PSP_SITE_URL = env_str("PSP_SITE_URL", "http://127.0.0.1:8000")


def _no_traceback_below_500(record: logging.LogRecord) -> bool:
    """A 403 or 404 is logged in one line: django.request adds the exception's traceback,
    which for a refusal says nothing the line does not (`make run` printed one per 403)."""
    if getattr(record, "status_code", 500) < 500:
        record.exc_info = None
        record.exc_text = None
    return True


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "no_traceback_below_500": {
            "()": "django.utils.log.CallbackFilter",
            "callback": _no_traceback_below_500,
        }
    },
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["no_traceback_below_500"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Replaces Django's default handler of its "django" logger, which printed every 403's
    # traceback under DEBUG before this one printed the line again.
    "loggers": {
        "django": {
            "handlers": ["console"],
            "level": env_str("LOG_LEVEL", "INFO"),
            "propagate": False,
        },
        # Configuring "django" resets its children: runserver's request lines keep their
        # own handler and timestamp, as in Django's default configuration.
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}
