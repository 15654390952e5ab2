import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser

from standards.importing import read_json_object
from standards.management.commands._importing import ImportCommand
from standards.plan_importing import import_epa_plan, parse_epa_plan
from standards.validation import InvalidImport


class Command(ImportCommand):
    help = (
        "Import a version's EPA plan from psp's EPA plan JSON (docs/epa-plan-format.md). "
        "PATH - reads standard input. --reference and --version, when given, must be what "
        "the file says. Every problem is listed and nothing is written unless there are none."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--reference", help="The standard, e.g. ST0494")
        parser.add_argument("--version", dest="standard_version", help="The version, e.g. 1.1")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["path"]
        try:
            if path == "-":
                payload = read_json_object(sys.stdin.buffer)
            else:
                with open(path, "rb") as stream:
                    payload = read_json_object(stream)
            data = parse_epa_plan(
                payload, reference=options["reference"], version=options["standard_version"]
            )
            result = import_epa_plan(data, dry_run=options["dry_run"])
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error
        except InvalidImport as error:
            raise self.refused(error) from error
        prefix = "Dry run: " if options["dry_run"] else ""
        self.stdout.write(self.style.SUCCESS(prefix + result.summary))
