from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apprentices import tallies


class Command(BaseCommand):
    help = (
        "Recompute every apprentice's KSB tallies from their evidence (the database keeps them "
        "in step; migrate rebuilds them too). With --check, only compare and report."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; exit with an error if a tally differs from the evidence.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            missing, extra = tallies.differences()
            if missing or extra:
                raise CommandError(
                    f"{len(missing)} tallies missing or wrong, {len(extra)} not expected: "
                    "run rebuild_ksb_tallies"
                )
            self.stdout.write("The KSB tallies match the evidence.")
            return
        rows = tallies.rebuild()
        self.stdout.write(f"Rebuilt {rows} KSB tall{'ies' if rows != 1 else 'y'}.")
