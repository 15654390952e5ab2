from typing import Any

from django.core.management.base import BaseCommand, CommandError

from reports.building import dispatch_pending


class Command(BaseCommand):
    help = (
        "Send to the broker the PDF reports it has not got: asked for while it was down, "
        "lost, or left running by a worker that died. Every Celery worker also does this "
        "every 30 seconds; run this by hand, or from cron, when no worker is running."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent, waiting = dispatch_pending()
        self.stdout.write(f"Sent {sent} report{'s' * (sent != 1)} to the broker.")
        if waiting:
            raise CommandError(
                f"{waiting} report{'s' * (waiting != 1)} could not be sent: "
                "the broker is unreachable. Try again when it is back."
            )
