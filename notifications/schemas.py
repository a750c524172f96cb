"""The shapes gateways push to our webhooks (validated, so a malformed push writes nothing).

Alibaba's SmsReport and SmsUp and Tencent's status callback are JSON arrays; Tencent's reply
callback is one object (SMS.md and the providers' callback references). Unknown fields are
ignored: providers add fields over time. Text holding NUL characters is refused (422) like
every other input (kernel.types).
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from kernel.types import Flag, InputModel, Whole


class _Push(InputModel):
    model_config = ConfigDict(extra="ignore")


class AlibabaReport(_Push):
    phone_number: str = Field(min_length=1, max_length=20)
    success: Flag
    biz_id: str = Field(min_length=1, max_length=80)
    out_id: str | None = Field(default=None, max_length=64)
    err_code: str | None = Field(default=None, max_length=64)
    err_msg: str | None = Field(default=None, max_length=200)
    report_time: str | None = Field(default=None, max_length=32)
    send_time: str | None = Field(default=None, max_length=32)
    sms_size: str | int | None = None


class AlibabaReply(_Push):
    phone_number: str = Field(min_length=1, max_length=20)
    content: str = Field(max_length=1600)
    send_time: str | None = Field(default=None, max_length=32)
    dest_code: str | None = Field(default=None, max_length=32)
    sequence_id: int | str
    sign_name: str | None = Field(default=None, max_length=40)


class TencentReport(_Push):
    mobile: str = Field(min_length=1, max_length=20)
    nationcode: str = Field(default="86", max_length=6)
    report_status: str = Field(min_length=1, max_length=16)
    errmsg: str | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, max_length=200)
    sid: str = Field(min_length=1, max_length=80)
    user_receive_time: str | None = Field(default=None, max_length=32)


class TencentReply(_Push):
    mobile: str = Field(min_length=1, max_length=20)
    nationcode: str = Field(default="86", max_length=6)
    text: str = Field(max_length=1600)
    time: Whole
    sign: str | None = Field(default=None, max_length=40)
    extend: str | None = Field(default=None, max_length=32)
