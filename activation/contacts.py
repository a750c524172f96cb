"""The contact log: what a counsellor heard, said and saw, on the day it happened.

Offices followed their people on paper beside the system (issue 12: the person page lacked case
notes and a contact log, as les-emplois and OpenSPP keep them). A note is never changed: one
that was wrong is followed by another, so the file reads as it was known at the time. A contact
cannot be dated after the day it is written down, nor before the person was on record.
"""

from __future__ import annotations

from sqlmodel import col, select

from activation.models import ContactNote
from activation.schemas import ContactNoteIn
from benefits.models import Member
from kernel import audit
from kernel.context import ServiceContext
from kernel.errors import InvalidInput, NotFound, Problem, missing
from kernel.messages import say

KINDS = ("note", "phone", "visit", "office", "letter")
SHOWN = 200  # the person page shows the latest this many, and says so when there are more


def add_note(ctx: ServiceContext, member_id: int, data: ContactNoteIn) -> ContactNote:
    member = ctx.session.get(Member, member_id)
    if member is None:
        raise NotFound(missing("member_id", member_id))
    problems: list[Problem] = []
    if data.on > ctx.today:
        problems.append(
            Problem("on", "not-in-future", say("a contact is written down after it happened"))
        )
    if not data.text.strip():
        problems.append(Problem("text", "text-given", "write what was said or done"))
    if problems:
        raise InvalidInput(problems)
    note = ContactNote(
        member_id=member_id,
        kind=data.kind,
        on=data.on,
        text=data.text.strip(),
        written_by=ctx.actor.label,
        written_at=ctx.now,
    )
    ctx.session.add(note)
    ctx.session.flush()
    audit.note(
        ctx,
        entity="contact_note",
        entity_id=note.id or 0,
        action="written",
        details={"member_id": member_id, "kind": data.kind, "on": data.on.isoformat()},
    )
    ctx.session.commit()
    return note


def notes_of(ctx: ServiceContext, member_id: int, limit: int = SHOWN) -> list[ContactNote]:
    """Newest contact first; the day it happened orders them, the writing breaks ties."""
    return list(
        ctx.session.exec(
            select(ContactNote)
            .where(ContactNote.member_id == member_id)
            .order_by(col(ContactNote.on).desc(), col(ContactNote.id).desc())
            .limit(limit)
        )
    )
