"""The rule register (issue 17): every policy clause (``kernel.clauses``) with the rule
functions that implement it, the profile's parameters they read, and the tests that walk its
boundaries — generated from the code, never written by hand.

- **Rules**: every public function of the pure rules modules (``RULE_MODULES``) carries
  ``@implements(...)`` or ``@helper``; its first docstring line says what it decides.
- **Parameters**: the profile keys a rule names in its source (``params.int("…")``, an f-string
  over the schemes), read with ``ast`` and matched against the profile's parameters, each with
  its legal basis.
- **Tests**: every test carrying ``@pytest.mark.clause("…")`` under ``tests/``.

``workbridge rules --write`` keeps the generated register in ``workbridge/rule_register.json``,
which the page reads (a deployed service has no tests folder); the suite fails when that file
differs from the code, when a rule cites no clause, or when a clause has no test.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
import textwrap
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kernel.clauses import CLAUSES
from kernel.policy import PolicyBook

RULE_MODULES = (
    "benefits.rules",
    "benefits.payment_rules",
    "activation.rules",
    "training.rules",
    "matching.rules",
)
SHIPPED = Path(__file__).with_name("rule_register.json")
ROOT = Path(__file__).resolve().parents[1]


def public_functions(module_name: str) -> list[tuple[str, Any]]:
    module = importlib.import_module(module_name)
    return [
        (name, value)
        for name, value in vars(module).items()
        if not name.startswith("_")
        and inspect.isfunction(inspect.unwrap(value) if callable(value) else value)
        and getattr(inspect.unwrap(value), "__module__", None) == module_name
    ]


def parameters_read(function: Any, keys: Iterable[str]) -> list[str]:
    """The profile's keys the function names: string literals, and f-strings whose holes may be
    any word (``f"benefits.{scheme}.standard"``)."""
    known = sorted(set(keys))
    tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(function))))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in known:
                found.add(node.value)
        elif isinstance(node, ast.JoinedStr):
            pattern = "".join(
                re.escape(part.value) if isinstance(part, ast.Constant) else r"[a-z_]+"
                for part in node.values
            )
            found.update(key for key in known if re.fullmatch(pattern, key))
    return sorted(found)


def policy_readers(module_name: str, function: Any) -> list[Any]:
    """The ``from_policy`` readers of the parameter objects a rule takes (``EntitlementParams``
    for ``assess_entitlement``): the parameters it reads are read there."""
    module = importlib.import_module(module_name)
    annotations = " ".join(str(a) for a in inspect.unwrap(function).__annotations__.values())
    return [
        value.from_policy
        for name, value in vars(module).items()
        if inspect.isclass(value) and hasattr(value, "from_policy") and name in annotations
    ]


def marked_tests(root: Path) -> dict[str, list[str]]:
    """Clause → the tests marked with it (``path::name``), from the tests' source."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted((root / "tests").rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and ast.unparse(decorator.func) == "pytest.mark.clause"
                ):
                    where = f"{path.relative_to(root).as_posix()}::{node.name}"
                    for arg in decorator.args:
                        if isinstance(arg, ast.Constant):
                            found[str(arg.value)].append(where)
    return dict(found)


def build(book: PolicyBook, root: Path = ROOT) -> dict[str, Any]:
    latest = book.versions[-1]
    rules: list[dict[str, Any]] = []
    unmarked: list[str] = []
    for module_name in RULE_MODULES:
        for name, function in public_functions(module_name):
            clauses = getattr(inspect.unwrap(function), "__clauses__", None)
            if clauses is None:
                unmarked.append(f"{module_name}.{name}")
                continue
            if not clauses:
                continue  # a helper
            doc = inspect.getdoc(function) or ""
            read = set(parameters_read(function, latest.params))
            for reader in policy_readers(module_name, function):
                read.update(parameters_read(reader, latest.params))
            rules.append(
                {
                    "rule": f"{module_name}.{name}",
                    "clauses": list(clauses),
                    "summary": doc.split("\n\n")[0].replace("\n", " "),
                    "parameters": sorted(read),
                }
            )
    tests = marked_tests(root)
    clauses = []
    for clause in CLAUSES:
        implementing = [r for r in rules if clause.code in r["clauses"]]
        clauses.append(
            {
                "code": clause.code,
                "source": clause.source,
                "rules": [r["rule"] for r in implementing],
                "parameters": sorted({p for r in implementing for p in r["parameters"]}),
                "tests": sorted(tests.get(clause.code, [])),
            }
        )
    return {
        "profile": book.profile,
        "clauses": clauses,
        "rules": rules,
        "unmarked": unmarked,
        "unknown_clauses_in_tests": sorted(set(tests) - {c.code for c in CLAUSES}),
    }


def problems(register: dict[str, Any]) -> list[str]:
    """What keeps the register from being complete: each is a failure of the suite."""
    found = [f"{name}: a public rule function cites no clause" for name in register["unmarked"]]
    found += [
        f"{c['code']}: no test walks this clause" for c in register["clauses"] if not c["tests"]
    ]
    found += [
        f"{code}: a test cites an unknown clause" for code in register["unknown_clauses_in_tests"]
    ]
    return found


def shipped() -> dict[str, Any]:
    return json.loads(SHIPPED.read_text(encoding="utf-8"))


def written(register: dict[str, Any]) -> str:
    return json.dumps(register, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
