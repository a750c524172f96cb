"""Turn what each gateway pushes into ``InboundSms`` and ``Receipt`` values, or refuse it.

Everything here is checked before anything is written: a malformed body is a 400, a body
with a bad field a 422 listing every problem, and in both cases the database is untouched.

Authentication choices (SMS.md): Twilio signs its requests (``X-Twilio-Signature``), so we
verify the signature over the public URL. Alibaba and Tencent pushes and Kannel's get-url and
dlr-url carry no signature, so their URLs contain a long random secret
(``WORKBRIDGE_SMS_CALLBACK_TOKEN``) in the path, compared in constant time; the URL is only
ever given to the provider's console or Kannel's configuration, travels over HTTPS in
production, and is redacted from our access log (notifications/logs.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from kernel.errors import InvalidInput, Problem
from kernel.messages import say
from kernel.web import parse_json_body
from notifications import receipts
from notifications.phones import InvalidPhone, to_e164
from notifications.schemas import AlibabaReply, AlibabaReport, TencentReply, TencentReport
from notifications.services import InboundSms, Receipt

# Alibaba and Tencent report wall-clock times in China Standard Time.
PROVIDER_ZONE = ZoneInfo("Asia/Shanghai")
MAX_ITEMS = 1000

M = TypeVar("M", bound=BaseModel)


def parse_json(body: bytes) -> Any:
    return parse_json_body(body)


def validate_items(model: type[M], data: Any, *, many: bool) -> list[M]:
    """Validate a pushed object or array; every problem is listed (field paths like 0.sid)."""
    if many:
        if not isinstance(data, list):
            raise InvalidInput(Problem(None, "schema", "expected a JSON array"))
        if len(data) > MAX_ITEMS:
            raise InvalidInput(
                Problem(None, "schema", say("at most %(value)s items per push", value=MAX_ITEMS))
            )
    adapter: TypeAdapter[Any] = TypeAdapter(list[model] if many else model)  # type: ignore[valid-type]
    try:
        value = adapter.validate_python(data)
    except PydanticValidationError as exc:
        raise InvalidInput(
            [
                Problem(".".join(str(p) for p in err["loc"]) or None, "schema", err["msg"])
                for err in exc.errors()
            ]
        ) from exc
    return list(value) if many else [value]


def _phone(raw: str, field: str, problems: list[Problem], country_code: str = "86") -> str:
    try:
        return to_e164(raw, country_code=country_code)
    except InvalidPhone as exc:
        problems.append(Problem(field, "e164", str(exc)))
        return ""


def provider_time(
    raw: str | None, field: str, problems: list[Problem], fallback: datetime
) -> datetime:
    """``2026-03-02 09:15:00`` in China Standard Time → an aware UTC instant."""
    if not raw:
        return fallback
    try:
        local = datetime.strptime(raw.strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        problems.append(Problem(field, "schema", "expected YYYY-MM-DD HH:MM:SS"))
        return fallback
    return local.replace(tzinfo=PROVIDER_ZONE).astimezone(UTC)


def unix_time(raw: Any, field: str, problems: list[Problem], fallback: datetime) -> datetime:
    if raw in (None, ""):
        return fallback
    try:
        return datetime.fromtimestamp(int(str(raw)), UTC)
    except (ValueError, OverflowError, OSError):
        problems.append(Problem(field, "schema", "expected a Unix time in seconds"))
        return fallback


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise InvalidInput(problems)


# --- Alibaba ----------------------------------------------------------------------------------


def alibaba_receipts(data: Any, *, now: datetime) -> list[Receipt]:
    problems: list[Problem] = []
    found = []
    for i, item in enumerate(validate_items(AlibabaReport, data, many=True)):
        status = receipts.alibaba_status(item.success)
        found.append(
            Receipt(
                gateway="alibaba",
                receipt_key=f"{item.biz_id}:{int(item.success)}:{item.err_code or ''}",
                status=status,
                reported_at=provider_time(item.report_time, f"{i}.report_time", problems, now),
                provider_message_id=item.biz_id,
                outbox_key=item.out_id or None,
                detail=item.err_code,
            )
        )
    _raise(problems)
    return found


def alibaba_replies(data: Any, *, now: datetime) -> list[InboundSms]:
    problems: list[Problem] = []
    found = []
    for i, item in enumerate(validate_items(AlibabaReply, data, many=True)):
        found.append(
            InboundSms(
                gateway="alibaba",
                provider_message_id=str(item.sequence_id),
                phone=_phone(item.phone_number, f"{i}.phone_number", problems),
                text=item.content,
                received_at=provider_time(item.send_time, f"{i}.send_time", problems, now),
            )
        )
    _raise(problems)
    return found


# --- Tencent ----------------------------------------------------------------------------------


def tencent_receipts(data: Any, *, now: datetime) -> list[Receipt]:
    problems: list[Problem] = []
    found = []
    for i, item in enumerate(validate_items(TencentReport, data, many=True)):
        status = receipts.tencent_status(item.report_status)
        if status is None:
            problems.append(Problem(f"{i}.report_status", "schema", "expected SUCCESS or FAIL"))
        found.append(
            Receipt(
                gateway="tencent",
                receipt_key=f"{item.sid}:{item.report_status}:{item.errmsg or ''}",
                status=status,
                reported_at=provider_time(
                    item.user_receive_time, f"{i}.user_receive_time", problems, now
                ),
                provider_message_id=item.sid,
                detail=item.errmsg,
            )
        )
    _raise(problems)
    return found


def tencent_reply(data: Any, *, now: datetime) -> InboundSms:
    """Tencent's reply callback has no message id: the number, its time and a hash of the
    text identify a repeat push."""
    problems: list[Problem] = []
    (item,) = validate_items(TencentReply, data, many=False)
    phone = _phone(item.mobile, "mobile", problems, country_code=item.nationcode or "86")
    received_at = unix_time(item.time, "time", problems, now)
    _raise(problems)
    digest = hashlib.sha256(item.text.encode("utf-8")).hexdigest()[:16]
    return InboundSms(
        gateway="tencent",
        provider_message_id=f"{phone}:{item.time}:{digest}",
        phone=phone,
        text=item.text,
        received_at=received_at,
    )


# --- Twilio -----------------------------------------------------------------------------------


def _required(form: Mapping[str, str], names: Sequence[str], problems: list[Problem]) -> None:
    for name in names:
        if not form.get(name):
            problems.append(Problem(name, "schema", "missing"))
    # Forms and query strings are not read through a schema: refuse NUL here (PostgreSQL
    # cannot store it, kernel.types explains).
    for name, value in form.items():
        if "\x00" in value:
            problems.append(Problem(name, "schema", "text must not contain NUL characters"))


def twilio_reply(form: Mapping[str, str], *, now: datetime) -> InboundSms:
    problems: list[Problem] = []
    _required(form, ("MessageSid", "From"), problems)
    if "Body" not in form:
        problems.append(Problem("Body", "schema", "missing"))
    phone = _phone(form.get("From", ""), "From", problems) if form.get("From") else ""
    _raise(problems)
    return InboundSms(
        gateway="twilio",
        provider_message_id=form["MessageSid"],
        phone=phone,
        text=form["Body"],
        received_at=now,
    )


def twilio_receipt(form: Mapping[str, str], *, key: str | None, now: datetime) -> Receipt:
    problems: list[Problem] = []
    _required(form, ("MessageSid", "MessageStatus"), problems)
    _raise(problems)
    value = form["MessageStatus"]
    known = {
        "queued", "sending", "sent", "failed", "delivered", "undelivered", "receiving",
        "received", "accepted", "scheduled", "read", "partially_delivered", "canceled",
    }  # fmt: skip
    if value not in known:
        raise InvalidInput(Problem("MessageStatus", "schema", "not a Twilio message status"))
    return Receipt(
        gateway="twilio",
        receipt_key=f"{form['MessageSid']}:{value}",
        status=receipts.twilio_status(value),
        reported_at=now,
        provider_message_id=form["MessageSid"],
        outbox_key=key or None,
        detail=form.get("ErrorCode") or value,
    )


# --- Kannel -----------------------------------------------------------------------------------


def kannel_reply(query: Mapping[str, str], *, now: datetime) -> InboundSms:
    """get-url ``?from=%p&to=%P&text=%b&id=%I&at=%T`` (mo-recode makes UCS-2 arrive as UTF-8)."""
    problems: list[Problem] = []
    _required(query, ("from", "id"), problems)
    if "text" not in query:
        problems.append(Problem("text", "schema", "missing"))
    phone = _phone(query.get("from", ""), "from", problems) if query.get("from") else ""
    received_at = unix_time(query.get("at"), "at", problems, now)
    _raise(problems)
    return InboundSms(
        gateway="kannel",
        provider_message_id=query["id"],
        phone=phone,
        text=query["text"],
        received_at=received_at,
    )


def kannel_receipt(query: Mapping[str, str], *, now: datetime) -> Receipt:
    """dlr-url ``?key=<outbox key>&type=%d&at=%T``."""
    problems: list[Problem] = []
    _required(query, ("key", "type"), problems)
    dlr_type = -1
    if query.get("type"):
        try:
            dlr_type = int(query["type"])
        except ValueError:
            problems.append(Problem("type", "schema", "expected Kannel's %d report type"))
    if dlr_type not in (-1, 1, 2, 4, 8, 16):
        problems.append(Problem("type", "schema", "expected 1, 2, 4, 8 or 16"))
    reported_at = unix_time(query.get("at"), "at", problems, now)
    _raise(problems)
    return Receipt(
        gateway="kannel",
        receipt_key=f"{query['key']}:{dlr_type}",
        status=receipts.kannel_status(dlr_type),
        reported_at=reported_at,
        provider_message_id=query["key"],
        outbox_key=query["key"],
        detail=str(dlr_type),
    )
