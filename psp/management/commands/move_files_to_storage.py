from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser

from psp.storage import is_object_store, move_files


class Command(BaseCommand):
    help = (
        "Copy every stored file (evidence, reports) from the folder to the configured object "
        "store (PSP_STORAGE=s3), checking each copy by its SHA-256. Resumable: files already "
        "copied and verified are skipped. The folder is left as it was."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--folder",
            default=str(settings.MEDIA_ROOT),
            help="the folder the files are in now (default: MEDIA_ROOT)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would be copied, copy nothing"
        )

    def handle(self, *args: Any, folder: str, dry_run: bool, **options: Any) -> None:
        if not is_object_store(default_storage):
            raise CommandError(
                "The file store is the folder: set PSP_STORAGE=s3 and the S3_* variables "
                "(README.md) so there is an object store to copy to."
            )
        outcome = move_files(FileSystemStorage(location=folder), default_storage, dry_run=dry_run)
        verb = "Would copy" if dry_run else "Copied and verified"
        self.stdout.write(f"{verb}: {len(outcome.copied)}")
        self.stdout.write(f"Already in the store and verified: {len(outcome.already_there)}")
        for name in outcome.missing:
            self.stderr.write(f"  missing from {folder}: {name}")
        for name, why in outcome.failed:
            self.stderr.write(f"  failed: {name}: {why}")
        if not outcome.ok:
            raise CommandError(
                f"{len(outcome.missing)} missing and {len(outcome.failed)} failed; fix them "
                "and run the command again (what is already copied is skipped)."
            )
        self.stdout.write(self.style.SUCCESS("Every stored file is in the object store."))
