"""The national roll-up: a reporting database holding every province's monthly figures.

Persons stay in the province that pays them (docs/DEPLOYMENT.md *The country*). What the centre
needs — counts and money by region, month and township — each province's database writes into
``monthly_figures`` (``benefits.figures``) and publishes by PostgreSQL's logical replication;
the national reporting database subscribes to every province. Replication pushes each change as
it is committed, resumes on its own after an outage, and the first subscription copies what the
province already has. The province's primary needs ``wal_level = logical``; the table's primary
key is what carries updates and deletes (a month's figures computed anew).
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, text

from benefits.models import MonthlyFigures

PUBLICATION = "workbridge_figures"
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


def publish(province: Engine) -> None:
    """On a province's primary: offer its monthly figures to subscribers (once)."""
    with province.begin() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_publication WHERE pubname = :name"), {"name": PUBLICATION}
        ).first()
        if exists is None:
            connection.execute(text(f"CREATE PUBLICATION {PUBLICATION} FOR TABLE monthly_figures"))


def prepare(national: Engine) -> None:
    """On the national reporting database: the figures table, as the provinces have it."""
    MonthlyFigures.__table__.create(national, checkfirst=True)  # type: ignore[attr-defined]


def subscribe(national: Engine, province: str, conninfo: str) -> str:
    """Subscribe the national database to one province's figures; the subscription's name.
    ``conninfo`` is libpq's (``host=… port=… dbname=… user=…``), as the national server reaches
    the province's primary."""
    if not _NAME.match(province):
        raise ValueError("a province's name is lower-case letters, digits and _ (anhui, p34)")
    name = f"figures_{province}"
    quoted = conninfo.replace("'", "''")
    with national.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # CREATE SUBSCRIPTION may not run inside a transaction block.
        connection.execute(
            text(f"CREATE SUBSCRIPTION {name} CONNECTION '{quoted}' PUBLICATION {PUBLICATION}")
        )
    return name


def totals(national: Engine, period: str) -> dict[str, tuple[int, int]]:
    """Each region's cases and money for a month, as the national database holds them."""
    with national.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT region, sum(cases), sum(amount_fen) FROM monthly_figures "
                "WHERE period = :period GROUP BY region ORDER BY region"
            ),
            {"period": period},
        ).all()
    return {region: (int(cases), int(amount)) for region, cases, amount in rows}
