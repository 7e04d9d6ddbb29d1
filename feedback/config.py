"""Settings from the environment, validated once at start-up."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many
from limits.storage import SCHEMES as RATE_LIMIT_STORAGES

log = logging.getLogger(__name__)

ENVIRONMENTS = ("development", "production", "testing")
#: Secrets that must never protect a production deployment.
KNOWN_WEAK_SECRETS = {"dev", "secret", "changeme", "change-me", "development", "test", "feedback"}
MIN_SECRET_LENGTH = 32
#: Raw scans are kept at least this many days when a retention period is set (feedback.analysis.retention).
MIN_RETENTION_DAYS = 30


class ConfigError(RuntimeError):
    """The environment describes a configuration the service refuses to start with."""


def normalise_database_url(url: str) -> str:
    """Map the usual spellings of a PostgreSQL URL to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _public_base_url(value: str) -> str:
    """Validate the base URL that printed QR codes point to and strip a trailing slash."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"PUBLIC_BASE_URL must be an absolute http(s) URL, got {value!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError("PUBLIC_BASE_URL must not contain credentials, a query or a fragment")
    return value.rstrip("/")


def _secret_key(environ: Mapping[str, str], env: str, instance_path: Path) -> str:
    """Return SECRET_KEY from the environment, or a generated one kept in the instance folder for local runs."""
    key = environ.get("SECRET_KEY", "")
    if env == "production":
        if not key:
            raise ConfigError("SECRET_KEY must be set when FEEDBACK_ENV=production")
        if len(key) < MIN_SECRET_LENGTH or key.lower() in KNOWN_WEAK_SECRETS or len(set(key)) < 10:
            raise ConfigError(
                f"SECRET_KEY is too weak for production: use at least {MIN_SECRET_LENGTH} random characters, "
                'e.g. python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        return key
    if key:
        return key
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _int(environ: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    """Read a non-negative integer setting."""
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    """Read a yes/no setting: 1/0, true/false, yes/no, on/off."""
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1 or 0 (true/false), got {raw!r}")


def _sqlite_folder(database_url: str, default_url: str) -> None:
    """Make sure a SQLite file can be created: the default folder is made, a given one must exist."""
    if not database_url.startswith("sqlite:///") or database_url.startswith("sqlite:///:memory:"):
        return
    folder = Path(database_url.removeprefix("sqlite:///").split("?", 1)[0]).parent
    if database_url == default_url:
        folder.mkdir(parents=True, exist_ok=True)
    elif not folder.is_dir():
        raise ConfigError(f"DATABASE_URL points into a folder that does not exist: {str(folder)!r}")


def _engine_options(database_url: str) -> dict[str, object]:
    """Connections are checked before use; a database that does not answer is given up on in seconds (so pages can
    say "back in a moment" before gunicorn's worker timeout); statement parameters (answers, e-mail addresses, tokens)
    stay out of error messages and logs."""
    options: dict[str, object] = {"pool_pre_ping": True, "hide_parameters": True}
    if database_url.startswith("postgresql"):
        options |= {"connect_args": {"connect_timeout": 5}, "pool_timeout": 10}
    return options


def _writable(folder: Path) -> bool:
    """The folder exists and may be written, or can be made."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


def _rate_limit_storage(environ: Mapping[str, str], env: str, instance_path: Path) -> str:
    """Where rate-limit counters live: RATELIMIT_STORAGE_URI (redis://… for several instances), else a SQLite file
    in the instance folder that every worker of this instance shares (memory:// only for the tests' one process)."""
    from feedback import ratelimits  # registers the sqlite:// storage with the limits library

    default = "memory://" if env == "testing" else f"{ratelimits.SCHEME}:///{instance_path / 'ratelimits.sqlite3'}"
    if default != "memory://" and not environ.get("RATELIMIT_STORAGE_URI") and not _writable(instance_path):
        log.warning(
            "the instance folder %s is not writable: rate limits count per worker; set RATELIMIT_STORAGE_URI",
            instance_path,
        )
        default = "memory://"
    uri = environ.get("RATELIMIT_STORAGE_URI") or default
    scheme = uri.split("://", 1)[0] if "://" in uri else ""
    if scheme not in RATE_LIMIT_STORAGES or scheme.startswith("async+"):
        raise ConfigError(
            f"RATELIMIT_STORAGE_URI must be e.g. redis://host:6379/0, sqlite:////path/limits.sqlite3 or memory://, "
            f"got {uri!r}"
        )
    return uri


def _rate_limit(environ: Mapping[str, str], name: str, default: str) -> str:
    """Read a rate limit such as "10 per minute;50 per hour"."""
    value = environ.get(name) or default
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(f"{name} must look like '10 per minute;50 per hour', got {value!r}") from None
    return value


def _retention_days(environ: Mapping[str, str]) -> int:
    """Read SCAN_RETENTION_DAYS: 0 keeps raw scans, otherwise at least MIN_RETENTION_DAYS."""
    days = _int(environ, "SCAN_RETENTION_DAYS", 0, minimum=0)
    if 0 < days < MIN_RETENTION_DAYS:
        raise ConfigError(
            f"SCAN_RETENTION_DAYS must be 0 (keep raw scans) or at least {MIN_RETENTION_DAYS}, got {days}"
        )
    return days


def load_config(environ: Mapping[str, str], instance_path: Path) -> dict[str, object]:
    """Build the Flask configuration from environment variables; raise ConfigError when it is unusable."""
    env = environ.get("FEEDBACK_ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"FEEDBACK_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")
    production = env == "production"
    _check_data_dir(environ)

    default_db = f"sqlite:///{instance_path / 'feedback.sqlite3'}"
    database_url = normalise_database_url(environ.get("DATABASE_URL") or default_db)
    if not database_url.startswith(("sqlite:", "postgresql+psycopg:")):
        raise ConfigError("DATABASE_URL must be a sqlite:/// or postgresql:// URL")
    _sqlite_folder(database_url, default_db)

    replica_url = normalise_database_url(environ.get("DATABASE_REPLICA_URL", "")) if environ.get(
        "DATABASE_REPLICA_URL"
    ) else None
    if replica_url is not None and not (
        replica_url.startswith("postgresql+psycopg:") and database_url.startswith("postgresql+psycopg:")
    ):
        raise ConfigError("DATABASE_REPLICA_URL must be a postgresql:// URL, with DATABASE_URL on PostgreSQL too")

    base_default = "" if production else "http://localhost:8000"
    base_url = environ.get("PUBLIC_BASE_URL", base_default)
    if not base_url:
        raise ConfigError("PUBLIC_BASE_URL must be set when FEEDBACK_ENV=production (what QR codes point to)")

    timezone = environ.get("DEFAULT_TIMEZONE", "Europe/Berlin")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"DEFAULT_TIMEZONE is not a known time zone: {timezone!r}") from None

    return {
        "FEEDBACK_ENV": env,
        "SECRET_KEY": _secret_key(environ, env, instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(database_url),
        # A streaming replica that dashboard analysis, downloads and API reads may use (feedback/replica.py), and how
        # far behind it may be before those reads go back to the primary.
        "DATABASE_REPLICA_URL": replica_url,
        "REPLICA_MAX_LAG_SECONDS": _int(environ, "REPLICA_MAX_LAG_SECONDS", 10, minimum=1),
        "PUBLIC_BASE_URL": _public_base_url(base_url),
        "PROXY_HOPS": _int(environ, "PROXY_HOPS", 0),
        "DEFAULT_TIMEZONE": timezone,
        "RATELIMIT_STORAGE_URI": _rate_limit_storage(environ, env, instance_path),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": _rate_limit(environ, "LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        # Anonymous writes of the phone's pages, per anonymised network + device signature (qr.visitors.signature).
        "TYPED_CODE_RATE_LIMIT": _rate_limit(environ, "TYPED_CODE_RATE_LIMIT", "30 per minute;300 per hour"),
        "INVITE_RATE_LIMIT": _rate_limit(environ, "INVITE_RATE_LIMIT", "30 per minute"),
        "ANSWER_RATE_LIMIT": _rate_limit(environ, "ANSWER_RATE_LIMIT", "120 per minute"),
        "MAX_CONTENT_LENGTH": _int(environ, "MAX_CONTENT_LENGTH", 1024 * 1024, minimum=1024),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_NAME": "feedback_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        # "stay logged in" lasts 30 days at most (logout, a new password or leaving a workspace end it sooner)
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "PERMANENT_SESSION_LIFETIME": _int(environ, "SESSION_LIFETIME_SECONDS", 8 * 3600, minimum=60),
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "INVITATION_DAYS": _int(environ, "INVITATION_DAYS", 7, minimum=1),
        # Webhooks never go to loopback, private or link-local addresses unless the operator allows it.
        "WEBHOOKS_ALLOW_PRIVATE": _bool(environ, "WEBHOOKS_ALLOW_PRIVATE", False),
        "WEBHOOK_POLL_SECONDS": _int(environ, "WEBHOOK_POLL_SECONDS", 5, minimum=1),
        "WEBHOOK_WORKERS": _int(environ, "WEBHOOK_WORKERS", 8, minimum=1),
        "WEBHOOK_LOG_DAYS": _int(environ, "WEBHOOK_LOG_DAYS", 30, minimum=1),
        # Mails (alerts, digests) go to this SMTP server (feedback/notifications/mailer.py); without one they wait
        # in the outbox, shown as not sent. MAIL_FROM is the sender.
        "SMTP_URL": _smtp_url(environ),
        "MAIL_FROM": _mail_from_setting(environ, base_url),
        "MAIL_POLL_SECONDS": _int(environ, "MAIL_POLL_SECONDS", 5, minimum=1),
        # Raw scans older than this many days become daily counts (`feedback retention`); 0 keeps them.
        "SCAN_RETENTION_DAYS": _retention_days(environ),
        # Every serving process rolls up closed days in its idle time this often (seconds; 0: only `feedback rollup`
        # and the first page view that needs a day).
        "ROLLUP_POLL_SECONDS": _int(environ, "ROLLUP_POLL_SECONDS", 300),
    }


#: SMTP_URL names the mail server: `smtp://user:password@host:587?starttls=1` (STARTTLS), `smtps://user:password@host
#: :465` (TLS from the start) or `smtp://host:25` (plain, for a relay on the same network); `timeout=` (seconds)
#: bounds every step. User name and password are URL-encoded where they hold special characters.
DEFAULT_SMTP_TIMEOUT = 20.0
#: At most this per step, so that an attempt (connect, greeting, STARTTLS, login, sender, recipient, data: fewer than
#: ten steps) ends well inside the mail outbox's lease of ten minutes.
MAX_SMTP_TIMEOUT = 60.0
TRUE = {"1", "true", "yes", "on"}


class SmtpUrlInvalid(ValueError):
    """SMTP_URL cannot be used."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how mails are handed over."""

    host: str
    port: int
    username: str = ""
    password: str = ""
    #: STARTTLS after connecting (smtp://…?starttls=1), or TLS from the start (smtps://).
    starttls: bool = False
    tls: bool = False
    timeout: float = DEFAULT_SMTP_TIMEOUT

    def describe(self) -> str:
        """The server without its password, for logs and the dashboard."""
        scheme = "smtps" if self.tls else "smtp"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}" + ("?starttls=1" if self.starttls else "")


def parse_smtp_url(url: str) -> SmtpSettings:
    """The settings SMTP_URL describes; SmtpUrlInvalid with the reason otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise SmtpUrlInvalid(f"SMTP_URL is not a valid URL: {error}") from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SmtpUrlInvalid("SMTP_URL must look like smtp://user:password@host:587?starttls=1 or smtps://host:465")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(query) - {"starttls", "timeout"}
    if unknown:
        raise SmtpUrlInvalid(f"SMTP_URL has unknown settings: {', '.join(sorted(unknown))}")
    try:
        timeout = float(query.get("timeout", DEFAULT_SMTP_TIMEOUT))
    except ValueError:
        raise SmtpUrlInvalid("SMTP_URL's timeout must be a number of seconds") from None
    if not 0 < timeout <= MAX_SMTP_TIMEOUT:
        raise SmtpUrlInvalid(f"SMTP_URL's timeout must be between 0 and {MAX_SMTP_TIMEOUT:g} seconds")
    tls = parts.scheme == "smtps"
    starttls = query.get("starttls", "").lower() in TRUE
    if tls and starttls:
        raise SmtpUrlInvalid("SMTP_URL: smtps:// already uses TLS; leave starttls out")
    return SmtpSettings(
        host=parts.hostname,
        port=port or (465 if tls else 587 if starttls else 25),
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        starttls=starttls,
        tls=tls,
        timeout=timeout,
    )


def _smtp_url(environ: Mapping[str, str]) -> str:
    url = environ.get("SMTP_URL", "").strip()
    if url:
        try:
            parse_smtp_url(url)
        except SmtpUrlInvalid as error:
            raise ConfigError(str(error)) from None
    return url


def _mail_from_setting(environ: Mapping[str, str], base_url: str) -> str:
    """MAIL_FROM, or noreply at the public host: an address with at most a display name, on one line."""
    sender = environ.get("MAIL_FROM", "").strip() or _mail_from(base_url)
    local, _, domain = parseaddr(sender)[1].partition("@")
    if not local or not domain or "@" in domain or any(c in sender for c in "\r\n"):
        raise ConfigError(f"MAIL_FROM is not a usable sender address: {sender!r}")
    return sender


def _mail_from(base_url: str) -> str:
    """The default sender: noreply at the public host."""
    return f"feedback <noreply@{urlsplit(base_url).hostname or 'localhost'}>"


def _check_data_dir(environ: Mapping[str, str]) -> None:
    """Refuse a FEEDBACK_DATA_DIR that names something other than a folder (a folder not there yet is made)."""
    given = environ.get("FEEDBACK_DATA_DIR", "").strip()
    if given and Path(given).expanduser().exists() and not Path(given).expanduser().is_dir():
        raise ConfigError(f"FEEDBACK_DATA_DIR must be a folder for the service's data, got {given!r}")


def instance_folder(environ: Mapping[str, str]) -> Path:
    """The writable folder for the SQLite file, secret key and rate limits: FEEDBACK_DATA_DIR, else ./instance."""
    given = environ.get("FEEDBACK_DATA_DIR", "").strip()
    return Path(given).expanduser().absolute() if given else Path.cwd() / "instance"
