"""SMS gateway adapters behind one port, chosen by ``WORKBRIDGE_SMS_GATEWAY``."""

from __future__ import annotations

import logging
import ssl

import certifi
import httpx

from notifications.gateways.alibaba import AlibabaGateway
from notifications.gateways.base import Accepted, GatewayError, OutgoingSms, SmsGateway
from notifications.gateways.console import ConsoleGateway
from notifications.gateways.kannel import KannelGateway
from notifications.gateways.rotation import RotatingTransport
from notifications.gateways.tencent import TencentGateway
from notifications.gateways.twilio import TwilioGateway
from notifications.settings import SmsSettings

__all__ = [
    "Accepted",
    "AlibabaGateway",
    "ConsoleGateway",
    "GatewayError",
    "KannelGateway",
    "OutgoingSms",
    "SmsGateway",
    "TencentGateway",
    "TwilioGateway",
    "build_gateway",
    "new_http_client",
]


def new_http_client(settings: SmsSettings) -> httpx.AsyncClient:
    """The process's one client: explicit timeouts, a pool as wide as the worker's concurrency.

    With ``http2`` the client offers h2 in TLS's ALPN: a gateway that takes it gets the worker's
    concurrent sends as streams of one connection (no handshake per connection, one TCP window);
    one that answers http/1.1, and every plain-HTTP URL, gets keep-alive HTTP/1.1 connections.
    Pools are renewed every ``http2_max_requests`` requests (gateways/rotation.py says why).

    httpx logs every request URL at INFO; Kannel's URL holds the text, the phone and the
    password, so that logger is held at WARNING.
    """
    logging.getLogger("httpx").setLevel(logging.WARNING)
    timeout = httpx.Timeout(
        connect=settings.connect_timeout_seconds,
        read=settings.read_timeout_seconds,
        write=settings.read_timeout_seconds,
        pool=settings.read_timeout_seconds,
    )
    limits = httpx.Limits(
        max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency
    )
    verify = tls_context(settings)
    if not settings.http2:
        return httpx.AsyncClient(
            timeout=timeout, limits=limits, follow_redirects=False, verify=verify
        )

    def pool() -> httpx.AsyncHTTPTransport:
        return httpx.AsyncHTTPTransport(http2=True, limits=limits, verify=verify)

    transport = RotatingTransport(pool, settings.http2_max_requests)
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False, transport=transport)


def tls_context(settings: SmsSettings) -> ssl.SSLContext:
    """Certificates checked against certifi's roots (httpx's own default), or only ``ca_file``."""
    return ssl.create_default_context(cafile=settings.ca_file or certifi.where())


def build_gateway(settings: SmsSettings, client: httpx.AsyncClient) -> SmsGateway:
    if settings.gateway == "twilio":
        return TwilioGateway(client, settings)
    if settings.gateway == "alibaba":
        return AlibabaGateway(client, settings)
    if settings.gateway == "tencent":
        return TencentGateway(client, settings)
    if settings.gateway == "kannel":
        return KannelGateway(settings)  # its own keep-alive connections (gateways/kannel.py)
    return ConsoleGateway()
