from django.core.management.base import BaseCommand, CommandError

from psp.audit import verify_chain


class Command(BaseCommand):
    help = "Check the audit trail's hash chain: reports any removed or altered entry."

    def handle(self, *args: object, **options: object) -> None:
        count, problems = verify_chain()
        for problem in problems:
            self.stderr.write(f"Entry {problem.entry_id}: {problem.message}")
        if problems:
            raise CommandError(f"The audit trail has {len(problems)} problem(s) in {count} entries")
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {count} entries checked"))
