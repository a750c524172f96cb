"""The roll (低保花名册): every member of every household on the scheme, one row each.

Offices keep their registers in Excel and report them upward (report 1: 分类造册); a county that
adopts Workbridge brings its roll in from such a sheet and must be able to give the same sheet
back. This module fixes the layout — the columns, their Chinese headings, and the words each
coded column is written in — so that what ``export`` writes is what an import reads: a roll
given out and brought back in changes nothing.

The rows are read set-based (one statement for the members with their household and its latest
case, one for the incomes in force, both streamed in member order and merged), so a county of a
million members is written with memory that does not grow with it. A roll carries full ID
numbers and bank accounts: it is given to benefit officers and administrators only, and each
export is audited.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, BinaryIO, cast

from sqlalchemy import Connection, Engine, func, select
from sqlmodel import Session

from benefits.models import BenefitCase, Household, Member, MemberIncome
from benefits.rules import CaseStatus
from kernel import sheets
from kernel.db import reader
from kernel.money import from_fen


@dataclass(frozen=True)
class RollColumn:
    key: str  # a stable name (an import accepts it as a heading too)
    heading: str  # the heading offices write


INCOME_SOURCES: tuple[tuple[str, str], ...] = (
    ("wages", "工资性收入"),
    ("business", "经营性收入"),
    ("agriculture", "农业收入"),
    ("pension", "养老金"),
    ("support", "赡养抚养费"),
    ("rent", "租金收入"),
    ("transfer", "转移性收入"),
    ("other", "其他收入"),
)

COLUMNS: tuple[RollColumn, ...] = (
    RollColumn("household_key", "户编号"),
    RollColumn("name", "姓名"),
    RollColumn("national_id", "公民身份号码"),
    RollColumn("relation", "与户主关系"),
    RollColumn("sex", "性别"),
    RollColumn("birth_date", "出生日期"),
    RollColumn("work_capacity", "劳动能力"),
    RollColumn("disability", "残疾情况"),
    *(RollColumn(f"income_{source}", heading) for source, heading in INCOME_SOURCES),
    RollColumn("phone", "手机号码"),
    RollColumn("bank_account", "银行账号"),
    RollColumn("scheme", "城乡类别"),
    RollColumn("address", "家庭住址"),
    RollColumn("community", "社区（村）"),
    RollColumn("township", "乡镇（街道）"),
    RollColumn("category", "保障类别"),
    RollColumn("monthly_amount", "月保障金额（元）"),
    RollColumn("status", "保障状态"),
    RollColumn("status_since", "状态起始日期"),
    RollColumn("approved_on", "批准日期"),
    RollColumn("next_review_on", "下次复核日期"),
)

# The words a coded column is written in, and read back from.
WORDS: dict[str, dict[str, str]] = {
    "relation": {
        "head": "户主",
        "spouse": "配偶",
        "child": "子女",
        "parent": "父母",
        "sibling": "兄弟姐妹",
        "grandchild": "孙子女",
        "other": "其他",
    },
    "sex": {"male": "男", "female": "女"},
    "work_capacity": {"full": "有劳动能力", "partial": "部分劳动能力", "none": "无劳动能力"},
    "disability": {"none": "无", "mild": "轻度残疾", "severe": "重度残疾"},
    "scheme": {"urban": "城市", "rural": "农村"},
    "status": {
        CaseStatus.ACTIVE.value: "正常享受",
        CaseStatus.SUSPENDED.value: "暂停",
        CaseStatus.CONTINUATION_FULL.value: "就业渐退（全额）",
        CaseStatus.CONTINUATION_HALF.value: "就业渐退（减半）",
        CaseStatus.PENDING.value: "待发放",
    },
}

SHEET_TITLE = "低保花名册"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPOOL_BYTES = 8 * 1024 * 1024  # a roll made in memory up to this, on disk beyond


def headings() -> list[str]:
    return [column.heading for column in COLUMNS]


def _latest_case_ids(households: Sequence[int] | None = None) -> Any:
    query = select(func.max(BenefitCase.id).label("case_id"))  # type: ignore[arg-type]
    if households is not None:
        query = query.where(BenefitCase.household_id.in_(households))  # type: ignore[attr-defined]
    return query.group_by(BenefitCase.household_id).subquery()


def _member_rows(households: Sequence[int] | None = None) -> Any:
    """Members of households whose latest case is not terminated, in member order (of the
    given ``households`` only: an import compares a batch with what is held, and must not
    group every case of the county to do it)."""
    latest = _latest_case_ids(households)
    m, h, c = Member.__table__, Household.__table__, BenefitCase.__table__  # type: ignore[attr-defined]
    return (
        select(
            m.c.id,
            h.c.id.label("household_id"),
            m.c.name,
            m.c.national_id,
            m.c.relation,
            m.c.sex,
            m.c.birth_date,
            m.c.work_capacity,
            m.c.disability,
            m.c.phone,
            h.c.bank_account,
            h.c.scheme,
            h.c.address,
            h.c.community,
            h.c.township,
            c.c.category,
            c.c.monthly_amount_fen,
            c.c.status,
            c.c.status_since,
            c.c.opened_on,
            c.c.next_review_on,
        )
        .select_from(
            m.join(h, h.c.id == m.c.household_id)
            .join(c, c.c.household_id == h.c.id)
            .join(latest, latest.c.case_id == c.c.id)
        )
        .where(c.c.status != CaseStatus.TERMINATED.value)
        .order_by(m.c.id)
    )


def _income_rows(households: Sequence[int] | None = None) -> Any:
    """Incomes in force now of the same members, in member order."""
    latest = _latest_case_ids(households)
    m, i, c = Member.__table__, MemberIncome.__table__, BenefitCase.__table__  # type: ignore[attr-defined]
    return (
        select(i.c.member_id, i.c.source, i.c.monthly_amount_fen)
        .select_from(
            i.join(m, m.c.id == i.c.member_id)
            .join(c, c.c.household_id == m.c.household_id)
            .join(latest, latest.c.case_id == c.c.id)
        )
        .where(i.c.effective_to.is_(None), c.c.status != CaseStatus.TERMINATED.value)
        .order_by(i.c.member_id)
    )


def _day(value: date | str | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _word(column: str, code: str | None) -> str | None:
    return None if code is None else WORDS[column].get(code, code)


def rows(engine: Engine, batch: int = 5_000) -> Iterator[list[Any]]:
    """The roll's rows, in the order of ``COLUMNS``: money as ``Decimal``, days as dates."""
    # One read transaction, so both statements see the same moment of the database; on SQLite
    # it begins DEFERRED and never takes the write lock.
    with reader(engine).connect() as connection:
        yield from rows_on(connection, batch)


