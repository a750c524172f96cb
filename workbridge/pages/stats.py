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
from benefits.models import Application, CaseStatusPeriod, Household, Member
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


def funnel(session: Session, months: list[str]) -> dict[str, list[int]]:
    """Obligated → registered → referred → accepted → in work → continuation → exit or
    re-entry: how many people reached each step in each month."""
    first, _ = month_bounds(months[0])
    _, last = month_bounds(months[-1])

    def days(column: Any, *where: Any) -> list[date | None]:
        query = select(column).where(column >= first, column <= last, *where)
        return list(session.exec(query))

    return {
        "obligated": _by_month(days(RegistrationDuty.obligated_since), months),
        "registered": _by_month(days(Registration.registered_on), months),
        "referred": _by_month(days(Referral.referred_on), months),
        "accepted": _by_month(days(Referral.answered_on, Referral.state == "accepted"), months),
        "in_work": _by_month(days(Job.starts_on), months),
        "continuation": _by_month(days(Continuation.starts_on), months),
        "exit": _by_month(
            days(
                CaseStatusPeriod.effective_from, CaseStatusPeriod.rule == "continuation-ended-exit"
            ),
            months,
        ),
        "reentry": _by_month(days(Application.applied_on, Application.kind == "reentry"), months),
    }


@dataclass(frozen=True)
class OfficeCounts:
    office: str
    refusals: int
    sanctions: int


def refusals_and_sanctions(session: Session) -> list[OfficeCounts]:
    """Counted refusals and confirmed sanctions per community (the labour office's area)."""

    def per_office(model: Any, *where: Any) -> dict[str, int]:
        rows = session.exec(
            select(Household.community, func.count())
            .select_from(model)
            .join(Member, col(Member.id) == model.member_id)
            .join(Household, col(Household.id) == Member.household_id)
            .where(*where)
            .group_by(Household.community)
        )
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


def money_by_status(ctx: ServiceContext, months: list[str]) -> dict[str, list[Decimal]]:
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
