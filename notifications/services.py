"""Use cases: queue a message (in the caller's transaction), take in replies and receipts.

``enqueue`` is the port other contexts call. It writes one outbox row in the caller's session
and never commits, so the message exists if and only if the decision that caused it does
(the transactional outbox). The inbound use cases commit their own unit of work, with the
kernel events they publish handled inside it (kernel/events.py).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from kernel.errors import InvalidInput, Problem
from kernel.events import SmsDeliveryChanged, SmsOptOutChanged, SmsReplyReceived, bus
from kernel.messages import say
from kernel.policy import ParameterSet, PolicyBook, load_profile
from kernel.settings import Settings
from notifications.models import (
    DeliveryReceipt,
    InboundMessage,
    OptOut,
    OutboxMessage,
    SmsDedupe,
)
from notifications.phones import InvalidPhone, mask_phone, to_e164
from notifications.receipts import FINAL, Status, rank
from notifications.replies import Command, classify_free_text, parse_reply
from notifications.segments import SmsLength, measure_signed
from notifications.settings import SmsSettings
from notifications.templates import (
    TEMPLATES,
    Kind,
    check_params,
    normalise_locale,
    render,
    storable_params,
)
from notifications.timing import QuietHours

log = logging.getLogger("notifications")

# Keys travel to the providers (Alibaba's OutId, Tencent's SessionContext, Twilio's and
# Kannel's callback URLs), so they are short and plain; ``derived_key`` makes one from values
# that are not (a provider's message id, which for Tencent holds the sender's +86 number).
DEDUPE_KEY = re.compile(r"^[A-Za-z0-9:._-]{1,64}$")


def derived_key(prefix: str, *parts: str) -> str:
    """A valid dedupe key for ``parts`` of any characters and length: the prefix and a digest,
    the same for the same parts (a repeat push finds the earlier message) and different for
    different ones (unlike cutting a long id short)."""
    if not DEDUPE_KEY.match(prefix) or len(prefix) > 31:
        raise ValueError(f"a key prefix is at most 31 plain characters, not {prefix!r}")
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
    return f"{prefix}:{digest}"


def insert_once(session: Session, model: Any, values: dict[str, Any], unique: list[str]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the new row's id, or None if the unique
    key exists. No savepoint and no IntegrityError, so the caller's transaction stays usable
    on both databases (pysqlite would commit a savepoint opened before any write) and a
    concurrent insert of the same key can never slip between a check and a write.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(model.__table__).values(**values).on_conflict_do_nothing(index_elements=unique)
    )
    return session.execute(statement.returning(model.__table__.c.id)).scalar_one_or_none()


# --- the rules a send obeys -------------------------------------------------------------------


@dataclass(frozen=True)
class SendingRules:
    """What enqueue and the worker need from settings and policy: the office's zone, the
    policy book (quiet hours, part limit, reason window) and the 【签名】 counted in length."""

    zone: ZoneInfo
    policy: PolicyBook
    signature: str
    # In a long-lived process, where the current book comes from (parameter versions go live
    # while it runs: ``kernel.parameter_versions.LivePolicy``); without it, ``policy``.
    follow: Callable[[], PolicyBook] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, sms: SmsSettings) -> SendingRules:
        return cls(
            zone=settings.zone,
            policy=load_profile(settings.policy_profile),
            signature=sms.signature,
        )

    def params_at(self, instant: datetime) -> ParameterSet:
        """The parameter version in force on the office's calendar day of ``instant``."""
        book = self.follow() if self.follow is not None else self.policy
        return book.at(instant.astimezone(self.zone).date())

    def quiet_hours(self, instant: datetime) -> QuietHours:
        return QuietHours.from_policy(self.params_at(instant))


_configured: SendingRules | None = None


def configure(rules: SendingRules) -> None:
    """The composition root sets the rules once at start-up (create_app, the CLI)."""
    global _configured
    _configured = rules


@cache
def _rules_from_environment() -> SendingRules:
    return SendingRules.from_settings(Settings.from_env(), SmsSettings.from_env())


def current_rules() -> SendingRules:
    return _configured or _rules_from_environment()


# --- enqueue ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enqueued:
    """What became of an enqueue call.

    ``outcome`` is "queued" (a new row), "duplicate" (the dedupe key was queued before: the
    earlier message stands and nothing new is sent) or "opted_out" (a non-urgent message to a
    number that texted STOP/退订: nothing queued; route the offer through the counsellor).
    """

    outcome: str
    message_id: int | None
    send_after: datetime | None
    length: SmsLength

    @property
    def queued(self) -> bool:
        return self.outcome == "queued"


