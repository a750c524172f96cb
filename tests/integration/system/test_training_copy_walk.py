"""A training copy moved forward by its administrator through a sanction's notice period, a
review date and a continuation's end, with the county brought in from a roll: what a trainer
rehearses with a class instead of waiting months (issue 13, "Done means")."""

from __future__ import annotations

from datetime import date

from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from benefits import roll_import, roll_write
from kernel.auth import SYSTEM
from kernel.settings import Settings
from tests.integration.benefits.test_roll_import import _line, _write
from tests.support import MOTHER_BORN, Desk, person_id, register_obligated
from workbridge.app import create_app


def _roll(path) -> None:
    """A mother of 35 with her son at school, due for review on 10 March, and a man of 30."""
    mother = person_id(MOTHER_BORN, "female")
    son = person_id(date(2016, 4, 1), "male")
    man = person_id(date(1996, 1, 9), "male")
    common = {
        "monthly_amount": "300.00",
        "next_review_on": "2026-03-10",
        "community": "东街社区",  # where the offers are: within reach
        "township": "定城镇",
    }
    _write(
        path,
        [
            _line("H1", "刘丽", mother, sex="女", **common),
            _line("H1", "刘小宝", son, "子女", sex="男", work_capacity="无劳动能力", **common),
            _line("H2", "陈建国", man, sex="男", monthly_amount="150.00", address="曲阳路9号"),
        ],
    )


def test_a_trainer_walks_a_class_through_months_in_an_afternoon(
    database_url: str, engine, tokens, tmp_path
) -> None:
    app = create_app(Settings(database_url=database_url, clock="2026-03-02"))
    with TestClient(app) as client:
        clock = app.state.clock
        assert clock.today() == date(2026, 3, 2)
        path = tmp_path / "roll.csv"
        _roll(path)
        writer = roll_write.Writer(SYSTEM, clock.now(), clock.today(), app.state.policy)
        assert roll_import.commit(engine, path, writer).counts["created"] == 2
        desk = Desk(client, tokens, None)  # the copy's own date: no hand on the clock

        def advance_to(day: str) -> dict[str, int]:
            with Session(engine) as session:
                clock.advance(session, (date.fromisoformat(day) - clock.today()).days, "trainer")
                session.commit()
            assert clock.today() == date.fromisoformat(day)
            return desk.call("POST", "/activation/sweeps/daily", desk.officer)["results"]

        with engine.connect() as connection:
            ids = dict(connection.execute(text("SELECT name, id FROM member")).all())
            homes = list(connection.execute(text("SELECT id FROM household")).scalars())
        for home in homes:  # brought in unregistered: the office registers who must
            register_obligated(client, desk.counsellor, home)
        desk.call("POST", "/activation/sweeps/daily", desk.officer)  # the duties from today
        mother, man = ids["刘丽"], ids["陈建国"]

        # An offer refused without good reason brings a warning; the next, a day later, a
        # proposal, which a second officer confirms.
        desk.decline(mother, "2026-03-02", "2026-03-02")
        advance_to("2026-03-03")
        desk.decline(mother, "2026-03-03", "2026-03-03")
        (proposal,) = desk.call("GET", "/activation/sanctions?state=proposed", desk.officer)
        desk.call(
            "POST",
            f"/activation/sanctions/{proposal['id']}/vulnerability-review",
            desk.officer,
            {"proceed": True, "findings": "无脆弱因素"},
        )
        confirmed = desk.call(
            "POST",
            f"/activation/sanctions/{proposal['id']}/decision",
            desk.officer2,
            {"confirm": True, "reason": "两次无正当理由拒绝适当岗位"},
        )
        assert confirmed["notice"]["starts_on"] == "2026-03-13"

        # The man takes a job today: six calendar months' continuation, to 2 September.
        job = desk.call(
            "POST",
            "/activation/jobs",
            desk.counsellor,
            {
                "member_id": man,
                "employer": "定远县华丰服装厂",
                "occupation": "6-05-01-03",
                "starts_on": "2026-03-03",
                "monthly_income": "650.00",
                "hours_per_week": 40,
            },
        )
        assert job["continuation"]["ends_on"] == "2026-09-02"

        assert advance_to("2026-03-09")["re_reviews_due"] == 0
        on_review_day = advance_to("2026-03-10")
        assert on_review_day["re_reviews_due"] == 1  # H1's review date has come
        assert on_review_day["sanctions_started"] == 0  # still within the notice period
        assert advance_to("2026-03-12")["sanctions_started"] == 0  # its last day of notice
        assert advance_to("2026-03-13")["sanctions_started"] == 1
        stopped = desk.call("GET", f"/activation/people/{mother}", desk.counsellor)
        assert stopped["sanctions"][0]["state"] == "active"

        assert advance_to("2026-09-02")["continuations_ended"] == 0  # its last day
        assert advance_to("2026-09-03")["continuations_ended"] == 1
    assert app.state.clock.today() == date(2026, 9, 3)
