"""Checkpoints of the audit trail, kept outside the database.

The hash chain (psp.audit) shows an entry altered or removed in the middle of the trail, but
whoever can write to the database can also empty the trail, cut off its last entries, or
alter an entry and compute the chain again from there with the database's own hash
function: the chain alone then verifies. A checkpoint records how many entries there were,
the id of the last one and its hash (the chain head, which commits to every entry before
it), signed with HMAC-SHA256 under a key the database does not hold (PSP_AUDIT_KEY, or one
derived from SECRET_KEY). Checkpoints are appended, one JSON line each, to a file outside
the database (PSP_AUDIT_CHECKPOINTS): every worker writes one a minute when the trail has
grown (psp.tasks.AuditCheckpointSweep), after checking the entries added since the last,
and so does `verify_audit` after checking the whole chain. Against the last checkpoint:

- a trail emptied, or its tail removed: the checkpoint's last entry is missing, or there
  are fewer entries up to it than it counted;
- an entry altered and the chain recomputed: the checkpoint's last entry has another hash.

Entries added since the last checkpoint (about a minute's worth) are only as safe as the
chain. A line not signed with the key is reported, so the file cannot be rewritten to match
a forged trail without the key. Hand-written: no library anchors a database hash chain.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from psp import audit
from psp.models import AuditEntry

_SALT = "psp.checkpoints.audit-key"
# The last line is found in the file's tail, never by reading the whole file.
_TAIL_BYTES = 8192


class CheckpointRefused(Exception):
    """The trail does not match the last checkpoint, so no new one is written."""


@dataclass(frozen=True)
class Checkpoint:
    at: str
    count: int  # entries with an id up to last_id
    last_id: int
    head: str  # the hash of entry last_id

    def describe(self) -> str:
        return f"the checkpoint of {self.at} ({self.count} entries up to entry {self.last_id})"


def path() -> Path:
    return Path(settings.PSP_AUDIT_CHECKPOINTS)


def _mac(checkpoint: Checkpoint) -> str:
    key = settings.PSP_AUDIT_KEY or settings.SECRET_KEY
    message = json.dumps(asdict(checkpoint), sort_keys=True, separators=(",", ":"))
    return salted_hmac(_SALT, message, secret=key, algorithm="sha256").hexdigest()


def _parse(line: str, number: int) -> tuple[Checkpoint | None, str]:
    """The checkpoint on one line, or the problem with it."""
    try:
        fields = json.loads(line)
        mac = fields.pop("mac")
        checkpoint = Checkpoint(
            at=str(fields["at"]),
            count=int(fields["count"]),
            last_id=int(fields["last_id"]),
            head=str(fields["head"]),
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return None, f"Checkpoint line {number} cannot be read"
    if not constant_time_compare(str(mac), _mac(checkpoint)):
        return None, f"Checkpoint line {number} is not signed with the audit key"
    return checkpoint, ""


def read_all() -> tuple[list[Checkpoint], list[str]]:
    """Every checkpoint in the file, oldest first, and the problems with the file: lines
    not signed with the key, and checkpoints that go backwards."""
    if not path().exists():
        return [], []
    found: list[Checkpoint] = []
    problems: list[str] = []
    with path().open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            checkpoint, problem = _parse(line, number)
            if checkpoint is None:
                problems.append(problem)
                continue
            if found and (
                checkpoint.last_id < found[-1].last_id or checkpoint.count < found[-1].count
            ):
                problems.append(f"Checkpoint line {number} goes back from {found[-1].describe()}")
            found.append(checkpoint)
    return found, problems


def last() -> Checkpoint | None:
    """The last checkpoint written; CheckpointRefused if the last line is not a signed
    checkpoint."""
    if not path().exists():
        return None
    with path().open("rb") as file:
        file.seek(0, os.SEEK_END)
        size = file.tell()
        file.seek(max(0, size - _TAIL_BYTES))
        tail = file.read().decode("utf-8", errors="replace").splitlines()
    lines = [line for line in tail if line.strip()]
    if not lines:
        return None
    checkpoint, problem = _parse(lines[-1], 0)
    if checkpoint is None:
        raise CheckpointRefused(problem.replace("line 0", "(the last line)"))
    return checkpoint


def compare(checkpoint: Checkpoint) -> list[str]:
    """How the trail now differs from a checkpoint; empty if it still holds it whole."""
    head = AuditEntry.objects.filter(pk=checkpoint.last_id).values_list("hash", flat=True).first()
    if head is None:
        return [
            f"Entry {checkpoint.last_id}, the last one at {checkpoint.describe()}, is missing: "
            "the trail was emptied or its last entries removed"
        ]
    problems = []
    if head != checkpoint.head:
        problems.append(
            f"Entry {checkpoint.last_id} is not the entry recorded at {checkpoint.describe()}: "
            "the trail was altered and its chain computed again"
        )
    # Fewer only: an entry committed late may have an id below the checkpoint's last.
    count = AuditEntry.objects.filter(pk__lte=checkpoint.last_id).count()
    if count < checkpoint.count:
        problems.append(
            f"{checkpoint.count - count} of the entries counted at {checkpoint.describe()} "
            "are missing: entries were removed"
        )
    return problems


def write() -> Checkpoint | None:
    """Check the entries added since the last checkpoint and append a new one, if the trail
    grew. CheckpointRefused if the trail no longer matches the last checkpoint or its chain
    is broken since: a forged trail is never checkpointed."""
    path().parent.mkdir(parents=True, exist_ok=True)
    with path().open("a", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)  # one writer at a time, across workers
        previous = last()
        if previous is not None and (problems := compare(previous)):
            raise CheckpointRefused("; ".join(problems))
        after, head = (previous.last_id, previous.head) if previous else (0, "")
        _, broken = audit.verify_chain(after=after, previous=head)
        if broken:
            raise CheckpointRefused(
                "; ".join(f"Entry {p.entry_id}: {p.message}" for p in broken[:5])
            )
        latest = AuditEntry.objects.order_by("-id").values_list("id", "hash").first()
        if latest is None or (previous is not None and latest[0] == previous.last_id):
            return None
        checkpoint = Checkpoint(
            at=timezone.now().isoformat(timespec="seconds"),
            count=AuditEntry.objects.filter(pk__lte=latest[0]).count(),
            last_id=latest[0],
            head=latest[1],
        )
        file.write(json.dumps({**asdict(checkpoint), "mac": _mac(checkpoint)}) + "\n")
        file.flush()
        os.fsync(file.fileno())
    return checkpoint
