"""The national roll-up in a small simulation: two province clusters and a national reporting
database on loopback, the provinces' monthly figures (benefits.figures) carried to the centre by
logical replication (workbridge.national) — money counted once, months paid later and figures
computed again arriving on their own."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from benefits import figures
from benefits.bench import generate
from benefits.payment_rules import Month
from kernel.db import make_engine
from kernel.policy import load_profile
from kernel.settings import Settings, SettingsError
from workbridge import migrations, national
from workbridge.cli import main
from workbridge.loopback_cluster import Cluster, start_primary

MARCH, APRIL = Month(2026, 3), Month(2026, 4)


def _pay(monkeypatch, url: str, region: str, month: Month) -> None:
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", url)
    monkeypatch.setenv("WORKBRIDGE_REGION_CODE", region)
    monkeypatch.setenv("COLUMNS", "160")
    assert main(["payments", "run", "--period", month.label]) == 0
    assert main(["figures", "refresh", "--period", month.label]) == 0


def _ledger(engine: Engine, month: Month) -> tuple[int, int]:
    with engine.connect() as connection:
        cases, amount = connection.execute(
            text(
                "SELECT count(*), coalesce(sum(amount_fen), 0) FROM payment_line WHERE period = :p"
            ),
            {"p": month.label},
        ).one()
    return int(cases), int(amount)


def _eventually(check: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the national database did not receive the figures"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def clusters() -> Iterator[list[Cluster]]:
    started: list[Cluster] = []
    try:
        for _ in range(2):
            started.append(start_primary({"wal_level": "logical"}))
        started.append(start_primary())
        yield started
    finally:
        for cluster in started:
            cluster.remove()


def test_two_provinces_roll_up_to_the_centre(clusters, monkeypatch) -> None:
    *provinces, centre = clusters
    version = load_profile("county-pilot").at(MARCH.first).version_id
    engines: dict[str, Engine] = {}
    for (region, households, seed), cluster in zip(
        [("340000", 40, 34), ("320000", 25, 32)], provinces, strict=True
    ):
        url = cluster.create_database("workbridge")
        migrations.upgrade(url, quiet=True)
        engines[region] = make_engine(url)
        generate(engines[region], households, MARCH, version, seed=seed)
        _pay(monkeypatch, url, region, MARCH)
        national.publish(engines[region])
        national.publish(engines[region])  # once is enough; a second time changes nothing

    reporting = make_engine(centre.create_database("national"))
    national.prepare(reporting)
    for (region, _), cluster in zip(engines.items(), provinces, strict=True):
        national.subscribe(
            reporting,
            f"p{region[:2]}",
            f"host=127.0.0.1 port={cluster.port} dbname=workbridge user=workbridge",
        )

    expected = {region: _ledger(engine, MARCH) for region, engine in engines.items()}
    _eventually(lambda: national.totals(reporting, MARCH.label) == expected)
    assert all(amount > 0 for _, amount in expected.values())

    # A month paid later in one province arrives by itself; figures computed again replace
    # the old ones rather than adding to them.
    anhui = engines["340000"]
    _pay(monkeypatch, str(anhui.url.render_as_string(hide_password=False)), "340000", APRIL)
    figures.refresh(anhui, "340000", MARCH, datetime.now(UTC))
    _eventually(
        lambda: national.totals(reporting, APRIL.label) == {"340000": _ledger(anhui, APRIL)}
    )
    assert national.totals(reporting, MARCH.label) == expected
    for engine in [*engines.values(), reporting]:
        engine.dispose()


def test_figures_by_township_add_up_to_the_ledger(tmp_path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'county.db'}"
    engine = make_engine(url)
    migrations.upgrade(url, quiet=True)
    generate(engine, 30, MARCH, load_profile("county-pilot").at(MARCH.first).version_id, seed=5)
    assert figures.refresh(engine, "341125", MARCH, datetime.now(UTC)) == 0  # nothing paid yet
    _pay(monkeypatch, url, "341125", MARCH)
    _pay(monkeypatch, url, "341125", MARCH)  # the run is done already; figures computed again
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT township, cases, paid_cases, amount_fen FROM monthly_figures "
                "WHERE region = '341125' AND period = '2026-03'"
            )
        ).all()
        townships = set(
            connection.execute(
                text(
                    "SELECT DISTINCT h.township FROM payment_line l JOIN benefit_case c "
                    "ON c.id = l.case_id JOIN household h ON h.id = c.household_id"
                )
            ).scalars()
        )
        paid = connection.execute(
            text("SELECT count(*) FROM payment_line WHERE amount_fen > 0")
        ).scalar()
    assert {row.township for row in rows} == townships and len(townships) > 1
    assert (sum(r.cases for r in rows), sum(r.amount_fen for r in rows)) == _ledger(engine, MARCH)
    assert sum(r.paid_cases for r in rows) == paid
    engine.dispose()


@pytest.mark.parametrize("value", ["", "34", "340000", "341125000000"])
def test_the_region_is_a_division_code(value: str) -> None:
    if value:
        assert Settings.from_env({"WORKBRIDGE_REGION_CODE": value}).region_code == value
    else:
        assert Settings.from_env({}).region_code == "341125"


@pytest.mark.parametrize("value", ["3", "3400001234567", "34-00", "３４００００", "anhui"])
def test_other_regions_are_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="WORKBRIDGE_REGION_CODE"):
        Settings.from_env({"WORKBRIDGE_REGION_CODE": value})


@pytest.mark.parametrize("name", ["Anhui", "1st", "a b", "x;drop", ""])
def test_a_subscription_is_named_plainly(name: str) -> None:
    with pytest.raises(ValueError, match="lower-case"):
        national.subscribe(make_engine("sqlite://"), name, "host=x")
