from django.core.management.base import BaseCommand

from psp.demo import (
    DEMO_ACCOUNTS,
    seed_demo,
    seed_demo_epa,
    seed_demo_portfolios,
    seed_demo_progress,
)


class Command(BaseCommand):
    help = "Create (or reset) the fictional demo organisations and one account per role."

    def handle(self, *args: object, **options: object) -> None:
        users = seed_demo()
        seed_demo_portfolios(users)
        seed_demo_epa(users)
        seed_demo_progress(users)
        for account in DEMO_ACCOUNTS:
            self.stdout.write(
                f"{account.role.label:<25} {account.username:<12} password: {account.password}"
            )
