"""notifications is a leaf context: it may import the kernel, never another context or the
composition root (ARCHITECTURE.md, "the direction of imports")."""

import ast
from pathlib import Path

import notifications

FORBIDDEN = {"benefits", "activation", "matching", "training", "workbridge"}


def test_notifications_imports_only_the_kernel_among_our_packages() -> None:
    offenders = []
    for path in Path(notifications.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []
