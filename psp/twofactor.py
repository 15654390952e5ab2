"""Two-factor authentication: one-time codes from an authenticator app (TOTP, RFC 6238:
HMAC-SHA1, 30-second steps, 6 digits) and ten single-use recovery codes.

Staff roles must use it when PSP_REQUIRE_STAFF_2FA is on; apprentices may turn it on. A
signed-in session is let through only once it is verified, or once it is known not to need
verifying (see psp.middleware.TwoFactorMiddleware). After TWO_FACTOR_FAILURE_LIMIT wrong
codes in a row, codes are refused for TWO_FACTOR_COOLOFF_MINUTES.

The TOTP secret has to be readable to check codes, so it cannot be hashed: it is kept
encrypted in the database under PSP_FIELD_KEY (psp.encryption; TwoFactorDevice.secret is
plain in Python). Recovery codes are stored only as SHA-256 hashes of 120-bit random values.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import io
import logging
import secrets
import struct
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from psp.models import RecoveryCode, TwoFactorDevice, User
from psp.roles import Role

logger = logging.getLogger(__name__)

STAFF_ROLES = frozenset({Role.PROVIDER, Role.EMPLOYER, Role.ASSESSOR, Role.EPAO_ADMIN, Role.ADMIN})
PERIOD = 30
DIGITS = 6
# Codes from one step either side are accepted, for clocks a little out.
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
# Crockford's base32 (no i, l, o, u): 24 characters are 120 bits, enough for a plain
# SHA-256 to be a safe way to store them (ASVS 6.5.2 asks for 112 bits or more).
_RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_RECOVERY_LENGTH = 24
_LOOK_ALIKES = str.maketrans({"o": "0", "i": "1", "l": "1"})
ISSUER = "psp"


class TwoFactorError(Exception):
    """The code was not accepted; the message says why, for the person signing in."""


class TwoFactorLocked(TwoFactorError):
    def __init__(self, until: datetime.datetime) -> None:
        self.until = until
        minutes = max(1, round((until - timezone.now()).total_seconds() / 60))
        super().__init__(
            f"Too many wrong codes. For your security, codes are not being accepted for "
            f"{minutes} minute{'s' if minutes != 1 else ''}. Try again then"
        )


# Codes


def new_secret() -> str:
    """A random 160-bit secret in base32, as authenticator apps expect."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def code_at(secret: str, step: int) -> str:
    """The code for a 30-second step (RFC 4226 dynamic truncation of HMAC-SHA1)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**DIGITS:0{DIGITS}d}"


def step_at(moment: datetime.datetime) -> int:
    return int(moment.timestamp()) // PERIOD


def matching_step(
    secret: str, code: str, *, now: datetime.datetime, after_step: int | None = None
) -> int | None:
    """The step whose code this is (within the allowed drift), or None.

    Steps up to after_step are never matched again, so a code cannot be replayed.
    """
    current = step_at(now)
    nearest_first = sorted(
        range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1), key=lambda s: abs(s - current)
    )
    for step in nearest_first:
        if after_step is not None and step <= after_step:
            continue
        if hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _is_totp(code: str) -> bool:
    return len(code) == DIGITS and code.isdigit() and code.isascii()


def _hash_recovery_code(code: str) -> str:
    return hashlib.sha256(_normalise(code).translate(_LOOK_ALIKES).encode("utf-8")).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4))


# Showing the secret


def provisioning_uri(device: TwoFactorDevice) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    label = quote(f"{ISSUER}:{device.user.get_username()}", safe=":@")
    query = urlencode(
        {
            "secret": device.secret,
            "issuer": ISSUER,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": PERIOD,
        }
    )
    return f"otpauth://totp/{label}?{query}"


def qr_code_svg(data: str) -> str:
    """The QR code as inline SVG markup, made on the server: no script, no style attribute."""
    import segno

    buffer = io.BytesIO()
    segno.make(data, error="m").save(
        buffer,
        kind="svg",
        xmldecl=False,
        svgns=True,
        nl=False,
        scale=5,
        border=4,
        dark="#0b0c0c",
        light="#ffffff",
        title="QR code for your authenticator app",
        svgclass="psp-qr-code",
        lineclass=None,
    )
    return buffer.getvalue().decode("ascii")


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# Who needs it


def is_required_for(user: User) -> bool:
    return bool(settings.PSP_REQUIRE_STAFF_2FA) and user.role in STAFF_ROLES


def is_enabled_for(user: User) -> bool:
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def needs_verification(user: User) -> bool:
    """Whether a new sign-in of this user must enter a code before using the service."""
    return is_required_for(user) or is_enabled_for(user)


def remaining_recovery_codes(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


# Workflows


def start_enrolment(user: User) -> TwoFactorDevice:
    """The user's device waiting to be confirmed, made with a new secret if there is none."""
    device, _ = TwoFactorDevice.objects.get_or_create(user=user, defaults={"secret": new_secret()})
    if device.confirmed_at is not None:
        raise TwoFactorError("Two-factor authentication is already set up for this account")
    return device