def rows_on(connection: Connection, batch: int = 5_000) -> Iterator[list[Any]]:
    """The roll's rows read on ``connection`` (a request's own, or a script's)."""
    streamed = connection.execution_options(stream_results=True, yield_per=batch)
    members = streamed.execute(_member_rows())
    incomes = iter(streamed.execute(_income_rows()))
    pending = next(incomes, None)
    for member in members:
        earned: dict[str, Decimal] = {}
        while pending is not None and pending.member_id < member.id:
            pending = next(incomes, None)
        while pending is not None and pending.member_id == member.id:
            earned[pending.source] = from_fen(pending.monthly_amount_fen)
            pending = next(incomes, None)
        yield _row(member, earned)


def _row(member: Any, earned: dict[str, Decimal]) -> list[Any]:
    return [
        str(member.household_id),
        member.name,
        member.national_id,
        _word("relation", member.relation),
        _word("sex", member.sex),
        _day(member.birth_date),
        _word("work_capacity", member.work_capacity),
        _word("disability", member.disability),
        *(earned.get(source) for source, _ in INCOME_SOURCES),
        _national_phone(member.phone),
        member.bank_account,
        _word("scheme", member.scheme),
        member.address,
        member.community,
        member.township,
        member.category,
        from_fen(member.monthly_amount_fen),
        _word("status", member.status),
        _day(member.status_since),
        _day(member.opened_on),
        _day(member.next_review_on),
    ]


def _national_phone(phone: str | None) -> str | None:
    """A mainland mobile as offices write it (11 digits), not in its stored E.164 form: a cell
    starting with "+" is a formula to Excel."""
    if phone and phone.startswith("+86") and len(phone) == 14:
        return phone[3:]
    return phone


def write_xlsx(path: str | BinaryIO, table: Iterator[Sequence[Any]]) -> int:
    """Write the roll as an Excel workbook, row by row (memory stays flat); returns the number
    of member rows."""
    return sheets.write_xlsx(path, SHEET_TITLE, headings(), table)


def write_csv(path: str | BinaryIO, table: Iterator[Sequence[Any]]) -> int:
    """Write the roll as CSV in UTF-8 with a byte-order mark (as Chinese Excel opens it)."""
    import csv

    if isinstance(path, str):
        with open(path, "wb") as handle:
            return write_csv(handle, table)
    count = 0
    text = io.TextIOWrapper(path, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = csv.writer(text)
        writer.writerow(headings())
        for row in table:
            writer.writerow(["" if v is None else _text(v) for v in row])
            count += 1
    finally:
        text.detach()  # the caller's file stays open
    return count


def _text(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    text = str(value)
    # a cell that starts like a formula is written as text (CSV injection)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def spooled_roll(
    session: Session, engine: Engine, actor: Any, at: Any, kind: str, day: date
) -> tuple[BinaryIO, str]:
    """The roll written into a spool (memory, then disk) in a request's read-only
    ``session``, and its file name; the export is audited afterwards in a short write
    transaction of its own on ``engine``, so reading never holds SQLite's write lock."""
    import tempfile

    from kernel import audit
    from kernel.db import session_scope

    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    write = write_xlsx if kind == "xlsx" else write_csv
    count = write(cast(BinaryIO, spool), rows_on(session.connection()))
    session.rollback()
    with session_scope(engine) as session:
        audit.record(
            session,
            actor=actor,
            at=at,
            entity="roll",
            entity_id=day.isoformat(),
            action="exported",
            details={"rows": count, "format": kind},
        )
    spool.seek(0)
    return cast(BinaryIO, spool), f"低保花名册-{day.isoformat()}.{kind}"
