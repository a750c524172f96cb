"""Two counsellors recording at the same moment must not lose or double-count a refusal.

Requests go over real HTTP to uvicorn, released together by a barrier, on SQLite and on
PostgreSQL (where the person's registration row is locked FOR UPDATE).
"""

import json
import threading
from datetime import date

import httpx
import pytest
from sqlalchemy import text

from support import Desk, LiveServer, member


@pytest.fixture
def desk(client, tokens, clock) -> Desk:
    return Desk(client, tokens, clock)


def together(requests: list[tuple[str, dict, dict]]) -> list[httpx.Response]:
    barrier = threading.Barrier(len(requests))
    results: list[httpx.Response | None] = [None] * len(requests)

    def send(index: int, url: str, body: dict, headers: dict) -> None:
        with httpx.Client(timeout=30) as http:
            barrier.wait()
            results[index] = http.post(url, json=body, headers=headers)

    threads = [threading.Thread(target=send, args=(i, *r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for r in results if r is not None]


NO_GOOD_REASON = {"good_reason": False, "reason_code": "none", "notes": "无正当理由"}


@pytest.mark.parametrize("round_", range(2))
def test_six_reviews_of_different_offers_at_once_count_each_once(
    desk: Desk, app, engine, round_: int
) -> None:
    home = desk.household_with_case(
        member("刘丽", birth=date(1990, 8, 1), sex="female", incomes=[("wages", "100")])
    )
    woman = home["members"][0]["id"]
    referrals = [desk.refer(woman, "2026-03-05") for _ in range(6)]
    for referral in referrals:
        desk.answer(referral["id"], "2026-03-05", "declined")
    desk.on("2026-03-06")
    with LiveServer(app) as server:
        responses = together(
            [
                (
                    f"{server.url}/api/v1/activation/referrals/{r['id']}/good-reason",
                    NO_GOOD_REASON,
                    desk.counsellor if i % 2 else desk.officer,
                )
                for i, r in enumerate(referrals)
            ]
        )
    assert [r.status_code for r in responses] == [201] * 6, [r.text for r in responses]
    with engine.connect() as connection:
        refusals = connection.execute(
            text("SELECT COUNT(*) FROM refusal WHERE voided_on IS NULL")
        ).scalar_one()
        warnings = (
            connection.execute(text("SELECT refusal_count FROM activation_warning")).scalars().all()
        )
        proposals = connection.execute(text("SELECT COUNT(*) FROM sanction")).scalar_one()
        counts = (
            connection.execute(
                text(
                    "SELECT outcome FROM activation_decision"
                    " WHERE kind = 'refusal-count' ORDER BY id"
                )
            )
            .scalars()
            .all()
        )
    # Serialised per person: the decisions saw 1, 2, ... 6 refusals; one warning, one proposal.
    assert refusals == 6
    assert sorted((c if isinstance(c, dict) else json.loads(c))["count"] for c in counts) == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]
    assert (warnings, proposals) == ([1], 1)


@pytest.mark.parametrize("round_", range(3))
def test_the_same_review_decided_twice_at_once_counts_once(
    desk: Desk, app, engine, round_: int
) -> None:
    home = desk.household_with_case(
        member("刘丽", birth=date(1990, 8, 1), sex="female", incomes=[("wages", "100")])
    )
    referral = desk.refer(home["members"][0]["id"], "2026-03-05")
    desk.answer(referral["id"], "2026-03-05", "declined")
    desk.on("2026-03-06")
    url_path = f"/api/v1/activation/referrals/{referral['id']}/good-reason"
    with LiveServer(app) as server:
        responses = together(
            [
                (server.url + url_path, NO_GOOD_REASON, desk.counsellor),
                (server.url + url_path, NO_GOOD_REASON, desk.officer),
            ]
        )
    assert sorted(r.status_code for r in responses) == [201, 409]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM refusal")).scalar_one() == 1
        assert connection.execute(text("SELECT COUNT(*) FROM activation_warning")).scalar_one() == 1
