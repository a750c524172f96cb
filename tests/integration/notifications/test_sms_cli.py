"""The command line: the worker process, provider template texts, and the benchmark's
exactly-once check with a real kill."""

import tempfile
from datetime import datetime
from zoneinfo import ZoneInfo

from sms_support import outbox, queue
from workbridge.bench import bench_sms
from workbridge.cli import main

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_sms_worker_once_sends_what_is_due(engine, rules, database_url, monkeypatch, capsys):
    # An urgent notice is due at once at any hour: the test does not depend on the time of day.
    now = datetime.now(SHANGHAI)
    queue(engine, rules, now, key="sanction:1", template="sanction_notice", urgent=True)
    monkeypatch.setenv("WORKBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("WORKBRIDGE_SMS_GATEWAY", "console")
    assert main(["sms", "worker", "--once"]) == 0
    assert "claimed 1, sent 1" in capsys.readouterr().out
    (row,) = outbox(engine)
    assert (row.status, row.provider_message_id) == ("sent", "console-sanction:1")


def test_bad_sms_settings_stop_the_worker_with_a_message(monkeypatch, capsys) -> None:
    monkeypatch.setenv("WORKBRIDGE_SMS_GATEWAY", "carrier-pigeon")
    assert main(["sms", "worker", "--once"]) == 2
    assert "WORKBRIDGE_SMS_GATEWAY" in capsys.readouterr().out


def test_template_texts_for_provider_registration(capsys) -> None:
    assert main(["sms", "templates"]) == 0
    out = capsys.readouterr().out
    assert "job_offer (offer): code, employer" in out
    assert "${employer}" in out and "{2}" in out


def test_the_benchmark_kills_the_worker_and_every_message_is_delivered_once(database_url):
    report = bench_sms(300, crash=True, database_url=database_url, echo=False)
    assert report["exactly_once"] is True
    assert report["outbox"] == {"sent": 300}
    assert report["gateway"]["delivered"] == 300
    assert report["gateway"]["max_deliveries_per_key"] == 1
    assert report["restart_exit_code"] == 0
    assert 0 < report["killed_after_delivered"] < 300


def test_the_benchmark_measures_throughput(database_url, tmp_path, monkeypatch) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # its scratch folder goes here
    report = bench_sms(200, database_url=database_url, echo=False)
    assert report["exactly_once"] is True and report["sent"] == 200
    assert report["messages_per_second"] > 0
    assert list(scratch.iterdir()) == []  # and is gone afterwards


def test_several_worker_processes_deliver_each_message_once(database_url, capsys) -> None:
    """Three worker processes on one outbox: on PostgreSQL they claim side by side (SKIP
    LOCKED) and every message reaches the gateway once; SQLite allows one worker, and the
    command says so rather than starting three."""
    if database_url.startswith("sqlite"):
        assert main(["bench", "sms", "--messages", "10", "--workers", "3"]) == 2
        assert "PostgreSQL" in capsys.readouterr().out
        return
    report = bench_sms(600, database_url=database_url, workers=3, echo=False)
    assert report["exactly_once"] is True and report["workers"] == 3
    assert report["outbox"] == {"sent": 600}
    assert report["gateway"]["max_deliveries_per_key"] == 1


def test_the_benchmark_refuses_workers_it_cannot_run(capsys) -> None:
    assert main(["bench", "sms", "--workers", "0"]) == 2
    assert main(["bench", "sms", "--workers", "2", "--crash"]) == 2
    assert "--workers" in capsys.readouterr().out