def enqueue(
    session: Session,
    *,
    phone: str,
    locale: str,
    template_key: str,
    params: Mapping[str, Any],
    reference: str | None,
    urgent: bool,
    dedupe_key: str,
    now: datetime,
    rules: SendingRules | None = None,
    send_at: datetime | None = None,
) -> Enqueued:
    """Queue one templated SMS in the caller's transaction (no commit here).

    ``send_at`` holds a message until a later time (an appointment's reminder the day before);
    quiet hours still apply from then on.

    Raises InvalidInput listing every problem (bad number, unknown template or locale, missing
    or ill-typed parameters, an urgent offer, a text longer than the policy's part limit).
    Offers wait out quiet hours; urgent notices and replies do not.
    """
    if now.tzinfo is None:
        raise ValueError("enqueue needs a timezone-aware now")
    rules = rules or current_rules()
    problems: list[Problem] = []
    e164 = ""
    try:
        e164 = to_e164(phone)
    except InvalidPhone as exc:
        problems.append(Problem("phone", "e164", str(exc)))
    lang = normalise_locale(locale)
    if lang is None:
        problems.append(Problem("locale", "locale", "supported locales are zh_CN and en"))
    template = TEMPLATES.get(template_key)
    if template is None:
        problems.append(
            Problem(
                "template_key",
                "template",
                say("unknown template; one of %(value)s", value=", ".join(TEMPLATES)),
            )
        )
    else:
        problems.extend(check_params(template, params))
        if urgent and template.kind is Kind.OFFER:
            problems.append(
                Problem(
                    "urgent",
                    "offers-respect-quiet-hours",
                    "offers are never urgent: they wait out quiet hours (SMS.md)",
                )
            )
    if not DEDUPE_KEY.match(dedupe_key or ""):
        problems.append(
            Problem("dedupe_key", "dedupe-key", "1-64 characters: letters, digits and : . _ -")
        )
    if reference is not None and len(reference) > 120:
        problems.append(Problem("reference", "reference", "at most 120 characters"))
    if problems or template is None or lang is None:
        raise InvalidInput(problems)

    policy = rules.params_at(now)
    rendered = render(template.key, params, lang)
    length = measure_signed(rules.signature, rendered.text)
    max_parts = policy.int("notifications.max_parts")
    if length.parts > max_parts:
        raise InvalidInput(
            Problem(
                "params",
                "max-parts",
                say(
                    "the message takes %(parts)s SMS parts (%(units)s %(encoding)s units "
                    "with the signature); %(version_id)s allows %(max_parts)s",
                    parts=length.parts,
                    units=length.units,
                    encoding=length.encoding,
                    version_id=policy.version_id,
                    max_parts=max_parts,
                ),
            )
        )

    taken = _key_taken(session, dedupe_key)
    if taken is not None:
        return _duplicate(session, taken, length)
    if not urgent and is_opted_out(session, e164):
        return Enqueued("opted_out", None, None, length)

    earliest = max(now, send_at) if send_at is not None else now
    if urgent or template.kind is Kind.REPLY:
        not_before = earliest
    else:
        not_before = rules.quiet_hours(earliest).next_allowed(earliest, rules.zone)
    message_id = session.execute(
        insert(OUTBOX)
        .values(
            dedupe_key=dedupe_key,
            reference=reference,
            phone=e164,
            locale=lang,
            template_key=template.key,
            params=storable_params(template, params),
            urgent=urgent,
            parts=length.parts,
            status=Status.QUEUED.value,
            not_before=not_before,
            attempts=0,
            created_at=now,
        )
        .returning(OUTBOX.c.id)
    ).scalar_one()
    if not _take_key(session, dedupe_key, message_id, now):
        # Another transaction queued the same key after our look (its key row made ours wait
        # until it committed): the database settled it, and the row just written is taken back.
        session.execute(delete(OUTBOX).where(OUTBOX.c.id == message_id, OUTBOX.c.created_at == now))
        taken = _key_taken(session, dedupe_key)
        assert taken is not None
        return _duplicate(session, taken, length)
    return Enqueued("queued", message_id, not_before, length)


OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


def _take_key(session: Session, dedupe_key: str, message_id: int, queued_at: datetime) -> bool:
    """Claim the key for the message just written; False if another message holds it. One
    INSERT … ON CONFLICT DO NOTHING: no savepoint, no IntegrityError (see ``insert_once``)."""
    dialect = session.get_bind().dialect.name
    insert_into = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert_into(SmsDedupe.__table__)  # type: ignore[attr-defined]
        .values(dedupe_key=dedupe_key, outbox_id=message_id, queued_at=queued_at)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(SmsDedupe.__table__.c.dedupe_key)  # type: ignore[attr-defined]
    )
    return session.execute(statement).scalar_one_or_none() is not None


