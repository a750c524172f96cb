"""The direction of imports (ARCHITECTURE.md): kernel ← benefits, matching, training,
notifications ← activation ← workbridge, and no arrow back up; and inside a context, no two
modules that import each other, even through an import written inside a function (that is how
``activation/sms.py`` once called the use cases that called it)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# each package, and the packages it may import
MAY_IMPORT = {
    "kernel": set(),
    "benefits": {"kernel"},
    "matching": {"kernel"},
    "training": {"kernel"},
    "notifications": {"kernel"},
    "activation": {"kernel", "benefits", "matching", "training", "notifications"},
    "workbridge": {"kernel", "benefits", "matching", "training", "notifications", "activation"},
}
# circles known and left: a package and the module that fills it in, and three kernel modules
# that name one another's types
KNOWN_CIRCLES = [
    {"kernel.db", "kernel.models", "kernel.settings", "kernel.training_clock"},
    {"matching.candidates", "matching.ranking"},
    {"workbridge.pages", "workbridge.pages.dashboard"},
]


def modules() -> dict[str, set[str]]:
    """Each first-party module and the first-party modules it imports, anywhere in its body."""
    found: dict[str, set[str]] = {}
    for package in MAY_IMPORT:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found[name] = set(imported(ast.parse(path.read_text(encoding="utf-8"))))
    return {name: {d for d in deps if d in found and d != name} for name, deps in found.items()}


def imported(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_package_imports_one_above_it() -> None:
    wrong = sorted(
        f"{name} imports {dep}"
        for name, deps in modules().items()
        for dep in deps
        if dep.split(".")[0] not in MAY_IMPORT[name.split(".")[0]] | {name.split(".")[0]}
    )
    assert wrong == []


def test_no_modules_import_each_other_in_a_circle() -> None:
    new = [group for group in circles(modules()) if group not in KNOWN_CIRCLES]
    assert new == []


def test_the_circle_finder_finds_a_circle_through_a_third_module() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [{"a", "b", "c"}]
