"""The EPA plan format's JSON Schema (docs/epa-plan.schema.json), checked with jsonschema, and
each of its errors said in psp's words: a Problem at the JSON path of the value (`$.a[0].b`)
saying what is wrong, as the importer always has ("must be a whole number, not text", "is not
part of the format (is it misspelt?)"). What a schema cannot say (the version is in psp, a
criterion's method exists and assesses its KSBs, the combination rows fit the methods' grades)
is checked in standards.plan_importing.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from standards.validation import Problem, type_name

SCHEMA = Path(__file__).resolve().parent.parent / "docs" / "epa-plan.schema.json"

# What an object in each list (or the file itself) is, for "must be ..., not a list".
_OBJECTS = {
    "": "an EPA plan object",
    "gatewayRequirements": "an object with kind and text",
    "assessmentMethods": "an assessment method object",
    "gradingCriteria": "a grading criterion object",
    "gradeCombinations": "an object with methodGrades and overall",
}
_TYPES = {
    "integer": "a whole number",
    "string": "text",
    "boolean": "true or false",
    "array": "a list",
}
# What a value matching no pattern is not.
_PATTERNS = {
    r"^ST\d{4}$": "is not ST followed by four digits",
    r"^\d+\.\d+$": "is not a version number: it must be like 1.1",
    r"^[KSB][1-9]\d*$": "is not a KSB code like K1, S2 or B3",
}
_NOT_BLANK = r"\S"
EMPTY = "is empty: it must be text"


@functools.cache
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def problems(payload: Any) -> list[Problem]:
    """Every way the file breaks the schema, once each, in psp's words."""
    found: dict[Problem, None] = {}
    for error in validator().iter_errors(payload):
        found.update(dict.fromkeys(_said(error, payload)))
    return list(found)


def path_of(parts: Iterable[str | int]) -> str:
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts)


def _said(error: ValidationError, payload: Any) -> list[Problem]:
    parts = list(error.absolute_path)
    path = path_of(parts)
    value, rule, schema = error.instance, error.validator_value, error.schema
    assert isinstance(schema, dict)
    names = [part for part in parts if isinstance(part, str)]
    name = names[-1] if names else ""
    match error.validator:
        case "type":
            wanted = next(t for t in ([rule] if isinstance(rule, str) else rule) if t != "null")
            what = _OBJECTS.get(name, "an object") if wanted == "object" else _TYPES[wanted]
            return [Problem(path, f"must be {what}, not {type_name(value)}")]
        case "required":
            properties = schema.get("properties", {})
            return [
                Problem(f"{path}.{key}", _must_be(key, properties[key]["const"], payload))
                if "const" in properties.get(key, {})
                else Problem(f"{path}.{key}", f"missing: every file must give “{key}”")
                for key in rule
                if key not in value
            ]
        case "additionalProperties" if "patternProperties" not in schema:
            known = ", ".join(sorted(schema.get("properties", {})))
            return [
                Problem(
                    f"{path}.{key}",
                    f"is not part of the format (is it misspelt?); known keys are {known}",
                )
                for key in value
                if key not in schema.get("properties", {})
            ]
        case "const":
            return [Problem(path, _must_be(name, rule, payload))]
        case "enum":
            choices = [choice for choice in rule if choice is not None]
            if name == "kind":
                return [
                    Problem(path, f"“{value}” is not a kind psp knows: use {', '.join(choices)}")
                ]
            return [Problem(path, "must be " + " or ".join(f'"{c}"' for c in choices))]
        case "pattern" if rule == _NOT_BLANK:
            return [Problem(path, EMPTY)]
        case "pattern":
            return [Problem(path, f"“{value}” {_PATTERNS.get(rule, f'does not match {rule}')}")]
        case "minLength":
            return [Problem(path, EMPTY)]
        case "maxLength":
            return [Problem(path, f"is longer than {rule} characters")]
        case "minimum" | "maximum":
            upper = f" and at most {schema['maximum']}" if "maximum" in schema else ""
            return [
                Problem(path, f"must be at least {schema.get('minimum', 0)}{upper}, not {value}")
            ]
        case "minItems":
            return [Problem(path, "must list at least one grade, lowest first")]
        case "uniqueItems":
            return [
                Problem(f"{path}[{index}]", f"“{item}” is listed twice")
                for index, item in _repeated(value)
            ]
        case "additionalProperties":  # method grades: plan_importing says which are wanted
            return []
    return [Problem(path, error.message)]  # pragma: no cover - the schema uses no other rule


def _must_be(name: str, const: Any, payload: Any) -> str:
    """What the file's format or format version must be."""
    if name == "format":
        official = isinstance(payload, dict) and "referenceNumber" in payload
        return f'must be "{const}": this does not look like a psp EPA plan file' + (
            " (is it the official standard JSON?)" if official else ""
        )
    return f"must be {json.dumps(const)}, the version psp reads"


def _repeated(values: Sequence[Any]) -> list[tuple[int, Any]]:
    """The items listed again after their first time, with their index."""
    seen: list[Any] = []
    repeated = []
    for index, value in enumerate(values):
        if value in seen:
            repeated.append((index, value))
        seen.append(value)
    return repeated
