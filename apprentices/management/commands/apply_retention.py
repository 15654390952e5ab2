"""Apply the retention schedule: `python manage.py apply_retention --dry-run` first."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apprentices import privacy
from psp import audit


class Command(BaseCommand):
    help = (
        "Remove the personal data whose retention period is over (RETENTION_EVIDENCE_YEARS, "
        "RETENTION_EPA_RESULTS_YEARS), keeping anonymous EPA statistics. Each removal is "
        "recorded in the audit trail."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be removed; change nothing."
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        verb = "Would remove" if dry_run else "Removed"
        count = 0
        with audit.acting_as(label="manage.py apply_retention"):
            for removal in privacy.apply_retention(dry_run=dry_run):
                count += 1
                self.stdout.write(
                    f"Apprentice {removal.apprentice_id} ({', '.join(removal.stages)}): "
                    f"{verb.lower()} {removal.describe()}"
                )
        if not count:
            self.stdout.write("Nothing is due for removal.")
        elif dry_run:
            self.stdout.write(f"Dry run: nothing was changed ({count} apprentices are due).")
        else:
            self.stdout.write(self.style.SUCCESS(f"{verb} personal data of {count} apprentices."))
