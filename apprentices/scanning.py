"""Virus scanning of uploads, before anything is kept.

Every file is checked for the EICAR test signature, so a deployment can prove its refusal
path without a real virus. Where a ClamAV daemon is configured (CLAMD_SOCKET, or CLAMD_HOST
and CLAMD_PORT), every file is also streamed to it with the INSTREAM command. The scan fails
closed: a file too large for clamd to scan, or a clamd that cannot be reached or answers
with an error, means the file is refused, never kept unscanned.
"""

from __future__ import annotations

import logging
import socket
import struct
from dataclasses import dataclass
from typing import IO

from django.conf import settings

from apprentices.filetypes import FileTypeError

logger = logging.getLogger(__name__)

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
CHUNK_SIZE = 64 * 1024
_TRY_AGAIN = "Try again in a few minutes; if it keeps happening, tell your training provider"


class VirusFound(FileTypeError):
    """The file carries a virus signature."""


class ScanFailed(FileTypeError):
    """The file could not be scanned, so it was not kept."""


@dataclass(frozen=True)
class Clamd:
    """Where clamd listens: a Unix socket path, or a host and port."""

    socket_path: str = ""
    host: str = ""
    port: int = 3310
    timeout: float = 30

    def connect(self) -> socket.socket:
        if self.socket_path:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            sock.connect(self.socket_path)
            return sock
        return socket.create_connection((self.host, self.port), timeout=self.timeout)

    @property
    def address(self) -> str:
        return self.socket_path or f"{self.host}:{self.port}"


def configured_clamd() -> Clamd | None:
    """The configured clamd, or None when scanning with ClamAV is off."""
    if settings.CLAMD_SOCKET:
        return Clamd(socket_path=settings.CLAMD_SOCKET, timeout=settings.CLAMD_TIMEOUT)
    if settings.CLAMD_HOST:
        return Clamd(
            host=settings.CLAMD_HOST, port=int(settings.CLAMD_PORT), timeout=settings.CLAMD_TIMEOUT
        )
    return None


def scan(stream: IO[bytes], size: int) -> None:
    """Refuse the file (VirusFound or ScanFailed, both FileTypeErrors) unless it is clean."""
    _refuse_eicar(stream)
    clamd = configured_clamd()
    if clamd is not None:
        _scan_with_clamd(clamd, stream, size)


def _refuse_eicar(stream: IO[bytes]) -> None:
    stream.seek(0)
    previous = b""
    while chunk := stream.read(CHUNK_SIZE):
        if EICAR in previous[-len(EICAR) :] + chunk:
            stream.seek(0)
            raise VirusFound(
                "The file contains a virus signature (EICAR test file), so it was not kept. "
                "If you did not expect this, do not open the file: tell your training provider"
            )
        previous = chunk
    stream.seek(0)


def _reply(sock: socket.socket) -> str:
    data = b""
    while not data.endswith((b"\0", b"\n")):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.rstrip(b"\0\n").decode("utf-8", "replace")


def _scan_with_clamd(clamd: Clamd, stream: IO[bytes], size: int) -> None:
    limit = int(settings.CLAMD_MAX_BYTES)
    if size > limit:
        raise ScanFailed(
            f"The file is too large to be scanned for viruses (the limit is "
            f"{limit / 1024 / 1024:.0f} MB), so it was not kept. Make it smaller or split it"
        )
    stream.seek(0)
    try:
        with clamd.connect() as sock:
            sock.sendall(b"zINSTREAM\0")
            while chunk := stream.read(CHUNK_SIZE):
                sock.sendall(struct.pack(">I", len(chunk)) + chunk)
            sock.sendall(struct.pack(">I", 0))
            answer = _reply(sock)
    except OSError:
        logger.exception("Virus scan: clamd at %s could not be reached", clamd.address)
        raise ScanFailed(
            f"The file could not be scanned for viruses, so it was not kept. {_TRY_AGAIN}"
        ) from None
    finally:
        stream.seek(0)
    # "stream: OK", "stream: <name> FOUND" or "<message> ERROR".
    if answer.endswith("FOUND"):
        name = answer.removeprefix("stream:").removesuffix("FOUND").strip()
        logger.warning("Virus scan: clamd found %s in an upload", name)
        raise VirusFound(
            f"The file contains a virus ({name}), so it was not kept. Do not open the file "
            "again: tell your training provider"
        )
    if answer != "stream: OK":
        logger.error("Virus scan: clamd answered %r", answer)
        raise ScanFailed(
            f"The file could not be scanned for viruses, so it was not kept. {_TRY_AGAIN}"
        )


def clamd_status() -> dict[str, object]:
    """For the health page: scanning off is a configuration, not an outage."""
    clamd = configured_clamd()
    if clamd is None:
        return {"ok": True, "scanning": "off"}
    try:
        with clamd.connect() as sock:
            sock.settimeout(min(clamd.timeout, 3))
            sock.sendall(b"zPING\0")
            answer = _reply(sock)
    except OSError:
        logger.exception("Health check: clamd at %s unreachable", clamd.address)
        return {"ok": False, "scanning": "clamd", "error": "clamd unreachable"}
    if answer != "PONG":
        return {"ok": False, "scanning": "clamd", "error": "clamd did not answer PING"}
    return {"ok": True, "scanning": "clamd"}
