"""Builders for API tests: valid households and a walk through the application procedure."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from litestar.testing import TestClient

from kernel.clock import FixedClock
from kernel.national_id import make_national_id

SHANGHAI = ZoneInfo("Asia/Shanghai")


def move_to(clock: FixedClock | None, day: date | str) -> None:
    """Do the next step on ``day`` (office time, mid-morning)."""
    if clock is not None:
        day = date.fromisoformat(day) if isinstance(day, str) else day
        clock.set(datetime.combine(day, time(10, 0), tzinfo=SHANGHAI))


_sequence = iter(range(1, 10_000_000))


def person_id(birth: date, sex: str, region: str = "341125") -> str:
    return make_national_id(region, birth, next(_sequence), sex)


def member(
    name: str = "王秀英",
    *,
    birth: date = date(1988, 5, 20),
    sex: str = "female",
    relation: str = "head",
    incomes: list[tuple[str, str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "name": name,
        "national_id": extra.pop("national_id", None) or person_id(birth, sex),
        "relation": relation,
        "phone": extra.pop("phone", "13912345678"),
        "incomes": [{"source": s, "monthly_amount": a} for s, a in (incomes or [])],
        **extra,
    }


def household(*members: dict[str, Any], scheme: str = "urban", **extra: Any) -> dict[str, Any]:
    return {
        "scheme": scheme,
        "address": "定城镇东大街12号",
        "community": extra.pop("community", "东街社区"),
        "township": "定城镇",
        "bank_account": "6228480010012345678",
        "members": list(members) or [member()],
        **extra,
    }


ALL_DOCUMENTS = ["household_register", "identity_cards", "income_statement"]


def create_household(
    client: TestClient, headers: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    response = client.post("/api/v1/households", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def walk_to_notice(
    client: TestClient,
    headers: dict[str, str],
    household_id: int,
    clock: FixedClock | None = None,
    *,
    category: str = "C",
    applied: date = date(2026, 2, 20),
    documents: list[str] | None = None,
) -> int:
    """Apply, investigate, appraise and post the notice (3 days from 26 Feb: last day 28 Feb),
    each step on its own day when a clock is given."""
    body = {
        "household_id": household_id,
        "category_requested": category,
        "documents": ALL_DOCUMENTS if documents is None else documents,
        "applied_on": applied.isoformat(),
    }
    response = client.post("/api/v1/applications", json=body, headers=headers)
    assert response.status_code == 201, response.text
    app_id = response.json()["id"]
    steps = [
        (
            "investigation",
            {"visited_on": "2026-02-22", "visitors": ["李明", "赵芳"], "findings": "属实"},
        ),
        (
            "appraisal",
            {"held_on": "2026-02-25", "passed": True, "votes_for": 7, "votes_against": 0},
        ),
        ("public-notice", {"starts_on": "2026-02-26", "place": "社区公开栏"}),
    ]
    for step, payload in steps:
        move_to(clock, next(v for k, v in payload.items() if k.endswith("_on")))
        response = client.post(
            f"/api/v1/applications/{app_id}/{step}", json=payload, headers=headers
        )
        assert response.status_code == 201, (step, response.text)
    return app_id


def approve(
    client: TestClient,
    headers: dict[str, str],
    app_id: int,
    clock: FixedClock | None = None,
    on: date = date(2026, 3, 2),
    **body: Any,
) -> dict[str, Any]:
    """Approve on ``on`` (default 2 March, after the notice that ended 28 Feb)."""
    move_to(clock, on)
    response = client.post(
        f"/api/v1/applications/{app_id}/decision", json={"approve": True, **body}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def new_member(client: TestClient, headers: dict[str, str], **member_fields: Any) -> int:
    """Register a one-person household and return the member's id."""
    body = household(member(**member_fields))
    return create_household(client, headers, body)["members"][0]["id"]
