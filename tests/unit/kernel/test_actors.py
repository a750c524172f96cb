"""Actors shown as people: name and office from the account, in the reader's words; the names
are read once a minute, not once a row."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event
from sqlmodel import Session, SQLModel

from kernel.actors import ActorNames
from kernel.db import make_engine
from kernel.models import UserAccount

CATALOG = {"%(name)s (%(office)s)": "%(name)s（%(office)s）", "the Workbridge system": "系统"}


def chinese(message: str) -> str:
    return CATALOG.get(message, message)


def test_labels_become_names_and_are_read_once_a_minute(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    SQLModel.metadata.create_all(engine, tables=[UserAccount.__table__])  # type: ignore[list-item]
    with Session(engine) as session:
        for name, display, office in [("w.li", "李伟", "定城镇"), ("root", "管理员", None)]:
            session.add(
                UserAccount(
                    username=name,
                    display_name=display,
                    role="counsellor",
                    office=office,
                    password_hash="x",
                    created_at=datetime.now(UTC),
                )
            )
        session.commit()
    queries: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
    now = [0.0]
    names = ActorNames(seconds=60, clock=lambda: now[0])
    assert names.words("user:1:w.li", chinese, engine) == "李伟（定城镇）"
    assert names.words("user:2:root", chinese, engine) == "管理员"
    assert names.words("user:99:gone", chinese, engine) == "user:99:gone"  # unknown: as recorded
    assert names.words("system:0:workbridge", chinese, engine) == "系统"
    assert names.words("token:3:bank-sync", lambda m: m, engine) == "API client bank-sync"
    assert names.words(None, chinese, engine) == "" and names.words("odd", chinese, engine) == "odd"
    assert len(queries) == 1  # one read for all of them
    now[0] = 61.0
    names.words("user:1:w.li", chinese, engine)
    assert len(queries) == 2  # read again after a minute
    engine.dispose()
