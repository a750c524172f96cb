"""The rule register (issue 17): complete — every rule cites a clause, every clause has a test
— and the register the page reads is the one the code gives now."""

from __future__ import annotations

import pytest

from kernel.clauses import CLAUSES, helper, implements
from kernel.policy import load_profile
from workbridge.rule_register import (
    RULE_MODULES,
    build,
    marked_tests,
    parameters_read,
    problems,
    public_functions,
    shipped,
    written,
)

BOOK = load_profile("county-pilot")


@pytest.fixture(scope="module")
def register() -> dict:
    return build(BOOK)


def test_every_rule_cites_a_clause_and_every_clause_has_a_test(register) -> None:
    assert problems(register) == []
    assert {c["code"] for c in register["clauses"]} == {c.code for c in CLAUSES}


def test_the_page_reads_the_register_the_code_gives(register) -> None:
    # after a change to a rule, a clause or a marked test: `workbridge rules --write`
    assert written(shipped()) == written(register)


def test_the_register_finds_what_it_reports(register) -> None:
    by_rule = {r["rule"]: r for r in register["rules"]}
    entitlement = by_rule["benefits.rules.assess_entitlement"]
    assert entitlement["clauses"] == ["rule-1"]
    # the continuation reads its parameters by name: the register names them
    terms = by_rule["activation.rules.continuation_terms"]
    assert "continuation.income_threshold" in terms["parameters"]
    rule_1 = next(c for c in register["clauses"] if c["code"] == "rule-1")
    assert any("test_entitlement.py::" in test for test in rule_1["tests"])
    counted = sum(len(public_functions(name)) for name in RULE_MODULES)
    assert len(register["rules"]) < counted  # the helpers are not listed as rules


def test_an_unmarked_rule_and_an_untested_clause_are_problems() -> None:
    register = {
        "unmarked": ["benefits.rules.new_rule"],
        "clauses": [{"code": "rule-9", "tests": []}],
        "unknown_clauses_in_tests": ["rule-99"],
    }
    assert problems(register) == [
        "benefits.rules.new_rule: a public rule function cites no clause",
        "rule-9: no test walks this clause",
        "rule-99: a test cites an unknown clause",
    ]


def test_a_mark_names_known_clauses_only() -> None:
    with pytest.raises(ValueError, match="rule-99"):
        implements("rule-99")
    with pytest.raises(ValueError):
        implements()

    @helper
    def arithmetic() -> int:
        return 1

    assert arithmetic.__clauses__ == ()  # type: ignore[attr-defined]


def test_parameters_in_f_strings_are_found() -> None:
    def reads(params, scheme):
        return params.decimal(f"benefits.{scheme}.standard"), params.int("continuation.months")

    found = parameters_read(reads, BOOK.versions[-1].params)
    assert found == ["benefits.rural.standard", "benefits.urban.standard", "continuation.months"]


def test_marked_tests_are_read_from_the_source(tmp_path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text(
        "import pytest\n\n@pytest.mark.clause('rule-2', 'safeguard-window')\n"
        "def test_a():\n    pass\n\ndef test_b():\n    pass\n",
        encoding="utf-8",
    )
    assert marked_tests(tmp_path) == {
        "rule-2": ["tests/test_x.py::test_a"],
        "safeguard-window": ["tests/test_x.py::test_a"],
    }
