"""The policy clauses the rules implement, and the mark a rule carries to say which.

A clause is a rule of docs/POLICY.md (each resting on the seed reports' sections and the
national measures it names) or one of its safeguards. A pure rule function carries
``@implements("rule-3", "safeguard-window")``; a public function of a rules module that decides
nothing by itself (arithmetic, a parser) carries ``@helper``. The rule register
(``kernel.rule_register``) reads the marks, the parameters each rule reads and the tests that
walk each clause's boundaries (``@pytest.mark.clause``), and the suite fails when a rule cites
no clause or a clause has no test — the register the Australian review found missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from kernel.messages import Text, say

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Clause:
    code: str
    title: Text
    source: str  # where it comes from, as the sources name themselves


CLAUSES = (
    Clause("rule-1", say("Benefit amount"), "报告一 分类施保; 报告四"),
    Clause("rule-2", say("The job-seeker duty"), "报告四 §五4"),
    Clause("rule-3", say("Refusing job offers"), "报告四 §五4; 《社会救助暂行办法》(2014) 第45条"),
    Clause("rule-4", say("Keeping benefit after taking a job"), "报告四 §五4; 报告二"),
    Clause("rule-5", say("The employment file and the way back in"), "报告四 §五4"),
    Clause("rule-6", say("Training judged by its results"), "报告四 §五1"),
    Clause("rule-7", say("The application procedure"), "报告一; 报告二; 报告五"),
    Clause("rule-8", say("Dynamic management"), "报告一; 报告三; 报告五; 乡镇自查"),
    Clause("rule-9", say("Officials' relatives"), "报告三 干部近亲属备案"),
    Clause("rule-10", say("Overpayment and fraud"), "报告二"),
    Clause("matching", say("Matching people to jobs and courses"), "报告四 §五1–3"),
    Clause("safeguard-capability", say("Duties follow capability"), "保障措施"),
    Clause(
        "safeguard-suitable",
        say("A referral counts only if it was suitable"),
        "《社会救助暂行办法》(2014) 第45条; 保障措施",
    ),
    Clause("safeguard-verified", say("A refusal counts only if verified"), "保障措施"),
    Clause("safeguard-window", say("A rolling window"), "保障措施"),
    Clause("safeguard-warning", say("A written warning"), "保障措施"),
    Clause(
        "safeguard-human-decision",
        say("A vulnerability review and a human decision"),
        "报告四 §五4（“可以”）; 保障措施",
    ),
    Clause("safeguard-notice", say("Notice before a cut"), "保障措施"),
    Clause("safeguard-appeal", say("Reconsideration and appeal"), "保障措施"),
    Clause("safeguard-way-back", say("A way back"), "保障措施"),
    Clause("safeguard-replayable", say("Replayable decisions"), "保障措施"),
)
BY_CODE = {clause.code: clause for clause in CLAUSES}


def implements(*codes: str) -> Callable[[F], F]:
    """Mark a rule with the clauses it implements (each must be one of ``CLAUSES``)."""
    unknown = [code for code in codes if code not in BY_CODE]
    if not codes or unknown:
        raise ValueError(f"a rule implements known clauses; unknown: {unknown or 'none given'}")

    def mark(function: F) -> F:
        function.__clauses__ = codes  # type: ignore[attr-defined]
        return function

    return mark


def helper(function: F) -> F:
    """Mark a public function of a rules module that decides nothing by itself."""
    function.__clauses__ = ()  # type: ignore[attr-defined]
    return function
