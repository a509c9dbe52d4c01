"""Settings from environment variables (H2). Every variable is documented in docs/configuration.md."""

from __future__ import annotations

import dataclasses
import email.utils
import os
from collections.abc import Callable, Mapping
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


def _mail_values(get: Callable[[str], str | None]) -> dict[str, object]:
    """H3: the SMTP server (none: the outbox folder), the sender and the delivery poll interval."""
    values: dict[str, object] = {"smtp_host": get("SMTP_HOST") or ""}
    raw = get("SMTP_PORT")
    values["smtp_port"] = 587 if raw is None else _int("SMTP_PORT", raw, 1)
    username, password = get("SMTP_USERNAME") or "", get("SMTP_PASSWORD") or ""
    if bool(username) != bool(password):
        raise SettingsError(f"{PREFIX}SMTP_USERNAME and {PREFIX}SMTP_PASSWORD go together")
    values["smtp_username"], values["smtp_password"] = username, password
    raw = get("SMTP_STARTTLS")
    values["smtp_starttls"] = bool(username) if raw is None else _bool("SMTP_STARTTLS", raw)
    raw = get("SMTP_TIMEOUT")
    values["smtp_timeout"] = 30 if raw is None else _int("SMTP_TIMEOUT", raw, 1)
    sender = get("MAIL_FROM") or "Collectief <noreply@localhost>"
    if "@" not in email.utils.parseaddr(sender)[1] or "\n" in sender or "\r" in sender:
        raise SettingsError(f"{PREFIX}MAIL_FROM must be an address like Name <noreply@example.nl>")
    values["mail_from"] = sender
    raw = get("MAIL_POLL_SECONDS")
    try:
        poll = 1.0 if raw is None else float(raw)
    except ValueError:
        poll = -1.0
    if not 0.01 <= poll <= 3600:
        raise SettingsError(f"{PREFIX}MAIL_POLL_SECONDS must be a number of seconds, 0.01 to 3600")
    values["mail_poll_seconds"] = poll
    return values


def _seconds(name: str, raw: str | None, default: float = 1.0) -> float:
    """A poll interval: a number of seconds from 0.01 to 3600 (decimals allowed)."""
    try:
        value = default if raw is None else float(raw)
    except ValueError:
        value = -1.0
    if not 0.01 <= value <= 3600:
        raise SettingsError(f"{PREFIX}{name} must be a number of seconds, 0.01 to 3600")
    return value


def _list(name: str, raw: str | None) -> tuple[str, ...]:
    """A comma-separated list; entries are trimmed and lower-cased, empty ones dropped."""
    entries = tuple(e.strip().lower() for e in (raw or "").split(","))
    if any(" " in e for e in entries):
        raise SettingsError(f"{PREFIX}{name} must be a comma-separated list without spaces inside")
    return tuple(e for e in entries if e)


def _account_values(
    get: Callable[[str], str | None], require_two_factor: bool
) -> dict[str, object]:
    """A1: deny and allow lists of the e-mail rules; A3: the minimum password length, below 15
    only when 2FA is required for everyone and never below 8 (NIST SP 800-63B-4)."""
    values: dict[str, object] = {
        name.lower(): _list(name, get(name))
        for name in ("EMAIL_DENY_DOMAINS", "EMAIL_ALLOW_DOMAINS", "EMAIL_ALLOW_ADDRESSES")
    }
    raw = get("PASSWORD_MIN_LENGTH")
    length = 15 if raw is None else _int("PASSWORD_MIN_LENGTH", raw, 8)
    if length > 128:
        raise SettingsError(f"{PREFIX}PASSWORD_MIN_LENGTH must be at most 128, not {length}")
    if length < 15 and not require_two_factor:
        raise SettingsError(
            f"{PREFIX}PASSWORD_MIN_LENGTH may be below 15 only when "
            f"{PREFIX}REQUIRE_TWO_FACTOR is true (A3), not {length}"
        )
    values["password_min_length"] = length
    return values


def _exporter_values(get: Callable[[str], str | None]) -> dict[str, object]:
    """E1: the allow-list of exporter plugins (entry-point names, case kept) and the time limit
    of one export (seconds, 0.01 to 3600)."""
    names = tuple(n.strip() for n in (get("EXPORTERS") or "").split(","))
    if any(" " in n for n in names):
        raise SettingsError(
            f"{PREFIX}EXPORTERS must be a comma-separated list without spaces inside"
        )
    return {
        "exporters": tuple(dict.fromkeys(n for n in names if n)),
        "export_timeout_seconds": _seconds(
            "EXPORT_TIMEOUT_SECONDS", get("EXPORT_TIMEOUT_SECONDS"), 60.0
        ),
    }


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
    secret_key: str = dataclasses.field(default="", repr=False)
    job_poll_seconds: float = 1.0
    # H4: how long a claimed job stays a worker's without a heartbeat (a killed worker's job is
    # taken over after it); renewed every third of it while the job runs.
    job_lease_seconds: float = 600.0
    run_jobs: bool = True
    trusted_proxy_count: int = 0
    log_level: str = "INFO"
    log_format: str = "json"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = dataclasses.field(default="", repr=False)
    smtp_starttls: bool = False
    smtp_timeout: int = 30
    mail_from: str = "Collectief <noreply@localhost>"
    mail_poll_seconds: float = 1.0
    email_deny_domains: tuple[str, ...] = ()
    email_allow_domains: tuple[str, ...] = ()
    email_allow_addresses: tuple[str, ...] = ()
    password_min_length: int = 15
    deregister_months_back: int = 12
    deregister_months_ahead: int = 12
    invoice_payment_days: int = 30
    reminder_payment_days: int = 14
    demand_payment_days: int = 14
    # E1: plugin (entry-point) names to load; empty: every installed plugin.
    exporters: tuple[str, ...] = ()
    export_timeout_seconds: float = 60.0

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
        values["secret_key"] = get("SECRET_KEY") or ""
        values["job_poll_seconds"] = _seconds("JOB_POLL_SECONDS", get("JOB_POLL_SECONDS"))
        values["job_lease_seconds"] = _seconds("JOB_LEASE_SECONDS", get("JOB_LEASE_SECONDS"), 600.0)
        raw = get("RUN_JOBS")
        values["run_jobs"] = True if raw is None else _bool("RUN_JOBS", raw)
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
        for name in ("DEREGISTER_MONTHS_BACK", "DEREGISTER_MONTHS_AHEAD"):  # C5, C7
            raw = get(name)
            months = 12 if raw is None else _int(name, raw, 0)
            if months > 120:
                raise SettingsError(f"{PREFIX}{name} must be at most 120, not {months}")
            values[name.lower()] = months
        for name, default in (  # D8
            ("INVOICE_PAYMENT_DAYS", 30),
            ("REMINDER_PAYMENT_DAYS", 14),
            ("DEMAND_PAYMENT_DAYS", 14),
        ):
            raw = get(name)
            days = default if raw is None else _int(name, raw, 1)
            if days > 365:
                raise SettingsError(f"{PREFIX}{name} must be at most 365, not {days}")
            values[name.lower()] = days
        level = (get("LOG_LEVEL") or "INFO").upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise SettingsError(f"{PREFIX}LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
        values["log_level"] = level
        log_format = (get("LOG_FORMAT") or "json").lower()
        if log_format not in {"json", "text"}:
            raise SettingsError(f"{PREFIX}LOG_FORMAT must be json or text")
        values["log_format"] = log_format
        values.update(_exporter_values(get))
        values.update(_mail_values(get))
        values.update(_account_values(get, bool(values["require_two_factor"])))
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
