import pytest

from standards.reference_data import load_reference_data


@pytest.fixture
def st0494(db):
    """The published ST0494 versions from fixtures/standards/."""
    load_reference_data()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing is deliberately slow; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Templates use {% static %}; tests run without collectstatic's manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    # Cached entries name rows by id, and SQLite gives a rolled-back test's ids out again.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    # Uploaded files go to a fresh folder for each test.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _private_audit_checkpoints(settings, tmp_path):
    # The audit trail's checkpoints go to a fresh file for each test.
    settings.PSP_AUDIT_CHECKPOINTS = tmp_path / "audit-checkpoints.jsonl"


def pytest_configure(config):
    # Transactional tests empty every table between tests, the audit trail included.
    from psp import audit

    audit.ALLOW_PURGE = True


@pytest.fixture
def send_emails_inline(monkeypatch):
    """Run the email tasks in the process when they are queued (after commit), retries
    included, without Celery's eager mode (which would leave a producer pool bound to the
    settings' broker for later tests)."""
    from progress.tasks import send_signing_link
    from psp.tasks import send_account_email, send_notification_email

    for task in (send_notification_email, send_signing_link, send_account_email):
        monkeypatch.setattr(
            task, "apply_async", lambda args=(), task=task, **options: task.apply(args=args)
        )


@pytest.fixture
def object_store(settings, monkeypatch):
    """An S3 bucket in moto's in-process stand-in as the default storage (PSP_STORAGE=s3),
    configured from the same environment variables as production."""
    moto = pytest.importorskip("moto")
    from psp.objectstore import s3_storage_options

    for name, value in {
        "S3_BUCKET": "psp-test",
        "S3_REGION": "eu-west-2",
        "S3_ACCESS_KEY_ID": "test",
        "S3_SECRET_ACCESS_KEY": "test",
    }.items():
        monkeypatch.setenv(name, value)
    with moto.mock_aws():
        import boto3

        boto3.client("s3", region_name="eu-west-2").create_bucket(
            Bucket="psp-test", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": s3_storage_options(),
            },
        }
        from django.core.files.storage import default_storage

        yield default_storage
