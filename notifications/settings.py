"""SMS settings, read from ``WORKBRIDGE_SMS_*`` environment variables.

They live here rather than in ``kernel.settings`` because only this context reads them; the
composition root passes them to ``create_app`` alongside the kernel's settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

GATEWAYS = ("console", "twilio", "alibaba", "tencent", "kannel")


class SmsSettingsError(ValueError):
    pass


def parse_mapping(raw: str) -> dict[str, str]:
    """``"job_offer=SMS_100,training_offer=SMS_101"`` → a dict (provider template codes)."""
    mapping: dict[str, str] = {}
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise SmsSettingsError(f"expected key=value, got {item!r}")
        mapping[key.strip()] = value.strip()
    return mapping


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise SmsSettingsError(f"expected true or false, got {raw!r}")


@dataclass(frozen=True)
class SmsSettings:
    gateway: str = "console"
    # 【签名】: counted in every message's length; Chinese platforms add it from SignName.
    signature: str = "【定远就业】"
    # Where gateways reach us: Twilio signs the public URL, Kannel and Twilio get callback URLs.
    public_base_url: str = "http://127.0.0.1:8000"
    # Shared secret in the path of push-only webhooks (Alibaba, Tencent, Kannel): they carry no
    # signature of their own. Empty means those webhooks refuse every call.
    callback_token: str = ""

    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    twilio_messaging_service_sid: str = ""
    twilio_base_url: str = "https://api.twilio.com"

    alibaba_access_key_id: str = ""
    alibaba_access_key_secret: str = ""
    alibaba_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    alibaba_region: str = "cn-hangzhou"
    alibaba_templates: Mapping[str, str] = field(default_factory=dict)

    tencent_secret_id: str = ""
    tencent_secret_key: str = ""
    tencent_sdk_app_id: str = ""
    tencent_endpoint: str = "https://sms.tencentcloudapi.com/"
    tencent_region: str = "ap-guangzhou"
    tencent_templates: Mapping[str, str] = field(default_factory=dict)

    kannel_sendsms_url: str = "http://127.0.0.1:13013/cgi-bin/sendsms"
    kannel_username: str = ""
    kannel_password: str = ""
    kannel_from: str = ""

    # Sending: bounded concurrency, a token bucket per gateway shared in the database
    # (ratelimit.py), retries with backoff.
    rate_per_second: float = 20.0
    burst: int = 20
    concurrency: int = 8
    batch_size: int = 100
    max_attempts: int = 8
    backoff_base_seconds: float = 2.0
    backoff_max_seconds: float = 900.0
    lease_seconds: float = 60.0
    poll_seconds: float = 1.0
    connect_timeout_seconds: float = 5.0
    read_timeout_seconds: float = 15.0
    worker_in_app: bool = False
    # HTTPS gateways (Twilio, Alibaba, Tencent) that offer HTTP/2 in TLS's ALPN carry every
    # concurrent send of a worker as a stream of one connection; a gateway that offers only
    # HTTP/1.1 gets keep-alive connections as before. Off forces HTTP/1.1.
    http2: bool = True
    # Over HTTP/2 a new connection every this many requests, below the gateway's own limit
    # (nginx and Hypercorn: 1,000), so the gateway's GOAWAY never cuts sends in flight
    # (gateways/rotation.py).
    http2_max_requests: int = 500
    # A PEM bundle to trust instead of the system's, for a gateway behind a private CA (a
    # province's own SMS platform). Empty: certifi's public roots.
    ca_file: str = ""

    def __post_init__(self) -> None:
        if self.gateway not in GATEWAYS:
            raise SmsSettingsError(
                f"WORKBRIDGE_SMS_GATEWAY must be one of {', '.join(GATEWAYS)}, not {self.gateway!r}"
            )
        if self.concurrency < 1 or self.batch_size < 1 or self.max_attempts < 1:
            raise SmsSettingsError("concurrency, batch size and max attempts must be positive")
        if self.rate_per_second < 0 or self.lease_seconds <= 0:
            raise SmsSettingsError("the rate must be >= 0 and the lease > 0 seconds")
        if self.http2_max_requests < 1:
            raise SmsSettingsError("WORKBRIDGE_SMS_HTTP2_MAX_REQUESTS must be positive")
        if self.ca_file and not os.path.isfile(self.ca_file):
            raise SmsSettingsError(f"WORKBRIDGE_SMS_CA_FILE is not a file: {self.ca_file!r}")

    @property
    def sign_name(self) -> str:
        """The signature as Alibaba's SignName / Tencent's SignName: without 【】."""
        return self.signature.strip().removeprefix("【").removesuffix("】")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmsSettings:
        env = os.environ if env is None else env
        defaults = cls()

        def text(name: str, default: str) -> str:
            return env.get(f"WORKBRIDGE_SMS_{name}", default)

        def number(name: str, default: float) -> float:
            raw = env.get(f"WORKBRIDGE_SMS_{name}")
            try:
                return default if raw is None else float(raw)
            except ValueError as exc:
                raise SmsSettingsError(f"WORKBRIDGE_SMS_{name} must be a number") from exc

        return cls(
            gateway=text("GATEWAY", defaults.gateway).strip().lower(),
            signature=text("SIGNATURE", defaults.signature),
            public_base_url=text("PUBLIC_BASE_URL", defaults.public_base_url).rstrip("/"),
            callback_token=text("CALLBACK_TOKEN", ""),
            twilio_account_sid=text("TWILIO_ACCOUNT_SID", ""),
            twilio_auth_token=text("TWILIO_AUTH_TOKEN", ""),
            twilio_from=text("TWILIO_FROM", ""),
            twilio_messaging_service_sid=text("TWILIO_MESSAGING_SERVICE_SID", ""),
            twilio_base_url=text("TWILIO_BASE_URL", defaults.twilio_base_url).rstrip("/"),
            alibaba_access_key_id=text("ALIBABA_ACCESS_KEY_ID", ""),
            alibaba_access_key_secret=text("ALIBABA_ACCESS_KEY_SECRET", ""),
            alibaba_endpoint=text("ALIBABA_ENDPOINT", defaults.alibaba_endpoint),
            alibaba_region=text("ALIBABA_REGION", defaults.alibaba_region),
            alibaba_templates=parse_mapping(text("ALIBABA_TEMPLATES", "")),
            tencent_secret_id=text("TENCENT_SECRET_ID", ""),
            tencent_secret_key=text("TENCENT_SECRET_KEY", ""),
            tencent_sdk_app_id=text("TENCENT_SDK_APP_ID", ""),
            tencent_endpoint=text("TENCENT_ENDPOINT", defaults.tencent_endpoint),
            tencent_region=text("TENCENT_REGION", defaults.tencent_region),
            tencent_templates=parse_mapping(text("TENCENT_TEMPLATES", "")),
            kannel_sendsms_url=text("KANNEL_SENDSMS_URL", defaults.kannel_sendsms_url),
            kannel_username=text("KANNEL_USERNAME", ""),
            kannel_password=text("KANNEL_PASSWORD", ""),
            kannel_from=text("KANNEL_FROM", ""),
            rate_per_second=number("RATE_PER_SECOND", defaults.rate_per_second),
            burst=int(number("BURST", defaults.burst)),
            concurrency=int(number("CONCURRENCY", defaults.concurrency)),
            batch_size=int(number("BATCH_SIZE", defaults.batch_size)),
            max_attempts=int(number("MAX_ATTEMPTS", defaults.max_attempts)),
            backoff_base_seconds=number("BACKOFF_BASE_SECONDS", defaults.backoff_base_seconds),
            backoff_max_seconds=number("BACKOFF_MAX_SECONDS", defaults.backoff_max_seconds),
            lease_seconds=number("LEASE_SECONDS", defaults.lease_seconds),
            poll_seconds=number("POLL_SECONDS", defaults.poll_seconds),
            connect_timeout_seconds=number(
                "CONNECT_TIMEOUT_SECONDS", defaults.connect_timeout_seconds
            ),
            read_timeout_seconds=number("READ_TIMEOUT_SECONDS", defaults.read_timeout_seconds),
            worker_in_app=_bool(text("WORKER_IN_APP", "false")),
            http2=_bool(text("HTTP2", "true")),
            http2_max_requests=int(number("HTTP2_MAX_REQUESTS", defaults.http2_max_requests)),
            ca_file=text("CA_FILE", "").strip(),
        )
