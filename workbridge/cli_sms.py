"""``workbridge sms``: the outbox worker, and the template texts providers want filed."""

from __future__ import annotations

import argparse
from dataclasses import replace

from kernel.db import settings_engine
from kernel.log_format import log_to_stderr
from kernel.parameter_versions import LivePolicy
from workbridge.cli_common import Commands, command_settings, console


def cmd_sms(args: argparse.Namespace) -> int:
    import asyncio

    from notifications.runtime import run_worker_process
    from notifications.services import SendingRules, configure
    from notifications.settings import SmsSettings, SmsSettingsError
    from notifications.templates import LOCALES, TEMPLATES, provider_text
    from notifications.worker import WorkerBusy
    from workbridge.app import configure_logging

    settings = command_settings()
    try:
        sms_settings = SmsSettings.from_env()
    except SmsSettingsError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    if args.action == "templates":
        for key, template in TEMPLATES.items():
            print(f"{key} ({template.kind.value}): {', '.join(template.names) or '-'}")
            for locale in LOCALES:
                print(f"  {locale:<6} alibaba: {provider_text(key, locale, 'alibaba')}")
                print(f"  {locale:<6} tencent: {provider_text(key, locale, 'tencent')}")
        return 0
    configure_logging(settings.log_level)
    log_to_stderr(settings.log_format)
    engine = settings_engine(settings)
    # Quiet hours and part limits follow parameter versions that go live while the worker runs.
    live = LivePolicy(engine, settings.policy_profile)
    live.follow()
    rules = replace(SendingRules.from_settings(settings, sms_settings), follow=lambda: live.book)
    configure(rules)
    try:
        stats = asyncio.run(
            run_worker_process(
                engine, sms_settings, rules, once=args.once, wait_for_retries=args.wait
            )
        )
    except WorkerBusy as exc:
        console.print(f"[red]{exc}[/red]")
        return 3
    finally:
        live.stop()
        engine.dispose()
    print(
        f"SMS worker ({sms_settings.gateway}): claimed {stats.claimed}, sent {stats.sent}, "
        f"retried {stats.retried}, failed {stats.failed}, cancelled {stats.cancelled}"
    )
    return 0


def add_sms(sub: Commands) -> None:
    sms = sub.add_parser("sms", help="SMS: the outbox worker, template texts for providers")
    sms_sub = sms.add_subparsers(dest="action", required=True)
    worker = sms_sub.add_parser("worker", help="send queued SMS (until stopped, or --once)")
    worker.add_argument("--once", action="store_true", help="send what is due, then exit")
    worker.add_argument(
        "--wait",
        type=float,
        default=0.0,
        help="with --once: also wait up to this many seconds for retries falling due",
    )
    sms_sub.add_parser("templates", help="print each template as Alibaba and Tencent want it")
    sms.set_defaults(func=cmd_sms)
