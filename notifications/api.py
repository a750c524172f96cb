"""Webhooks the SMS gateways call: replies (MO) and delivery receipts (DLR).

They sit outside token authentication (a gateway has no Workbridge token) but each is
authenticated by its gateway's own mechanism first (notifications/webhooks.py explains the
choice per gateway): a forged or unsigned call gets 403 and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

from litestar import Controller, Request, Response
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.params import FromPath, RawBody
from sqlmodel import Session

from kernel.auth import Principal, Role
from kernel.clock import Clock
from kernel.db import RequestSession
from kernel.errors import Forbidden, Problem
from kernel.messages import N_, say
from kernel.visibility import Access
from kernel.web import BODY_MEDIA_TYPE, close_session, context_for, get, post, problem_responses
from notifications import webhooks
from notifications.gateways import AlibabaGateway, KannelGateway, TencentGateway, TwilioGateway
from notifications.services import (
    InboundSms,
    Receipt,
    SendingRules,
    take_in_receipts,
    take_in_replies,
)
from notifications.settings import SmsSettings
from notifications.signing import token_matches, twilio_signature_valid

log = logging.getLogger("notifications.webhooks")

# Where no platform answers STOP / 退订 for us, we confirm it ourselves.
CONFIRM_OPT_OUT = {
    g.name: not g.confirms_opt_out
    for g in (TwilioGateway, AlibabaGateway, TencentGateway, KannelGateway)
}
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
ALIBABA_OK = {"code": 0, "msg": "接收成功"}
TENCENT_OK = {"result": 0, "errmsg": "OK"}
RESPONSES = problem_responses(400, 415, 422)


GATEWAY = Principal(kind="gateway", id=0, name="sms-gateway", role=Role.ADMIN)


async def provide_session(request: Request[Any, Any, Any]) -> AsyncIterator[Session]:
    """A session bound to a use-case context whose actor is the gateway, so the handlers the
    events reach (activation's) act with the app's clock and policy. It is used and closed on
    the handler's thread (``kernel.web.in_unit_of_work``); nothing here touches the database."""
    session = RequestSession(request.app.state.engine, writing=True)
    context_for(request.app.state, session, GATEWAY)
    try:
        yield session
    finally:
        await close_session(session)


DbSession = NamedDependency[Session]


def _state(request: Request[Any, Any, Any]) -> tuple[SmsSettings, SendingRules, Clock]:
    state = request.app.state
    return state.sms_settings, state.sms_rules, state.clock


def _forbidden(gateway: str) -> Forbidden:
    log.warning("refused an unauthenticated %s webhook call", gateway)
    return Forbidden(
        Problem(None, "webhook-auth", say("not a genuine %(gateway)s callback", gateway=gateway))
    )


def _check_token(settings: SmsSettings, token: str, gateway: str) -> None:
    if not token_matches(settings.callback_token, token):
        raise _forbidden(gateway)


def _form(body: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValidationException(detail=N_("the body is not a UTF-8 form")) from exc


def _query(request: Request[Any, Any, Any]) -> dict[str, str]:
    raw = request.scope.get("query_string", b"")
    try:
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError as exc:
        raise ValidationException(detail=N_("the query string is not UTF-8")) from exc


def _public_url(settings: SmsSettings, request: Request[Any, Any, Any]) -> str:
    """The URL Twilio signed: our public base URL, not the one a proxy forwarded to us."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    return f"{settings.public_base_url}{request.url.path}" + (f"?{query}" if query else "")


def _replies(
    request: Request[Any, Any, Any], session: Session, gateway: str, items: list[InboundSms]
) -> None:
    _, rules, clock = _state(request)
    take_in_replies(
        session, items, now=clock.now(), confirm_opt_out=CONFIRM_OPT_OUT[gateway], rules=rules
    )


def _receipts(request: Request[Any, Any, Any], session: Session, items: list[Receipt]) -> None:
    take_in_receipts(session, items, now=_state(request)[2].now())


class TwilioWebhooks(Controller):
    path = "/webhooks/sms/twilio"
    tags = ["SMS webhooks"]
    opt = {"exclude_from_auth": True, BODY_MEDIA_TYPE: RequestEncodingType.URL_ENCODED}
    dependencies = {"session": Provide(provide_session)}

    def _verified(self, request: Request[Any, Any, Any], body: bytes) -> dict[str, str]:
        settings, _, _ = _state(request)
        pairs = _form(body)
        if not twilio_signature_valid(
            settings.twilio_auth_token,
            _public_url(settings, request),
            pairs,
            request.headers.get("x-twilio-signature"),
        ):
            raise _forbidden("twilio")
        return dict(pairs)

    @post(
        "/inbound",
        access=Access.PUBLIC,
        summary="Twilio: a text from a recipient (signed with X-Twilio-Signature)",
        status_code=200,
        responses=RESPONSES,
    )
    def inbound(
        self, request: Request[Any, Any, Any], body: RawBody, session: DbSession
    ) -> Response[str]:
        form = self._verified(request, body)
        sms = webhooks.twilio_reply(form, now=_state(request)[2].now())
        _replies(request, session, "twilio", [sms])
        return Response(TWIML_EMPTY, media_type="text/xml")

    @post(
        "/status",
        access=Access.PUBLIC,
        summary="Twilio: a status callback for a message we sent",
        status_code=200,
        responses=RESPONSES,
    )
    def status(
        self, request: Request[Any, Any, Any], body: RawBody, session: DbSession
    ) -> Response[str]:
        form = self._verified(request, body)
        key = _query(request).get("key")
        receipt = webhooks.twilio_receipt(form, key=key, now=_state(request)[2].now())
        _receipts(request, session, [receipt])
        return Response("", media_type="text/plain")


class AlibabaWebhooks(Controller):
    path = "/webhooks/sms/alibaba/{token:str}"
    tags = ["SMS webhooks"]
    opt = {"exclude_from_auth": True, BODY_MEDIA_TYPE: RequestEncodingType.JSON}
    dependencies = {"session": Provide(provide_session)}

    @post(
        "/report",
        access=Access.PUBLIC,
        summary="Alibaba SmsReport: delivery receipts (a JSON array; secret token in the path)",
        status_code=200,
        responses=RESPONSES,
    )
    def report(
        self,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        body: RawBody,
        session: DbSession,
    ) -> dict[str, Any]:
        _check_token(_state(request)[0], token, "alibaba")
        items = webhooks.alibaba_receipts(webhooks.parse_json(body), now=_state(request)[2].now())
        _receipts(request, session, items)
        return ALIBABA_OK

    @post(
        "/up",
        access=Access.PUBLIC,
        summary="Alibaba SmsUp: replies (a JSON array; secret token in the path)",
        status_code=200,
        responses=RESPONSES,
    )
    def up(
        self,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        body: RawBody,
        session: DbSession,
    ) -> dict[str, Any]:
        _check_token(_state(request)[0], token, "alibaba")
        items = webhooks.alibaba_replies(webhooks.parse_json(body), now=_state(request)[2].now())
        _replies(request, session, "alibaba", items)
        return ALIBABA_OK


class TencentWebhooks(Controller):
    path = "/webhooks/sms/tencent/{token:str}"
    tags = ["SMS webhooks"]
    opt = {"exclude_from_auth": True, BODY_MEDIA_TYPE: RequestEncodingType.JSON}
    dependencies = {"session": Provide(provide_session)}

    @post(
        "/status",
        access=Access.PUBLIC,
        summary="Tencent: delivery status callback (a JSON array; secret token in the path)",
        status_code=200,
        responses=RESPONSES,
    )
    def status(
        self,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        body: RawBody,
        session: DbSession,
    ) -> dict[str, Any]:
        _check_token(_state(request)[0], token, "tencent")
        items = webhooks.tencent_receipts(webhooks.parse_json(body), now=_state(request)[2].now())
        _receipts(request, session, items)
        return TENCENT_OK

    @post(
        "/reply",
        access=Access.PUBLIC,
        summary="Tencent: a reply (one JSON object; secret token in the path)",
        status_code=200,
        responses=RESPONSES,
    )
    def reply(
        self,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        body: RawBody,
        session: DbSession,
    ) -> dict[str, Any]:
        _check_token(_state(request)[0], token, "tencent")
        sms = webhooks.tencent_reply(webhooks.parse_json(body), now=_state(request)[2].now())
        _replies(request, session, "tencent", [sms])
        return TENCENT_OK


class KannelWebhooks(Controller):
    path = "/webhooks/sms/kannel/{token:str}"
    tags = ["SMS webhooks"]
    opt = {"exclude_from_auth": True}
    dependencies = {"session": Provide(provide_session)}

    @get(
        "/mo",
        access=Access.PUBLIC,
        summary="Kannel get-url: a reply (from=%p&to=%P&text=%b&id=%I&at=%T)",
        responses=RESPONSES,
    )
    def mo(
        self, request: Request[Any, Any, Any], token: FromPath[str], session: DbSession
    ) -> Response[str]:
        _check_token(_state(request)[0], token, "kannel")
        sms = webhooks.kannel_reply(_query(request), now=_state(request)[2].now())
        _replies(request, session, "kannel", [sms])
        return Response("", media_type="text/plain")

    @get(
        "/dlr",
        access=Access.PUBLIC,
        summary="Kannel dlr-url: a delivery report (key=<outbox key>&type=%d&at=%T)",
        responses=RESPONSES,
    )
    def dlr(
        self, request: Request[Any, Any, Any], token: FromPath[str], session: DbSession
    ) -> Response[str]:
        _check_token(_state(request)[0], token, "kannel")
        receipt = webhooks.kannel_receipt(_query(request), now=_state(request)[2].now())
        _receipts(request, session, [receipt])
        return Response("", media_type="text/plain")


CONTROLLERS = [TwilioWebhooks, AlibabaWebhooks, TencentWebhooks, KannelWebhooks]