def _check_lock(device: TwoFactorDevice, now: datetime.datetime) -> None:
    if device.locked_until is not None and device.locked_until > now:
        raise TwoFactorLocked(device.locked_until)


def _record_failure(device: TwoFactorDevice, now: datetime.datetime) -> TwoFactorError:
    logger.warning("Two-factor code refused for user %s", device.user_id)
    device.failed_attempts += 1
    limit = int(settings.TWO_FACTOR_FAILURE_LIMIT)
    if device.failed_attempts >= limit:
        device.locked_until = now + datetime.timedelta(
            minutes=int(settings.TWO_FACTOR_COOLOFF_MINUTES)
        )
        device.failed_attempts = 0
        device.save(update_fields=["failed_attempts", "locked_until"])
        logger.warning(
            "Two-factor codes locked for user %s after %s failures", device.user_id, limit
        )
        return TwoFactorLocked(device.locked_until)
    device.save(update_fields=["failed_attempts"])
    return TwoFactorError("The code is not right. Enter the current code from your app")


def _record_reauthentication_failure(
    device: TwoFactorDevice, now: datetime.datetime
) -> TwoFactorError:
    error = _record_failure(device, now)
    if isinstance(error, TwoFactorLocked):
        return error
    return TwoFactorError("The password or the code is not right")


def confirm_enrolment(
    device: TwoFactorDevice, code: str, *, now: datetime.datetime | None = None
) -> list[str]:
    """Turn on two-factor authentication once the user proves their app shows the codes.

    Returns the new recovery codes: the only time they can be shown.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = TwoFactorDevice.objects.select_for_update().get(pk=device.pk)
        if locked.confirmed_at is not None:
            raise TwoFactorError("Two-factor authentication is already set up for this account")
        _check_lock(locked, now)
        normalised = _normalise(code)
        step = matching_step(locked.secret, normalised, now=now) if _is_totp(normalised) else None
        if step is not None:
            locked.confirmed_at = now
            locked.last_used_step = step
            locked.failed_attempts = 0
            locked.locked_until = None
            locked.save()
            device.confirmed_at = now
            return _replace_recovery_codes(locked.user, now=now)
        error = _record_failure(locked, now)
    raise error


def verify(
    user: User, code: str, *, password: str | None = None, now: datetime.datetime | None = None
) -> str:
    """Check a sign-in code: the app's current code, or an unused recovery code (which is
    then used up). Returns "app" or "recovery"; TwoFactorError says why not.

    With a password, both are checked (full re-authentication before changing two-factor
    settings); a wrong password counts towards the lockout like a wrong code.
    """
    now = now or timezone.now()
    with transaction.atomic():
        device = (
            TwoFactorDevice.objects.select_for_update()
            .filter(user=user, confirmed_at__isnull=False)
            .first()
        )
        if device is None:
            raise TwoFactorError("Two-factor authentication is not set up for this account")
        _check_lock(device, now)
        normalised = _normalise(code)
        if password is not None and not user.check_password(password):
            pass  # counted as a failure below
        elif _is_totp(normalised):
            step = matching_step(
                device.secret, normalised, now=now, after_step=device.last_used_step
            )
            if step is not None:
                device.last_used_step = step
                device.failed_attempts = 0
                device.save(update_fields=["last_used_step", "failed_attempts"])
                logger.info("Two-factor code accepted for user %s (app)", user.pk)
                return "app"
        elif len(normalised) == _RECOVERY_LENGTH:
            used = RecoveryCode.objects.filter(
                user=user, code_hash=_hash_recovery_code(normalised), used_at__isnull=True
            ).update(used_at=now)
            if used:
                device.failed_attempts = 0
                device.save(update_fields=["failed_attempts"])
                logger.info("Two-factor code accepted for user %s (recovery code)", user.pk)
                return "recovery"
        if password is None:
            error = _record_failure(device, now)
        else:
            error = _record_reauthentication_failure(device, now)
    raise error


def _replace_recovery_codes(user: User, *, now: datetime.datetime) -> list[str]:
    """New recovery codes, when two-factor authentication is turned on or the codes are
    replaced: a changed factor ends every other session of the user (ASVS 7.5.2)."""
    user.end_sessions()
    RecoveryCode.objects.filter(user=user).delete()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=_hash_recovery_code(code), created_at=now)
        for code in codes
    )
    return codes


@transaction.atomic
def regenerate_recovery_codes(user: User) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    if not is_enabled_for(user):
        raise TwoFactorError("Two-factor authentication is not set up for this account")
    return _replace_recovery_codes(user, now=timezone.now())


@transaction.atomic
def reset(user: User, *, by: User) -> None:
    """Remove the user's authenticator and recovery codes: an administrator's reset after
    a lost phone, or the user turning off two-factor authentication they chose to use.
    Someone who must use it sets it up again at their next sign-in."""
    TwoFactorDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    user.end_sessions()  # ASVS 7.5.2: a removed factor ends every session
    logger.info("Two-factor authentication of user %s reset by user %s", user.pk, by.pk)
