"""Log lines as JSON for a collector (kernel.log_format), masked as the text lines are."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
from datetime import date

import pytest

from kernel.log_format import JsonFormatter
from kernel.masking import mask_record
from kernel.settings import Settings, SettingsError
from tests.support import person_id
from workbridge.serving import log_config

NUMBER = person_id(date(1990, 8, 1), "female")
PHONE = "13912345678"


def _record(logger: str, message: str, *args: object, failing: bool = False) -> logging.LogRecord:
    exc_info = None
    if failing:
        try:
            raise ValueError(f"no case for {NUMBER}")
        except ValueError:
            exc_info = sys.exc_info()
    record = logging.LogRecord(logger, logging.ERROR, __file__, 1, message, args, exc_info)
    mask_record(record)  # as the record factory does in a served process
    return record


def test_a_record_is_one_json_object_with_personal_numbers_masked() -> None:
    record = _record("workbridge.sms", "短信发往 %s，身份证 %s", PHONE, NUMBER, failing=True)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    fields = json.loads(line)
    assert fields["level"] == "ERROR"
    assert fields["logger"] == "workbridge.sms"
    assert fields["message"].startswith("短信发往 ")  # Chinese as it is
    assert "短信" in line
    assert fields["at"].endswith("+00:00")
    assert "ValueError: no case for" in fields["exception"]
    for secret in (NUMBER, PHONE):
        assert secret not in line


def test_an_access_line_carries_its_parts() -> None:
    record = _record(
        "uvicorn.access",
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:5000",
        "GET",
        f"/api/v1/status?national_id={NUMBER}",
        "1.1",
        200,
    )
    fields = json.loads(JsonFormatter().format(record))
    assert (fields["method"], fields["status"]) == ("GET", 200)
    assert fields["path"].startswith("/api/v1/status?national_id=")
    assert NUMBER not in fields["path"]


def test_uvicorn_writes_json_when_asked() -> None:
    config = log_config("INFO", "json")
    assert {f["()"] for f in config["formatters"].values()} == {"kernel.log_format.JsonFormatter"}
    assert config["root"]["handlers"] == ["default"]
    assert "()" not in str(log_config("INFO", "text")["formatters"]["default"].get("()", ""))


@pytest.mark.parametrize(
    ("value", "kind"), [("json", "json"), ("TEXT", "text"), (" json ", "json")]
)
def test_the_setting_names_the_format(value: str, kind: str) -> None:
    assert Settings.from_env({"WORKBRIDGE_LOG_FORMAT": value}).log_format == kind


@pytest.mark.parametrize("value", ["xml", "", "jsonl"])
def test_other_formats_are_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="WORKBRIDGE_LOG_FORMAT"):
        Settings.from_env({"WORKBRIDGE_LOG_FORMAT": value})


def test_a_command_logs_json_lines(tmp_path) -> None:
    """The standing scheduler logs who leads as JSON lines on standard error."""
    env = {
        "WORKBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
        "WORKBRIDGE_LOG_FORMAT": "json",
        "WORKBRIDGE_SCHEDULER_CHECK_SECONDS": "1",
        "PATH": "/usr/bin:/bin",
    }
    command = [sys.executable, "-m", "workbridge.cli"]
    subprocess.run([*command, "db", "upgrade"], env=env, check=True, capture_output=True)
    process = subprocess.Popen(
        [*command, "scheduler", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    try:
        first = json.loads(process.stderr.readline())
    finally:
        process.send_signal(signal.SIGTERM)
        rest = process.communicate(timeout=30)[1]
    assert (first["logger"], first["message"]) == (
        "workbridge.scheduler",
        "this process leads the scheduler",
    )
    assert all(json.loads(line)["level"] for line in rest.splitlines() if line.strip())
    assert process.returncode == 0
