"""Demo data: a believable county of dibao households, built through the real use cases.

Households are created and taken through the procedure on past dates (each step runs with its
own "today"), so every case, amount and audit record is exactly what the service would have
produced. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from activation import rules as activation_rules
from activation import services as activation
from activation.models import Registration
from activation.schemas import AnswerIn, GoodReasonDecisionIn, HiredIn, ReferralIn, RegistrationIn
from benefits import services
from benefits.models import BenefitCase, Household, Member
from benefits.schemas import (
    ApplicationIn,
    AppraisalIn,
    CaseStatusChangeIn,
    DecisionIn,
    HouseholdIn,
    IncomeIn,
    InvestigationIn,
    MemberIn,
    ObjectionIn,
    PublicNoticeIn,
)
from kernel.auth import Principal, Role
from kernel.context import ServiceContext
from kernel.db import new_session
from kernel.national_id import make_national_id
from kernel.policy import PolicyBook
from kernel.tabular import InputRow
from matching import services as matching
from matching.schemas import VacancyIn
from training import services as training
from training.schemas import CourseIn, EnrolmentIn, ProviderIn

REGION = "341125"  # 定远县, the county of report 1
TOWNSHIPS = {
    "定城镇": ["东街社区", "西街社区", "南门社区", "北门社区", "城东社区"],
    "炉桥镇": ["炉桥社区", "桥西社区", "盐化社区"],
    "藕塘镇": ["藕塘社区", "新街社区"],
}
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡"
    "余杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方白邹孟熊秦邱江尹薛闫段雷"
)
GIVEN_MALE = [
    "建国",
    "国强",
    "志刚",
    "伟",
    "强",
    "军",
    "勇",
    "杰",
    "磊",
    "洪波",
    "明",
    "海峰",
    "立新",
    "德华",
    "文斌",
    "春生",
    "永胜",
    "小龙",
    "浩",
    "宇",
]
GIVEN_FEMALE = [
    "秀英",
    "桂英",
    "玉兰",
    "凤英",
    "秀兰",
    "丽",
    "芳",
    "敏",
    "静",
    "红梅",
    "海燕",
    "春梅",
    "晓燕",
    "丽娟",
    "雪",
    "婷",
    "欣怡",
    "佳慧",
    "淑珍",
    "金凤",
]
STREETS = [
    "东大街",
    "西大街",
    "人民路",
    "解放路",
    "建设路",
    "和平巷",
    "新华街",
    "曲阳路",
    "永安巷",
    "南环路",
]

DEMO_OFFICER = Principal(kind="demo", id=1, name="demo-officer", role=Role.BENEFIT_OFFICER)
DEMO_COUNSELLOR = Principal(kind="demo", id=2, name="demo-counsellor", role=Role.COUNSELLOR)
DEMO_PROVIDER = Principal(
    kind="demo", id=3, name="demo-provider", role=Role.TRAINING_PROVIDER, provider_id=1
)
OCCUPATIONS = [["4-09-08-01"], ["4-07-05-01"], ["6-05-01-03"], ["4-01-02-04"]]  # CSCO-2022


@dataclass
class DemoReport:
    households: int
    outcomes: Counter[str]


def _name(rng: random.Random, sex: str) -> str:
    given = GIVEN_MALE if sex == "male" else GIVEN_FEMALE
    return rng.choice(SURNAMES) + rng.choice(given)


class _IdMaker:
    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.sequence = 0

    def make(self, birth: date, sex: str) -> str:
        while True:
            self.sequence += 1
            value = make_national_id(REGION, birth, self.sequence, sex)
            if value not in self.seen:
                self.seen.add(value)
                return value


def _birth(rng: random.Random, age: int, today: date) -> date:
    return today - timedelta(days=age * 365 + rng.randint(0, 364))


def _member(
    rng: random.Random,
    ids: _IdMaker,
    today: date,
    *,
    relation: str,
    sex: str,
    age: int,
    **extra: object,
) -> MemberIn:
    birth = _birth(rng, age, today)
    phone = (
        f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}" if 16 <= age <= 70 else None
    )
    return MemberIn.model_validate(
        {
            "name": _name(rng, sex),
            "national_id": ids.make(birth, sex),
            "relation": relation,
            "phone": phone,
            **extra,
        }
    )


def _declare_incomes(rng: random.Random, members: list[MemberIn], scheme: str) -> None:
    """Incomes that put the household's per-capita income below its scheme's line (report 1:
    urban 150, rural 80 here), split between the adults who work and any pensioner."""
    line = Decimal(150 if scheme == "urban" else 80)
    total = (line * len(members) * Decimal(rng.choice(range(0, 90, 5))) / 100).quantize(Decimal(1))
    earners = [m for m in members if m.relation in ("head", "spouse")]
    pensioners = [m for m in members if m.relation == "parent"]
    if pensioners:
        pension = min(total, Decimal(rng.choice([40, 55, 70])))
        pensioners[0].incomes = [IncomeIn(source="pension", monthly_amount=pension)]
        total -= pension
    share = (total / len(earners)).quantize(Decimal(1)) if earners else Decimal(0)
    for index, earner in enumerate(earners):
        amount = total - share * (len(earners) - 1) if index == 0 else share
        if amount > 0:
            source = "wages" if scheme == "urban" else rng.choice(["agriculture", "wages"])
            earner.incomes = [IncomeIn(source=source, monthly_amount=amount)]


def _household(rng: random.Random, ids: _IdMaker, today: date) -> tuple[HouseholdIn, str]:
    """A household and its category: three-nos elders (A), illness or disability (B), or
    general hardship (C), in report 1's proportions (roughly 3% / 9% / 88% of urban cases)."""
    township = rng.choice(list(TOWNSHIPS))
    community = rng.choice(TOWNSHIPS[township])
    scheme = "urban" if rng.random() < 0.75 else "rural"
    roll = rng.random()
    members: list[MemberIn] = []
    if roll < 0.05:
        category = "A"
        sex = rng.choice(["male", "female"])
        members.append(
            _member(
                rng,
                ids,
                today,
                relation="head",
                sex=sex,
                age=rng.randint(62, 85),
                work_capacity="none",
                three_nos=True,
            )
        )
    else:
        category = "B" if roll < 0.17 else "C"
        head_sex = "male" if rng.random() < 0.6 else "female"
        head_age = rng.randint(28, 58)
        ill = category == "B"
        members.append(
            _member(
                rng,
                ids,
                today,
                relation="head",
                sex=head_sex,
                age=head_age,
                serious_illness=ill and rng.random() < 0.5,
                disability="severe" if ill and rng.random() < 0.3 else "none",
                work_capacity="partial" if ill else "full",
            )
        )
        if rng.random() < 0.7:
            spouse_sex = "female" if head_sex == "male" else "male"
            members.append(
                _member(
                    rng,
                    ids,
                    today,
                    relation="spouse",
                    sex=spouse_sex,
                    age=max(22, head_age + rng.randint(-4, 3)),
                    carer=rng.random() < 0.15,
                )
            )
        for _ in range(rng.choice([0, 1, 1, 2])):
            child_age = rng.randint(3, max(3, min(22, head_age - 20)))
            members.append(
                _member(
                    rng,
                    ids,
                    today,
                    relation="child",
                    sex=rng.choice(["male", "female"]),
                    age=child_age,
                    student=child_age >= 6,
                )
            )
        if rng.random() < 0.2:
            members.append(
                _member(
                    rng,
                    ids,
                    today,
                    relation="parent",
                    sex=rng.choice(["male", "female"]),
                    age=rng.randint(65, 88),
                    work_capacity="none",
                )
            )
    if category != "A":
        _declare_incomes(rng, members, scheme)
    household = HouseholdIn(
        scheme=scheme,
        address=f"{township}{rng.choice(STREETS)}{rng.randint(1, 180)}号",
        community=community,
        township=township,
        bank_account="".join(str(rng.randint(0, 9)) for _ in range(19)),
        members=members,
    )
    return household, category


