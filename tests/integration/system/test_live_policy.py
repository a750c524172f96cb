"""Every process's book takes in a version once it is live (issue 16, change control): a served
process on its own follower thread, a command when it starts, work outside a request through
``context_or_system`` — and a proposed, refused or withdrawn version never."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

import kernel.parameter_versions as stored
from kernel.context import context_or_system
from kernel.parameter_versions import LivePolicy, ParameterVersion, live_book

THRESHOLD = "activation.refusal.threshold"


def add(engine, label: str, state: str, starts: date = date(2027, 1, 1)) -> None:
    with Session(engine) as session:
        row = ParameterVersion(
            profile="county-pilot",
            version=label,
            effective_from=starts,
            note="n",
            changes={THRESHOLD: {"value": 3, "basis": "县文件"}},
            state="proposed",
            proposed_by="a",
            proposed_at=datetime.now(UTC),
        )
        session.add(row)
        session.commit()
        if state != "proposed":
            row.state = state
            session.add(row)
            session.commit()


def test_only_live_versions_join_the_book(engine) -> None:
    for label, state in (("p", "proposed"), ("r", "refused"), ("w", "withdrawn")):
        add(engine, label, state)
    assert [v.version for v in live_book(engine, "county-pilot").versions] == ["2020.1"]

    books = []
    live = LivePolicy(engine, "county-pilot", books.append)
    assert live.refresh() is False and books == []  # none live: the shipped book stands
    add(engine, "2027.1", "live")
    assert live.refresh() is True and live.refresh() is False
    book = books[-1]
    assert [v.version_id for v in book.versions] == ["county-pilot@2020.1", "county-pilot@2027.1"]
    version = book.at(date(2027, 1, 1))
    assert version.int(THRESHOLD) == 3 and version.basis(THRESHOLD) == "县文件"
    # inherited from the version before it
    assert version.text("benefits.urban.standard") == "150.00"
    assert book.at(date(2026, 12, 31)).int(THRESHOLD) == 2
    assert live_book(engine, "county-pilot").version("county-pilot@2027.1") == version

    with Session(engine) as session:
        outside = context_or_system(session)
        assert outside.policy.at(date(2027, 1, 2)).version_id == "county-pilot@2027.1"


def test_a_served_process_follows_versions_made_by_another(
    app, client, engine, tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = tokens.headers("admin")
    on = {"on": "2027-01-01"}
    assert client.get("/api/v1/policy/", params=on, headers=admin).json()["version_id"] == (
        "county-pilot@2020.1"
    )
    client.__exit__(None, None, None)  # start again with a quick follower
    monkeypatch.setattr(stored, "REFRESH_SECONDS", 0.05)
    with client:
        add(engine, "2027.1", "live")  # as another process signing it off would
        deadline = time.monotonic() + 10
        while True:
            found = client.get("/api/v1/policy/", params=on, headers=admin).json()
            if found["version_id"] == "county-pilot@2027.1" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert found["version_id"] == "county-pilot@2027.1"
        quiet = app.state.sms_rules.params_at(datetime(2027, 1, 1, 12, tzinfo=UTC))
        assert quiet.version_id == "county-pilot@2027.1"


def _followers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "policy-versions" and t.is_alive()]


def _policy_becomes(client, headers: dict[str, str], version_id: str) -> str:
    """The version in force on 1 January 2028 once it is ``version_id`` (or after 10 s)."""
    deadline = time.monotonic() + 10
    while True:
        found = client.get("/api/v1/policy/", params={"on": "2028-01-01"}, headers=headers)
        if found.json()["version_id"] == version_id or time.monotonic() > deadline:
            return str(found.json()["version_id"])
        time.sleep(0.05)


def test_a_start_inside_another_hands_the_book_back_when_it_stops(
    app, client, engine, tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One application started twice at once (a second client, a server beside a client):
    only the newest start's follower writes the book, and when it stops the outer one takes
    over, current; none is left running once both have stopped."""
    from litestar.testing import TestClient

    admin = tokens.headers("admin")
    client.__exit__(None, None, None)
    monkeypatch.setattr(stored, "REFRESH_SECONDS", 0.05)
    with client:
        outer = app.state.live_policy
        with TestClient(app) as inner:
            assert app.state.live_policy is not outer and app.state.live_policy.outer is outer
            add(engine, "2027.1", "live")
            assert _policy_becomes(inner, admin, "county-pilot@2027.1") == "county-pilot@2027.1"
        assert app.state.live_policy is outer and len(_followers()) == 1
        assert app.state.policy.at(date(2027, 1, 2)).version_id == "county-pilot@2027.1"
        add(engine, "2028.1", "live", starts=date(2028, 1, 1))
        assert _policy_becomes(client, admin, "county-pilot@2028.1") == "county-pilot@2028.1"
    assert _followers() == [] and app.state.get("live_policy") is None
