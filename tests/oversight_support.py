"""A county built row by row for the oversight tests: people under the duty in chosen groups,
some of them stopped — the distributions the tests need, written directly so each figure is
known before the report counts it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from activation.models import ActivationDecisionKey, Registration, RegistrationDuty, Sanction
from benefits.models import Household, Member
from kernel.national_id import make_national_id
from matching.models import SeekerProfile

NOW = datetime(2026, 5, 1, 2, tzinfo=UTC)
PROPOSER, CONFIRMER = "user:2:李辅导", "user:3:王审核"


@dataclass(frozen=True)
class Someone:
    community: str
    sex: str = "male"
    stopped: bool = False
    birth: date = date(1986, 6, 1)
    township: str = "定城镇"


def known_county() -> list[Someone]:
    """The distribution the oversight tests read (their docstrings give its figures): four
    communities of 50 with 8, 8, 7 and 17 people stopped, a village of 6 with 2; 50 women, 13
    of them stopped (all in 北街社区), and 156 men."""
    people: list[Someone] = []
    for community, stopped in (("东街社区", 8), ("西街社区", 8), ("南街社区", 7), ("北街社区", 17)):
        people += [Someone(community, stopped=i < stopped) for i in range(50)]
    people += [Someone("新村", stopped=i < 2) for i in range(6)]
    north = [i for i, p in enumerate(people) if p.community == "北街社区" and p.stopped][:13]
    east = [i for i, p in enumerate(people) if p.community == "东街社区" and not p.stopped][:37]
    for i in north + east:
        people[i] = Someone(people[i].community, "female", people[i].stopped)
    return people


def build(engine: Engine, people: list[Someone], stop_day: date) -> list[int]:
    """One household and member each, under the duty since January; the stopped ones with a
    sanction proposed, confirmed by a second officer, noticed and started on ``stop_day``."""
    member_ids = []
    with Session(engine) as session:
        key = ActivationDecisionKey(id=990_001, decided_at=NOW)
        session.add(key)
        for index, person in enumerate(people):
            home = Household(
                scheme="urban",
                address="定城镇",
                community=person.community,
                township=person.township,
                created_at=NOW,
            )
            session.add(home)
            session.flush()
            member = Member(
                household_id=home.id or 0,
                name=f"成员{index}",
                national_id=make_national_id("341125", person.birth, index + 1, person.sex),
                sex=person.sex,
                birth_date=person.birth,
                relation="head",
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(member)
            session.flush()
            member_id = member.id or 0
            member_ids.append(member_id)
            session.add(
                RegistrationDuty(
                    member_id=member_id, obligated_since=date(2026, 1, 5), parameter_version="t"
                )
            )
            session.add(
                Registration(
                    member_id=member_id,
                    office=person.community,
                    registered_on=date(2026, 1, 6),
                    registered_by=PROPOSER,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
            session.add(  # registered as the use case registers: the pages behind an alert open
                SeekerProfile(
                    member_id=member_id,
                    labour_office=person.community,
                    hours_per_week=40,
                    max_commute_km=10.0,
                    physical_limit="none",
                    reservation_wage_fen=0,
                    community=person.community,
                    work_capacity="full",
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
            if person.stopped:
                session.add(stop(member_id, home.id or 0, stop_day))
        session.commit()
    return member_ids


def stop(member_id: int, household_id: int, day: date, **changes: object) -> Sanction:
    fields: dict[str, object] = {
        "member_id": member_id,
        "household_id": household_id,
        "state": "active",
        "proposed_on": date(2026, 4, 6),
        "proposed_by": PROPOSER,
        "count_decision_id": 990_001,
        "confirmed_by": CONFIRMER,
        "confirmed_on": date(2026, 4, 9),
        "notice": {"sent_on": "2026-04-09"},
        "started_on": day,
        "terms": {"starts_on": day.isoformat()} if day else None,
    }
    fields.update(changes)
    return Sanction(**fields)  # type: ignore[arg-type]
