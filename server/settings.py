"""Settings from environment variables (H2). Every variable is documented in docs/configuration.md."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path

PREFIX = "COLLECTIEF_"


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


def _bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{PREFIX}{name} must be true or false, not {raw!r}")


def _int(name: str, raw: str, minimum: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{PREFIX}{name} must be at least {minimum}, not {value}")
    return value


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    environment: str = "development"
    data_dir: Path = Path("data")
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    portal_url: str = ""
    graphiql: bool = True
    introspection: bool = True
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 3000
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    cookie_secure: bool = False
    require_two_factor: bool = False
    totp_key: str = ""
    trusted_proxy_count: int = 0
    log_level: str = "INFO"
    log_format: str = "json"

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read ``COLLECTIEF_*`` variables; ``overrides`` (e.g. CLI flags) win over the environment."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(PREFIX + name)
            return value if value not in (None, "") else None

        environment = (get("ENVIRONMENT") or "development").lower()
        if environment not in {"development", "production"}:
            raise SettingsError(
                f"{PREFIX}ENVIRONMENT must be development or production, not {environment!r}"
            )
        production = environment == "production"
        values: dict[str, object] = {"environment": environment}
        values["data_dir"] = Path(get("DATA_DIR") or "data")
        values["database_url"] = get("DATABASE_URL") or ""
        values["host"] = get("HOST") or "127.0.0.1"
        values["public_url"] = get("PUBLIC_URL") or ""
        values["portal_url"] = get("PORTAL_URL") or ""
        for name, default in (("GRAPHIQL", not production), ("INTROSPECTION", not production)):
            raw = get(name)
            values[name.lower()] = default if raw is None else _bool(name, raw)
        raw = get("REQUIRE_TWO_FACTOR")
        values["require_two_factor"] = False if raw is None else _bool("REQUIRE_TWO_FACTOR", raw)
        values["totp_key"] = get("TOTP_KEY") or ""
        raw = get("COOKIE_SECURE")
        values["cookie_secure"] = production if raw is None else _bool("COOKIE_SECURE", raw)
        for name, default, minimum in (
            ("PORT", 8080, 0),
            ("MAX_QUERY_DEPTH", 12, 2),
            ("MAX_ALIASES", 30, 1),
            ("MAX_TOKENS", 3000, 100),
            ("SESSION_IDLE_MINUTES", 30, 1),
            ("SESSION_MAX_HOURS", 12, 1),
            ("TRUSTED_PROXY_COUNT", 0, 0),
        ):
            raw = get(name)
            values[name.lower()] = default if raw is None else _int(name, raw, minimum)
        level = (get("LOG_LEVEL") or "INFO").upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise SettingsError(f"{PREFIX}LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
        values["log_level"] = level
        log_format = (get("LOG_FORMAT") or "json").lower()
        if log_format not in {"json", "text"}:
            raise SettingsError(f"{PREFIX}LOG_FORMAT must be json or text")
        values["log_format"] = log_format
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        return settings

    @property
    def portal_base_url(self) -> str:
        """Where links in e-mails point: the portal frontend (this server when unset)."""
        return (self.portal_url or self.base_url).rstrip("/")

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file in the data directory (H1)."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'collectief.sqlite3').resolve()}"

    @property
    def uses_embedded_database(self) -> bool:
        return not self.database_url
