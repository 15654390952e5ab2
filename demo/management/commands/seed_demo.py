from django.core.management.base import BaseCommand

from demo.seeding import seed_demo_epa, seed_demo_portfolios, seed_demo_progress
from psp.demo_accounts import DEMO_ACCOUNTS, seed_demo


class Command(BaseCommand):
    help = (
        "Create (or reset) the fictional demo organisations, one account per role, and the "
        "demo's apprentices, evidence, EPAs and progress."
    )

    def handle(self, *args: object, **options: object) -> None:
        users = seed_demo()
        seed_demo_portfolios(users)
        seed_demo_epa(users)
        seed_demo_progress(users)
        for account in DEMO_ACCOUNTS:
            self.stdout.write(
                f"{account.role.label:<25} {account.username:<12} password: {account.password}"
            )