def load_demo(
    engine: Engine,
    policy: PolicyBook,
    *,
    households: int,
    today: date,
    seed: int = 20_26,
    progress: Callable[[int], None] | None = None,
) -> DemoReport:
    """Create ``households`` households and take each to a mix of stages and statuses."""
    from workbridge.wiring import wire

    wire()
    rng = random.Random(seed)
    ids = _IdMaker()
    outcomes: Counter[str] = Counter()
    session = new_session(engine)
    try:

        def at(day: date, actor: Principal = DEMO_OFFICER) -> ServiceContext:
            now = datetime.combine(day, time(9, 30), tzinfo=UTC)
            return ServiceContext(session=session, actor=actor, now=now, today=day, policy=policy)

        for number in range(households):
            data, category = _household(rng, ids, today)
            applied = today - timedelta(days=rng.randint(20, 720))
            household = services.create_household(at(applied), data)
            assert household.id is not None
            documents = ["household_register", "identity_cards", "income_statement"]
            stage = rng.random()
            if stage < 0.04:
                documents = documents[:2]
            app = services.apply(
                at(applied),
                ApplicationIn(
                    household_id=household.id, category_requested=category, documents=documents
                ),
            )
            assert app.id is not None
            if stage < 0.04:
                outcomes["applied (documents missing)"] += 1
                continue
            visited = applied + timedelta(days=rng.randint(2, 5))
            services.record_investigation(
                at(visited),
                app.id,
                InvestigationIn(
                    visited_on=visited,
                    visitors=["李明", "赵芳"],
                    findings="入户核查: 居住条件简陋, 申报收入属实",
                ),
            )
            if stage < 0.07:
                outcomes["investigated"] += 1
                continue
            held = visited + timedelta(days=rng.randint(1, 4))
            services.record_appraisal(
                at(held),
                app.id,
                AppraisalIn(
                    held_on=held, passed=True, votes_for=rng.randint(5, 9), votes_against=0
                ),
            )
            notice = held + timedelta(days=1)
            services.post_public_notice(
                at(notice), app.id, PublicNoticeIn(starts_on=notice, place="社区政务公开栏")
            )
            if stage < 0.10:
                services.record_objection(
                    at(notice + timedelta(days=1)),
                    app.id,
                    ObjectionIn(
                        received_on=notice + timedelta(days=1),
                        text="邻居反映该户有未申报的经营收入",
                    ),
                )
                outcomes["public notice with objection"] += 1
                continue
            decided = notice + timedelta(days=rng.randint(4, 8))
            _register_obligated(at(decided, DEMO_COUNSELLOR), rng, household.id)
            if stage < 0.13:
                services.decide(
                    at(decided),
                    app.id,
                    DecisionIn(approve=False, reason="家庭人均收入核实后高于低保标准, 不予批准"),
                )
                outcomes["rejected"] += 1
                continue
            services.decide(at(decided), app.id, DecisionIn(approve=True))
            case = services.current_case(session, household.id)
            assert case is not None and case.id is not None
            if stage < 0.20 and decided + timedelta(days=40) < today:
                day = decided + timedelta(days=rng.randint(35, min(300, (today - decided).days)))
                services.change_case_status(
                    at(day),
                    case.id,
                    CaseStatusChangeIn(
                        status="suspended",
                        effective_from=day,
                        reason="连续两月未参加复核, 暂停发放",
                    ),
                )
                outcomes["suspended"] += 1
            elif stage < 0.25 and decided + timedelta(days=40) < today:
                day = decided + timedelta(days=rng.randint(35, min(300, (today - decided).days)))
                services.change_case_status(
                    at(day),
                    case.id,
                    CaseStatusChangeIn(
                        status="terminated",
                        effective_from=day,
                        reason="家庭成员就业, 收入超过低保标准",
                    ),
                )
                outcomes["terminated"] += 1
            else:
                outcomes[f"active {category}"] += 1
            if progress:
                progress(number + 1)
        _activation_stories(at, rng, session, today, outcomes)
    finally:
        session.close()
    return DemoReport(households=households, outcomes=outcomes)


