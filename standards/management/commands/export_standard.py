from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from standards.exporting import dumps, export_epa_plan, export_official
from standards.models import EpaPlan, StandardVersion


class Command(BaseCommand):
    help = (
        "Write a standard version as JSON to standard output: the official format (default) "
        "or psp's EPA plan format. Importing the output gives back the same version."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference", metavar="REF", help="The standard, e.g. ST0494")
        parser.add_argument("standard_version", metavar="VERSION", help="The version, e.g. 1.0")
        parser.add_argument("--format", choices=["official", "epa-plan"], default="official")

    def handle(self, *args: Any, **options: Any) -> None:
        reference, number = options["reference"], options["standard_version"]
        version = (
            StandardVersion.objects.select_related("standard")
            .filter(standard__reference=reference, version=number)
            .first()
        )
        if version is None:
            raise CommandError(f"{reference} v{number} is not in psp.")
        if options["format"] == "official":
            self.stdout.write(dumps(export_official(version)), ending="")
            return
        plan = EpaPlan.objects.filter(version=version).select_related("version__standard").first()
        if plan is None:
            raise CommandError(f"{reference} v{number} has no EPA plan to export.")
        self.stdout.write(dumps(export_epa_plan(plan)), ending="")
