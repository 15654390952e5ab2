"""Spotting likely personal identifiers in evidence text.

Probation evidence must not identify people on probation or victims. This finds shapes
that often do (postcodes, case and PNC numbers, dates of birth, NI numbers, phone
numbers, email addresses) so the apprentice can remove them or confirm they are not
personal data. It is a prompt for a human, not a guarantee.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    kind: str
    text: str

    @property
    def key(self) -> str:
        return f"{self.kind}: {self.text}"


_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # UK postcode, e.g. SW1A 1AA, M1 1AE, B33 8TH, CR2 6XH, DN55 1PT.
    (
        "a postcode",
        re.compile(r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b", re.I),
    ),
    # Police National Computer (PNC) ID, e.g. 2019/0123456A or 19/123456Z.
    (
        "a Police National Computer (PNC) number",
        re.compile(r"\b(?:\d{2}|\d{4})/\d{1,7}[A-Z]\b", re.I),
    ),
    # Probation case reference (CRN), e.g. X123456.
    ("a case reference number (CRN)", re.compile(r"\b[A-Z]\d{6}\b")),
    # National Insurance number, e.g. QQ 12 34 56 C.
    (
        "a National Insurance number",
        re.compile(r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", re.I),
    ),
    # A date of birth: "DOB", "D.O.B." or "born" followed by a date.
    (
        "a date of birth",
        re.compile(
            r"\b(?:d\.?o\.?b\.?|date of birth|born(?: on)?)\s*:?\s*"
            r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{1,2}(?:st|nd|rd|th)? \w+ \d{4})",
            re.I,
        ),
    ),
    ("a phone number", re.compile(r"(?<!\d)(?:\+44 ?|0)(?:\d ?){9,10}(?!\d)")),
    ("an email address", re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")),
]


def find_identifiers(*texts: str) -> list[Finding]:
    """Every likely identifier in the texts, in order, each reported once."""
    findings: dict[str, Finding] = {}
    for text in texts:
        for kind, pattern in _PATTERNS:
            for match in pattern.finditer(text or ""):
                finding = Finding(kind, match.group(0).strip())
                findings.setdefault(finding.key, finding)
    return list(findings.values())


def describe(findings: list[Finding]) -> str:
    return "; ".join(f"{f.kind} ({f.text})" for f in findings)