VACANCIES = [
    ("定远县城东物业公司", "4-09-08-01", "小区保洁员", "1600", "day", "light", "public_welfare"),
    ("定远县华丰服装厂", "6-05-01-03", "缝纫工", "2400", "day", "light", "local_employer"),
    ("盐化工业园保安服务公司", "4-07-05-01", "保安员", "1800", "night", "medium", "local_employer"),
    ("定城镇农贸市场", "4-01-02-04", "收银员", "1700", "day", "light", "local_employer"),
    ("炉桥物流园", "4-02-05-01", "装卸搬运工", "2600", "day", "heavy", "local_employer"),
    ("江苏昆山电子厂", "4-01-02-03", "商品营业员", "3200", "evening", "light", "outside_county"),
]
TRADES = [
    ("electric_sewing", "电动缝纫工培训班"),
    ("property_management", "物业管理员培训班"),
    ("computer_operation_repair", "计算机操作与维修培训班"),
    ("coal_mining", "煤炭采掘安全培训班"),
]


def _activation_stories(
    at: Callable[..., ServiceContext],
    rng: random.Random,
    session: Session,
    today: date,
    outcomes: Counter[str],
) -> None:
    """Give the demo county a working labour office: vacancies, courses from a provider
    (provider 1, whose demo token is printed), and people at every step of the way into work."""
    start = today - timedelta(days=150)
    office = at(start, DEMO_COUNSELLOR)
    training.create_provider(
        office, ProviderIn(name="定远县职业技能培训中心", contact="0550-4021234")
    )
    training.create_provider(office, ProviderIn(name="炉桥镇职业学校", contact="0550-4812345"))
    communities = [c for cs in TOWNSHIPS.values() for c in cs]
    vacancy_ids = []
    for employer, code, title, wage, shift, demand, source in VACANCIES:
        for community in rng.sample(communities, 2):
            vacancy = matching.create_vacancy(
                office,
                VacancyIn(
                    employer=employer,
                    occupation_code=code,
                    title=title,
                    monthly_wage=Decimal(wage),
                    hours_per_week=40,
                    shift=shift,
                    openings=rng.randint(2, 8),
                    physical_demand=demand,
                    source=source,
                    valid_until=today + timedelta(days=120),
                    community=community,
                    skills=[title[:2]],
                ),
            )
            vacancy_ids.append((vacancy.id, community, shift, demand))
    for index, (trade, title) in enumerate(TRADES):
        training.create_course(
            office,
            CourseIn(
                provider_id=1 + index % 2,
                trade=trade,
                title=title,
                capacity=20,
                starts_on=today + timedelta(days=10 + 7 * index),
                ends_on=today + timedelta(days=55 + 7 * index),
                sessions_total=30,
                community=rng.choice(communities),
                cost_per_trainee=Decimal("1200.00"),
                subsidy_per_trainee=Decimal("800.00"),
            ),
        )
    people = session.exec(
        select(Member, Household, BenefitCase)
        .join(Registration, Registration.member_id == Member.id)
        .join(Household, Household.id == Member.household_id)
        .join(BenefitCase, BenefitCase.household_id == Household.id)
        .where(BenefitCase.status == "active")
        .order_by(Member.id)
    ).all()
    for member, household, case in people:
        story = rng.random()
        if story > 0.6:
            continue
        same = [
            v
            for v in vacancy_ids
            if v[1] == household.community and v[2] == "day" and v[3] != "heavy"
        ]
        if not same:
            continue
        vacancy_id = same[0][0]
        earliest = max(case.opened_on + timedelta(days=1), today - timedelta(days=140))
        if earliest > today - timedelta(days=20):
            continue
        day = earliest + timedelta(
            days=rng.randint(0, (today - timedelta(days=20) - earliest).days)
        )
        referral = activation.refer(
            at(day, DEMO_COUNSELLOR), ReferralIn(member_id=member.id, vacancy_id=vacancy_id)
        )
        if story < 0.15:
            activation.answer(
                at(day, DEMO_COUNSELLOR),
                referral.id,
                AnswerIn(answer="accepted", answered_on=day),
            )
            activation.hired(
                at(day + timedelta(days=3), DEMO_COUNSELLOR),
                referral.id,
                HiredIn(
                    starts_on=day + timedelta(days=3),
                    monthly_income=Decimal(rng.choice([650, 780, 1200, 1600])),
                    hours_per_week=40,
                ),
            )
            outcomes["story: in work, continuation"] += 1
        elif story < 0.30:
            activation.answer(
                at(day, DEMO_COUNSELLOR),
                referral.id,
                AnswerIn(answer="declined", reason="家里老人需要照顾", answered_on=day),
            )
            outcomes["story: decline awaiting review"] += 1
        elif story < 0.42:
            _refusal(at, referral.id, day)
            outcomes["story: one refusal, warned"] += 1
        elif story < 0.48:
            _refusal(at, referral.id, day)
            later = min(day + timedelta(days=14), today)
            second = activation.refer(
                at(later, DEMO_COUNSELLOR),
                ReferralIn(member_id=member.id, vacancy_id=vacancy_id, referred_on=later),
            )
            _refusal(at, second.id, later)
            outcomes["story: two refusals, sanction proposed"] += 1
        else:
            outcomes["story: offer open"] += 1
    _training_story(at, [member for member, _, _ in people], today, outcomes)


