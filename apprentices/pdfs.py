"""Reading an uploaded PDF with a real parser (pypdf) and refusing active content in it.

A PDF can run JavaScript, launch programs, carry attached files or Flash, or hold an XFA
form, and desktop readers act on these when staff open the file. Matching bytes is not
enough: names may be written with `#xx` escapes (`/J#61vaScript`), objects may sit inside
compressed object streams, and an incremental update appended to a clean file can add an
action. So the file is parsed: every object the cross-reference tables name (following
`/Prev` to every earlier update, object streams decompressed) is read and walked, and names
are compared after pypdf has decoded them. As a second, parser-independent layer, the raw
bytes outside stream bodies are searched for the same names with every letter allowed in
its escaped form, so an object left out of the cross-reference table (which a reader that
repairs the file may still find) is caught too.

Hand-written because no library decides "does this PDF hold active content"; pypdf does
the parsing.
"""

from __future__ import annotations

import contextlib
import io
import logging
import mmap
import os
import re
from collections.abc import Iterator
from typing import IO

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject

logger = logging.getLogger(__name__)

# Keys whose presence means something acts or is carried along.
_ACTIVE_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/AA": "actions that run when the document or a page is opened or closed",
    "/Launch": "an action that starts a program",
    "/EmbeddedFile": "an attached file",
    "/EmbeddedFiles": "an attached file",
    "/EF": "an attached file",
    "/RichMedia": "embedded media (Flash)",
    "/RichMediaContent": "embedded media (Flash)",
    "/XFA": "an XFA form, which can run scripts",
}
# Values (action types and object types) that mean the same.
_ACTIVE_NAMES = {
    "/JavaScript": "JavaScript",
    "/Launch": "an action that starts a program",
    "/EmbeddedFile": "an attached file",
    "/RichMedia": "embedded media (Flash)",
    "/RichMediaExecute": "embedded media (Flash)",
    "/ImportData": "an action that imports data from another file",
    "/GoToE": "an action that opens an attached file",
}
# The raw layer looks for the long names only: a short one such as /AA or /JS could be text
# in a bookmark's title, and every action it could hold is named by one of these.
_RAW_NAMES = ("JavaScript", "Launch", "EmbeddedFile", "RichMedia", "XFA")
_DELIMITERS = rb"\s/<>\[\]()%{}"


class ActiveContent(ValueError):
    """The PDF holds something that acts; the message names it."""


class Unreadable(ValueError):
    """The PDF could not be parsed, or is locked with a password."""


def _letter(ch: str) -> bytes:
    # A name's letter, as itself or as its #xx escape in either case of hex digit.
    code = f"{ord(ch):02x}"
    hex_pattern = "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in code)
    return f"(?:{re.escape(ch)}|#{hex_pattern})".encode()


_RAW_ACTIVE = re.compile(
    rb"/(?:"
    + b"|".join(b"".join(_letter(ch) for ch in name) for name in _RAW_NAMES)
    + rb")(?=["
    + _DELIMITERS
    + rb"]|$)"
)
_STREAM_START = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")


def _decoded_name(raw: bytes) -> str:
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw).decode(
        "latin-1"
    )


def check_pdf(stream: IO[bytes]) -> None:
    """Raise ActiveContent naming what acts, or Unreadable; return if the PDF is inert."""
    _scan_raw(stream)
    stream.seek(0)
    try:
        reader = PdfReader(stream, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise Unreadable(
                "The PDF is protected with a password, so it cannot be checked. Remove the "
                "password (print it to a new PDF) and upload that"
            )
        _walk(reader)
    except (ActiveContent, Unreadable):
        raise
    except (PyPdfError, ValueError, TypeError, KeyError, IndexError, AttributeError,
            RecursionError, OSError, NotImplementedError) as error:  # fmt: skip
        logger.info("Upload: PDF refused as unreadable: %r", error)
        raise Unreadable(
            "The PDF could not be read: it is damaged or uses features we cannot check. "
            "Print it to a new PDF and upload that"
        ) from None
    finally:
        stream.seek(0)


def _scan_raw(stream: IO[bytes]) -> None:
    """The names, decoded, anywhere outside stream bodies (which hold compressed data)."""
    with contents(stream) as data:
        position = 0
        while position < len(data):
            body = _STREAM_START.search(data, position)
            until = body.start() if body else len(data)
            match = _RAW_ACTIVE.search(data, position, until)
            if match:
                name = "/" + _decoded_name(bytes(match.group(0)[1:]))
                raise ActiveContent(_ACTIVE_KEYS.get(name) or _ACTIVE_NAMES.get(name) or name)
            if body is None:
                break
            end = data.find(b"endstream", body.end())
            position = len(data) if end == -1 else end + len(b"endstream")


@contextlib.contextmanager
def contents(stream: IO[bytes]) -> Iterator[bytes | mmap.mmap]:
    """The whole file as a bytes-like object, mapped from disk when it is on disk."""
    stream.seek(0)
    try:
        fileno = stream.fileno()
    except (OSError, AttributeError, io.UnsupportedOperation):
        fileno = -1
    if fileno >= 0 and os.fstat(fileno).st_size > 0:
        with mmap.mmap(fileno, 0, access=mmap.ACCESS_READ) as mapped:
            yield mapped
    else:
        yield stream.read()
    stream.seek(0)


def _object_refs(reader: PdfReader) -> list[IndirectObject]:
    refs = [
        IndirectObject(number, generation, reader)
        for generation, entries in reader.xref.items()
        for number in entries
    ]
    refs += [IndirectObject(number, 0, reader) for number in reader.xref_objStm]
    return refs


def _walk(reader: PdfReader) -> None:
    pending: list[PdfObject | None] = [reader.trailer]
    pending += [ref.get_object() for ref in _object_refs(reader)]
    while pending:
        item = pending.pop()
        if isinstance(item, DictionaryObject):
            for key, value in item.items():
                if key in _ACTIVE_KEYS:
                    raise ActiveContent(_ACTIVE_KEYS[key])
                if not isinstance(value, IndirectObject):
                    pending.append(value)
        elif isinstance(item, ArrayObject):
            pending.extend(value for value in item if not isinstance(value, IndirectObject))
        elif isinstance(item, NameObject) and item in _ACTIVE_NAMES:
            raise ActiveContent(_ACTIVE_NAMES[item])
