"""Bulk onboarding from the command line: `manage.py import_apprentices FILE --provider X`."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from apprentices import onboarding
from psp import audit
from psp.models import Organisation


class Command(BaseCommand):
    help = (
        "Add or update a training provider's apprentices from a CSV file with the columns of "
        "the template (the upload page has it). Every row is checked first; the file is "
        "applied whole or not at all, and applying it twice changes nothing the second time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The CSV file.")
        parser.add_argument(
            "--provider",
            required=True,
            help="The training provider: its UKPRN, its id or its exact name.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and report; change nothing."
        )
        parser.add_argument(
            "--create-employers",
            action="store_true",
            help="Add the employers psp does not know yet (they are listed by --dry-run).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        provider = self._provider(options["provider"])
        try:
            data = options["file"].read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {options['file']}: {error.strerror}") from None
        records, problems = onboarding.read_csv(data)
        if problems:
            raise CommandError("\n".join(problems))
        result = onboarding.plan(records, provider=provider)
        for row in result.rows:
            if row.outcome == onboarding.Outcome.REFUSED:
                for problem in row.problems:
                    where = f", column {problem.column}" if problem.column else ""
                    self.stderr.write(f"Line {row.line}{where}: {problem.message}")
        for name in result.new_employers:
            self.stdout.write(f"New employer: {name}")
        counts = result.counts
        summary = ", ".join(f"{count} {outcome}" for outcome, count in counts.items())
        if not result.can_apply:
            raise CommandError(f"{summary}. Nothing was changed: fix the lines above.")
        if options["dry_run"]:
            self.stdout.write(f"Dry run: {summary}. Nothing was changed.")
            return
        if result.new_employers and not options["create_employers"]:
            raise CommandError(
                "Add --create-employers to add the new employers above. Nothing was changed."
            )
        with audit.acting_as(label="manage.py import_apprentices"):
            try:
                applied = onboarding.apply(
                    records,
                    provider=provider,
                    by=None,
                    new_employers_confirmed=result.new_employers,
                )
            except onboarding.OnboardingError as error:
                raise CommandError(str(error)) from None
        counts = applied.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"{counts['new']} added, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged."
            )
        )

    def _provider(self, value: str) -> Organisation:
        providers = Organisation.objects.filter(kind=Organisation.Kind.TRAINING_PROVIDER)
        query = Q(name=value) | Q(ukprn=value)
        if value.isdigit():
            query |= Q(pk=int(value))
        found = list(providers.filter(query)[:2])
        if len(found) != 1:
            raise CommandError(
                f"No single training provider is “{value}”: give its UKPRN, id or exact name."
            )
        return found[0]
