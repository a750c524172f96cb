"""A month's paid figures by township, computed from the ledger in one statement.

Upper levels need counts and money, not persons: how many cases a month's ledger holds in each
township, how many were paid above zero, the money and the adjustments in it. The figures are
written for the region this database serves (``WORKBRIDGE_REGION_CODE``) into
``monthly_figures``, replacing that month's earlier figures in the same transaction, so a
month paid again or corrected is counted once. A national reporting database subscribes to the
table by logical replication and so holds every province's rows (docs/DEPLOYMENT.md *The
country*; ``workbridge.national``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, bindparam, text

from benefits.payment_rules import Month
from kernel.db import UTCDateTime

_REPLACE = text("DELETE FROM monthly_figures WHERE region = :region AND period = :period")
_COMPUTE = text(
    "INSERT INTO monthly_figures (region, period, township, cases, paid_cases, amount_fen, "
    "adjustments_fen, computed_at) "
    "SELECT CAST(:region AS VARCHAR(12)), CAST(:period AS VARCHAR(7)), h.township, count(*), "
    "sum(CASE WHEN l.amount_fen > 0 THEN 1 ELSE 0 END), sum(l.amount_fen), "
    "sum(l.adjustments_fen), :at "
    "FROM payment_line l JOIN benefit_case c ON c.id = l.case_id "
    "JOIN household h ON h.id = c.household_id "
    "WHERE l.period = :period GROUP BY h.township"
).bindparams(bindparam("at", type_=UTCDateTime()))


def refresh(engine: Engine, region: str, month: Month, at: datetime) -> int:
    """Write ``month``'s figures for ``region`` anew; the number of townships written."""
    values = {"region": region, "period": month.label, "at": at}
    with engine.begin() as connection:
        connection.execute(_REPLACE, values)
        return connection.execute(_COMPUTE, values).rowcount
