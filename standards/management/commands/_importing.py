"""What import_standard and import_epa_plan share (a module whose name starts with an
underscore is not a command)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from standards.validation import InvalidImport


class ImportCommand(BaseCommand):
    """Reads a JSON file (or standard input), with --reference, --version and --dry-run."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # Here --version is the standard's version, not Django's.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="PATH", help="JSON file, or - for standard input")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and say what would change; write nothing"
        )

    def refused(self, error: InvalidImport) -> CommandError:
        """Every problem on standard error; the error to raise, which says nothing was
        written."""
        for problem in error.problems:
            self.stderr.write(f"  {problem.path}: {problem.message}")
        count = len(error.problems)
        return CommandError(
            f"{count} problem{'s' if count != 1 else ''} found: nothing was imported."
        )
