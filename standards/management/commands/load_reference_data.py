from django.core.management.base import BaseCommand

from standards.reference_data import load_reference_data


class Command(BaseCommand):
    help = (
        "Load the standard versions shipped in fixtures/standards/. A version already in "
        "the database keeps what it holds; only what it lacks (duties and KSBs of a version "
        "that has none, an empty field, a missing official GUID) is filled in."
    )

    def handle(self, *args: object, **options: object) -> None:
        for result in load_reference_data():
            reference, version = result.version_key
            if result.loaded:
                self.stdout.write(self.style.SUCCESS(f"Loaded {reference} v{version}"))
            elif result.filled:
                filled = ", ".join(result.filled)
                self.stdout.write(self.style.SUCCESS(f"{reference} v{version}: filled in {filled}"))
            else:
                self.stdout.write(f"{reference} v{version} already present: left unchanged")
