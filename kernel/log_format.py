"""Log lines as text for a person at a terminal, or as one JSON object per line for a collector.

A province sends every process's log to one place (journald, Loki, an ELK stack), where a line
that is already a record is searched by field instead of by pattern. ``WORKBRIDGE_LOG_FORMAT=json``
writes each record as a JSON object: ``at`` (UTC, milliseconds), ``level``, ``logger``,
``message``, ``process``, and ``exception`` when there is one; uvicorn's access lines add
``client``, ``method``, ``path`` and ``status``. The record is masked when it is made
(``kernel.masking``): ID and phone numbers never reach either format, tracebacks included.
Chinese stays Chinese (no ``\\u`` escapes).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, from the record as masked when it was made."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        access = record.name == "uvicorn.access"
        if access and isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, _, status = record.args
            line.update(client=client, method=method, path=path, status=status)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


def formatter_for(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def log_to_stderr(log_format: str) -> None:
    """Give a command's process a handler on standard error, in the chosen format, unless
    something (uvicorn's configuration) has given it one already."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter_for(log_format))
    root.addHandler(handler)


def uvicorn_formatters(config: dict[str, Any], log_format: str) -> None:
    """Make uvicorn's own log configuration write JSON too."""
    if log_format != "json":
        return
    for name in config.get("formatters", {}):
        config["formatters"][name] = {"()": f"{__name__}.JsonFormatter"}
