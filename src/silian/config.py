"""Settings read from the environment: where data lives and which database to use."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Runtime settings; every field comes from a SILIAN_* environment variable."""

    home: Path
    database_url: str
    secret_key: str
    session_max_age: int = 12 * 3600
    login_max_failures: int = 5
    login_lock_seconds: int = 15 * 60
    # Failures from one client address (all usernames) before that address is slowed down.
    login_max_address_failures: int = 30
    login_address_delay: float = 1.0
    # Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR networks).
    trusted_proxies: tuple[str, ...] = ()
    secure_cookies: bool = False
    # Queue the engine's suggestions for brokers as soon as a demand is published.
    auto_match: bool = False
    # Background jobs in `silian serve` (see docs/operations.md): on/off and the city hours.
    scheduler: bool = False
    remind_hour: int = 8
    figures_hour: int = 2
    # Talent-arrival forecast of investment projects (docs/investment.md): the share of expected
    # graduates who take a job in the city, and the share of the city's graduates of a needed
    # major that one project can expect to hire (linked named classes are trained for it: 100 %).
    talent_retention_rate: float = 0.7
    project_hire_share: float = 0.1

    @property
    def is_sqlite(self) -> bool:
        """True when the embedded SQLite database is in use."""
        return self.database_url.startswith("sqlite")

    @property
    def index_dir(self) -> Path:
        """Directory where the matching index is persisted."""
        return self.home / "index"


def _secret_key(home: Path) -> str:
    # A stable key per data directory, so sessions survive restarts without configuration.
    env = os.environ.get("SILIAN_SECRET_KEY")
    if env:
        return env
    path = home / "secret_key"
    if path.exists():
        return path.read_text().strip()
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _normalise_url(url: str) -> str:
    # Accept plain postgresql:// URLs and use the psycopg 3 driver for them.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def int_setting(name: str, default: int, minimum: int | None = None) -> int:
    """An integer SILIAN_* setting (default when unset); a bad or too small value names it."""
    value = os.environ.get(name, "").strip()
    try:
        number = int(value) if value else default
    except ValueError:
        raise ValueError(f"{name} 必须是整数：{value!r}") from None
    if minimum is not None and number < minimum:
        raise ValueError(f"{name} 不能小于 {minimum}：{number}")
    return number


def _float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    try:
        return float(value) if value else default
    except ValueError:
        raise ValueError(f"{name} 必须是数字：{value!r}") from None


def _share(name: str, default: float) -> float:
    value = _float(name, default)
    if not 0 <= value <= 1:
        raise ValueError(f"{name} 必须是 0 到 1 之间的比例：{value}")
    return value


def _hour(name: str, default: int) -> int:
    value = int_setting(name, default)
    if not 0 <= value <= 23:
        raise ValueError(f"{name} 必须是 0 到 23 之间的整点：{value}")
    return value


def parse_trusted_proxies(value: str) -> tuple[str, ...]:
    """Comma- or space-separated addresses / CIDR networks, checked and normalised."""
    networks: list[str] = []
    for item in value.replace(",", " ").split():
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ValueError(f"SILIAN_TRUSTED_PROXIES 中的地址无效：{item!r}") from None
    return tuple(networks)


def load_settings() -> Settings:
    """Build settings from the environment (not cached)."""
    home = Path(os.environ.get("SILIAN_HOME", "var")).expanduser().resolve()
    url = os.environ.get("SILIAN_DATABASE_URL") or f"sqlite:///{home / 'silian.db'}"
    return Settings(
        home=home,
        database_url=_normalise_url(url),
        secret_key=_secret_key(home),
        secure_cookies=os.environ.get("SILIAN_SECURE_COOKIES", "") == "1",
        login_max_failures=int_setting("SILIAN_LOGIN_MAX_FAILURES", 5),
        login_lock_seconds=int_setting("SILIAN_LOGIN_LOCK_SECONDS", 15 * 60),
        login_max_address_failures=int_setting("SILIAN_LOGIN_MAX_ADDRESS_FAILURES", 30),
        login_address_delay=_float("SILIAN_LOGIN_ADDRESS_DELAY", 1.0),
        trusted_proxies=parse_trusted_proxies(os.environ.get("SILIAN_TRUSTED_PROXIES", "")),
        auto_match=os.environ.get("SILIAN_AUTO_MATCH", "1") == "1",
        scheduler=os.environ.get("SILIAN_SCHEDULER", "1") == "1",
        remind_hour=_hour("SILIAN_REMIND_HOUR", 8),
        figures_hour=_hour("SILIAN_FIGURES_HOUR", 2),
        talent_retention_rate=_share("SILIAN_TALENT_RETENTION_RATE", 0.7),
        project_hire_share=_share("SILIAN_PROJECT_HIRE_SHARE", 0.1),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once."""
    return load_settings()
