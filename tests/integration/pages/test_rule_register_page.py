"""The rule register page (issue 17): each clause in the reader's language with its rules,
parameters (with the values in force) and tests; a workbook of the same; no person in it, so
supervisors read it as admins do."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from support import signed_in
from workbridge.rule_register import shipped

WORDS = {
    "zh_CN": ("规则登记", "拒绝适当岗位"),
    "en": ("Rule register", "Refusing job offers"),
}


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_clause_with_its_rules_and_tests(client, engine, language) -> None:
    title, rule_3 = WORDS[language]
    pages = signed_in(client, engine, f"r.{language}", "supervisor", language=language)
    page = pages.get("/app/rules")
    assert page.status_code == 200
    assert title in page.text and rule_3 in page.text
    for clause in shipped()["clauses"]:
        assert f'id="{clause["code"]}"' in page.text
        for test in clause["tests"]:
            assert test in page.text
    assert "activation.rules.count_refusals" in page.text
    assert "activation.refusal.threshold" in page.text  # a parameter rule 3 reads


def test_the_register_as_a_workbook(client, engine) -> None:
    pages = signed_in(client, engine, "r.book", "admin", language="zh_CN")
    answer = pages.get("/app/rules.xlsx")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("条款", "内容", "来源")
    assert len(rows) == 1 + len(shipped()["clauses"])
    officer = signed_in(client, engine, "r.officer", "benefit_officer", language="en")
    assert officer.get("/app/rules").status_code == 403
