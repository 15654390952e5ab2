"""Whoever acts is a psp.models.User (or None where no one does), never Any: mypy checks what
is done with an actor only if the parameter says what it is."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACTORS = {"by", "user", "assessor", "reviewer", "actor"}


def _apps() -> list[Path]:
    return sorted(path.parent for path in ROOT.glob("*/apps.py"))


def _actors_typed_any(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        arguments = node.args
        for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            is_actor = argument.arg in ACTORS or argument.arg.endswith("_by")
            annotation = ast.unparse(argument.annotation) if argument.annotation else ""
            if is_actor and "Any" in annotation.replace("|", " ").split():
                found.append((argument.lineno, f"{node.name}({argument.arg}: {annotation})"))
    return found


def test_the_check_finds_an_actor_typed_any():
    source = "def accept(self, *, by: Any, note: Any) -> None: ...\ndef f(requested_by: Any): ..."
    assert _actors_typed_any(source) == [
        (1, "accept(by: Any)"),
        (2, "f(requested_by: Any)"),
    ]
    assert _actors_typed_any("def accept(self, *, by: User | None, note: Any) -> None: ...") == []


def test_no_actor_is_typed_any():
    assert {"psp", "standards", "apprentices", "progress", "epa", "api"} <= {
        app.name for app in _apps()
    }
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for app in _apps()
        for path in sorted(app.rglob("*.py"))
        if "migrations" not in path.parts
        for line, what in _actors_typed_any(path.read_text())
    ]
    assert found == []
