"""The duty to register as a job seeker (report 4 §五4), registration, and the approval hook."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, case, exists, func, true
from sqlmodel import Session, col, select

from activation import duty_sql, rules
from activation.common import (
    NewTask,
    close_tasks,
    decision_values,
    household_of,
    insert_rows,
    member_or_404,
    not_future,
    open_tasks_once,
    person_facts,
)
from activation.models import (
    ActivationDecision,
    Registration,
    RegistrationDuty,
    Sanction,
)
from activation.schemas import (
    RegistrationIn,
)
from benefits.models import (
    Application,
    BenefitCase,
    Household,
    Member,
)
from benefits.services import LIVE_CASE_STATUSES, OPEN_APPLICATION_STATES
from kernel import audit
from kernel.context import ServiceContext, context_of
from kernel.errors import Conflict, Problem
from kernel.messages import say, stored
from kernel.policy import ParameterSet
from kernel.visibility import office_of
from matching import services as matching
from matching.schemas import SeekerProfileIn

MEMBER = Member.__table__  # type: ignore[attr-defined]
DUTY = RegistrationDuty.__table__  # type: ignore[attr-defined]


APPLYING = col(Application.state).in_([s.value for s in OPEN_APPLICATION_STATES])
RECEIVING = col(BenefitCase.status).in_([s.value for s in LIVE_CASE_STATUSES])


def is_live(household_id: Any, within: tuple[Any, Any] | None = None) -> Any:
    """The household is applying (open application) or receiving (case not terminated), asked
    row by row through the household indexes: for a chunk of members this reads their own
    households, where ``IN (…)`` would list every live household of the county per chunk.

    ``within`` bounds the household ids looked at (a chunk's lowest and highest). PostgreSQL may
    answer an ``EXISTS`` by hashing the whole subquery once per statement rather than probing
    per row; unbounded, that read every live case of the county for each chunk of members
    (two million households: 1.8 million cases, ~2 s a chunk, the daily sweep 450 s)."""
    application = [Application.household_id == household_id, APPLYING]
    receiving = [BenefitCase.household_id == household_id, RECEIVING]
    if within is not None:
        application.append(col(Application.household_id).between(*within))
        receiving.append(col(BenefitCase.household_id).between(*within))
    return exists().where(*application) | exists().where(*receiving)


def live_household_ids(session: Session, household_ids: Sequence[int] | None = None) -> list[int]:
    """Households applying (open application) or receiving (case not terminated)."""
    query = select(Household.id).where(is_live(col(Household.id)))
    if household_ids is not None:
        query = query.where(col(Household.id).in_(list(household_ids)))
    return [row for row in session.exec(query) if row is not None]


DUTY_CHUNK = 20_000  # members recomputed, and their changes written, at a time


def refresh_duties(
    ctx: ServiceContext, household_ids: Sequence[int] | None = None
) -> dict[str, int]:
    """Recompute the duty of every member of the given (or all) households, set-based; rows
    open when a duty arises and end when it ends (age, exemption, household no longer live).
    Changes are stored as decisions.

    All households (the daily sweep) are taken ``DUTY_CHUNK`` members at a time, so a county of
    millions is never held at once. Of each chunk only the members whose open duty disagrees
    with the rule's outcome as SQL (``activation.duty_sql``) are read — on most days a few
    birthdays — and the rule decides and explains each of them; a chunk with none costs one
    query. A chunk with some is read in three queries (members, open duties, registrations)
    and written in four statements (duties ended, duties opened, decisions, tasks), so the
    statements grow with the chunks, never with the people (``workbridge bench sweep``)."""
    counts = {"opened": 0, "ended": 0}
    if household_ids is not None:
        _refresh_chunk(ctx, counts, col(Member.household_id).in_(list(household_ids)))
        return counts
    low, high = ctx.session.exec(select(func.min(Member.id), func.max(Member.id))).one()
    params = ctx.params()
    for start in range(low or 1, (high or 0) + 1, DUTY_CHUNK):
        chunk = (start, start + DUTY_CHUNK - 1)
        wanted = and_(col(Member.id).between(*chunk), _disagreeing(params, ctx.today, chunk))
        _refresh_chunk(ctx, counts, wanted)
    return counts


def _disagreeing(params: ParameterSet, on: date, chunk: tuple[int, int]) -> Any:
    """Members of ``chunk`` (their lowest and highest id) whose open duty (or its absence) the
    rule would change on ``on``: obliged and live without an open duty, or an open duty and not
    both. ``true()`` (every member) when the outcome cannot be said in SQL.

    Every look-up is bounded to the chunk — duties by the members' ids, applications and cases
    by the lowest and highest household of the chunk's members (found once per statement) — so
    whether PostgreSQL probes per member or hashes a subquery, it reads the chunk's rows, not
    the county's (``is_live``)."""
    obliged = duty_sql.obliged(params, on)
    if obliged is None:
        return true()
    has_open_duty = exists().where(
        DUTY.c.member_id == MEMBER.c.id,
        DUTY.c.ended_on.is_(None),
        DUTY.c.member_id.between(*chunk),
    )
    chunk_member = MEMBER.alias("chunk_member")
    in_chunk = chunk_member.c.id.between(*chunk)
    # ``+ 0``: PostgreSQL would find a bare min(household_id) by walking the household index
    # from its end until a member of the chunk turned up — past every member before it.
    household = chunk_member.c.household_id + 0
    households = (
        select(func.min(household)).where(in_chunk).scalar_subquery(),
        select(func.max(household)).where(in_chunk).scalar_subquery(),
    )
    should = and_(obliged, is_live(MEMBER.c.household_id, households))
    return case((should, ~has_open_duty), else_=has_open_duty)  # `should` evaluated once


def _refresh_chunk(ctx: ServiceContext, counts: dict[str, int], members_wanted: Any) -> None:
    """Decide the duty of the members ``members_wanted`` selects (at most ``DUTY_CHUNK``), and
    write what changed; their households, open duties and registrations are read by their ids."""
    params = ctx.params()
    members = ctx.session.execute(select(*MEMBER.c).where(members_wanted)).all()
    if not members:
        return
    ids = [m.id for m in members]
    live = set(live_household_ids(ctx.session, sorted({m.household_id for m in members})))
    open_duties = {
        row.member_id: row.id
        for row in ctx.session.execute(
            select(RegistrationDuty.id, RegistrationDuty.member_id).where(
                col(RegistrationDuty.ended_on).is_(None),
                col(RegistrationDuty.member_id).in_(ids),
            )
        )
    }
    registered = set(
        ctx.session.exec(select(Registration.member_id).where(col(Registration.member_id).in_(ids)))
    )
    tasks: list[NewTask] = []
    new_duties: list[dict[str, Any]] = []
    ended: list[dict[str, Any]] = []
    decisions: list[dict[str, Any]] = []
    deadline = rules.registration_deadline(ctx.today, params)
    for member in members:
        facts = person_facts(member)
        duty = rules.registration_duty(facts, ctx.today, params)
        obligated = duty.obligated and member.household_id in live
        current = open_duties.get(member.id)
        if obligated and current is None:
            new_duties.append(
                {
                    "member_id": member.id,
                    "obligated_since": ctx.today,
                    "assessment": duty.as_dict(),
                    "parameter_version": duty.parameter_version,
                }
            )
            counts["opened"] += 1
        elif not obligated and current is not None:
            reason = (
                duty.explained
                if member.household_id in live
                else say("household no longer applying or receiving")
            )
            ended.append({"id": current, "ended_on": ctx.today, "end_reason": stored(reason)})
            counts["ended"] += 1
        else:
            continue
        decisions.append(
            decision_values(
                ctx,
                member_id=member.id,
                kind="registration-duty",
                ref=f"member:{member.id}",
                inputs={"person": facts.as_dict(), "on": ctx.today.isoformat()},
                rule_path=[
                    duty.rule,
                    "household-live" if member.household_id in live else "household-not-live",
                ],
                outcome=duty.as_dict(),
                parameter_version=duty.parameter_version,
            )
        )
        if obligated and member.id not in registered:
            tasks.append(
                NewTask(
                    member.id,
                    "register",
                    f"member:{member.id}",
                    deadline,
                    say("job-seeker registration due"),
                )
            )
    _end_duties(ctx, ended)
    insert_rows(ctx, RegistrationDuty, new_duties)
    insert_rows(ctx, ActivationDecision, decisions)
    open_tasks_once(ctx, tasks)


def _end_duties(ctx: ServiceContext, ended: list[dict[str, Any]]) -> None:
    """End duties in one statement; a duty already loaded in the session is read again."""
    if not ended:
        return
    duty = RegistrationDuty.__table__  # type: ignore[attr-defined]
    ctx.session.execute(
        duty.update()
        .where(duty.c.id == bindparam("duty_id"))
        .values(ended_on=bindparam("on"), end_reason=bindparam("reason")),
        [{"duty_id": e["id"], "on": e["ended_on"], "reason": e["end_reason"]} for e in ended],
    )
    ids = {e["id"] for e in ended}
    for loaded in list(ctx.session.identity_map.values()):
        if isinstance(loaded, RegistrationDuty) and loaded.id in ids:
            ctx.session.expire(loaded)


def on_household_changed(session: Session, event: Any) -> None:
    """Event handler: a household's members or status changed, so duties may have changed."""
    ctx = context_of(session)
    refresh_duties(ctx, [event.household_id])
    sync_profiles(ctx, [event.household_id])


def approval_check(
    ctx: ServiceContext,
    application: Application,
    household: Household,
    members: Sequence[Member],
    on: date,
) -> list[Problem]:
    """The benefits approval hook: an obligated member not registered by the decision day
    ``on`` blocks approval, and so does a confirmed refusal sanction against an applicant
    (report 4 §五4: 不受理其申请). The duty is the one of that day: an approval recorded late
    is judged as it stood when it was decided."""
    params = ctx.params(on)
    ids = [m.id for m in members]
    registered = dict(
        ctx.session.exec(
            select(Registration.member_id, Registration.registered_on).where(
                col(Registration.member_id).in_(ids)
            )
        ).all()
    )
    problems: list[Problem] = []
    for member in members:
        duty = rules.registration_duty(person_facts(member), on, params)
        if not duty.obligated:
            continue
        since = registered.get(member.id)
        if since is not None and since > on:
            problems.append(
                Problem(
                    f"members.{member.id}",
                    "job-seeker-registration",
                    say(
                        "%(name)s registered as a job seeker on %(since)s, after the decision "
                        "day %(day)s: date the registration when it happened, or the decision "
                        "after it",
                        name=member.name,
                        since=since.isoformat(),
                        day=on.isoformat(),
                    ),
                )
            )
        elif since is None:
            problems.append(
                Problem(
                    f"members.{member.id}",
                    "job-seeker-registration",
                    say(
                        "%(name)s must register as a job seeker before approval (%(reason)s; "
                        "%(parameter_version)s)",
                        name=member.name,
                        reason=duty.explained,
                        parameter_version=duty.parameter_version,
                    ),
                )
            )
    sanctions = ctx.session.exec(
        select(Sanction).where(
            Sanction.household_id == household.id, col(Sanction.state).in_(["confirmed", "active"])
        )
    )
    for sanction in sanctions:
        problems.append(
            Problem(
                f"members.{sanction.member_id}",
                "refusal-sanction",
                say(
                    "a confirmed refusal sanction (no. %(id)s) stands against a member: the "
                    "application is not accepted until the person complies (report 4 §五4)",
                    id=sanction.id,
                ),
            )
        )
    return problems


def _profile_in(
    member: Member, household: Household, office: str, prefs: dict[str, Any]
) -> SeekerProfileIn:
    """Matching's profile: the person's preferences plus the health facts of their record."""
    return SeekerProfileIn.model_validate(
        {
            **prefs,
            "community": prefs.get("community") or household.community,
            "labour_office": office,
            "work_capacity": member.work_capacity if member.work_capacity != "none" else "partial",
            "disability": member.disability,
            "serious_illness": member.serious_illness,
            "active": member.work_capacity != "none",
        }
    )


def register(ctx: ServiceContext, member_id: int, data: RegistrationIn) -> Registration:
    """Register (or update the registration of) a job seeker at a labour office, and keep the
    seeker profile that matching ranks jobs and courses on in step with it."""
    member = member_or_404(ctx, member_id, lock=True)
    registered_on = data.registered_on or ctx.today
    not_future(ctx, "registered_on", registered_on)
    if member.work_capacity == "none":
        raise Conflict(
            Problem(
                "member_id",
                "work-capacity",
                "the person is recorded as without work capacity; update that record first",
            )
        )
    household = household_of(ctx, member)
    prefs = data.model_dump(exclude={"office", "registered_on"})
    matching.upsert_seeker_profile(
        ctx.session,
        member_id,
        _profile_in(member, household, data.office, prefs),
        ctx.now,
        known_trades=matching.trade_occupations(ctx.params()),
        actor=ctx.actor,
    )
    existing = ctx.session.exec(
        select(Registration).where(Registration.member_id == member_id).with_for_update()
    ).first()
    if existing is None:
        registration = Registration(
            member_id=member_id,
            office=data.office,
            registered_on=registered_on,
            registered_by=ctx.actor.label,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        ctx.session.add(registration)
        action = "registered"
    else:
        registration = existing
        registration.office = data.office
        registration.updated_at = ctx.now
        action = "registration-updated"
    close_tasks(ctx, f"member:{member.id}", ["register"])
    audit.note(
        ctx,
        entity="registration",
        entity_id=member_id,
        action=action,
        details={"office": data.office, "registered_on": registered_on.isoformat()},
    )
    ctx.session.commit()
    return registration


def sync_profiles(ctx: ServiceContext, household_ids: Sequence[int]) -> None:
    """Health facts changed on a member's record: the seeker profile follows (set-based)."""
    from matching.models import SeekerProfile

    rows = ctx.session.exec(
        select(SeekerProfile, Member)
        .join(Member, col(Member.id) == SeekerProfile.member_id)
        .where(col(Member.household_id).in_(list(household_ids)))
    )
    for profile, member in rows:
        profile.work_capacity = (
            member.work_capacity if member.work_capacity != "none" else "partial"
        )
        profile.disability = member.disability
        profile.serious_illness = member.serious_illness
        profile.active = member.work_capacity != "none"
        profile.updated_at = ctx.now


def unregistered(
    ctx: ServiceContext, office: str | None
) -> list[tuple[Member, Household, RegistrationDuty]]:
    """Obligated but unregistered people, per office (the household's community or township);
    an actor bound to an office sees only its own, whatever office the query names."""
    query = (
        select(Member, Household, RegistrationDuty)
        .join(Household, col(Household.id) == Member.household_id)
        .join(RegistrationDuty, col(RegistrationDuty.member_id) == Member.id)
        .where(
            col(RegistrationDuty.ended_on).is_(None),
            col(Member.id).not_in(select(Registration.member_id)),
        )
        .order_by(col(RegistrationDuty.obligated_since), col(Member.id))
    )
    for named in (office, office_of(ctx.actor)):
        if named:
            query = query.where((Household.community == named) | (Household.township == named))
    return list(ctx.session.exec(query))
