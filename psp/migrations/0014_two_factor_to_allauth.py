"""Copy each confirmed authenticator app (TwoFactorDevice) into django-allauth's
mfa.Authenticator of type TOTP, its secret encrypted as psp.twofactor.MFAAdapter keeps it
(psp.encryption, under PSP_FIELD_KEY): the same app goes on working.

Recovery codes are not copied: psp kept only SHA-256 hashes of them, and allauth derives its
codes from one seed, so the old codes cannot be made into allauth's. Users who had them are
shown, on their two-factor page, that they have none and should get new ones
(docs/security.md). A device that was never confirmed is dropped: its owner sets up again.
"""

from django.db import migrations

from psp import encryption


def copy_devices(apps, schema_editor):
    TwoFactorDevice = apps.get_model("psp", "TwoFactorDevice")
    Authenticator = apps.get_model("mfa", "Authenticator")
    for device in TwoFactorDevice.objects.filter(confirmed_at__isnull=False).iterator():
        # The historical field decrypts (psp.encryption.EncryptedTextField).
        Authenticator.objects.update_or_create(
            user_id=device.user_id,
            type="totp",
            defaults={
                "data": {"secret": encryption.encrypt(device.secret)},
                "created_at": device.confirmed_at,
            },
        )


def copy_back(apps, schema_editor):
    TwoFactorDevice = apps.get_model("psp", "TwoFactorDevice")
    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.filter(type="totp").iterator():
        TwoFactorDevice.objects.update_or_create(
            user_id=authenticator.user_id,
            defaults={
                "secret": encryption.decrypt(authenticator.data["secret"]),
                "confirmed_at": authenticator.created_at,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("psp", "0013_merge_access_version_and_account_emails"),
        ("mfa", "0003_authenticator_type_uniq"),
        ("usersessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(copy_devices, copy_back)]