def _training_story(
    at: Callable[..., ServiceContext],
    people: list[Member],
    today: date,
    outcomes: Counter[str],
) -> None:
    """A class the demo provider has already run, so its pages show trainees, outcomes and
    rates: enrolled by the counsellor, then completions, certificates, a drop-out and one who
    fell behind, as the provider reports them. Nobody is placed, so the course shows what a
    placement rate below the review line looks like (and no job starts in the demo county)."""
    starts = today - timedelta(days=90)
    ends = today - timedelta(days=35)
    course = training.create_course(
        at(starts - timedelta(days=14), DEMO_COUNSELLOR),
        CourseIn(
            provider_id=1,
            trade="property_management",
            title="物业保洁员培训班（春季班）",
            capacity=20,
            starts_on=starts,
            ends_on=ends,
            sessions_total=30,
            community="东街社区",
            cost_per_trainee=Decimal("1200.00"),
            subsidy_per_trainee=Decimal("800.00"),
        ),
    )
    assert course.id is not None
    trainees = [m.id for m in people[-8:] if m.id is not None]
    for member_id in trainees:
        training.enrol(
            at(starts - timedelta(days=7), DEMO_COUNSELLOR),
            course.id,
            EnrolmentIn(member_id=member_id, enrolled_on=starts - timedelta(days=7)),
        )

    def report(number: int, member_id: int, kind: str, on: date, **extra: Any) -> InputRow:
        """A row as a provider's file gives it: every cell text."""
        cells = {"report_id": f"DEMO-{number}", "course_id": course.id, "member_id": member_id}
        cells |= {"kind": kind, "on": on.isoformat(), **extra}
        return InputRow(number, {name: str(cell) for name, cell in cells.items()})

    rows = []
    for index, member_id in enumerate(trainees):
        if index == 0:
            rows.append(
                report(
                    len(rows), member_id, "dropped", starts + timedelta(days=20), reason="外出务工"
                )
            )
        elif index == 1:
            rows.append(report(len(rows), member_id, "attended", ends, sessions_attended=18))
        else:
            rows.append(report(len(rows), member_id, "completed", ends))
            if index % 2 == 0:
                rows.append(
                    report(
                        len(rows),
                        member_id,
                        "certified",
                        ends + timedelta(days=10),
                        certificate_no=f"WY-2025-{index:03d}",
                    )
                )
    training.report_outcomes(
        at(ends + timedelta(days=12), DEMO_PROVIDER), rows, all_or_nothing=True, prefix="rows"
    )
    outcomes["story: training course run, outcomes reported"] += len(trainees)


