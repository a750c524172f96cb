"""Registers an office reports upward, as the Excel sheets it keeps: the quarterly register by
category, the list of officials' relatives, and the month's payment register.

Report 1 describes categorised assistance with households registered by category (分类造册)
and the rolls reported quarter by quarter; report 3 requires the households of officials'
close relatives to be filed and listed apart. Each register is read set-based — one grouped
statement, or one streamed statement for the lists — and written row by row with openpyxl's
write-only mode, headings in Chinese, money as numbers with two decimals.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, BinaryIO, cast

from sqlalchemy import Connection, Engine, and_, func, or_, select
from sqlmodel import Session

from benefits.models import BenefitCase, CaseStatusPeriod, Household, Member, PaymentLine
from benefits.roll import WORDS, _latest_case_ids
from benefits.rules import CaseStatus
from kernel import sheets
from kernel.dates import add_months
from kernel.errors import InvalidInput, Problem
from kernel.messages import say
from kernel.money import from_fen

H = Household.__table__  # type: ignore[attr-defined]
C = BenefitCase.__table__  # type: ignore[attr-defined]
P = CaseStatusPeriod.__table__  # type: ignore[attr-defined]
M = Member.__table__  # type: ignore[attr-defined]
L = PaymentLine.__table__  # type: ignore[attr-defined]

ON_THE_SCHEME = (
    CaseStatus.ACTIVE.value,
    CaseStatus.CONTINUATION_FULL.value,
    CaseStatus.CONTINUATION_HALF.value,
)
KINDS = ("quarterly", "relatives", "payments")


@dataclass(frozen=True)
class Register:
    """A register to write: its sheet title, its headings and its rows."""

    title: str
    headings: Sequence[str]
    rows: Iterator[Sequence[Any]]
    file_name: str


# --- the quarter ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        found = re.fullmatch(r"(\d{4})-Q([1-4])", text.strip())
        if not found:
            raise InvalidInput(
                Problem(
                    "quarter",
                    "quarter-format",
                    say("a quarter such as 2026-Q1, not %(value)s", value=repr(text)),
                )
            )
        return cls(int(found.group(1)), int(found.group(2)))

    @property
    def first(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last(self) -> date:
        return add_months(self.first, 3) - timedelta(days=1)

    @property
    def periods(self) -> list[str]:
        return [f"{self.year}-{3 * self.number - 2 + k:02d}" for k in range(3)]

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.number}"


def quarterly(connection: Connection, quarter: Quarter) -> Register:
    """By township, scheme and category: the households and persons on the scheme at the
    quarter's end and their monthly amount then (one grouped statement over the status periods
    in force that day), and what was paid in the quarter to the category's cases, those that
    left during it included (one grouped statement over the ledger)."""
    on = quarter.last
    in_force = and_(
        P.c.case_id == C.c.id,
        P.c.effective_from <= on,
        or_(P.c.effective_to.is_(None), P.c.effective_to >= on),
        P.c.status.in_(ON_THE_SCHEME),
    )
    persons = (
        select(M.c.household_id, func.count().label("persons"))
        .group_by(M.c.household_id)
        .subquery()
    )
    keys = (H.c.township, H.c.scheme, C.c.category)
    stock = select(
        *keys,
        func.count().label("households"),
        func.sum(persons.c.persons).label("persons"),
        func.sum(P.c.monthly_amount_fen).label("monthly"),
    ).select_from(
        C.join(H, H.c.id == C.c.household_id)
        .join(P, in_force)
        .join(persons, persons.c.household_id == H.c.id)
    )
    flow = (
        select(*keys, func.sum(L.c.amount_fen).label("paid"))
        .select_from(L.join(C, C.c.id == L.c.case_id).join(H, H.c.id == C.c.household_id))
        .where(L.c.period.in_(quarter.periods))
    )
    figures: dict[tuple[str, str, str], list[int]] = {}
    for row in connection.execute(stock.group_by(*keys)):
        key = (row.township, row.scheme, row.category)
        figures[key] = [row.households, int(row.persons or 0), int(row.monthly or 0), 0]
    for row in connection.execute(flow.group_by(*keys)):
        key = (row.township, row.scheme, row.category)
        if row.paid or key in figures:  # months of nothing paid make no line of their own
            figures.setdefault(key, [0, 0, 0, 0])[3] = int(row.paid or 0)

    def rows() -> Iterator[Sequence[Any]]:
        totals = [0, 0, 0, 0]
        for (township, scheme, category), numbers in sorted(figures.items()):
            totals = [a + b for a, b in zip(totals, numbers, strict=True)]
            yield [
                township,
                WORDS["scheme"].get(scheme, scheme),
                category,
                numbers[0],
                numbers[1],
                from_fen(numbers[2]),
                from_fen(numbers[3]),
            ]
        yield ["合计", "", "", totals[0], totals[1], from_fen(totals[2]), from_fen(totals[3])]

    return Register(
        title=f"分类造册 {quarter.label}",
        headings=(
            "乡镇（街道）",
            "城乡类别",
            "保障类别",
            "户数",
            "人数",
            f"季末月保障金额（元，{on.isoformat()}）",
            "本季发放金额（元）",
        ),
        rows=rows(),
        file_name=f"分类造册-{quarter.label}.xlsx",
    )


# --- officials' relatives ---------------------------------------------------------------------


def relatives(connection: Connection, today: date) -> Register:
    """Every member filed as a close relative of an official, in a household whose latest case
    is not terminated (report 3: filed, two approvers), with the case's state and amount."""
    latest = _latest_case_ids()
    query = (
        select(
            H.c.township,
            H.c.community,
            H.c.id.label("household_id"),
            M.c.name,
            M.c.national_id,
            M.c.relation,
            M.c.official_relative_note,
            C.c.category,
            C.c.status,
            C.c.monthly_amount_fen,
        )
        .select_from(
            M.join(H, H.c.id == M.c.household_id)
            .join(C, C.c.household_id == H.c.id)
            .join(latest, latest.c.case_id == C.c.id)
        )
        .where(M.c.official_relative.is_(True), C.c.status != CaseStatus.TERMINATED.value)
        .order_by(H.c.township, H.c.community, H.c.id, M.c.id)
    )

    def rows() -> Iterator[Sequence[Any]]:
        for row in connection.execution_options(stream_results=True, yield_per=2_000).execute(
            query
        ):
            yield [
                row.township,
                row.community,
                str(row.household_id),
                row.name,
                row.national_id,
                WORDS["relation"].get(row.relation, row.relation),
                row.official_relative_note or "",
                row.category,
                WORDS["status"].get(row.status, row.status),
                from_fen(row.monthly_amount_fen),
            ]

    return Register(
        title="干部职工近亲属备案",
        headings=(
            "乡镇（街道）",
            "社区（村）",
            "户编号",
            "姓名",
            "公民身份号码",
            "与户主关系",
            "备案说明",
            "保障类别",
            "保障状态",
            "月保障金额（元）",
        ),
        rows=rows(),
        file_name=f"干部职工近亲属备案-{today.isoformat()}.xlsx",
    )


