"""The checks that must never fire (issue 17): each is a safeguard of POLICY.md rule 3 whose
breach the service's own use cases cannot make, so a finding means a change made around them —
a row written by hand, a migration gone wrong, a version installed out of turn.

- ``cut-without-confirmation``: a stop started, or a case cut by a sanction's rule, without a
  second officer's confirmation (none, or by the person who proposed it);
- ``cut-version-not-in-force``: a sanction's terms, or the cut, under a parameter version that
  was not the one in force on the day they were decided;
- ``refusal-without-suitability`` / ``refusal-without-delivery``: a refusal counted on an offer
  with no recorded suitability check, or with no proof that it reached the person;
- ``stop-without-notice``: a stop started with no written notice.

Each reads the month's rows set-based and returns the ids behind it (sanctions, cases or
referrals), for the people who must look; the open figures carry only the counts. An office's
report runs them on the households of that township or community only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from activation.models import ActivationDecision, Referral, Refusal, Sanction
from benefits.models import BenefitCase, CaseStatusPeriod, Household, Member
from benefits.payment_rules import Month
from kernel.policy import PolicyBook, PolicyError

SANCTION_RULES = ("refusal-sanction-household", "refusal-sanction-member-share")
CHECKS = (
    "cut-without-confirmation",
    "cut-version-not-in-force",
    "refusal-without-suitability",
    "refusal-without-delivery",
    "stop-without-notice",
)


@dataclass(frozen=True)
class Finding:
    check: str
    refs: tuple[str, ...]  # "sanction:7", "case:12", "referral:40"


def run_checks(
    session: Session, book: PolicyBook, month: Month, office: str | None = None
) -> list[Finding]:
    where = _Where(office)
    found = [
        Finding("cut-without-confirmation", _unconfirmed(session, month, where)),
        Finding("cut-version-not-in-force", _out_of_turn(session, book, month, where)),
        *_refusals(session, month, where),
        Finding("stop-without-notice", _without_notice(session, month, where)),
    ]
    return [finding for finding in found if finding.refs]


@dataclass(frozen=True)
class _Where:
    """The office a report is limited to (a township or a community), or the whole county."""

    office: str | None

    def households(self, statement: Any, household_id: Any) -> Any:
        if self.office is None:
            return statement
        return statement.join(Household, col(Household.id) == household_id).where(
            or_(Household.township == self.office, Household.community == self.office)
        )

    def members(self, statement: Any, member_id: Any) -> Any:
        if self.office is None:
            return statement
        return self.households(
            statement.join(Member, col(Member.id) == member_id), Member.household_id
        )

    def cases(self, statement: Any, case_id: Any) -> Any:
        if self.office is None:
            return statement
        return self.households(
            statement.join(BenefitCase, col(BenefitCase.id) == case_id), BenefitCase.household_id
        )


def _in(column: object, month: Month) -> object:
    return col(column).between(month.first, month.last)  # type: ignore[arg-type]


def _confirmed(sanction: type[Sanction] | object) -> object:
    return and_(
        sanction.confirmed_by.is_not(None),  # type: ignore[attr-defined]
        sanction.confirmed_on.is_not(None),  # type: ignore[attr-defined]
        sanction.confirmed_by != sanction.proposed_by,  # type: ignore[attr-defined]
    )


def _unconfirmed(session: Session, month: Month, where: _Where) -> tuple[str, ...]:
    stops = session.execute(
        where.households(
            select(Sanction.id).where(_in(Sanction.started_on, month), ~_confirmed(Sanction)),
            Sanction.household_id,
        )
    ).scalars()
    confirmed = aliased(Sanction)
    cut = (
        select(CaseStatusPeriod.case_id)
        .outerjoin(
            confirmed,
            and_(
                confirmed.case_id == CaseStatusPeriod.case_id,
                confirmed.started_on <= CaseStatusPeriod.effective_from,
                _confirmed(confirmed),
            ),
        )
        .where(
            col(CaseStatusPeriod.rule).in_(SANCTION_RULES),
            _in(CaseStatusPeriod.effective_from, month),
            confirmed.id.is_(None),
        )
    )
    cuts = session.execute(where.cases(cut, CaseStatusPeriod.case_id)).scalars()
    return (*(f"sanction:{i}" for i in sorted(stops)), *(f"case:{i}" for i in sorted(set(cuts))))


def _out_of_turn(
    session: Session, book: PolicyBook, month: Month, where: _Where
) -> tuple[str, ...]:
    """Terms decided, and cuts made, under a version other than the one in force that day."""
    found: list[str] = []
    in_force = _in_force(book)
    terms = session.execute(
        where.members(
            select(
                ActivationDecision.ref,
                ActivationDecision.parameter_version,
                ActivationDecision.decided_on,
            ).where(
                ActivationDecision.kind == "sanction-terms",
                _in(ActivationDecision.decided_on, month),
            ),
            ActivationDecision.member_id,
        )
    ).all()
    found += [ref for ref, version, day in terms if in_force(day) != version]
    cut = (
        select(CaseStatusPeriod.case_id, CaseStatusPeriod.parameter_version, Sanction.confirmed_on)
        .join(
            Sanction,
            and_(
                Sanction.case_id == CaseStatusPeriod.case_id,
                Sanction.started_on == CaseStatusPeriod.effective_from,
            ),
        )
        .where(
            col(CaseStatusPeriod.rule).in_(SANCTION_RULES),
            _in(CaseStatusPeriod.effective_from, month),
            col(Sanction.confirmed_on).is_not(None),
        )
    )
    cuts = session.execute(where.cases(cut, CaseStatusPeriod.case_id)).all()
    found += sorted(
        {f"case:{case_id}" for case_id, version, day in cuts if in_force(day) != version}
    )
    return tuple(found)


def _in_force(book: PolicyBook) -> Callable[[date], str | None]:
    def version_on(day: date) -> str | None:
        try:
            return book.at(day).version_id
        except PolicyError:
            return None

    return version_on


def _refusals(session: Session, month: Month, where: _Where) -> list[Finding]:
    rows = session.execute(
        where.members(
            select(Referral.id, Referral.suitable, Referral.suitability, Referral.delivered)
            .join(Refusal, col(Refusal.referral_id) == Referral.id)
            .where(_in(Refusal.counted_on, month))
            .order_by(col(Referral.id)),
            Referral.member_id,
        )
    ).all()
    unchecked = tuple(f"referral:{i}" for i, suitable, check, _ in rows if not (suitable and check))
    undelivered = tuple(f"referral:{i}" for i, _, _, delivered in rows if not delivered)
    return [
        Finding("refusal-without-suitability", unchecked),
        Finding("refusal-without-delivery", undelivered),
    ]


def _without_notice(session: Session, month: Month, where: _Where) -> tuple[str, ...]:
    rows = session.execute(
        where.households(
            select(Sanction.id, Sanction.notice)
            .where(_in(Sanction.started_on, month))
            .order_by(col(Sanction.id)),
            Sanction.household_id,
        )
    ).all()
    return tuple(f"sanction:{i}" for i, notice in rows if not notice)
