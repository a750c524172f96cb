"""The scheduler's settings are read strictly: a typo must stop the service, not disable jobs."""

import pytest

from kernel.settings import Settings


def test_defaults_leave_the_scheduler_off() -> None:
    settings = Settings.from_env({})
    assert (settings.scheduler, settings.sweep_at, settings.payment_run_day) == (
        False,
        "01:30",
        None,
    )


@pytest.mark.parametrize(("value", "expected"), [("on", True), ("TRUE", True), ("off", False)])
def test_scheduler_switch(value: str, expected: bool) -> None:
    assert Settings.from_env({"WORKBRIDGE_SCHEDULER": value}).scheduler is expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WORKBRIDGE_SCHEDULER", "sometimes"),
        ("WORKBRIDGE_SWEEP_AT", "25:00"),
        ("WORKBRIDGE_SWEEP_AT", "1:3"),
        ("WORKBRIDGE_SWEEP_AT", "noon"),
        ("WORKBRIDGE_PAYMENT_RUN_DAY", "29"),  # not every month has it
        ("WORKBRIDGE_PAYMENT_RUN_DAY", "0"),
        ("WORKBRIDGE_PAYMENT_RUN_DAY", "first"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_env({name: value})


def test_good_times_and_days() -> None:
    settings = Settings.from_env(
        {"WORKBRIDGE_SWEEP_AT": "2:05", "WORKBRIDGE_PAYMENT_RUN_DAY": "28"}
    )
    assert (settings.sweep_at, settings.payment_run_day) == ("02:05", 28)


def test_graceful_shutdown_defaults_to_30_seconds_and_is_read_strictly() -> None:
    assert Settings.from_env({}).graceful_seconds == 30
    assert Settings.from_env({"WORKBRIDGE_GRACEFUL_SECONDS": "0"}).graceful_seconds == 0
    for bad in ("-1", "2.5", "soon", "3601"):
        with pytest.raises(ValueError, match="WORKBRIDGE_GRACEFUL_SECONDS"):
            Settings.from_env({"WORKBRIDGE_GRACEFUL_SECONDS": bad})


@pytest.mark.parametrize(
    ("value", "expected"),
    [("warning", "WARNING"), (" Info ", "INFO"), ("DEBUG", "DEBUG"), ("critical", "CRITICAL")],
)
def test_log_level_is_read_in_any_case(value: str, expected: str) -> None:
    assert Settings.from_env({"WORKBRIDGE_LOG_LEVEL": value}).log_level == expected


@pytest.mark.parametrize("value", ["", "verbose", "20", "WARN ING"])
def test_an_unknown_log_level_is_refused_with_the_variable_named(value: str) -> None:
    with pytest.raises(ValueError, match="WORKBRIDGE_LOG_LEVEL must be one of"):
        Settings.from_env({"WORKBRIDGE_LOG_LEVEL": value})


def test_the_command_line_names_a_bad_setting_without_a_traceback(monkeypatch, capsys) -> None:
    from workbridge.cli import main

    monkeypatch.setenv("WORKBRIDGE_THREADS", "0")
    assert main(["serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("workbridge: WORKBRIDGE_THREADS must be a whole number from 1 to 256")
    assert "Traceback" not in err
