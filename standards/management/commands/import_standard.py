import os
import sys
from typing import IO, Any

from django.core.management.base import CommandError, CommandParser, OutputWrapper

from standards.importing import (
    import_all,
    import_standard,
    open_official,
    parse_official,
    read_official,
)
from standards.management.commands._importing import ImportCommand
from standards.validation import InvalidImport


class Command(ImportCommand):
    help = (
        "Import a standard version from the official JSON of the apprenticeship standards "
        "API: a file holding one version, or the API's full list (then give --reference, "
        "and --version for one version, or --all for every version; .gz files are read as "
        "they are). "
        "PATH - reads standard input. Every problem is listed and nothing is written unless "
        "there are none."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--reference", help="From a list: the standard to take, e.g. ST0494")
        parser.add_argument("--version", dest="standard_version", help="From a list: its version")
        parser.add_argument(
            "--all",
            action="store_true",
            help="Import every version in the file, each on its own, and sum up what happened",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["path"]
        if options["all"] and (options["reference"] or options["standard_version"]):
            raise CommandError("Give either --all or --reference (and --version), not both.")
        stream: IO[bytes] = sys.stdin.buffer if path == "-" else self._open(path)
        progress = _Progress(self.stderr, stream, None if path == "-" else path)
        if options["all"]:
            try:
                self._import_all(stream, progress, dry_run=options["dry_run"], path=path)
            finally:
                if stream is not sys.stdin.buffer:
                    stream.close()
            return
        try:
            selection = read_official(
                stream,
                reference=options["reference"],
                version=options["standard_version"],
                progress=progress,
            )
            progress.finish()
            if selection.note:
                self.stdout.write(selection.note)
            data = parse_official(selection.payload)
            source = f"import_standard {path}"
            result = import_standard(data, dry_run=options["dry_run"], source=source)
        except InvalidImport as error:
            progress.finish()
            raise self.refused(error) from error
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
        for warning in data.warnings:
            self.stdout.write(f"  Warning: {warning.path}: {warning.message}")
        prefix = "Dry run: " if options["dry_run"] else ""
        self.stdout.write(self.style.SUCCESS(prefix + result.summary))

    def _import_all(
        self, stream: IO[bytes], progress: "_Progress", *, dry_run: bool, path: str
    ) -> None:
        try:
            result = import_all(
                stream, dry_run=dry_run, progress=progress, source=f"import_standard {path} --all"
            )
        except InvalidImport as error:
            progress.finish()
            for problem in error.problems:
                self.stderr.write(f"  {problem.path}: {problem.message}")
            raise CommandError("The file cannot be read: nothing was imported.") from error
        progress.finish()
        for name, reason in result.refused:
            self.stdout.write(f"  Refused {name}: {reason}")
        prefix = "Dry run: " if dry_run else ""
        self.stdout.write(self.style.SUCCESS(prefix + result.summary))

    def _open(self, path: str) -> IO[bytes]:
        try:
            return open_official(path)  # closed in handle
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error


class _Progress:
    """A counter line on stderr while a long list of versions is read."""

    def __init__(self, out: OutputWrapper, stream: IO[bytes], path: str | None) -> None:
        # A .gz file: its place in the compressed file, which is what the size measures.
        self.out, self.stream = out, getattr(stream, "fileobj", None) or stream
        self.size = os.path.getsize(path) if path else None
        self.shown = False

    def __call__(self, count: int) -> None:
        done = ""
        if self.size:
            try:
                done = f", {min(self.stream.tell() / self.size, 1):.0%} of the file"
            except (OSError, ValueError):
                done = ""
        self.out.write(
            f"\rReading standard versions: {count:,}{done}   ", style_func=str, ending=""
        )
        self.out.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.out.write("", style_func=str, ending="\n")
            self.shown = False
