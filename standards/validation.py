"""Problems found in a file being imported, each with its JSON path, and the checks that
find them. Checks never stop at the first problem: they collect every one."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from standards.plain_text import plain_text

REFERENCE_PATTERN = re.compile(r"^ST\d{4}$")
VERSION_PATTERN = re.compile(r"^\d+\.\d+$")
# Dates as the API writes them: 2024-07-16, 2024-07-16T00:00:00, 2019-08-20T00:00:00 +00:00
# (a space before the offset), with Z or fractions of a second.
_DATE_PATTERN = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?$"
)
_WHOLE_NUMBER = re.compile(r"^\s*\d+\s*$")


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class InvalidImport(Exception):
    """The file cannot be imported; nothing was written."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s): " + "; ".join(map(str, self.problems)))


def type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class Checker:
    """Reads typed values out of parsed JSON, noting a Problem (and returning a default)
    wherever a value is missing or of the wrong type."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def warn(self, path: str, message: str) -> None:
        """Something odd that the official data really contains: reported, not refused."""
        self.warnings.append(Problem(path, message))

    def raise_if_any(self) -> None:
        if self.problems:
            raise InvalidImport(self.problems)

    def _get(self, obj: Mapping[str, Any], key: str, path: str, required: bool) -> Any:
        if key not in obj:
            if required:
                self.add(f"{path}.{key}", f"missing: every file must give “{key}”")
            return None
        return obj[key]

    def text(
        self, obj: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> str | None:
        value = self._get(obj, key, path, required)
        if value is None:
            if required and key in obj:
                self.add(f"{path}.{key}", "is empty: it must be text")
            return None
        if not isinstance(value, str):
            self.add(f"{path}.{key}", f"must be text, not {type_name(value)}")
            return None
        value = plain_text(value)  # entities decoded, HTML as text, outer whitespace gone
        if required and not value:
            self.add(f"{path}.{key}", "is empty: it must be text")
            return None
        return value

    def integer(
        self,
        obj: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool = False,
        minimum: int = 0,
        maximum: int | None = None,
    ) -> int | None:
        value = self._get(obj, key, path, required)
        if value is None:
            if required and key in obj:
                self.add(f"{path}.{key}", "is empty: it must be a whole number")
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and not value.strip():
            return None  # the API's "not given"
        if isinstance(value, str) and _WHOLE_NUMBER.match(value):
            value = int(value)  # the API writes some numbers as text ("326")
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(f"{path}.{key}", f"must be a whole number, not {type_name(value)}")
            return None
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and at most {maximum}" if maximum is not None else ""
            self.add(f"{path}.{key}", f"must be at least {minimum}{upper}, not {value}")
            return None
        return value

    def boolean(self, obj: Mapping[str, Any], key: str, path: str) -> bool | None:
        value = self._get(obj, key, path, False)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.add(f"{path}.{key}", f"must be true or false, not {type_name(value)}")
            return None
        return value

    def date(self, obj: Mapping[str, Any], key: str, path: str) -> datetime.date | None:
        value = self._get(obj, key, path, False)
        if value is None or value == "":
            return None  # "" is the API's "not given"
        match = _DATE_PATTERN.match(value.strip()) if isinstance(value, str) else None
        if match is None:
            self.add(
                f"{path}.{key}",
                f"must be a date written like 2024-07-16, not {value!r}"
                if isinstance(value, str)
                else f"must be a date written like 2024-07-16, not {type_name(value)}",
            )
            return None
        try:
            return datetime.date.fromisoformat(match.group(1))
        except ValueError:
            self.add(f"{path}.{key}", f"is not a real date: {value!r}")
            return None

    def obj(
        self, obj: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> dict[str, Any] | None:
        value = self._get(obj, key, path, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.add(f"{path}.{key}", f"must be an object, not {type_name(value)}")
            return None
        return value

    def items(
        self, obj: Mapping[str, Any], key: str, path: str, *, required: bool = False
    ) -> list[Any] | None:
        """A list, or None when it is absent (or not a list, which is a problem)."""
        value = self._get(obj, key, path, required)
        if value is None:
            if key in obj and required:
                self.add(f"{path}.{key}", "must be a list, not null")
            return None
        if not isinstance(value, list):
            self.add(f"{path}.{key}", f"must be a list, not {type_name(value)}")
            return None
        return value

    def texts(
        self,
        obj: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool = False,
        duplicates_are_problems: bool = True,
    ) -> list[str] | None:
        """A list of non-empty texts, each checked. A text listed twice is a problem, or
        (in the official data, which has them) a warning, and is kept once."""
        values = self.items(obj, key, path, required=required)
        if values is None:
            return None
        result: list[str] = []
        for index, value in enumerate(values):
            item_path = f"{path}.{key}[{index}]"
            text = plain_text(value) if isinstance(value, str) else ""
            if not text:
                self.add(item_path, f"must be non-empty text, not {type_name(value)}")
            elif text in result and duplicates_are_problems:
                self.add(item_path, f"“{text}” is listed twice")
            elif text in result:
                self.warn(item_path, f"“{text}” is listed twice: psp keeps it once")
            else:
                result.append(text)
        return result

    def only_known_keys(self, obj: Mapping[str, Any], known: Iterable[str], path: str) -> None:
        known = set(known)
        for key in obj:
            if key not in known:
                self.add(
                    f"{path}.{key}",
                    "is not part of the format (is it misspelt?); known keys are "
                    + ", ".join(sorted(known)),
                )