# --- the month's payments ---------------------------------------------------------------------


def payments(connection: Connection, period: str) -> Register:
    """Each line of the month's ledger by township and community: who was paid, to which
    account, the regular amount, adjustments and what was paid, with a total per township."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise InvalidInput(
            Problem(
                "period",
                "period-format",
                say("a month such as 2026-03, not %(value)s", value=repr(period)),
            )
        )
    query = (
        select(
            H.c.township,
            H.c.community,
            H.c.id.label("household_id"),
            L.c.payee_name,
            L.c.bank_account,
            L.c.regular_fen,
            L.c.adjustments_fen,
            L.c.amount_fen,
            L.c.rule,
        )
        .select_from(L.join(C, C.c.id == L.c.case_id).join(H, H.c.id == C.c.household_id))
        .where(L.c.period == period)
        .order_by(H.c.township, H.c.community, H.c.id)
    )

    def rows() -> Iterator[Sequence[Any]]:
        township: str | None = None
        subtotal = [0, 0, 0]
        total = [0, 0, 0]
        streamed = connection.execution_options(stream_results=True, yield_per=5_000)
        for row in streamed.execute(query):
            if township is not None and row.township != township:
                yield _subtotal(township, subtotal)
                subtotal = [0, 0, 0]
            township = row.township
            figures = [row.regular_fen, row.adjustments_fen, row.amount_fen]
            subtotal = [a + b for a, b in zip(subtotal, figures, strict=True)]
            total = [a + b for a, b in zip(total, figures, strict=True)]
            yield [
                row.township,
                row.community,
                str(row.household_id),
                row.payee_name,
                row.bank_account or "",
                *(from_fen(f) for f in figures),
            ]
        if township is not None:
            yield _subtotal(township, subtotal)
        yield ["合计", "", "", "", "", *(from_fen(f) for f in total)]

    return Register(
        title=f"低保金发放花名册 {period}",
        headings=(
            "乡镇（街道）",
            "社区（村）",
            "户编号",
            "领取人",
            "银行账号",
            "应发金额（元）",
            "补发/扣回（元）",
            "实发金额（元）",
        ),
        rows=rows(),
        file_name=f"低保金发放花名册-{period}.xlsx",
    )


def _subtotal(township: str, figures: list[int]) -> list[Any]:
    return [f"{township} 小计", "", "", "", "", *(from_fen(f) for f in figures)]


# --- writing ----------------------------------------------------------------------------------


def write_register(target: str | BinaryIO, register: Register) -> int:
    """The register as an Excel workbook; returns the rows written (totals included)."""
    return sheets.write_xlsx(target, register.title, register.headings, register.rows)


def register_of(connection: Connection, kind: str, *, on: str | None, today: date) -> Register:
    """The register of ``kind`` (quarterly needs a quarter, payments a month, in ``on``)."""
    if kind == "quarterly":
        return quarterly(connection, Quarter.parse(on or ""))
    if kind == "payments":
        return payments(connection, on or "")
    if kind == "relatives":
        return relatives(connection, today)
    raise InvalidInput(
        Problem("kind", "register-kind", say("one of %(kinds)s", kinds=", ".join(KINDS)))
    )


def spooled_register(
    session: Session, engine: Engine, actor: Any, at: Any, kind: str, on: str | None, today: date
) -> tuple[BinaryIO, str]:
    """The register written into a spool in a request's read-only ``session`` (memory, then
    disk), and its file name; the export is audited afterwards in a short write transaction
    of its own, so reading never holds SQLite's write lock (as ``roll.spooled_roll``)."""
    import tempfile

    from kernel import audit
    from kernel.db import session_scope

    register = register_of(session.connection(), kind, on=on, today=today)
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    count = write_register(cast(BinaryIO, spool), register)
    session.rollback()
    with session_scope(engine) as audited:
        audit.record(
            audited,
            actor=actor,
            at=at,
            entity="register",
            entity_id=kind,
            action="exported",
            details={"rows": count, "on": on},
        )
    spool.seek(0)
    return cast(BinaryIO, spool), register.file_name
