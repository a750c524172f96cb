"""Settings read from the environment, so one build runs in every office.

Every variable starts with ``WORKBRIDGE_``; defaults run the service on an embedded SQLite file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DEFAULT_DATABASE_URL = "sqlite:///workbridge.db"


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
    office_phone: str = "0550-4021234"  # the labour office number SMS notices give people

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
            log_level=env.get("WORKBRIDGE_LOG_LEVEL", "INFO"),
            office_phone=env.get("WORKBRIDGE_OFFICE_PHONE", "0550-4021234"),
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
