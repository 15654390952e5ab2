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
def _private_media(settings, tmp_path):
    # Uploaded files go to a fresh folder for each test.
    settings.MEDIA_ROOT = tmp_path / "media"
