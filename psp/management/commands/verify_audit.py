from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from psp import checkpoints
from psp.audit import verify_chain


class Command(BaseCommand):
    help = (
        "Check the audit trail's hash chain, then the trail against the last checkpoint kept "
        "outside the database (PSP_AUDIT_CHECKPOINTS): reports any removed or altered entry, "
        "a trail emptied or cut short, and a chain computed again. If all is well, writes a "
        "new checkpoint."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-checkpoint", action="store_true", help="Check only; write no checkpoint."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count, chain = verify_chain()
        problems = [f"Entry {problem.entry_id}: {problem.message}" for problem in chain]
        found, file_problems = checkpoints.read_all()
        problems += file_problems
        anchor = found[-1] if found else None
        if anchor is not None:
            problems += checkpoints.compare(anchor)
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"The audit trail has {len(problems)} problem(s) in {count} entries")
        if anchor is None:
            said = f"no checkpoint yet in {checkpoints.path()}"
        else:
            said = f"it holds {anchor.describe()}"
        self.stdout.write(
            self.style.SUCCESS(f"Audit trail intact: {count} entries checked; {said}")
        )
        if not options["no_checkpoint"]:
            written = checkpoints.write()
            if written is not None:
                self.stdout.write(f"Checkpoint written: {written.describe()}")
