from typing import Any

from allauth.mfa.models import Authenticator
from django.core.management.base import BaseCommand
from django.db import transaction

from psp import encryption

# The encrypted values of each kind of allauth authenticator (psp.twofactor.MFAAdapter).
ENCRYPTED = {Authenticator.Type.TOTP: "secret", Authenticator.Type.RECOVERY_CODES: "seed"}


class Command(BaseCommand):
    help = (
        "Re-encrypt the secrets kept encrypted in the database (TOTP secrets, recovery codes' "
        "seeds) with the first key of PSP_FIELD_KEY. Put the new key first, keep the old ones "
        "after it, run this, then drop the old keys."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        with transaction.atomic():
            rows = Authenticator.objects.select_for_update().filter(type__in=ENCRYPTED)
            for authenticator in rows.order_by("pk"):
                key = ENCRYPTED[authenticator.type]
                plain = encryption.decrypt(authenticator.data[key])  # read with any key
                authenticator.data[key] = encryption.encrypt(plain)  # written with the first
                authenticator.save(update_fields=["data"])
                count += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} two-factor secrets."))
