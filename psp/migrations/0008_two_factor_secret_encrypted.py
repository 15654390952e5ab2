"""TOTP secrets are kept encrypted (psp.encryption): the existing ones are encrypted here,
with the keys in force when the migration runs (PSP_FIELD_KEY, else SECRET_KEY)."""

from django.db import migrations, models

import psp.encryption


def _rewrite(schema_editor, change, needs_it):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, secret FROM psp_twofactordevice")
        rows = [(change(secret), pk) for pk, secret in cursor.fetchall() if needs_it(secret)]
        cursor.executemany("UPDATE psp_twofactordevice SET secret = %s WHERE id = %s", rows)


def _is_token(secret):
    return secret.startswith("gAAAAA")


def encrypt_secrets(apps, schema_editor):
    _rewrite(schema_editor, psp.encryption.encrypt, lambda s: s and not _is_token(s))


def decrypt_secrets(apps, schema_editor):
    _rewrite(schema_editor, psp.encryption.decrypt, lambda s: s and _is_token(s))


class Migration(migrations.Migration):
    dependencies = [
        ("psp", "0007_audit_content_digest"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="twofactordevice",
            name="two_factor_secret_base32",
        ),
        migrations.AlterField(
            model_name="twofactordevice",
            name="secret",
            field=psp.encryption.EncryptedTextField(
                help_text="Base32 TOTP secret (RFC 6238), encrypted with PSP_FIELD_KEY."
            ),
        ),
        migrations.RunPython(encrypt_secrets, decrypt_secrets),
        migrations.AddConstraint(
            model_name="twofactordevice",
            constraint=models.CheckConstraint(
                condition=models.Q(("secret__regex", "^gAAAAA[A-Za-z0-9_-]+=*$")),
                name="two_factor_secret_encrypted",
            ),
        ),
    ]
