"""Personal data out of every log line: ID numbers and mainland mobile numbers are masked in
a record's message, its arguments, its exception text and its stack.

A traceback is where they slip through: a database error quotes the row it could not write
(PostgreSQL's ``DETAIL: Key (phone)=(+86…)``), and an exception's message may name the value
that broke it. Engines also hide bound parameters (``kernel.db``), so the SQL in an error never
carries them; this is the second line.

A ``logging.Filter`` only sees records of the logger or handler it is attached to, and a record
that no handler takes is printed by Python's last-resort handler unfiltered, so
``install_masking`` also masks every record as it is made (``logging.setLogRecordFactory``).
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from kernel.national_id import mask_in_text

# A mainland mobile, with or without +86 / 86, not inside a longer run of digits or letters
# (a bank account, an ID number, a hash).
_MOBILE = re.compile(
    r"(?<![0-9A-Za-z])(\+?86[ -]?)?(1[3-9][0-9])([0-9]{4})([0-9]{4})(?![0-9A-Za-z])"
)
# Values that cannot hold personal data in their text, so formatting (%d, %.2f) keeps working.
_PLAIN = (int, float, Decimal, date, datetime, bool, type(None))


def mask_phones(text: str) -> str:
    """``+8613912345678`` → ``+86139****5678``; ``13912345678`` → ``139****5678``."""
    return _MOBILE.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}****{m.group(4)}", text)


def mask_personal_data(text: str) -> str:
    """ID numbers first (their digits would otherwise hide a phone-shaped run), then phones."""
    return mask_phones(mask_in_text(text))


def _masked_arg(value: Any) -> Any:
    if isinstance(value, str):
        return mask_personal_data(value)
    if isinstance(value, _PLAIN):
        return value
    text = str(value)  # an exception or an object: keep it unless its text holds data
    masked = mask_personal_data(text)
    return value if masked == text else masked


_formatter = logging.Formatter()


def mask_record(record: logging.LogRecord) -> None:
    """Mask a record in place. Arguments stay arguments (formatters such as uvicorn's access
    log read them); the exception is formatted now and stored masked as ``exc_text``, which
    formatters use instead of formatting ``exc_info`` again."""
    if getattr(record, "_personal_data_masked", False):
        return
    if isinstance(record.msg, str):
        record.msg = mask_personal_data(record.msg)
    elif record.msg is not None and not isinstance(record.msg, _PLAIN):
        record.msg = _masked_arg(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_masked_arg(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _masked_arg(v) for k, v in record.args.items()}
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = _formatter.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_personal_data(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_personal_data(record.stack_info)
    record._personal_data_masked = True


class MaskPersonalDataFilter(logging.Filter):
    """For handlers and loggers configured by name (uvicorn's log config in the CLI)."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


_installed = False


def install_masking() -> None:
    """Mask every log record of this process when it is made, whichever logger makes it and
    whether or not a handler with the filter takes it. Idempotent."""
    global _installed
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        mask_record(record)
        return record

    logging.setLogRecordFactory(masked_record)
    _installed = True