def _refusal(at: Callable[..., ServiceContext], referral_id: int, day: date) -> None:
    """A suitable offer declined without good reason: the refusal counts."""
    activation.answer(
        at(day, DEMO_COUNSELLOR),
        referral_id,
        AnswerIn(answer="declined", reason="不想去", answered_on=day),
    )
    activation.decide_good_reason(
        at(day + timedelta(days=1), DEMO_COUNSELLOR),
        referral_id,
        GoodReasonDecisionIn(good_reason=False, notes="岗位适当, 理由不成立"),
    )


def _register_obligated(ctx: ServiceContext, rng: random.Random, household_id: int) -> None:
    """Register those the duty applies to, as the labour office does before approval."""
    for member in services.members_of(ctx.session, household_id):
        duty = activation_rules.registration_duty(
            activation.person_facts(member), ctx.today, ctx.params()
        )
        if duty.obligated and isinstance(member, Member) and member.id is not None:
            activation.register(
                ctx,
                member.id,
                RegistrationIn(
                    office=f"{ctx.session.get(Household, household_id).community}劳动保障服务站",
                    desired_occupations=rng.choice(OCCUPATIONS),
                    skills=rng.sample(
                        ["缝纫", "收银", "驾驶", "电脑操作", "烹饪", "保洁", "搬运"], 2
                    ),
                    hours_per_week=rng.choice([30, 40, 44]),
                    shifts=["day"] if rng.random() < 0.6 else ["day", "evening"],
                    max_commute_km=rng.choice([5, 10, 20]),
                    physical_limit="none" if member.disability == "none" else "no_heavy",
                    childcare=rng.random() < 0.25,
                    reservation_wage=Decimal(rng.choice([1200, 1500, 1800, 2000])),
                ),
            )


