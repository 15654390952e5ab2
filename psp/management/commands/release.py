from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

# Any fixed number, the same on every node: pg_advisory_lock takes it for the session.
RELEASE_LOCK = 0x7073700119


class Command(BaseCommand):
    help = (
        "Prepare the database for this release: apply migrations, then load the reference "
        "data (fixtures/standards). Run once per deployment (docker-compose's release "
        "service, a platform's release phase or a Kubernetes Job). On PostgreSQL it holds an "
        "advisory lock, so nodes that run it at the same start wait for each other instead "
        "of racing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        locked = connection.vendor == "postgresql"
        if locked:
            self.stdout.write("Waiting for the release lock…")
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [RELEASE_LOCK])
        try:
            call_command("migrate", interactive=False, verbosity=options["verbosity"])
            call_command("load_reference_data", verbosity=options["verbosity"])
        finally:
            if locked:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [RELEASE_LOCK])
        self.stdout.write(self.style.SUCCESS("Database ready for this release."))
