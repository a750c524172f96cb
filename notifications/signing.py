"""Request signatures: checking Twilio's on webhooks, making Alibaba's and Tencent's on sends.

All three are pure functions of their inputs (clock values and nonces are parameters), so
each is unit-tested against the worked example its vendor publishes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from urllib.parse import quote

# --- Twilio: X-Twilio-Signature on inbound messages and status callbacks -------------------


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """base64(HMAC-SHA1(auth token, full URL + each POST name and value, sorted by name)).

    SMS.md gives the algorithm and a known vector. ``url`` must be the public URL the gateway
    called, query string included, not whatever a proxy rewrote it to.
    """
    payload = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def twilio_signature_valid(
    auth_token: str, url: str, params: Iterable[tuple[str, str]], given: str | None
) -> bool:
    if not auth_token or not given:
        return False
    expected = twilio_signature(auth_token, url, params)
    return hmac.compare_digest(expected.encode("ascii"), given.strip().encode("ascii", "replace"))


# --- Alibaba Cloud RPC signature (SignatureVersion 1.0, HMAC-SHA1) ---------------------------


def alibaba_percent_encode(value: str) -> str:
    """RFC 3986 encoding as Alibaba's RPC style wants it: only A-Z a-z 0-9 - _ . ~ stay,
    space is %20 (never +), and ``*`` is %2A."""
    return quote(value, safe="-_.~")


def alibaba_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    canonical = "&".join(
        f"{alibaba_percent_encode(k)}={alibaba_percent_encode(v)}"
        for k, v in sorted(params.items())
    )
    return f"{method.upper()}&{alibaba_percent_encode('/')}&{alibaba_percent_encode(canonical)}"


def alibaba_signature(access_key_secret: str, method: str, params: Mapping[str, str]) -> str:
    """Base64(HMAC-SHA1(secret + "&", StringToSign)), over every parameter but Signature."""
    digest = hmac.new(
        (access_key_secret + "&").encode(),
        alibaba_string_to_sign(method, params).encode("utf-8"),
        hashlib.sha1,
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def alibaba_timestamp(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- Tencent Cloud API 3.0 signature (TC3-HMAC-SHA256) --------------------------------------

TC3 = "TC3-HMAC-SHA256"


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac256(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def tencent_canonical_request(
    *, host: str, payload: bytes, content_type: str = "application/json; charset=utf-8"
) -> tuple[str, str]:
    """The canonical request of a JSON POST to ``/`` and the headers it signs."""
    signed_headers = "content-type;host"
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{content_type}\nhost:{host}\n",
            signed_headers,
            _sha256_hex(payload),
        ]
    )
    return canonical, signed_headers


def tencent_authorization(
    *,
    secret_id: str,
    secret_key: str,
    service: str,
    host: str,
    payload: bytes,
    timestamp: int,
    content_type: str = "application/json; charset=utf-8",
) -> str:
    """The ``Authorization`` header value for a TC3-HMAC-SHA256 signed JSON POST.

    The credential scope's date is the UTC date of ``timestamp`` (Tencent's documentation warns
    that a local date breaks signing just after midnight in UTC+8).
    """
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{day}/{service}/tc3_request"
    canonical, signed_headers = tencent_canonical_request(
        host=host, payload=payload, content_type=content_type
    )
    string_to_sign = f"{TC3}\n{timestamp}\n{scope}\n{_sha256_hex(canonical.encode('utf-8'))}"
    key = _hmac256(("TC3" + secret_key).encode(), day)
    key = _hmac256(key, service)
    key = _hmac256(key, "tc3_request")
    signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return (
        f"{TC3} Credential={secret_id}/{scope}, SignedHeaders={signed_headers}, "
        f"Signature={signature}"
    )


def token_matches(expected: str, given: str) -> bool:
    """Constant-time comparison of a path token; an unset expected token matches nothing."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
