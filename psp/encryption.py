"""Encryption of secrets kept in the database (the TOTP secrets of psp.twofactor), so that
a copy of the database (a backup, a dump, read access through SQL) does not give them away.

Values are encrypted with Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) under
keys derived from PSP_FIELD_KEY: a comma-separated list whose first key encrypts and whose
every key decrypts, so a key is rotated by putting the new one first (and re-saving the
values). Without PSP_FIELD_KEY the keys are derived from SECRET_KEY and
SECRET_KEY_FALLBACKS, so the database alone still tells nothing; a separate PSP_FIELD_KEY
means that rotating SECRET_KEY does not touch these values. The settings are read each
time, never at import.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models
from django.utils.crypto import salted_hmac

# Every Fernet token is URL-safe base64 starting with its version byte 0x80 and a time
# stamp's top bytes ("gAAAAA"): a stored value that does not match is not encrypted.
TOKEN_PATTERN = r"^gAAAAA[A-Za-z0-9_-]+=*$"
_SALT = "psp.encryption.field-key"


class DecryptionError(Exception):
    """A stored value could not be decrypted with any of the keys (PSP_FIELD_KEY changed?)."""


def _keys() -> tuple[str, ...]:
    configured = [k.strip() for k in str(getattr(settings, "PSP_FIELD_KEY", "")).split(",")]
    keys = [k for k in configured if k]
    if not keys:
        keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return tuple(keys)


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(
                    salted_hmac(_SALT, "", secret=key, algorithm="sha256").digest()
                )
            )
            for key in keys
        ]
    )


def encrypt(text: str) -> str:
    return _fernet(_keys()).encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet(_keys()).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError) as error:
        raise DecryptionError(
            "A stored secret could not be decrypted: was PSP_FIELD_KEY (or SECRET_KEY, when "
            "PSP_FIELD_KEY is not set) changed without keeping the old key after the new one?"
        ) from error


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text kept encrypted in the database and plain in Python. The column can only be
    searched for being empty or not; every other lookup would compare ciphertext."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return decrypt(value) if value else value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
