"""Keep message content, phone numbers and callback secrets out of access logs.

Kannel calls our MO webhook with the sender and the text in the query string, and the
push-only webhooks carry a secret token in the path; an access log line would record both.
This filter rewrites any ``/webhooks/sms/...`` path in a log record to the gateway and the
endpoint only.
"""

from __future__ import annotations

import logging
import re

_WEBHOOK = re.compile(r"/webhooks/sms/(twilio|alibaba|tencent|kannel)(/[^\s?\"']*)?(\?[^\s\"']*)?")


def redact_webhook_paths(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        gateway, rest = match.group(1), (match.group(2) or "")
        endpoint = rest.rstrip("/").rsplit("/", 1)[-1] if rest else ""
        hidden = "/***" if gateway in ("alibaba", "tencent", "kannel") else ""
        query = "?…" if match.group(3) else ""
        return f"/webhooks/sms/{gateway}{hidden}/{endpoint}{query}"

    return _WEBHOOK.sub(replace, text)


class RedactWebhookPathsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_webhook_paths(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_webhook_paths(a) if isinstance(a, str) else a for a in record.args
            )
        return True
