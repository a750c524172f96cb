"""A training copy lives at a date of its own, shared by its processes and moved forward only by
an administrator; it never starts beside real SMS or on the real service (kernel.training_clock)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import TestClient
from sqlmodel import Session, select

from kernel.models import AuditRecord
from kernel.settings import Settings, SettingsError
from kernel.training_clock import (
    MAX_ADVANCE_DAYS,
    TrainingClock,
    TrainingStart,
    parse_clock_setting,
    refuse_unsafe,
)
from notifications.settings import SmsSettings
from tests.support import PageClient, make_account
from workbridge.app import create_app
from workbridge.cli import main

ZONE = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("", None),
        ("  ", None),
        ("2026-03-01", TrainingStart(day=date(2026, 3, 1))),
        ("+30", TrainingStart(offset_days=30)),
        ("-7", TrainingStart(offset_days=-7)),
        (f"+{MAX_ADVANCE_DAYS}", TrainingStart(offset_days=MAX_ADVANCE_DAYS)),
    ],
)
def test_the_setting(text: str, start: TrainingStart | None) -> None:
    assert parse_clock_setting(text) == start


@pytest.mark.parametrize(
    "text", [f"+{MAX_ADVANCE_DAYS + 1}", "tomorrow", "2026-02-30", "30", "+3.5", "2026/03/01"]
)
def test_a_mistyped_setting_stops_the_start(text: str) -> None:
    with pytest.raises(SettingsError, match="WORKBRIDGE_CLOCK"):
        Settings.from_env({"WORKBRIDGE_CLOCK": text})


@pytest.mark.parametrize(
    ("start", "gateway", "production", "refused"),
    [
        (None, "kannel", True, False),  # the real clock: nothing to guard
        (TrainingStart(offset_days=1), "console", False, False),
        (TrainingStart(offset_days=1), "kannel", False, True),
        (TrainingStart(offset_days=1), "twilio", False, True),
        (TrainingStart(offset_days=1), "console", True, True),
    ],
)
def test_a_training_copy_never_reaches_real_people(
    start: TrainingStart | None, gateway: str, production: bool, refused: bool
) -> None:
    if refused:
        with pytest.raises(SettingsError):
            refuse_unsafe(start, gateway, production)
    else:
        refuse_unsafe(start, gateway, production)


def test_the_service_refuses_to_start_with_a_real_gateway(database_url: str) -> None:
    with pytest.raises(SettingsError, match="SMS"):
        create_app(
            Settings(database_url=database_url, clock="2026-03-01"),
            sms_settings=SmsSettings(gateway="kannel"),
        )


def test_the_copy_keeps_its_date_across_restarts_and_moves_forward(engine) -> None:
    first = TrainingClock(engine, TrainingStart(day=date(2026, 3, 1)), ZONE).load()
    assert first.today() == date(2026, 3, 1)
    # Started again with another setting: the copy's own date stands.
    again = TrainingClock(engine, TrainingStart(offset_days=400), ZONE).load()
    assert again.today() == date(2026, 3, 1)
    with Session(engine) as session:
        assert again.advance(session, 30, "trainer") == date(2026, 3, 31)
        session.commit()
    assert first.load().today() == date(2026, 3, 31)  # another process reads the move
    with Session(engine) as session, pytest.raises(ValueError):
        again.advance(session, 0, "trainer")  # time only moves forward


def test_a_move_counts_once_committed_and_a_late_read_never_undoes_it(engine) -> None:
    clock = TrainingClock(engine, TrainingStart(day=date(2026, 3, 1)), ZONE).load()
    before = clock.now() - clock.real.now()
    with Session(engine) as session:
        assert clock.advance(session, 5, "trainer") == date(2026, 3, 6)
        session.rollback()
    assert clock.today() == date(2026, 3, 1)  # the move was rolled back: the copy stays
    with Session(engine) as session:
        clock.advance(session, 5, "trainer")
        assert clock.today() == date(2026, 3, 1)  # not yet committed
        session.commit()
    assert clock.today() == date(2026, 3, 6)
    clock._adopt(before)  # the follower's read begun before the move, finished after it
    assert clock.today() == date(2026, 3, 6)


def test_the_command_line_shows_and_moves_the_copy(
    engine, database_url: str, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.delenv("WORKBRIDGE_CLOCK", raising=False)
    assert main(["clock", "show"]) == 2  # not a training copy
    monkeypatch.setenv("WORKBRIDGE_CLOCK", "2026-03-01")
    assert main(["clock", "show"]) == 0
    assert "2026-03-01" in capsys.readouterr().out
    assert main(["clock", "advance", "--days", "0"]) == 2
    assert main(["clock", "advance", "--days", "45"]) == 0
    assert "2026-04-15" in capsys.readouterr().out
    with Session(engine) as session:
        (moved,) = session.exec(
            select(AuditRecord).where(AuditRecord.entity == "training_clock")
        ).all()
    assert moved.details == {"from": "2026-03-01", "to": "2026-04-15", "days": 45}


def test_every_page_of_a_training_copy_says_so(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, clock="2026-03-01"))
    with TestClient(app) as client:
        page = client.get("/app/login", headers={"Accept-Language": "zh-CN"})
        english = client.get("/app/login?lang=en")
    assert app.state.clock.today() == date(2026, 3, 1)
    assert "培训副本" in page.text and "training-banner" in page.text
    assert "Training copy" in english.text and "2026" in english.text
    real = create_app(Settings(database_url=database_url))
    with TestClient(real) as client:
        assert "training-banner" not in client.get("/app/login").text


def test_an_administrator_moves_the_copy_forward_from_its_page(database_url: str, engine) -> None:
    app = create_app(Settings(database_url=database_url, clock="2026-03-01"))
    make_account(engine, "trainer", "admin")
    make_account(engine, "learner", "counsellor")
    with TestClient(app) as client:
        trainer = PageClient(client)
        assert trainer.sign_in("trainer").status_code == 303
        page = trainer.get("/app/admin/clock")
        assert page.status_code == 200 and "/app/admin/clock" in page.text
        refused = trainer.post("/app/admin/clock", {"days": "0"})
        assert refused.status_code == 422
        assert app.state.clock.today() == date(2026, 3, 1)  # nothing moved
        moved = trainer.post("/app/admin/clock", {"days": "10"})
        assert moved.status_code == 303
        assert moved.headers["location"] == "/app/admin/clock?moved=2026-03-11"
        assert app.state.clock.today() == date(2026, 3, 11)
        client.cookies.clear()
        learner = PageClient(client)
        assert learner.sign_in("learner").status_code == 303
        assert learner.get("/app/admin/clock").status_code == 403
    with Session(engine) as session:
        (audited,) = session.exec(
            select(AuditRecord).where(AuditRecord.entity == "training_clock")
        ).all()
    assert "trainer" in audited.actor
    real = create_app(Settings(database_url=database_url))
    with TestClient(real) as client:
        admin = PageClient(client)
        assert admin.sign_in("trainer").status_code == 303
        assert admin.get("/app/admin/clock").status_code == 404  # the real service has none