def _duplicate(session: Session, taken: SmsDedupe, length: SmsLength) -> Enqueued:
    """The earlier message stands. Its month may have been detached for the archive: the key
    still says it was queued, and there is then no due time to tell."""
    message = _message_of(session, taken)
    return Enqueued("duplicate", taken.outbox_id, message.not_before if message else None, length)


def _message_of(session: Session, taken: SmsDedupe) -> OutboxMessage | None:
    """The key's message, looked for in its month's partition alone (id and month)."""
    return session.exec(
        select(OutboxMessage).where(
            OutboxMessage.id == taken.outbox_id, OutboxMessage.created_at == taken.queued_at
        )
    ).first()


def _key_taken(session: Session, dedupe_key: str) -> SmsDedupe | None:
    return session.get(SmsDedupe, dedupe_key)


def _by_dedupe_key(session: Session, dedupe_key: str) -> OutboxMessage | None:
    taken = _key_taken(session, dedupe_key)
    return _message_of(session, taken) if taken is not None else None


def cancel_queued(session: Session, message_id: int, now: datetime) -> bool:
    """Withdraw a message that has not left yet (a reminder of an appointment called off);
    False when it has gone or is being sent. One conditional UPDATE, so a worker claiming the
    same row at the same moment either has it first or never sees it. No commit here."""
    result = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, OutboxMessage.status == Status.QUEUED.value)
        .values(status=Status.CANCELLED.value, finished_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


def get_message(session: Session, message_id: int) -> OutboxMessage | None:
    return session.get(OutboxMessage, message_id)


# --- opt-out ----------------------------------------------------------------------------------


def is_opted_out(session: Session, phone: str) -> bool:
    row = session.get(OptOut, phone)
    return bool(row and row.opted_out)


def set_opt_out(
    session: Session, *, phone: str, opted_out: bool, gateway: str, keyword: str, at: datetime
) -> bool:
    """Record the number's choice; publish SmsOptOutChanged only when it changes."""
    row = session.get(OptOut, phone)
    if (row is None and not opted_out) or (row is not None and row.opted_out == opted_out):
        return False
    if row is None:
        row = OptOut(phone=phone, opted_out=opted_out, changed_at=at, gateway=gateway, keyword="")
    row.opted_out = opted_out
    row.changed_at = at
    row.gateway = gateway
    row.keyword = keyword[:16]
    session.add(row)
    session.flush()
    bus.publish(session, SmsOptOutChanged(phone=phone, opted_out=opted_out, at=at, gateway=gateway))
    return True


# --- inbound replies --------------------------------------------------------------------------


@dataclass(frozen=True)
class InboundSms:
    gateway: str
    provider_message_id: str
    phone: str  # E.164
    text: str
    received_at: datetime


def _previous_command(
    session: Session, phone: str, before: datetime
) -> tuple[Command | None, datetime | None]:
    row = session.exec(
        select(InboundMessage)
        .where(InboundMessage.phone == phone, col(InboundMessage.received_at) <= before)
        .order_by(col(InboundMessage.received_at).desc(), col(InboundMessage.id).desc())
        .limit(1)
    ).first()
    if row is None:
        return None, None
    return Command(row.command), row.received_at


def receive(
    session: Session,
    sms: InboundSms,
    *,
    now: datetime,
    confirm_opt_out: bool,
    rules: SendingRules | None = None,
) -> str:
    """Record one inbound text and act on it, in the session's transaction (no commit).

    Returns "duplicate" when this (gateway, provider id) was seen before: nothing else happens.
    Opt-out and opt-in words change the number's opt-out state; every other text is published
    as SmsReplyReceived for the subscriber (activation), which knows the people and offers.
    """
    rules = rules or current_rules()
    parsed = parse_reply(sms.text)
    command = parsed.command
    if command is Command.UNKNOWN:
        previous, previous_at = _previous_command(session, sms.phone, sms.received_at)
        hours = rules.params_at(sms.received_at).int("notifications.reason_window_hours")
        command = classify_free_text(previous, previous_at, sms.received_at, timedelta(hours=hours))
    inbound_id = insert_once(
        session,
        InboundMessage,
        {
            "gateway": sms.gateway,
            "provider_message_id": sms.provider_message_id[:80],
            "phone": sms.phone,
            "text": sms.text[:1600],
            "command": command.value,
            "code": parsed.code,
            "received_at": sms.received_at,
            "recorded_at": now,
        },
        ["gateway", "provider_message_id"],
    )
    if inbound_id is None:
        log.info(
            "SMS in via %s from %s: a repeat push, ignored", sms.gateway, mask_phone(sms.phone)
        )
        return "duplicate"
    log.info("SMS in via %s from %s: %s", sms.gateway, mask_phone(sms.phone), command.value)

    if command in (Command.OPT_OUT, Command.OPT_IN):
        opted_out = command is Command.OPT_OUT
        changed = set_opt_out(
            session,
            phone=sms.phone,
            opted_out=opted_out,
            gateway=sms.gateway,
            keyword=sms.text.strip(),
            at=sms.received_at,
        )
        if changed and confirm_opt_out:
            _confirm(session, sms.phone, opted_out, inbound_id, now=now, rules=rules)
        return command.value

    bus.publish(
        session,
        SmsReplyReceived(
            phone=sms.phone,
            command=command.value,
            code=parsed.code,
            text=sms.text,
            received_at=sms.received_at,
            gateway=sms.gateway,
            provider_message_id=sms.provider_message_id,
        ),
    )
    return command.value


def _confirm(
    session: Session,
    phone: str,
    opted_out: bool,
    inbound_id: int,
    *,
    now: datetime,
    rules: SendingRules,
) -> None:
    """Answer STOP/START ourselves where no platform does (Kannel, console). In the person's
    language we do not know (notifications does not know members), so the office default."""
    enqueue(
        session,
        phone=phone,
        locale="zh_CN",
        template_key="opt_out_confirmation" if opted_out else "opt_in_confirmation",
        params={},
        reference=None,
        urgent=True,
        dedupe_key=f"sms-in:{inbound_id}:confirm",
        now=now,
        rules=rules,
    )


# --- delivery receipts ------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    gateway: str
    receipt_key: str  # unique per report: a repeat push has the same key
    status: Status | None  # None: an intermediate report that changes nothing
    reported_at: datetime
    provider_message_id: str | None = None
    outbox_key: str | None = None  # our key, when the provider echoes it
    detail: str | None = None


def record_receipt(session: Session, receipt: Receipt, *, now: datetime) -> str:
    """Apply one delivery report (no commit). Returns "duplicate", "unknown-message",
    "recorded" (kept, status unchanged) or the new status.

    The status only moves forward (notifications/receipts.py); on reaching a final status
    SmsDeliveryChanged is published with the caller's reference.
    """
    message = None
    if receipt.outbox_key:
        message = _by_dedupe_key(session, receipt.outbox_key)
    if message is None and receipt.provider_message_id:
        message = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.gateway == receipt.gateway,
                OutboxMessage.provider_message_id == receipt.provider_message_id,
            )
        ).first()
    receipt_id = insert_once(
        session,
        DeliveryReceipt,
        {
            "gateway": receipt.gateway,
            "receipt_key": receipt.receipt_key[:160],
            "outbox_id": message.id if message else None,
            "status": receipt.status.value if receipt.status else "progress",
            "detail": (receipt.detail or "")[:120] or None,
            "reported_at": receipt.reported_at,
            "recorded_at": now,
        },
        ["gateway", "receipt_key"],
    )
    if receipt_id is None:
        return "duplicate"
    if message is None or message.id is None:
        log.warning("receipt via %s for a message we do not know", receipt.gateway)
        return "unknown-message"
    new = receipt.status
    if new is None:
        return "recorded"
    earlier = [s.value for s in Status if s not in FINAL and rank(s) < rank(new)]
    values: dict[str, Any] = {"status": new.value}
    if new in FINAL:
        values["finished_at"] = receipt.reported_at
    if receipt.provider_message_id and not message.provider_message_id:
        values["provider_message_id"] = receipt.provider_message_id[:80]
    changed = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.id) == message.id,
            col(OutboxMessage.created_at) == message.created_at,
            col(OutboxMessage.status).in_(earlier),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.expire(message)
    if not changed:
        return "recorded"
    if new in FINAL:
        bus.publish(
            session,
            SmsDeliveryChanged(
                message_id=message.id,
                reference=message.reference,
                delivered=new is Status.DELIVERED,
                status=new.value,
                at=receipt.reported_at,
            ),
        )
    return new.value


# --- webhook units of work --------------------------------------------------------------------


def take_in_replies(
    session: Session,
    messages: list[InboundSms],
    *,
    now: datetime,
    confirm_opt_out: bool,
    rules: SendingRules | None = None,
) -> list[str]:
    """One push from a gateway: every message, its events and their handlers, one commit."""
    outcomes = [
        receive(session, m, now=now, confirm_opt_out=confirm_opt_out, rules=rules) for m in messages
    ]
    session.commit()
    return outcomes


def take_in_receipts(session: Session, receipts: list[Receipt], *, now: datetime) -> list[str]:
    outcomes = [record_receipt(session, r, now=now) for r in receipts]
    session.commit()
    return outcomes
