from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from psp.models import TwoFactorDevice


class Command(BaseCommand):
    help = (
        "Re-encrypt the secrets kept encrypted in the database (TOTP secrets) with the first "
        "key of PSP_FIELD_KEY. Put the new key first, keep the old ones after it, run this, "
        "then drop the old keys."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        with transaction.atomic():
            for device in TwoFactorDevice.objects.select_for_update().order_by("pk"):
                device.save(update_fields=["secret"])  # read with any key, written with the first
                count += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} two-factor secrets."))
