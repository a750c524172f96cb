"""Read models for the dashboard: counts per month and office across the contexts.

Reads only; each figure is one query over one table (a date column in a range), counted by
month here. Money by status is estimated from case status periods × monthly amounts, pro rata
by days (``benefits.rules.amount_between``), until payment runs record what was really paid.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from activation.models import (
    Continuation,
    Job,
    Referral,
    Refusal,
    Registration,
    RegistrationDuty,
    Sanction,
)
from benefits.models import (
    Application,
    BenefitCase,
    CaseStatusPeriod,
    Household,
    Member,
    PaymentLine,
)
from benefits.offices import households_in, members_in
from benefits.rules import AmountPeriod, amount_between
from kernel.context import ServiceContext
from kernel.dates import add_months, month_bounds
from training import rules as training_rules
from training import services as training

FUNNEL = [
    "obligated",
    "registered",
    "referred",
    "accepted",
    "in_work",
    "continuation",
    "exit",
    "reentry",
]
PAID_STATUSES = ["active", "continuation_full", "continuation_half"]


def last_months(today: date, count: int = 6) -> list[str]:
    first = today.replace(day=1)
    return [add_months(first, -i).strftime("%Y-%m") for i in range(count - 1, -1, -1)]


def _by_month(days: list[date | None], months: list[str]) -> list[int]:
    counts = Counter(d.strftime("%Y-%m") for d in days if d is not None)
    return [counts.get(m, 0) for m in months]


def funnel(session: Session, months: list[str], office: str | None = None) -> dict[str, list[int]]:
    """Obligated → registered → referred → accepted → in work → continuation → exit or
    re-entry: how many people reached each step in each month (of one office, or all)."""
    first, _ = month_bounds(months[0])
    _, last = month_bounds(months[-1])
    people = members_in(office) if office else None
    homes = households_in(office) if office else None

    def days(column: Any, *where: Any, member: Any = None, household: Any = None) -> list[Any]:
        query = select(column).where(column >= first, column <= last, *where)
        if people is not None and member is not None:
            query = query.where(col(member).in_(people))
        if homes is not None and household is not None:
            query = query.where(col(household).in_(homes))
        return list(session.exec(query))

    exit_days = days(
        CaseStatusPeriod.effective_from,
        CaseStatusPeriod.rule == "continuation-ended-exit",
        col(CaseStatusPeriod.case_id).in_(
            select(BenefitCase.id).where(col(BenefitCase.household_id).in_(homes))
            if homes is not None
            else select(BenefitCase.id)
        ),
    )
    return {
        "obligated": _by_month(
            days(RegistrationDuty.obligated_since, member=RegistrationDuty.member_id), months
        ),
        "registered": _by_month(
            days(Registration.registered_on, member=Registration.member_id), months
        ),
        "referred": _by_month(days(Referral.referred_on, member=Referral.member_id), months),
        "accepted": _by_month(
            days(Referral.answered_on, Referral.state == "accepted", member=Referral.member_id),
            months,
        ),
        "in_work": _by_month(days(Job.starts_on, member=Job.member_id), months),
        "continuation": _by_month(
            days(Continuation.starts_on, member=Continuation.member_id), months
        ),
        "exit": _by_month(exit_days, months),
        "reentry": _by_month(
            days(
                Application.applied_on,
                Application.kind == "reentry",
                household=Application.household_id,
            ),
            months,
        ),
    }


def conversion(funnel_counts: dict[str, list[int]]) -> list[tuple[str, int, Decimal | None]]:
    """Each step's total over the months and its share of the step before, in percent.

    These are flows in the same months, not one cohort followed through: a person registered
    in March may have been obligated in January, so a share can pass 100%."""
    out: list[tuple[str, int, Decimal | None]] = []
    before: int | None = None
    for stage in FUNNEL:
        if stage not in funnel_counts:
            continue
        total = sum(funnel_counts[stage])
        share = None
        if before:
            share = (Decimal(total) * 100 / before).quantize(Decimal("0.1"))
        if stage not in ("exit", "reentry"):
            out.append((stage, total, share))
            before = total
        else:
            out.append((stage, total, None))
    return out


def paid_by_month(
    session: Session, months: list[str], office: str | None = None
) -> dict[str, Decimal]:
    """What the payment runs paid in each month that has one (yuan), from the ledger."""
    query = (
        select(PaymentLine.period, func.sum(PaymentLine.amount_fen))
        .where(col(PaymentLine.period).in_(months))
        .group_by(PaymentLine.period)
    )
    if office:
        query = query.join(BenefitCase, col(BenefitCase.id) == PaymentLine.case_id).where(
            col(BenefitCase.household_id).in_(households_in(office))
        )
    return {period: Decimal(total or 0) / 100 for period, total in session.exec(query)}


@dataclass(frozen=True)
class OfficeCounts:
    office: str
    refusals: int
    sanctions: int


def refusals_and_sanctions(session: Session, office: str | None = None) -> list[OfficeCounts]:
    """Counted refusals and confirmed sanctions per community (the labour office's area)."""

    def per_office(model: Any, *where: Any) -> dict[str, int]:
        query = (
            select(Household.community, func.count())
            .select_from(model)
            .join(Member, col(Member.id) == model.member_id)
            .join(Household, col(Household.id) == Member.household_id)
            .where(*where)
            .group_by(Household.community)
        )
        if office:
            query = query.where((Household.community == office) | (Household.township == office))
        rows = session.exec(query)
        return {office: count for office, count in rows}

    refusals = per_office(Refusal, col(Refusal.voided_on).is_(None))
    sanctions = per_office(
        Sanction, col(Sanction.state).in_(["confirmed", "active", "ended", "overturned"])
    )
    offices = sorted(set(refusals) | set(sanctions))
    return [OfficeCounts(o, refusals.get(o, 0), sanctions.get(o, 0)) for o in offices]


@dataclass(frozen=True)
class ProviderRate:
    provider_id: int
    name: str
    completed: int
    placed: int
    rate_percent: Decimal | None
    review: bool
    reward: bool


def placement_rates(ctx: ServiceContext) -> list[ProviderRate]:
    out = []
    for provider in training.list_providers(ctx.session):
        assert provider.id is not None
        reports = training.course_reports(ctx, training.provider_courses(ctx.session, provider.id))
        counts = sum((r.rates.counts for r in reports), training_rules.Counts())
        rates = training_rules.rates(counts, ctx.params())
        plain = rates.as_dict()
        out.append(
            ProviderRate(
                provider_id=provider.id,
                name=provider.name,
                completed=counts.completed,
                placed=counts.placed,
                rate_percent=Decimal(plain["placement_rate_percent"])
                if plain["placement_rate_percent"] is not None
                else None,
                review=plain["accountability_review"],
                reward=plain["reward"],
            )
        )
    return out


def money_by_status(
    ctx: ServiceContext, months: list[str], office: str | None = None
) -> dict[str, list[Decimal]]:
    """Yuan a month by case status, from the status periods overlapping each month."""
    first, _ = month_bounds(months[0])
    _, last = month_bounds(months[-1])
    params = ctx.params()
    quantum = params.decimal("benefits.rounding.quantum")
    mode = params.text("benefits.rounding.mode")
    periods = ctx.session.exec(
        select(CaseStatusPeriod).where(
            CaseStatusPeriod.effective_from <= last,
            (col(CaseStatusPeriod.effective_to).is_(None))
            | (col(CaseStatusPeriod.effective_to) >= first),
            col(CaseStatusPeriod.status).in_(PAID_STATUSES),
            CaseStatusPeriod.monthly_amount_fen > 0,
            col(CaseStatusPeriod.case_id).in_(
                select(BenefitCase.id).where(
                    col(BenefitCase.household_id).in_(households_in(office))
                )
                if office
                else select(BenefitCase.id)
            ),
        )
    )
    grouped: dict[str, list[AmountPeriod]] = defaultdict(list)
    for p in periods:
        grouped[p.status].append(
            AmountPeriod(p.effective_from, p.effective_to, Decimal(p.monthly_amount_fen) / 100)
        )
    result: dict[str, list[Decimal]] = {}
    for status in PAID_STATUSES:
        row = []
        for month in months:
            start, end = month_bounds(month)
            end = min(end, ctx.today)
            if end < start:
                row.append(Decimal(0))
                continue
            row.append(
                sum(
                    (amount_between([p], start, end, quantum, mode) for p in grouped[status]),
                    Decimal(0),
                )
            )
        result[status] = row
    return result