def household_count(engine: Engine) -> int:
    session = new_session(engine)
    try:
        return session.exec(select(func.count()).select_from(Household)).one()
    finally:
        session.close()


def demo_person(engine: Engine) -> str:
    """The ID number of the head of the first active case, for a first status check."""

    session = new_session(engine)
    try:
        row = session.exec(
            select(Member.national_id)
            .join(BenefitCase, BenefitCase.household_id == Member.household_id)
            .where(BenefitCase.status == "active", Member.relation == "head")
            .order_by(BenefitCase.id)
        ).first()
        return row or "<national id>"
    finally:
        session.close()


DEMO_ACCOUNTS = [
    # (username, role, office, full name)
    ("demo.counsellor", "counsellor", "定城镇", "张指导员"),
    ("demo.counsellor2", "counsellor", "炉桥镇", "刘指导员"),
    ("demo.officer", "benefit_officer", None, "李经办"),
    ("demo.officer2", "benefit_officer", None, "赵经办"),
    ("demo.provider", "training_provider", None, "定远县职业技能培训学校"),
    ("demo.admin", "admin", None, "系统管理员"),
    ("demo.supervisor", "supervisor", None, "县民政局监督员"),
]


def demo_accounts(engine: Engine, now: datetime) -> list[tuple[str, str, str]]:
    """One account per role (two counsellors in two townships, two benefit officers for the
    four-eyes steps), each with a fresh random password printed once; a rerun resets them.
    The provider account needs a provider: the demo's training school is created if absent."""
    import secrets

    from kernel.accounts import create_account, find_account, set_password
    from kernel.auth import Role
    from training.models import TrainingProvider

    rows = []
    session = new_session(engine)
    try:
        school = session.exec(select(TrainingProvider).order_by(TrainingProvider.id)).first()
        if school is None:
            school = TrainingProvider(name="定远县职业技能培训学校", created_at=now)
            session.add(school)
            session.flush()
        for username, role, office, name in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(9)
            account = find_account(session, username)
            if account is None:
                create_account(
                    session,
                    username=username,
                    password=password,
                    role=Role(role),
                    now=now,
                    display_name=name,
                    office=office,
                    provider_id=school.id if role == "training_provider" else None,
                )
            else:
                set_password(session, account, password)
            rows.append((role, username, password))
        session.commit()
    finally:
        session.close()
    return rows
