"""The synthetic county of ``workbridge bench oversight``: people under the duty, their
households, cases, registrations, sanctions with everything a sanction is made of, appeals and
warnings, written set-based (bulk ``INSERT`` of 20,000 people at a time) in a child process.
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from sqlalchemy import Connection, Engine, Table, select, text

from activation.models import (
    ActivationDecision,
    ActivationDecisionKey,
    Appeal,
    Referral,
    Refusal,
    Registration,
    RegistrationDuty,
    Sanction,
    Warning,
)
from activation.referrals import told_note
from activation.rules import RefusalCount, warning_text
from benefits.bench import settle_generated, synthetic_national_id
from benefits.models import Application, BenefitCase, CaseStatusPeriod, Household, Member
from benefits.payment_rules import Month
from kernel.dates import add_months
from kernel.db import make_engine
from kernel.elsewhere import run_elsewhere
from kernel.messages import as_data
from kernel.policy import PolicyBook, PolicyError

CHUNK = 20_000  # people generated and inserted per transaction
TOWNSHIPS = {
    "定城镇": "北街社区 东街社区 西街社区 南街社区 城东社区 城西社区 花园社区 曲亭村 新华村 黄山村",
    "炉桥镇": "炉桥社区 桥南社区 桥北社区 古城村 大桥村 三和村 新店村 柳湾村 永宁村 双河村",
    "藕塘镇": "藕塘社区 新街社区 老街社区 麻塘村 界牌村 石塘村 大山村 丁坝村 金岭村 民族村",
}
PLACES = tuple((town, place) for town, places in TOWNSHIPS.items() for place in places.split())
HOT = "北街社区"  # stops people at about four times the rate of every other community
OFFICE = "定城镇"  # the office of the office-scoped report: HOT's township
SANCTIONED = 0.13  # the share of people with a confirmed sanction, outside HOT
SANCTIONED_HOT = 0.55
PENDING, REJECTED, WARNED = 0.015, 0.01, 0.04  # proposals pending, rejected at review; warnings
COUNSELLORS = (
    "user:11:李辅导",
    "user:12:张辅导",
    "user:13:陈辅导",
    "user:14:刘辅导",
    "user:15:杨辅导",
)
OFFICERS = ("user:21:王审核", "user:22:赵审核", "user:23:周审核")  # never a proposer
COUNT_KEY = 1  # the decision key every synthetic count and refusal cites
NOTICE_DAYS = 7
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶"
GIVEN = ("秀英", "桂兰", "建国", "国强", "玉梅", "志刚", "丽", "伟", "淑珍", "海燕", "军", "红梅")
OFFER = {"employer": "定远县华丰服装厂", "title": "缝纫工", "monthly_wage": "2400.00"}
SUITABILITY = {"suitable": True, "checks": ["wage", "commute", "capacity"], "note": "synthetic"}
# Tables given their ids here: their sequences are moved past them afterwards (PostgreSQL).
NUMBERED = ("household", "member", "application", "benefit_case", "sanction", "referral")
GENERATED = (
    "household",
    "member",
    "application",
    "benefit_case",
    "case_status_period",
    "registration_duty",
    "registration",
    "activation_decision_key",
    "activation_decision",
    "referral",
    "refusal",
    "sanction",
    "appeal",
    "activation_warning",
)


def _table(model: Any) -> Table:
    return model.__table__  # type: ignore[no-any-return]


@dataclass
class _Rows:
    """One chunk's rows, table by table, in the order they are inserted (keys before rows that
    cite them)."""

    tables: dict[str, list[dict[str, Any]]]

    @classmethod
    def empty(cls) -> _Rows:
        return cls({name: [] for name in GENERATED if name != "activation_decision_key"})

    def count(self) -> int:
        return sum(len(rows) for rows in self.tables.values())


@dataclass
class _Counters:
    """The next id of each numbered table, and how many appeals were decided (every sixth is
    upheld: a reversal rate of about 17%, under the 20% alert)."""

    household: int
    member: int
    application: int
    case: int
    sanction: int
    referral: int
    decided: int = 0


class _County:
    """Writes the synthetic people of one month, a chunk at a time."""

    def __init__(
        self, month: Month, versions: dict[date, str], at: datetime, rng: random.Random
    ) -> None:
        self.month, self.versions, self.at, self.rng = month, versions, at, rng
        self.fallback = min(versions.items())[1]
        self.duty_since = date(month.year, 1, 5)

    def version(self, day: date) -> str:
        return self.versions.get(day, self.fallback)

    def day_in_month(self, low: int, high: int) -> date:
        """A day of the month between ``low`` and ``high`` days after its first (at most its
        last)."""
        last = min(high, self.month.days - 1)
        return self.month.first + timedelta(days=self.rng.randint(low, last))

    def person(self, ids: _Counters, rows: _Rows) -> None:
        rng, at, month = self.rng, self.at, self.month
        tables = rows.tables
        town, community = rng.choice(PLACES)
        household, member, application, case = ids.household, ids.member, ids.application, ids.case
        ids.household, ids.member, ids.application, ids.case = (
            household + 1,
            member + 1,
            application + 1,
            case + 1,
        )
        scheme = "urban" if rng.random() < 0.6 else "rural"
        category = rng.choices(("A", "B", "C"), weights=(5, 25, 70))[0]
        tables["household"].append(
            {
                "id": household,
                "scheme": scheme,
                "address": f"{town}{community}{household}号",
                "community": community,
                "township": town,
                "bank_account": None,
                "created_at": at,
            }
        )
        sex = rng.choice(("male", "female"))
        birth = date(rng.randint(1967, 2008), rng.randint(1, 12), rng.randint(1, 28))
        disability = rng.choices(("none", "mild", "severe"), weights=(89, 8, 3))[0]
        people = [(member, "head", sex, birth, disability)]
        if rng.random() < 0.3:  # a child at home
            ids.member += 1
            child = month.first - timedelta(days=rng.randint(365, 17 * 365))
            people.append((member + 1, "child", rng.choice(("male", "female")), child, "none"))
        for index, (member_id, relation, their_sex, born, disabled) in enumerate(people):
            tables["member"].append(
                {
                    "id": member_id,
                    "household_id": household,
                    "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                    "national_id": synthetic_national_id(household, index, born, their_sex),
                    "sex": their_sex,
                    "birth_date": born,
                    "relation": relation,
                    "phone": None,
                    "language": "zh_CN",
                    "work_capacity": "full",
                    "disability": disabled,
                    "serious_illness": False,
                    "student": False,
                    "carer": False,
                    "pregnant": False,
                    "three_nos": False,
                    "official_relative": False,
                    "created_at": at,
                    "updated_at": at,
                }
            )
        opened = month.first - timedelta(days=rng.randint(200, 900))
        tables["application"].append(
            {
                "id": application,
                "household_id": household,
                "kind": "new",
                "state": "approved",
                "category_requested": category,
                "documents": ["household_register", "identity_cards", "income_statement"],
                "applied_on": opened - timedelta(days=20),
                "appraisal_passed": True,
                "decided_on": opened,
                "decision_reason": "approved (synthetic)",
                "parameter_version": self.version(opened),
                "created_at": at,
                "updated_at": at,
            }
        )
        counsellor = rng.choice(COUNSELLORS)
        tables["registration_duty"].append(
            {
                "member_id": member,
                "obligated_since": self.duty_since,
                "ended_on": None,
                "assessment": {"reason": "able to work (synthetic)"},
                "parameter_version": self.version(self.duty_since),
            }
        )
        tables["registration"].append(
            {
                "member_id": member,
                "office": community,
                "registered_on": self.duty_since + timedelta(days=1),
                "registered_by": counsellor,
                "created_at": at,
                "updated_at": at,
            }
        )
        amount = rng.randrange(30_000, 90_000, 100)
        periods = [("active", opened, amount, "application-approved", self.version(opened))]
        share = SANCTIONED_HOT if community == HOT else SANCTIONED
        draw = rng.random()
        if draw < share:
            periods += self.sanction(ids, rows, member, household, case, counsellor, amount)
        elif draw < share + PENDING:
            self.proposal(ids, rows, member, household, counsellor, rejected=False)
        elif draw < share + PENDING + REJECTED:
            self.proposal(ids, rows, member, household, counsellor, rejected=True)
        if rng.random() < WARNED:
            self.warning(rows, member, self.day_in_month(0, 27))
        for index, (status, since, monthly, rule, version) in enumerate(periods):
            after = periods[index + 1][1] if index + 1 < len(periods) else None
            tables["case_status_period"].append(
                {
                    "case_id": case,
                    "status": status,
                    "effective_from": since,
                    "effective_to": after - timedelta(days=1) if after else None,
                    "monthly_amount_fen": monthly,
                    "reason": f"{rule} (synthetic)",
                    "rule": rule,
                    "parameter_version": version,
                    "actor": "bench",
                    "recorded_at": at,
                }
            )
        status, since, monthly, _, version = periods[-1]
        tables["benefit_case"].append(
            {
                "id": case,
                "household_id": household,
                "application_id": application,
                "scheme": scheme,
                "category": category,
                "status": status,
                "status_since": since,
                "status_reason": "synthetic",
                "monthly_amount_fen": monthly,
                "entitled_amount_fen": amount,
                "explanation": {},
                "parameter_version": version,
                "opened_on": opened,
                "next_review_on": opened + timedelta(days=365),
                "closed_on": None,
            }
        )

    def refusals(
        self, ids: _Counters, rows: _Rows, member: int, days: tuple[date, ...], counsellor: str
    ) -> list[int]:
        """Offers declined and counted on ``days`` (each checked suitable and delivered), with
        a refusal warning after the first; their ids."""
        made = []
        for day in days:
            referral = ids.referral
            ids.referral += 1
            made.append(referral)
            referred = day - timedelta(days=7)
            rows.tables["referral"].append(
                {
                    "id": referral,
                    "member_id": member,
                    "kind": "vacancy",
                    "target_id": None,
                    "offer": OFFER,
                    "code": f"B{referral:07d}",  # eight characters up to ten million
                    "referred_on": referred,
                    "answer_due_on": day,
                    "channel": "in_person",
                    "delivered": True,
                    "delivered_at": self.at,
                    "delivery_note": told_note("in_person"),
                    "suitable": True,
                    "suitability": SUITABILITY,
                    "made_by": counsellor,
                    "state": "declined",
                    "answered_on": day,
                    "answered_at": self.at,
                    "answered_by": counsellor,
                    "answer_channel": "in_person",
                    "decline_reason": "不想去 (synthetic)",
                    "created_at": self.at,
                }
            )
            rows.tables["refusal"].append(
                {
                    "referral_id": referral,
                    "member_id": member,
                    "counted_on": day,
                    "decision_id": COUNT_KEY,
                    "voided_on": None,
                    "void_reason": None,
                }
            )
        self.warning(rows, member, days[0] + timedelta(days=1))
        return made

    def warning(self, rows: _Rows, member: int, day: date) -> None:
        since = add_months(day, -12) + timedelta(days=1)
        count = RefusalCount(1, 2, since, False, (), "warning", self.version(day))
        rows.tables["activation_warning"].append(
            {
                "member_id": member,
                "kind": "refusal",
                "issued_on": day,
                "text": None,
                "said": as_data(warning_text(count, "household")),
                "refusal_count": 1,
                "decision_id": COUNT_KEY,
            }
        )

    def _sanction_row(self, sanction: int, **fields: Any) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": sanction,
            "case_id": None,
            "application_id": None,
            "count_decision_id": COUNT_KEY,
            "vulnerability_review": None,
            "confirmed_by": None,
            "confirmed_on": None,
            "rejected_on": None,
            "terms": None,
            "notice": None,
            "started_on": None,
            "complied_on": None,
            "resumes_on": None,
            "ended_on": None,
            "closed_reason": None,
        }
        row.update(fields)
        return row

    def proposal(
        self,
        ids: _Counters,
        rows: _Rows,
        member: int,
        household: int,
        counsellor: str,
        *,
        rejected: bool,
    ) -> None:
        """A sanction proposed in the month, pending or rejected at the vulnerability review."""
        proposed = self.day_in_month(0, 20)
        referrals = self.refusals(
            ids,
            rows,
            member,
            (proposed - timedelta(days=20), proposed - timedelta(days=1)),
            counsellor,
        )
        reviewer = self.rng.choice(OFFICERS)
        rows.tables["sanction"].append(
            self._sanction_row(
                ids.sanction,
                member_id=member,
                household_id=household,
                state="rejected" if rejected else "proposed",
                proposed_on=proposed,
                proposed_by=counsellor,
                referral_ids=referrals,
                rejected_on=proposed + timedelta(days=3) if rejected else None,
                vulnerability_review=(
                    {
                        "by": reviewer,
                        "proceed": False,
                        "factors": ["children"],
                        "findings": "synthetic",
                    }
                    if rejected
                    else None
                ),
                closed_reason="vulnerability review (synthetic)" if rejected else None,
            )
        )
        ids.sanction += 1

    def sanction(
        self,
        ids: _Counters,
        rows: _Rows,
        member: int,
        household: int,
        case: int,
        counsellor: str,
        amount: int,
    ) -> list[tuple[str, date, int, str, str]]:
        """A sanction confirmed by a second officer and started, in the month or before, and
        what it does to the case (status periods after the first); some ended in the month,
        some appealed."""
        rng, month = self.rng, self.month
        kind = rng.random()
        if kind < 0.30:  # proposed, confirmed and started in the month
            proposed = self.day_in_month(0, 7)
        else:  # started one to five months before
            proposed = month.first - timedelta(days=rng.randint(25, 150))
        confirmed = proposed + timedelta(days=3)
        started: date | None = confirmed + timedelta(days=NOTICE_DAYS)
        ended = complied = None
        state = "active"
        if kind >= 0.75:  # complied, and ended in the month
            ended = complied = self.day_in_month(1, month.days - 2)
            state = "ended"
        officer = rng.choice(OFFICERS)
        version = self.version(confirmed)
        sanction = ids.sanction
        ids.sanction += 1
        referrals = self.refusals(
            ids,
            rows,
            member,
            (proposed - timedelta(days=21), proposed - timedelta(days=1)),
            counsellor,
        )
        terms = {
            "scope": "household",
            "starts_on": (confirmed + timedelta(days=NOTICE_DAYS)).isoformat(),
            "notice_on": confirmed.isoformat(),
            "earliest_end_on": (confirmed + timedelta(days=NOTICE_DAYS + 30)).isoformat(),
            "appeal_by": (confirmed + timedelta(days=60)).isoformat(),
            "monthly_reduction": "600.00",
            "parameter_version": version,
        }
        appeal = None
        if state == "active" and rng.random() < 0.2:
            lodged = min(confirmed + timedelta(days=rng.randint(2, 20)), month.last)
            appeal = {"lodged_on": lodged, "state": "lodged", "decided_on": None}
            if lodged < month.last and rng.random() < 0.7:
                ids.decided += 1
                decided = max(lodged + timedelta(days=1), self.day_in_month(0, month.days - 1))
                upheld = ids.decided % 6 == 0
                appeal.update(
                    state="upheld" if upheld else "dismissed",
                    decided_on=decided,
                    decided_by=rng.choice([o for o in OFFICERS if o != officer]),
                    reasons="synthetic",
                )
                if upheld:
                    state, ended = "overturned", decided
                    if started is not None and decided <= started:  # before it began
                        started = None
        rows.tables["sanction"].append(
            self._sanction_row(
                sanction,
                member_id=member,
                household_id=household,
                case_id=case,
                state=state,
                proposed_on=proposed,
                proposed_by=counsellor,
                referral_ids=referrals,
                vulnerability_review={"by": officer, "proceed": True, "factors": []},
                confirmed_by=officer,
                confirmed_on=confirmed,
                terms=terms,
                notice={"date": confirmed.isoformat(), "starts_on": terms["starts_on"]},
                started_on=started,
                complied_on=complied,
                resumes_on=complied,
                ended_on=ended,
            )
        )
        if appeal is not None:
            rows.tables["appeal"].append(
                {
                    "sanction_id": sanction,
                    "grounds": "the offer was not suitable (synthetic)",
                    "lodged_by": counsellor,
                    "decided_by": None,
                    "reasons": None,
                    "back_pay_fen": None,
                    **appeal,
                }
            )
        rows.tables["activation_decision"].append(
            {
                "member_id": member,
                "kind": "sanction-terms",
                "ref": f"sanction:{sanction}",
                "decided_on": confirmed,
                "decided_at": datetime.combine(confirmed, clock_time(2), tzinfo=UTC),
                "actor": officer,
                "inputs": {"confirmed_on": confirmed.isoformat()},
                "rule_path": ["household", f"notice-{NOTICE_DAYS}-days"],
                "outcome": terms,
                "parameter_version": version,
            }
        )
        if started is None:
            return []
        cut = [("suspended", started, 0, "refusal-sanction-household", version)]
        if ended is not None:
            rule = "appeal-upheld" if state == "overturned" else "sanction-ended"
            cut.append(("active", ended, amount, rule, version))
        return cut


def _after(conn: Connection, table: str) -> int:
    return int(conn.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar_one()) + 1


def generate(
    engine: Engine,
    people: int,
    month: Month,
    versions: dict[date, str],
    *,
    seed: int = 2026,
    at: datetime | None = None,
) -> int:
    """Write ``people`` synthetic people under the duty, with their oversight rows, for
    ``month``; returns the number of rows written. ``versions``: the policy version in force on
    each day the rows are decided on (the first one for a day not given)."""
    rng = random.Random(seed)
    stamp = at or datetime.now(UTC)
    county = _County(month, versions, stamp, rng)
    with engine.begin() as conn:
        ids = _Counters(
            household=_after(conn, "household"),
            member=_after(conn, "member"),
            application=_after(conn, "application"),
            case=_after(conn, "benefit_case"),
            sanction=_after(conn, "sanction"),
            referral=_after(conn, "referral"),
        )
        key = _table(ActivationDecisionKey)
        written = 0
        if conn.execute(select(key.c.id).where(key.c.id == COUNT_KEY)).first() is None:
            conn.execute(key.insert(), [{"id": COUNT_KEY, "decided_at": stamp}])
            written = 1
    models = {
        "household": Household,
        "member": Member,
        "application": Application,
        "benefit_case": BenefitCase,
        "case_status_period": CaseStatusPeriod,
        "registration_duty": RegistrationDuty,
        "registration": Registration,
        "activation_decision": ActivationDecision,
        "referral": Referral,
        "refusal": Refusal,
        "sanction": Sanction,
        "appeal": Appeal,
        "activation_warning": Warning,
    }
    for offset in range(0, people, CHUNK):
        rows = _Rows.empty()
        for _ in range(offset, min(offset + CHUNK, people)):
            county.person(ids, rows)
        with engine.begin() as conn:
            for name, found in rows.tables.items():
                if found:
                    conn.execute(_table(models[name]).insert(), found)
        written += rows.count()
    settle_generated(engine, NUMBERED, GENERATED)
    return written


def _generate_child(url: str, people: int, month: str, versions: dict[date, str], seed: int) -> int:
    engine = make_engine(url)
    try:
        return generate(engine, people, Month.parse(month), versions, seed=seed)
    finally:
        engine.dispose()


def generate_elsewhere(
    url: str, people: int, month: Month, versions: dict[date, str], *, seed: int
) -> int:
    """``generate`` in a child process (``kernel.elsewhere``), so the memory it leaves behind
    is not counted as the report's."""
    return int(
        run_elsewhere(
            _generate_child,
            (url, people, month.label, versions, seed),
            failed="generating the people failed",
        )
    )


def versions_in_force(book: PolicyBook, first: date, last: date) -> dict[date, str]:
    """The policy version in force on each day from ``first`` to ``last`` (days before the
    first version are left out)."""
    found = {}
    day = first
    while day <= last:
        with contextlib.suppress(PolicyError):
            found[day] = book.at(day).version_id
        day += timedelta(days=1)
    if not found:
        found[first] = book.versions[0].version_id
    return found


# --- measuring --------------------------------------------------------------------------------
