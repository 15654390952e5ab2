"""Where stored files live: the folder (MEDIA_ROOT) by default, or an S3-compatible object
store (PSP_STORAGE=s3, through django-storages). Code reads and writes files only through
Django's storage API, so web and worker nodes keep nothing on their own disks.

This module says when the store cannot be reached (StorageUnavailable, in words for the
user), reads stored files in bounded chunks, and checks the store for /healthz/ready.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from django.apps import apps
from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db import models

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024


class StorageUnavailable(Exception):
    """The file store could not be reached; nothing was kept."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or "The file store cannot be reached just now, so nothing was saved. "
            "Try again in a few minutes; if it keeps happening, tell support."
        )


def storage_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean the store failed (unreachable, refused, out of space), not
    that the caller did something wrong."""
    errors: list[type[BaseException]] = [OSError]
    try:
        from botocore.exceptions import BotoCoreError, ClientError
        from s3transfer.exceptions import S3UploadFailedError
    except ImportError:  # the folder only: botocore is not installed
        pass
    else:
        errors += [BotoCoreError, ClientError, S3UploadFailedError]
    return tuple(errors)


def is_object_store(storage: Storage | None = None) -> bool:
    storage = storage or default_storage
    return hasattr(storage, "bucket_name")


def open_stream(name: str, storage: Storage | None = None) -> IO[bytes]:
    """The stored file as a stream read in chunks as it is sent: from an object store the
    body of one GET, never the whole object in memory or on this node's disk."""
    storage = storage or default_storage
    if is_object_store(storage):
        from storages.utils import clean_name

        s3 = cast(Any, storage)
        body = s3.bucket.Object(s3._normalize_name(clean_name(name))).get()["Body"]
        return cast(IO[bytes], body)
    return storage.open(name, "rb")


def read_chunks(stream: IO[bytes]) -> Iterator[bytes]:
    """The stream's content in chunks of at most CHUNK_BYTES; closes it at the end."""
    try:
        while chunk := stream.read(CHUNK_BYTES):
            yield chunk
    finally:
        stream.close()


def sha256_of(name: str, storage: Storage | None = None) -> str:
    """The SHA-256 of a stored file, read back in chunks."""
    digest = hashlib.sha256()
    for chunk in read_chunks(open_stream(name, storage)):
        digest.update(chunk)
    return digest.hexdigest()


def delete_quietly(names: list[str], storage: Storage | None = None) -> None:
    """Delete files written by a change that failed; a store that is down leaves them
    (unreferenced, so never served) and says so in the log."""
    storage = storage or default_storage
    for name in names:
        try:
            storage.delete(name)
        except storage_errors():
            logger.warning("Could not delete %s after a failed change; it is unreferenced", name)


def storage_status() -> dict[str, object]:
    """For /healthz: can this node reach the store? A HEAD on a name that need not exist
    (object store), or that the folder is there (made if need be) and writable."""
    storage = default_storage
    kind = "s3" if is_object_store(storage) else "folder"
    try:
        if kind == "folder":
            folder = Path(settings.MEDIA_ROOT)
            folder.mkdir(parents=True, exist_ok=True)  # as the first upload would
            if not os.access(folder, os.W_OK):
                raise OSError(f"{folder} is missing or not writable")
        else:
            storage.exists(".healthz")
    except storage_errors():
        logger.exception("Health check: file store unreachable")
        return {"ok": False, "kind": kind, "error": "file store unreachable"}
    return {"ok": True, "kind": kind}


# Moving a deployment from the folder to an object store (manage.py move_files_to_storage)


@dataclass
class MoveOutcome:
    copied: list[str] = field(default_factory=list)
    already_there: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # named by a row, not in the folder
    failed: list[tuple[str, str]] = field(default_factory=list)  # (name, why)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.failed)


def stored_names() -> Iterator[tuple[str, str | None]]:
    """Every stored file named by a row, with the SHA-256 the row recorded (None if the
    model records none): the FileFields of all installed models, in a stable order."""
    for model in apps.get_models():
        file_fields = [f for f in model._meta.get_fields() if isinstance(f, models.FileField)]
        has_hash = any(f.name == "sha256" for f in model._meta.get_fields())
        for file_field in file_fields:
            rows = (
                model._default_manager.exclude(**{file_field.name: ""})
                .exclude(**{f"{file_field.name}__isnull": True})
                .order_by("pk")
                .values_list(file_field.name, "sha256" if has_hash else file_field.name)
            )
            for name, recorded in rows.iterator(chunk_size=500):
                yield name, recorded if has_hash else None


def move_files(source: Storage, destination: Storage, *, dry_run: bool = False) -> MoveOutcome:
    """Copy every stored file from `source` to `destination` under the same name, streamed,
    and read each back to check its SHA-256 against the row's (or the source's). A file
    already at the destination with the right hash is left alone, so a run that stopped
    half-way is simply run again. The source is never changed."""
    outcome = MoveOutcome()
    for name, recorded in stored_names():
        try:
            if recorded and _holds(destination, name, recorded):
                outcome.already_there.append(name)
                continue
            if not source.exists(name):
                outcome.missing.append(name)
                continue
            source_hash = sha256_of(name, source)
            if recorded and source_hash != recorded:
                outcome.failed.append((name, "the file differs from the hash its row records"))
                continue
            if not recorded and _holds(destination, name, source_hash):
                outcome.already_there.append(name)
                continue
            if dry_run:
                outcome.copied.append(name)
                continue
            destination.delete(name)  # a partial or different copy from an earlier run
            with source.open(name, "rb") as content:
                saved = destination.save(name, content)
            if saved != name:
                outcome.failed.append((name, f"the store saved it as {saved}"))
            elif sha256_of(name, destination) != source_hash:
                outcome.failed.append((name, "the copy read back has a different hash"))
            else:
                outcome.copied.append(name)
        except storage_errors() as error:
            outcome.failed.append((name, f"{type(error).__name__}: {error}"))
    return outcome


def _holds(storage: Storage, name: str, sha256: str) -> bool:
    return storage.exists(name) and sha256_of(name, storage) == sha256
