"""Opening Office Open XML (docx, xlsx, pptx) and OpenDocument (odt, ods, odp) packages and
refusing the ones that can run code.

Both formats are zip archives. A macro is refused by what the package declares and by what
it holds, never by a part's name alone: content types and relationships are parsed (with
defusedxml, which refuses entity expansion and external references), compared in lower
case, and every member is opened, so a VBA project renamed to `image1.png` is still an OLE
compound file and is refused. OpenDocument Basic macros and scripts are refused whether the
manifest lists them or not, and so are event bindings that call a macro. Members are
checked case-insensitively (`setup.EXE`); archives inside archives are opened in turn, with
limits on depth, number of members and expanded size shared across every level, so a zip
bomb stored inside a docx is refused like one at the top.

Hand-written because no library answers "can this Office file run code"; zipfile and
defusedxml do the reading.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass, field
from typing import IO
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

MAX_DEPTH = 3
MAX_MEMBERS = 10_000
MAX_EXPANDED = 1024 * 1024 * 1024
MAX_RATIO = 100
# An archive inside the package is read into memory to be opened, so it must be small.
MAX_NESTED_ARCHIVE = 64 * 1024 * 1024
MAX_XML = 32 * 1024 * 1024

_PROGRAM_EXTENSIONS = {
    "exe", "dll", "com", "scr", "msi", "msp", "cpl", "sys", "pif", "bat", "cmd", "ps1", "psm1",
    "vbs", "vbe", "js", "jse", "wsf", "wsh", "hta", "jar", "lnk", "reg", "sh", "app", "elf",
    "apk", "py", "pl", "rb", "vba", "bas", "xll", "so", "dylib",
}  # fmt: skip
_PROGRAM_MAGIC = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# Declared in [Content_Types].xml or a relationship: code, or controls that run code.
_CODE_TYPES = ("macroenabled", "vbaproject", "vbadata", "activex", "keymapcustomizations")
# Relationships to outside the file that make Office fetch and open something.
_REMOTE_TYPES = ("attachedtemplate", "oleobject", "frame", "subdocument", "package")
_ODF_SCRIPT_DIRS = ("basic/", "scripts/", "dialogs/")
_ODF_XML = ("content.xml", "styles.xml", "settings.xml", "meta.xml")
_ODF_OFFICE_NS = "{urn:oasis:names:tc:opendocument:xmlns:office"
_SCRIPT_PREFIXES = ("vnd.sun.star.script:", "macro:", "vnd.sun.star.basic:", "javascript:")

MACROS = "The document contains macros. Save it as a macro-free .docx, .xlsx or .pptx"
ODF_MACROS = (
    "The document contains macros or scripts. Save a copy without them (in LibreOffice: "
    "Tools, Macros, Organise, delete the document's macros) or save it as PDF"
)


class PackageError(ValueError):
    """The package is refused; the message says why, for the person who uploaded it."""


@dataclass
class _Budget:
    limit: int
    members: int = 0
    expanded: int = 0


@dataclass
class Package:
    """What a checked package is: an ODF media type, or the OOXML main folder."""

    odf_mimetype: str = ""
    ooxml: bool = False
    folders: set[str] = field(default_factory=set)


def check_package(stream: IO[bytes], size: int) -> Package:
    """Open the zip package and refuse it (PackageError) if it can run code or explode."""
    budget = _Budget(limit=min(MAX_EXPANDED, MAX_RATIO * max(size, 1)))
    try:
        with zipfile.ZipFile(stream) as archive:
            return _check_archive(archive, depth=0, budget=budget)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError,
            NotImplementedError, ValueError) as error:  # fmt: skip
        if isinstance(error, PackageError):
            raise
        raise PackageError(
            "The file looks like an Office document but is damaged or incomplete"
        ) from None
    finally:
        stream.seek(0)


def _check_archive(archive: zipfile.ZipFile, *, depth: int, budget: _Budget) -> Package:
    entries = archive.infolist()
    budget.members += len(entries)
    if budget.members > MAX_MEMBERS:
        raise PackageError("The document holds too many parts to be a real Office file")
    budget.expanded += sum(entry.file_size for entry in entries)
    if budget.expanded > budget.limit:
        raise PackageError(
            "The document expands to far more than its size (a 'zip bomb'), so it was refused"
        )
    names: dict[str, zipfile.ZipInfo] = {}
    for entry in entries:
        lower = entry.filename.replace("\\", "/").lower()
        if lower in names:
            raise PackageError("The document has two parts with the same name, so it was refused")
        names[lower] = entry
    for lower, entry in names.items():
        _check_member(archive, entry, lower, depth=depth, budget=budget)
    package = Package(
        ooxml="[content_types].xml" in names,
        folders={name.split("/", 1)[0] for name in names if "/" in name},
    )
    # Packages inside the package (a spreadsheet in a Word document) are checked alike.
    if "mimetype" in names:
        package.odf_mimetype = _read(archive, names["mimetype"], 256).decode("ascii", "replace")
        package.odf_mimetype = package.odf_mimetype.strip()
    _check_ooxml(archive, names)
    if package.odf_mimetype or "meta-inf/manifest.xml" in names:
        _check_odf(archive, names)
    return package


def _check_member(
    archive: zipfile.ZipFile, entry: zipfile.ZipInfo, lower: str, *, depth: int, budget: _Budget
) -> None:
    if entry.is_dir():
        return
    base = posixpath.basename(lower)
    extension = base.rsplit(".", 1)[-1] if "." in base else ""
    shown = entry.filename[-80:]
    if extension in _PROGRAM_EXTENSIONS:
        raise PackageError(
            f"The document contains a program or script ({shown}), so it was refused"
        )
    if base == "vbaproject.bin" or base == "vbadata.xml":
        raise PackageError(MACROS)
    head = _read(archive, entry, 8)
    if head.startswith(_PROGRAM_MAGIC) or head.startswith(b"#!"):
        raise PackageError(
            f"The document contains a program ({shown}), whatever its name, so it was refused"
        )
    if head.startswith(_OLE_MAGIC):
        raise PackageError(
            f"The document holds an older-format Office part ({shown}), which can carry macros "
            "or programs (a VBA project, an embedded object). Save it again as a macro-free "
            ".docx, .xlsx or .pptx, or as PDF"
        )
    if head.startswith(_ZIP_MAGIC) or extension in ("zip", "jar", "docm", "xlsm", "pptm"):
        _check_nested(archive, entry, shown, depth=depth, budget=budget)


def _check_nested(
    archive: zipfile.ZipFile, entry: zipfile.ZipInfo, shown: str, *, depth: int, budget: _Budget
) -> None:
    if depth + 1 >= MAX_DEPTH:
        raise PackageError(
            f"The document holds archives inside archives too deeply ({shown}), so it was refused"
        )
    if entry.file_size > MAX_NESTED_ARCHIVE:
        raise PackageError(
            f"The document holds a large archive ({shown}) that cannot be checked, so it was "
            "refused"
        )
    data = _read(archive, entry, entry.file_size)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as inner:
            _check_archive(inner, depth=depth + 1, budget=budget)
    except zipfile.BadZipFile:
        raise PackageError(
            f"The document holds a damaged archive ({shown}), so it was refused"
        ) from None


def _read(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limit: int) -> bytes:
    with archive.open(entry) as member:
        return member.read(limit)


def _xml(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> object:
    if entry.file_size > MAX_XML:
        raise PackageError(f"A part of the document ({entry.filename[-80:]}) is too large")
    try:
        return fromstring(_read(archive, entry, entry.file_size))
    except DefusedXmlException:
        raise PackageError(
            "The document uses XML features that are used in attacks (entities or external "
            "references), so it was refused. Save it again from the program that made it"
        ) from None
    except ParseError:
        raise PackageError(
            f"A part of the document ({entry.filename[-80:]}) is damaged, so it was refused"
        ) from None


def _elements(root: object) -> list:
    return list(root.iter())  # type: ignore[attr-defined]


def _check_ooxml(archive: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo]) -> None:
    content_types = names.get("[content_types].xml")
    if content_types is not None:
        for element in _elements(_xml(archive, content_types)):
            declared = (element.get("ContentType") or "").lower()
            if any(kind in declared for kind in _CODE_TYPES):
                raise PackageError(
                    "The document is macro-enabled or holds controls that run code. "
                    "Save it as a macro-free .docx, .xlsx or .pptx"
                )
    for lower, entry in names.items():
        if not lower.endswith(".rels"):
            continue
        for element in _elements(_xml(archive, entry)):
            kind = (element.get("Type") or "").lower().rsplit("/", 1)[-1]
            if any(code in kind for code in _CODE_TYPES):
                raise PackageError(MACROS)
            external = (element.get("TargetMode") or "").lower() == "external"
            if external and kind in _REMOTE_TYPES:
                raise PackageError(
                    "The document loads a template or object from another address when it is "
                    "opened, so it was refused. Save a copy without it, or as PDF"
                )


def _check_odf(archive: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo]) -> None:
    if any(name.startswith(_ODF_SCRIPT_DIRS) for name in names):
        raise PackageError(ODF_MACROS)
    manifest = names.get("meta-inf/manifest.xml")
    if manifest is not None:
        for element in _elements(_xml(archive, manifest)):
            for attribute, value in element.attrib.items():
                lowered = value.lower().lstrip("/")
                if attribute.endswith("full-path") and lowered.startswith(_ODF_SCRIPT_DIRS):
                    raise PackageError(ODF_MACROS)
                if attribute.endswith("media-type") and "script" in lowered:
                    raise PackageError(ODF_MACROS)
    for part in _ODF_XML:
        if part in names:
            _refuse_event_scripts(_xml(archive, names[part]))


def _refuse_event_scripts(root: object) -> None:
    for element in _elements(root):
        tag = str(element.tag)
        if tag.endswith("}script") and tag.startswith(_ODF_OFFICE_NS):
            raise PackageError(ODF_MACROS)
        for value in element.attrib.values():
            if value.strip().lower().startswith(_SCRIPT_PREFIXES):
                raise PackageError(ODF_MACROS)
