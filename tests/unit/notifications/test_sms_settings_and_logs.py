import logging

import pytest

from notifications.logs import RedactWebhookPathsFilter, redact_webhook_paths
from notifications.settings import SmsSettings, SmsSettingsError, parse_mapping


def test_settings_from_the_environment() -> None:
    settings = SmsSettings.from_env(
        {
            "WORKBRIDGE_SMS_GATEWAY": "Alibaba",
            "WORKBRIDGE_SMS_PUBLIC_BASE_URL": "https://jobs.example.cn/",
            "WORKBRIDGE_SMS_ALIBABA_TEMPLATES": "job_offer=SMS_1, training_offer=SMS_2",
            "WORKBRIDGE_SMS_RATE_PER_SECOND": "50",
            "WORKBRIDGE_SMS_WORKER_IN_APP": "yes",
        }
    )
    assert settings.gateway == "alibaba"
    assert settings.public_base_url == "https://jobs.example.cn"
    assert settings.alibaba_templates == {"job_offer": "SMS_1", "training_offer": "SMS_2"}
    assert settings.rate_per_second == 50 and settings.worker_in_app is True
    assert settings.sign_name == "定远就业"
    assert SmsSettings.from_env({}).gateway == "console"


@pytest.mark.parametrize(
    "env",
    [
        {"WORKBRIDGE_SMS_GATEWAY": "pigeon"},
        {"WORKBRIDGE_SMS_RATE_PER_SECOND": "fast"},
        {"WORKBRIDGE_SMS_CONCURRENCY": "0"},
        {"WORKBRIDGE_SMS_WORKER_IN_APP": "maybe"},
        {"WORKBRIDGE_SMS_TENCENT_TEMPLATES": "job_offer"},
        {"WORKBRIDGE_SMS_HTTP2": "sometimes"},
        {"WORKBRIDGE_SMS_HTTP2_MAX_REQUESTS": "0"},
        {"WORKBRIDGE_SMS_HTTP2_MAX_REQUESTS": "many"},
        {"WORKBRIDGE_SMS_CA_FILE": "/nonexistent/ca.pem"},
    ],
)
def test_bad_settings_are_refused(env) -> None:
    with pytest.raises(SmsSettingsError):
        SmsSettings.from_env(env)


def test_http2_is_on_unless_turned_off_and_a_ca_file_must_exist(tmp_path) -> None:
    assert SmsSettings.from_env({}).http2 is True
    assert SmsSettings.from_env({}).ca_file == ""
    for raw, expected in [("false", False), ("0", False), ("off", False), ("true", True)]:
        assert SmsSettings.from_env({"WORKBRIDGE_SMS_HTTP2": raw}).http2 is expected
    assert SmsSettings.from_env({}).http2_max_requests == 500
    assert SmsSettings.from_env({"WORKBRIDGE_SMS_HTTP2_MAX_REQUESTS": "1"}).http2_max_requests == 1
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = SmsSettings.from_env({"WORKBRIDGE_SMS_CA_FILE": f" {bundle} "})
    assert settings.ca_file == str(bundle)
    with pytest.raises(SmsSettingsError, match="WORKBRIDGE_SMS_CA_FILE"):
        SmsSettings.from_env({"WORKBRIDGE_SMS_CA_FILE": str(tmp_path)})  # a folder


def test_mapping_syntax() -> None:
    assert parse_mapping("") == {}
    assert parse_mapping("a=1,,b = 2") == {"a": "1", "b": "2"}


def test_webhook_paths_lose_their_secret_and_query_in_logs() -> None:
    line = (
        '127.0.0.1:5 - "GET /webhooks/sms/kannel/tok3n/mo?from=%2B8613912345678&text=2+K7Q'
        ' HTTP/1.1" 200'
    )
    redacted = redact_webhook_paths(line)
    assert "tok3n" not in redacted and "13912345678" not in redacted and "K7Q" not in redacted
    assert "/webhooks/sms/kannel/***/mo?…" in redacted
    assert redact_webhook_paths("/webhooks/sms/twilio/status?key=x") == (
        "/webhooks/sms/twilio/status?…"
    )
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s"', ("1.2.3.4", "POST",
        "/webhooks/sms/alibaba/tok3n/up"), None,
    )  # fmt: skip
    RedactWebhookPathsFilter().filter(record)
    assert "tok3n" not in record.getMessage()
