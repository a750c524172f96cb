"""A reform's figures added up once for the cases as recorded and once more for the cases it
changed (``figures.add_recorded``, ``add_change``, ``fold``) equal the figures of every case
added under every reform, case by case: the sum the report promises, checked over random
caseloads against that plain sum written out here."""

from __future__ import annotations

import random
from typing import Any

from activation.replay.figures import Figures, add_change, add_recorded, fold
from benefits.payment_rules import Month

MONTHS = [Month(2026, m) for m in range(1, 13)]


def plain(cases: list[dict[str, Any]], reform: int) -> dict[str, Any]:
    """Every case under one reform, counted case by case."""
    actual, money = [0] * len(MONTHS), [0] * len(MONTHS)
    figures: dict[str, Any] = {"cases": 0, "gain": 0, "lose": 0, "persons_gain": 0}
    figures |= {"persons_lose": 0, "back_pay_actual": 0, "back_pay_reform": 0}
    groups: dict[tuple[str, str], list[int]] = {}
    for case in cases:
        a = case["actual"]
        r = case["reforms"][reform] or a
        figures["cases"] += 1
        actual = [x + y for x, y in zip(actual, a, strict=True)]
        money = [x + y for x, y in zip(money, r, strict=True)]
        if case["repaid"] is not None:
            figures["back_pay_actual"] += sum(case["repaid"])
            again = case["repaid_reform"][reform] or case["repaid"]
            figures["back_pay_reform"] += sum(again)
        if sum(r) != sum(a):
            won = sum(r) > sum(a)
            figures["gain" if won else "lose"] += 1
            figures["persons_gain" if won else "persons_lose"] += case["persons"]
        for key in case["groups"].items():
            row = groups.setdefault(key, [0, 0, 0, 0, 0])
            row[0] += 1
            row[1] += sum(a)
            row[2] += sum(r)
            row[3] += sum(r) > sum(a)
            row[4] += sum(r) < sum(a)
    return {**figures, "actual": actual, "reform": money, "groups": groups}


def folded(cases: list[dict[str, Any]], reforms: int) -> list[dict[str, Any]]:
    base = Figures(MONTHS)
    each = [Figures(MONTHS) for _ in range(reforms)]
    for case in cases:
        add_recorded(base, tuple(case["groups"].items()), case["actual"], case["repaid"])
        for figures, reformed, again in zip(
            each, case["reforms"], case["repaid_reform"], strict=True
        ):
            if reformed is None:
                continue
            repaid = None if case["repaid"] is None else (case["repaid"], again or case["repaid"])
            add_change(
                figures,
                tuple(case["groups"].items()),
                case["persons"],
                case["actual"],
                reformed,
                repaid,
            )
    for figures in each:
        fold(base, figures)
    return [
        {
            "cases": f.cases,
            "gain": f.gain,
            "lose": f.lose,
            "persons_gain": f.persons_gain,
            "persons_lose": f.persons_lose,
            "back_pay_actual": f.back_pay_actual,
            "back_pay_reform": f.back_pay_reform,
            "actual": f.actual,
            "reform": f.reform,
            "groups": {
                key: [g.cases, g.actual, g.reform, g.gain, g.lose] for key, g in f.groups.items()
            },
        }
        for f in each
    ]


def months(rng: random.Random) -> list[int]:
    return [rng.choice([0, 0, 30000, 45000, 61234]) for _ in MONTHS]


def case(rng: random.Random, reforms: int) -> dict[str, Any]:
    actual = months(rng)
    repaid = [rng.choice([0, 500]) for _ in MONTHS] if rng.random() < 0.2 else None
    changed = []
    for _ in range(reforms):
        roll = rng.random()
        # unchanged (None), rebuilt to the same money, or rebuilt to other money
        changed.append(None if roll < 0.5 else list(actual) if roll < 0.6 else months(rng))
    return {
        "actual": actual,
        "repaid": repaid,
        "repaid_reform": [
            None if repaid is None or rng.random() < 0.5 else [x * 2 for x in repaid]
            for _ in range(reforms)
        ],
        "reforms": changed,
        "persons": rng.randint(1, 6),
        "groups": {
            "township": rng.choice(["定城镇", "龙门镇"]),
            "head_sex": rng.choice(["male", "female"]),
        },
    }


def test_folded_figures_equal_every_case_counted_under_every_reform() -> None:
    rng = random.Random(16)
    for _ in range(200):
        reforms = rng.randint(1, 5)
        cases = [case(rng, reforms) for _ in range(rng.randint(0, 30))]
        for case_ in cases:
            # a reform that leaves the history as it was leaves the back pay as it was too
            case_["repaid_reform"] = [
                None if reformed is None else again
                for reformed, again in zip(case_["reforms"], case_["repaid_reform"], strict=True)
            ]
        assert folded(cases, reforms) == [plain(cases, r) for r in range(reforms)]


def test_a_case_rebuilt_to_the_same_money_counts_as_neither_gain_nor_loss() -> None:
    base, figures = Figures(MONTHS), Figures(MONTHS)
    actual = [100] * 12
    moved = [0] + [100] * 10 + [200]  # a month later, the same total
    add_recorded(base, (("township", "定城镇"),), actual, None)
    add_change(figures, (("township", "定城镇"),), 3, actual, moved, None)
    fold(base, figures)
    assert (figures.gain, figures.lose, figures.persons_gain, figures.persons_lose) == (0, 0, 0, 0)
    assert figures.reform == moved and figures.actual == actual and figures.cases == 1
    group = figures.groups[("township", "定城镇")]
    assert (group.cases, group.actual, group.reform, group.gain, group.lose) == (
        1,
        1200,
        1200,
        0,
        0,
    )
