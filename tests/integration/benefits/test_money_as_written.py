"""Money as people write it: thousands grouped with commas are read, badly grouped ones are a
problem in the caller's language, and nothing is written for them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from support import household, member


@pytest.mark.parametrize(
    ("written", "stored"),
    [("2,600", "2600.00"), ("2,600.50", "2600.50"), ("2600.5", "2600.50"), (" 1,200 ", "1200.00")],
)
def test_grouped_amounts_are_read(client, officer, written: str, stored: str) -> None:
    created = client.post(
        "/api/v1/households", json=household(member(incomes=[("wages", written)])), headers=officer
    )
    assert created.status_code == 201, created.text
    income = created.json()["members"][0]["incomes"][0]
    assert Decimal(str(income["monthly_amount"])) == Decimal(stored)


@pytest.mark.parametrize("written", ["26,00", "2,6000", ",600", "2，600", "lots"])
def test_badly_written_amounts_are_refused_in_chinese(client, officer, engine, written) -> None:
    refused = client.post(
        "/api/v1/households", json=household(member(incomes=[("wages", written)])), headers=officer
    )
    assert refused.status_code == 422
    problem = refused.json()["problems"][0]
    assert problem["field"] == "members.0.incomes.0.monthly_amount"
    assert problem["message"] in (
        "千位分隔请写作 2,600，或直接写 2600",
        "应为金额，如 2600 或 2,600.50",
    )
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM household")).scalar_one() == 0
