from typing import Any

from django.core.management.base import BaseCommand, CommandError

from psp.notifications import dispatch_pending_emails


class Command(BaseCommand):
    help = (
        "Send to the broker the emails of the outbox it has not got (notifications, review "
        "signing links, account emails): queued while it was down, or lost. Each is sent "
        "once, and only if still wanted (a notification: if its user wants it by email). "
        "Every Celery worker also does this every 30 seconds; run this by hand, or from "
        "cron, when no worker is running."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent, waiting = dispatch_pending_emails()
        self.stdout.write(f"Sent {sent} email{'s' * (sent != 1)} to the broker.")
        if waiting:
            raise CommandError(
                f"{waiting} email{'s' * (waiting != 1)} could not be sent: "
                "the broker is unreachable. Try again when it is back."
            )
