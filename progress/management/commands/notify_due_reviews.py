from django.core.management.base import BaseCommand

from progress import reviews


class Command(BaseCommand):
    help = (
        "Remind apprentices, employers and providers of progress reviews due within "
        f"{reviews.DUE_SOON_DAYS} days or overdue (once per review). Run it daily."
    )

    def handle(self, *args: object, **options: object) -> None:
        count = reviews.notify_due()
        self.stdout.write(f"Reminded of {count} progress review{'s' if count != 1 else ''}.")
