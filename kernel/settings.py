"""Settings read from the environment, so one build runs in every office.

Every variable starts with ``WORKBRIDGE_``; defaults run the service on an embedded SQLite file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from kernel.types import ascii_digits

DEFAULT_DATABASE_URL = "sqlite:///workbridge.db"
_ON = {"on", "true", "yes", "1"}
_OFF = {"off", "false", "no", "0", ""}


def normalise_database_url(url: str) -> str:
    """Accept the URL forms people paste (``postgres://``, ``postgresql://``) and pick psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = "Asia/Shanghai"
    policy_profile: str = "county-pilot"
    default_locale: str = "zh_CN"
    log_level: str = "INFO"
    log_format: str = "text"  # or json: one object per line (kernel.log_format)
    # The administrative division this database serves (a county's or a province's code), on
    # the figures it gives upward (benefits.figures).
    region_code: str = "341125"
    office_phone: str = "0550-4021234"  # the labour office number SMS notices give people
    # In-service scheduler (workbridge.scheduler). Off unless asked for, so tests and one-off
    # commands never start background jobs; one process per database leads (a database lock).
    scheduler: bool = False
    sweep_at: str = "01:30"  # office time of the daily sweep, HH:MM
    payment_run_day: int | None = None  # day of month (1-28) for the month's payment run
    # How often a standing-by scheduler tries to take the lead (and a leader checks it holds it).
    scheduler_check_seconds: int = 60
    # Many people at once (kernel.capacity): request threads per process (the pool holds one
    # connection per thread and a few more), how long a request may wait for a thread, and how
    # long for the database (a connection, SQLite's write lock) before it is answered 503.
    threads: int = 8
    queue_seconds: float = 10.0
    db_wait_seconds: float = 5.0
    # How long a process trusts an API token it has looked up (kernel.auth.TokenCache).
    token_cache_seconds: float = 5.0
    # How long ``workbridge serve`` lets requests in flight finish after SIGTERM before it
    # closes their connections (uvicorn's graceful shutdown timeout, per worker process).
    graceful_seconds: int = 30
    # Whether the session cookie is sent over HTTPS only (on behind a TLS proxy).
    secure_cookies: bool = False
    # A TOML file of the county's own days off and official dates the calendar package does
    # not have yet (kernel.working_days).
    holidays_file: str | None = None
    # A training or acceptance copy's date (kernel.training_clock): a day, or +/- days.
    clock: str | None = None
    # Marks the real service: a training clock is then refused.
    production: bool = False
    # The bearer token a Prometheus scrape of /metrics sends; unset, only this machine may
    # read the figures (workbridge.metrics).
    metrics_token: str | None = None
    # A PostgreSQL streaming replica for requests that only read, and how far behind the
    # primary it may be and still be read from (kernel.replica).
    read_database_url: str | None = None
    replica_max_lag_seconds: float = 5.0
    # ``transaction`` when WORKBRIDGE_DATABASE_URL reaches PostgreSQL through PgBouncer in
    # transaction pooling; the session-level locks then go to WORKBRIDGE_DIRECT_DATABASE_URL.
    database_pooler: str = "none"
    direct_database_url: str | None = None
    # Oversight of the refusal rule (activation.oversight, issue 17): cells of fewer people are
    # suppressed; a group's rate above or below these multiples of the overall rate, an office
    # above this multiple of the county median, and reversals at appeal above this share alert.
    oversight_min_cell: int = 10
    oversight_ratio_high: float = 1.25
    oversight_ratio_low: float = 0.8
    oversight_office_multiple: float = 2.0
    oversight_appeal_reversal: float = 0.2

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            database_url=normalise_database_url(
                env.get("WORKBRIDGE_DATABASE_URL", DEFAULT_DATABASE_URL)
            ),
            timezone=env.get("WORKBRIDGE_TIMEZONE", "Asia/Shanghai"),
            policy_profile=env.get("WORKBRIDGE_POLICY_PROFILE", "county-pilot"),
            default_locale=env.get("WORKBRIDGE_LOCALE", "zh_CN"),
            log_level=parse_log_level(
                "WORKBRIDGE_LOG_LEVEL", env.get("WORKBRIDGE_LOG_LEVEL", "INFO")
            ),
            log_format=_one_of(
                "WORKBRIDGE_LOG_FORMAT", env.get("WORKBRIDGE_LOG_FORMAT", "text"), ("text", "json")
            ),
            region_code=_region_code(env.get("WORKBRIDGE_REGION_CODE", "341125")),
            office_phone=env.get("WORKBRIDGE_OFFICE_PHONE", "0550-4021234"),
            scheduler=_switch("WORKBRIDGE_SCHEDULER", env.get("WORKBRIDGE_SCHEDULER", "off")),
            sweep_at=_clock_time("WORKBRIDGE_SWEEP_AT", env.get("WORKBRIDGE_SWEEP_AT", "01:30")),
            payment_run_day=_day_of_month(
                "WORKBRIDGE_PAYMENT_RUN_DAY", env.get("WORKBRIDGE_PAYMENT_RUN_DAY", "")
            ),
            scheduler_check_seconds=_whole(
                "WORKBRIDGE_SCHEDULER_CHECK_SECONDS",
                env.get("WORKBRIDGE_SCHEDULER_CHECK_SECONDS", "60"),
                1,
                3600,
            ),
            threads=_whole("WORKBRIDGE_THREADS", env.get("WORKBRIDGE_THREADS", "8"), 1, 256),
            queue_seconds=_bounded(
                "WORKBRIDGE_QUEUE_SECONDS", env.get("WORKBRIDGE_QUEUE_SECONDS", "10"), 0.1, 300
            ),
            db_wait_seconds=_bounded(
                "WORKBRIDGE_DB_WAIT_SECONDS", env.get("WORKBRIDGE_DB_WAIT_SECONDS", "5"), 0.1, 300
            ),
            oversight_min_cell=_whole(
                "WORKBRIDGE_OVERSIGHT_MIN_CELL",
                env.get("WORKBRIDGE_OVERSIGHT_MIN_CELL", "10"),
                1,
                1000,
            ),
            oversight_ratio_high=_bounded(
                "WORKBRIDGE_OVERSIGHT_RATIO_HIGH",
                env.get("WORKBRIDGE_OVERSIGHT_RATIO_HIGH", "1.25"),
                1,
                100,
            ),
            oversight_ratio_low=_bounded(
                "WORKBRIDGE_OVERSIGHT_RATIO_LOW",
                env.get("WORKBRIDGE_OVERSIGHT_RATIO_LOW", "0.8"),
                0,
                1,
            ),
            oversight_office_multiple=_bounded(
                "WORKBRIDGE_OVERSIGHT_OFFICE_MULTIPLE",
                env.get("WORKBRIDGE_OVERSIGHT_OFFICE_MULTIPLE", "2"),
                1,
                100,
            ),
            oversight_appeal_reversal=_bounded(
                "WORKBRIDGE_OVERSIGHT_APPEAL_REVERSAL",
                env.get("WORKBRIDGE_OVERSIGHT_APPEAL_REVERSAL", "0.2"),
                0,
                1,
            ),
            token_cache_seconds=_bounded(
                "WORKBRIDGE_TOKEN_CACHE_SECONDS",
                env.get("WORKBRIDGE_TOKEN_CACHE_SECONDS", "5"),
                0,
                300,
            ),
            graceful_seconds=_whole(
                "WORKBRIDGE_GRACEFUL_SECONDS", env.get("WORKBRIDGE_GRACEFUL_SECONDS", "30"), 0, 3600
            ),
            secure_cookies=_switch(
                "WORKBRIDGE_SECURE_COOKIES", env.get("WORKBRIDGE_SECURE_COOKIES", "off")
            ),
            holidays_file=env.get("WORKBRIDGE_HOLIDAYS_FILE", "").strip() or None,
            clock=_training_clock(env.get("WORKBRIDGE_CLOCK", "")),
            production=_switch("WORKBRIDGE_PRODUCTION", env.get("WORKBRIDGE_PRODUCTION", "off")),
            metrics_token=env.get("WORKBRIDGE_METRICS_TOKEN", "").strip() or None,
            read_database_url=_replica_url(
                env.get("WORKBRIDGE_DATABASE_URL", DEFAULT_DATABASE_URL),
                env.get("WORKBRIDGE_READ_DATABASE_URL", ""),
            ),
            database_pooler=_pooler(env),
            direct_database_url=_direct_url(env),
            replica_max_lag_seconds=_bounded(
                "WORKBRIDGE_REPLICA_MAX_LAG_SECONDS",
                env.get("WORKBRIDGE_REPLICA_MAX_LAG_SECONDS", "5"),
                0,
                3600,
            ),
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def session_database_url(self) -> str:
        """Where work that needs a database session of its own connects: migrations, backups
        and restores (``pg_dump``'s exported snapshot), past any transaction pooler."""
        return self.direct_database_url or self.database_url

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _region_code(value: str) -> str:
    text = value.strip()
    if not (2 <= len(text) <= 12 and ascii_digits(text)):
        raise SettingsError(
            f"WORKBRIDGE_REGION_CODE is an administrative division code of 2 to 12 digits "
            f"(340000 for a province, 341125 for a county), not {value!r}"
        )
    return text


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> str:
    text = value.strip().lower()
    if text not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return text


def _pooler(env: Mapping[str, str]) -> str:
    value = env.get("WORKBRIDGE_DATABASE_POOLER", "none").strip().lower() or "none"
    if value not in ("none", "transaction"):
        raise SettingsError(
            f"WORKBRIDGE_DATABASE_POOLER must be none or transaction, not {value!r}"
        )
    primary = normalise_database_url(env.get("WORKBRIDGE_DATABASE_URL", DEFAULT_DATABASE_URL))
    if value == "transaction" and not primary.startswith("postgresql"):
        raise SettingsError(
            "WORKBRIDGE_DATABASE_POOLER=transaction is for PostgreSQL behind PgBouncer"
        )
    return value


def _direct_url(env: Mapping[str, str]) -> str | None:
    """Where the session-level locks (payment run, scheduler, roll import) reach PostgreSQL: not
    through a transaction pooler, whose server connections other clients share."""
    url = normalise_database_url(env.get("WORKBRIDGE_DIRECT_DATABASE_URL", "").strip())
    pooled = env.get("WORKBRIDGE_DATABASE_POOLER", "none").strip().lower() == "transaction"
    if pooled and not url:
        raise SettingsError(
            "WORKBRIDGE_DATABASE_POOLER=transaction needs WORKBRIDGE_DIRECT_DATABASE_URL: the "
            "payment run's and the scheduler's locks live in a session of their own"
        )
    if url and not url.startswith("postgresql"):
        raise SettingsError("WORKBRIDGE_DIRECT_DATABASE_URL names the PostgreSQL database directly")
    return url or None


def _replica_url(primary: str, value: str) -> str | None:
    """A replica is a PostgreSQL hot standby of a PostgreSQL primary; SQLite has none."""
    url = normalise_database_url(value.strip())
    if not url:
        return None
    if not url.startswith("postgresql") or not normalise_database_url(primary).startswith(
        "postgresql"
    ):
        raise SettingsError(
            "WORKBRIDGE_READ_DATABASE_URL names a PostgreSQL streaming replica of a PostgreSQL "
            "WORKBRIDGE_DATABASE_URL; SQLite has no replicas"
        )
    return url


def _training_clock(value: str) -> str | None:
    from kernel.training_clock import parse_clock_setting

    parse_clock_setting(value)  # a mistyped date is refused at start, not on first use
    return value.strip() or None


def _switch(name: str, value: str) -> bool:
    text = value.strip().lower()
    if text in _ON:
        return True
    if text in _OFF:
        return False
    raise SettingsError(f"{name} must be on or off, not {value!r}")


def _bounded(name: str, value: str, low: float, high: float) -> float:
    try:
        number = float(value.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {value!r}") from None
    if not low <= number <= high:
        raise SettingsError(f"{name} must be between {low:g} and {high:g}, not {value!r}")
    return number


class SettingsError(ValueError):
    """A ``WORKBRIDGE_*`` environment variable holds a value the service cannot run with."""


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def parse_log_level(name: str, value: str) -> str:
    """A logging level by its name, in any case (``warning`` as well as ``WARNING``)."""
    text = value.strip().upper()
    if text not in LOG_LEVELS:
        raise SettingsError(f"{name} must be one of {', '.join(LOG_LEVELS)}, not {value!r}")
    return text


def _whole(name: str, value: str, low: int, high: int) -> int:
    text = value.strip()
    if not ascii_digits(text) or not low <= int(text) <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
    return int(text)


def _clock_time(name: str, value: str) -> str:
    hour, sep, minute = value.strip().partition(":")
    if not (sep and ascii_digits(hour) and ascii_digits(minute) and len(minute) == 2):
        raise SettingsError(f"{name} must be HH:MM, not {value!r}")
    if not (0 <= int(hour) <= 23 and 0 <= int(minute) <= 59):
        raise SettingsError(f"{name} must be a time of day, not {value!r}")
    return f"{int(hour):02d}:{minute}"


def _day_of_month(name: str, value: str) -> int | None:
    """Days 29-31 do not exist every month, so a monthly job may only name days 1-28."""
    text = value.strip().lower()
    if text in ("", "off"):
        return None
    if not ascii_digits(text) or not 1 <= int(text) <= 28:
        raise SettingsError(
            f"{name} must be a day of the month from 1 to 28 (or off), not {value!r}"
        )
    return int(text)
