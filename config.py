"""Configuration: the one place that reads the environment.

`load_config()` turns environment variables into a plain config object once,
when the app is created; nothing reads `os.environ` at import time and no other
module reads it at all. Three profiles: development (the default, for
`make run`), testing, and production, which refuses to start without a real
`SECRET_KEY`.

Every setting the code reads has its default on `BaseConfig`, here and only
here: call sites read `current_app.config["X"]` and never bring a default of
their own (tests/test_config.py walks the source to keep it so). An app built
from a mapping of a few settings gets the rest from `BaseConfig`.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
import phonenumbers

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

# Values people have pasted from tutorials; a production key must not be one.
_PLACEHOLDER_KEYS = {"", "dev", "changeme", "change-me", "secret", "your-secret-key", "replace-me"}
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(click.ClickException, RuntimeError):
    """The environment describes a service that must not start.

    A click exception, so `flask --app wsgi ...` prints the message and exits 1 instead of a traceback.
    """


class BaseConfig:
    APP_ENV = "base"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE_DIR / 'coordinator.sqlite3'}"
    # hide_parameters: a database error's log line names the statement, never the values (phones, bodies).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    # PostgreSQL connections per process: pool_size kept open, max_overflow more at busy moments, waiting at most
    # pool_timeout seconds for one, reopened after pool_recycle seconds (README "Database connections"). Not SQLite.
    SQLALCHEMY_POOL_SIZE = 5
    SQLALCHEMY_MAX_OVERFLOW = 2
    SQLALCHEMY_POOL_TIMEOUT = 10  # whole seconds (SQLAlchemy rounds it down)
    SQLALCHEMY_POOL_RECYCLE = 1800
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"

    # Requests and sessions
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)
    # The sign-in row ends 30 days after sign-in whatever the activity (services/people/sessions.py), so the cookie
    # is written when it changes, not re-signed and re-sent on every answer (HMAC and zlib on each request).
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a clock
    HSTS_ENABLED = False

    # Passwords (argon2id). Defaults follow RFC 9106's second recommendation.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024
    ARGON2_PARALLELISM = 4
    PASSWORD_MIN_LENGTH = 10
    PASSWORD_RESET_TTL = timedelta(hours=1)
    REGISTER_LINK_TTL = timedelta(hours=2)  # how long the emailed "finish signing up" link works

    # Throttling (Flask-Limiter). memory:// for one process, redis://... for many (production must choose).
    # If Redis is down, throttled pages fail closed (an error page), never unthrottled (no swallowing, no fallback).
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI: str | None = "memory://"
    RATELIMIT_KEY_PREFIX = ""  # keeps two deployments (or test runs) that share one Redis apart
    RATELIMIT_HEADERS_ENABLED = False
    SIGNIN_LIMIT_PER_ACCOUNT = "5 per minute;20 per hour"
    SIGNIN_LIMIT_PER_IP = "20 per minute;200 per hour"
    RESET_LIMIT_PER_ACCOUNT = "3 per hour"
    RESET_LIMIT_PER_IP = "10 per hour"
    REGISTER_LIMIT_PER_IP = "10 per hour"
    REGISTER_LIMIT_PER_EMAIL = "3 per hour"  # emails a registration may send one address
    CODE_LIMIT_PER_IP = "10 per hour"
    CODE_LIMIT_PER_CONTACT = "3 per 10 minutes"
    CODE_VERIFY_LIMIT_PER_IP = "10 per minute;50 per hour"
    INVITATION_LIMIT_PER_IP = "30 per minute;300 per day"
    # Texts from numbers that belong to nobody: throttled per number, kept briefly (RETAIN_UNKNOWN_INBOUND_DAYS).
    UNKNOWN_SENDER_LIMIT = "5 per hour;20 per day"
    INVITATION_DAYS = 14
    NEEDS_HORIZON_DAYS = 56
    # Photos on updates (services/updates/photos.py): where their files live, and the largest one a person may send.
    PHOTO_DIR = str(INSTANCE_DIR / "photos")  # one folder per circle inside; production checks it is writable
    PHOTO_MAX_BYTES = 12 * 1024 * 1024

    # Outside world
    SMS_BACKEND = "console"
    TWILIO_ACCOUNT_SID: str | None = None
    TWILIO_AUTH_TOKEN: str | None = None
    TWILIO_FROM_NUMBER: str | None = None
    TWILIO_MESSAGING_SERVICE_SID: str | None = None
    TWILIO_API_BASE_URL: str | None = None
    TWILIO_TIMEOUT = 10.0  # seconds; a timeout is treated as "maybe sent" and reconciled
    SMS_SENDS_PER_SECOND = 10.0
    SMS_SENDING_LEASE_SECONDS = 60  # a row "sending" longer than this was left by a crashed dispatcher
    SMS_RECONCILE_AFTER_SECONDS = 30  # how long an "unknown" row waits before asking the provider
    DELIVER_EVERY_SECONDS = 5
    SMS_DEFAULT_QUIET_START = "21:00"
    SMS_DEFAULT_QUIET_END = "08:00"
    ASK_MIN_GAP_HOURS = 20.0  # no two asking texts to one person closer than this (services/texting/ask_budget.py)
    REENGAGE_QUIET_DAYS = 3.0  # re-engagement never this soon after another ask
    MAIL_BACKEND = "console"
    SMTP_HOST = "127.0.0.1"
    SMTP_PORT = 25
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS = False
    SMTP_TIMEOUT = 10.0
    MAIL_FROM = "Coordinator <coordinator@localhost>"
    DEFAULT_PHONE_REGION = "US"
    DEFAULT_TIMEZONE = "America/New_York"

    # Privacy: how long things are kept (days), purged by the scheduler's retention job.
    RETAIN_MESSAGE_BODIES_DAYS = 90  # the text of sent texts and emails; the row (who, when, status) stays
    RETAIN_INBOUND_DAYS = 90  # texts members sent us
    RETAIN_UNKNOWN_INBOUND_DAYS = 7  # texts from numbers that belong to nobody
    RETAIN_SIGN_IN_CODES_DAYS = 1  # after they expire or are used
    RETAIN_INVITATIONS_DAYS = 30  # after they expire, are revoked or accepted (the contact they carried)
    RETAIN_SESSIONS_DAYS = 30  # after they end
    RETENTION_EVERY_SECONDS = 3600
    CIRCLE_PURGE_GRACE_DAYS = 30  # what a patient closing a circle is offered first
    # How many reverse proxies sit in front of the app (their X-Forwarded-* headers are trusted).
    TRUSTED_PROXIES = 0

    # Seeing inside (README "Monitoring"): logs, /metrics, /readyz and the scheduler's heartbeats.
    LOG_FORMAT = "text"  # text (readable lines) or json (one JSON object a line; production's default), to stderr
    LOG_LEVEL = "INFO"  # DEBUG, INFO, WARNING or ERROR
    METRICS_ALLOWED_IPS = "127.0.0.1/32,::1/128"  # CIDRs that may read /metrics (comma-separated); others get 404
    PROMETHEUS_MULTIPROC_DIR: str | None = None  # a directory every worker writes its counts to (gunicorn)
    READY_HEARTBEAT_SECONDS = 60.0  # /readyz fails once the scheduler leader's heartbeat is older than this
    SCHEDULER_HEARTBEAT_SECONDS = 5.0  # how often each scheduler process writes its heartbeat row
    SCHEDULER_FORGET_SECONDS = 86400.0  # heartbeat rows not written for this long are deleted


class DevelopmentConfig(BaseConfig):
    APP_ENV = "development"


class TestingConfig(BaseConfig):
    APP_ENV = "testing"
    TESTING = True
    SECRET_KEY = "testing-" + "x" * 40
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    # Cheap hashes keep the suite fast; the algorithm (argon2id) is the same.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8 * 1024
    ARGON2_PARALLELISM = 1
    PUBLIC_BASE_URL = "http://localhost"
    SERVER_NAME = None


class ProductionConfig(BaseConfig):
    APP_ENV = "production"
    RATELIMIT_STORAGE_URI = None  # no default: memory:// would let each worker count sign-ins on its own
    SESSION_COOKIE_SECURE = True
    HSTS_ENABLED = True
    LOG_FORMAT = "json"  # for a log collector; LOG_FORMAT=text for reading by eye


PROFILES = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}

_STRING_SETTINGS = (
    "PUBLIC_BASE_URL",
    "SMS_BACKEND",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM_NUMBER",
    "TWILIO_MESSAGING_SERVICE_SID",
    "TWILIO_API_BASE_URL",
    "MAIL_BACKEND",
    "SMTP_HOST",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "MAIL_FROM",
    "DEFAULT_PHONE_REGION",
    "RATELIMIT_STORAGE_URI",
    "RATELIMIT_KEY_PREFIX",
    "SMS_DEFAULT_QUIET_START",
    "SMS_DEFAULT_QUIET_END",
    "DEFAULT_TIMEZONE",
    "UNKNOWN_SENDER_LIMIT",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "METRICS_ALLOWED_IPS",
    "PROMETHEUS_MULTIPROC_DIR",
    "PHOTO_DIR",
)


_NUMBER_SETTINGS = (
    "ASK_MIN_GAP_HOURS",
    "REENGAGE_QUIET_DAYS",
    "RETAIN_MESSAGE_BODIES_DAYS",
    "RETAIN_INBOUND_DAYS",
    "RETAIN_UNKNOWN_INBOUND_DAYS",
    "RETAIN_SIGN_IN_CODES_DAYS",
    "RETAIN_INVITATIONS_DAYS",
    "RETAIN_SESSIONS_DAYS",
    "RETENTION_EVERY_SECONDS",
    "CIRCLE_PURGE_GRACE_DAYS",
    "TWILIO_TIMEOUT",
    "SMS_SENDS_PER_SECOND",
    "SMS_SENDING_LEASE_SECONDS",
    "SMS_RECONCILE_AFTER_SECONDS",
    "DELIVER_EVERY_SECONDS",
    "READY_HEARTBEAT_SECONDS",
    "SCHEDULER_HEARTBEAT_SECONDS",
    "SCHEDULER_FORGET_SECONDS",
)

_WHOLE_NUMBER_SETTINGS = (
    "SMTP_PORT",
    "TRUSTED_PROXIES",
    "SQLALCHEMY_POOL_SIZE",
    "SQLALCHEMY_MAX_OVERFLOW",
    "SQLALCHEMY_POOL_TIMEOUT",
    "SQLALCHEMY_POOL_RECYCLE",
    "PHOTO_MAX_BYTES",
)

# Numbers where 0 would stop something working (a pool of none, sending never, waiting no time at all).
_ABOVE_ZERO = {
    "DELIVER_EVERY_SECONDS",
    "RETENTION_EVERY_SECONDS",
    "TWILIO_TIMEOUT",
    "SQLALCHEMY_POOL_SIZE",
    "SQLALCHEMY_POOL_TIMEOUT",
    "SMTP_PORT",
    "READY_HEARTBEAT_SECONDS",
    "SCHEDULER_HEARTBEAT_SECONDS",
    "SCHEDULER_FORGET_SECONDS",
    "PHOTO_MAX_BYTES",
}
_BACKENDS = {"SMS_BACKEND": ("console", "twilio"), "MAIL_BACKEND": ("console", "smtp")}
_LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}


def _dev_secret_key() -> str:
    """A random key kept in instance/ so `make run` sessions survive restarts."""
    INSTANCE_DIR.mkdir(exist_ok=True)
    path = INSTANCE_DIR / "dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _normalise_database_url(url: str) -> str:
    """Accept the postgres:// and postgresql:// URLs hosts hand out; use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(environ: dict[str, str] | None = None) -> BaseConfig:
    """Build the config for this process from `environ` (default: os.environ)."""
    env = os.environ if environ is None else environ
    profile = env.get("APP_ENV", "development").strip().lower()
    if profile not in PROFILES:
        raise ConfigError(f"APP_ENV must be one of {', '.join(PROFILES)}, not {profile!r}.")
    config = PROFILES[profile]()
    for name in _STRING_SETTINGS:
        if env.get(name):
            setattr(config, name, env[name].strip())
    for name in _NUMBER_SETTINGS + _WHOLE_NUMBER_SETTINGS:
        if env.get(name):
            setattr(config, name, _number(name, env[name], int if name in _WHOLE_NUMBER_SETTINGS else float))
    if env.get("SMTP_STARTTLS"):
        config.SMTP_STARTTLS = env["SMTP_STARTTLS"].strip().lower() in {"1", "true", "yes"}
    if env.get("DATABASE_URL"):
        config.SQLALCHEMY_DATABASE_URI = _normalise_database_url(env["DATABASE_URL"].strip())
    config.SECRET_KEY = env.get("SECRET_KEY", "").strip() or None
    check_values(config)
    if profile == "production":
        check_production_secret(config.SECRET_KEY)
        check_production_rate_limits(config.RATELIMIT_STORAGE_URI)
        check_production_deployment(config, env)
    elif config.SECRET_KEY is None:
        config.SECRET_KEY = TestingConfig.SECRET_KEY if profile == "testing" else _dev_secret_key()
    return config


def check_production_secret(key: str | None) -> None:
    if key is None or key.lower() in _PLACEHOLDER_KEYS or len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            "Refusing to start in production without a real SECRET_KEY: it signs every "
            f"session cookie and sign-in link, so it must be at least {MIN_SECRET_KEY_LENGTH} "
            "random characters. Generate one with: "
            "python -c 'import secrets; print(secrets.token_hex(32))'"
        )


def check_production_rate_limits(uri: str | None) -> None:
    """Several workers must count sign-in attempts in one place; memory:// only when chosen for one process."""
    if not uri:
        raise ConfigError(
            "Refusing to start in production without RATELIMIT_STORAGE_URI: sign-in attempts must be "
            "counted in one place for every worker. Set RATELIMIT_STORAGE_URI=redis://host:6379/0, "
            "or memory:// if this host runs a single process."
        )
    if uri.startswith("memory://"):
        logging.getLogger(__name__).warning(
            "RATELIMIT_STORAGE_URI=memory://: sign-in and other limits are counted per process, so "
            "run a single process (one gunicorn worker), or use redis://"
        )


def _number(name: str, raw: str, kind: type) -> float:
    """A number setting, or a ConfigError naming it (never a ValueError's traceback)."""
    what = "a whole number" if kind is int else "a number"
    try:
        value = kind(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be {what}, not {raw.strip()!r}.") from None
    above_zero = name in _ABOVE_ZERO
    if not math.isfinite(value) or value < 0 or (above_zero and value == 0):
        least = "above 0" if above_zero else "of 0 or more"
        raise ConfigError(f"{name} must be {what} {least}, not {raw.strip()!r}.")
    return value


def check_values(config: BaseConfig) -> None:
    """Settings every profile must be able to use: a real zone, region, time and backend."""
    try:
        ZoneInfo(config.DEFAULT_TIMEZONE)
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigError(
            f"DEFAULT_TIMEZONE must be a time zone name like America/New_York or Europe/London, "
            f"not {config.DEFAULT_TIMEZONE!r}."
        ) from None
    config.DEFAULT_PHONE_REGION = config.DEFAULT_PHONE_REGION.upper()
    if config.DEFAULT_PHONE_REGION not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(
            f"DEFAULT_PHONE_REGION must be a two-letter country code like US or GB, not {config.DEFAULT_PHONE_REGION!r}."
        )
    for name in ("SMS_DEFAULT_QUIET_START", "SMS_DEFAULT_QUIET_END"):
        _check_time(name, getattr(config, name))
    for name, choices in _BACKENDS.items():
        if getattr(config, name) not in choices:
            raise ConfigError(f"{name} must be {' or '.join(choices)}, not {getattr(config, name)!r}.")


def _check_time(name: str, value: str) -> None:
    from coordinator.clock import parse_time  # here, not at the top: coordinator imports this module
    from coordinator.errors import Invalid

    try:
        parse_time(value)
    except Invalid:
        raise ConfigError(f"{name} must be a time like 21:00 or 08:00, not {value!r}.") from None


def check_production_deployment(config: BaseConfig, env) -> None:
    """Refuse, naming what to set, whatever would break a real deployment; every problem at once."""
    problems = [
        *_public_url_problems(config, env),
        *_backend_problems(config, env),
        *_lease_problems(config),
        *_photo_dir_problems(config, env),
    ]
    if problems:
        raise ConfigError("Refusing to start in production:\n- " + "\n- ".join(problems))


def _public_url_problems(config: BaseConfig, env) -> list[str]:
    if not env.get("PUBLIC_BASE_URL"):
        return [
            "PUBLIC_BASE_URL is not set: links in texts and emails, and Twilio's signatures, need the address "
            "people reach the service at. Set PUBLIC_BASE_URL=https://care.example.org"
        ]
    url = urlsplit(config.PUBLIC_BASE_URL)
    if url.scheme == "https" and url.hostname:
        return []
    if url.scheme == "http" and url.hostname in _LOOPBACK_HOSTS:
        return []  # trying production settings on this machine
    return [
        f"PUBLIC_BASE_URL must be an https address (people's sign-in links travel in it), not "
        f"{config.PUBLIC_BASE_URL!r}. Set PUBLIC_BASE_URL=https://your.domain (http only for 127.0.0.1 or "
        "localhost)"
    ]


def _lease_problems(config: BaseConfig) -> list[str]:
    """A text still on its way to Twilio must never look like one a stopped dispatcher left (it could go twice).

    The lease starts again right before each send, and a send can take TWILIO_TIMEOUT to connect and as
    long again for the answer.
    """
    least = 2 * float(config.TWILIO_TIMEOUT)
    if config.SMS_BACKEND != "twilio" or float(config.SMS_SENDING_LEASE_SECONDS) >= least:
        return []
    return [
        f"SMS_SENDING_LEASE_SECONDS must be at least twice TWILIO_TIMEOUT ({least:g} s), not "
        f"{config.SMS_SENDING_LEASE_SECONDS:g}: a text still on its way to Twilio would be taken for one a "
        f"stopped dispatcher left, and could go twice. Set SMS_SENDING_LEASE_SECONDS={max(60, int(least) + 1)}"
    ]


def _photo_dir_problems(config: BaseConfig, env) -> list[str]:
    """A PHOTO_DIR the host chose must be absolute and writable by this process (checked, never created, here)."""
    if not env.get("PHOTO_DIR"):
        return []  # instance/photos, beside the database the units already let the service write
    path = Path(config.PHOTO_DIR)
    if not path.is_absolute():
        return [f"PHOTO_DIR must be an absolute path like /var/lib/coordinator/photos, not {config.PHOTO_DIR!r}"]
    existing = next(folder for folder in (path, *path.parents) if folder.exists())
    if not existing.is_dir():
        return [f"PHOTO_DIR must be a folder, but {existing} is a file"]
    if not os.access(existing, os.W_OK | os.X_OK):
        return [
            f"PHOTO_DIR {config.PHOTO_DIR} can't be written by this process ({existing} isn't writable), so "
            "photos on updates could not be saved. Make it writable by the service's user"
        ]
    return []


def _backend_problems(config: BaseConfig, env) -> list[str]:
    problems = []
    for name, real, what in (("SMS_BACKEND", "twilio", "texts"), ("MAIL_BACKEND", "smtp", "emails")):
        if not env.get(name):
            problems.append(
                f"{name} is not set, so {what} would only be printed to the console. Set {name}={real} "
                f"(or {name}=console if printing them is what you want)"
            )
        elif getattr(config, name) == "console":
            logging.getLogger(__name__).warning("%s=console: %s are printed, never sent", name, what)
    if config.SMS_BACKEND == "twilio":
        missing = [name for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN") if not getattr(config, name)]
        if not (config.TWILIO_FROM_NUMBER or config.TWILIO_MESSAGING_SERVICE_SID):
            missing.append("TWILIO_FROM_NUMBER (or TWILIO_MESSAGING_SERVICE_SID)")
        if missing:
            problems.append(f"SMS_BACKEND=twilio needs {', '.join(missing)}")
    if config.MAIL_BACKEND == "smtp":
        missing = [name for name in ("SMTP_HOST", "MAIL_FROM") if not env.get(name)]
        if missing:
            problems.append(
                f"MAIL_BACKEND=smtp needs {' and '.join(missing)} (the mail server, and an address it "
                "may send from, e.g. MAIL_FROM='Care circle <care@example.org>')"
            )
    return problems


def engine_options(config) -> dict:
    """SQLALCHEMY_ENGINE_OPTIONS with the pool settings on PostgreSQL (SQLite keeps its own pool)."""
    options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options.setdefault("pool_size", int(config["SQLALCHEMY_POOL_SIZE"]))
        options.setdefault("max_overflow", int(config["SQLALCHEMY_MAX_OVERFLOW"]))
        options.setdefault("pool_timeout", int(config["SQLALCHEMY_POOL_TIMEOUT"]))
        options.setdefault("pool_recycle", int(config["SQLALCHEMY_POOL_RECYCLE"]))
        options["pool_pre_ping"] = False  # a connection idle over a second is pinged instead (coordinator/db_pool.py)
    return options


def database_url_for_tests(environ: dict[str, str] | None = None) -> str | None:
    """The PostgreSQL URL the suite should also run on, if any (TEST_DATABASE_URL)."""
    env = os.environ if environ is None else environ
    url = env.get("TEST_DATABASE_URL", "").strip()
    return _normalise_database_url(url) if url else None


def test_settings(environ: dict[str, str] | None = None) -> dict[str, object]:
    """Settings only the test suite reads: which browser to drive and whether it must exist."""
    env = os.environ if environ is None else environ
    return {
        "chromium_path": env.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "require_browser": env.get("REQUIRE_BROWSER", "") not in ("", "0"),
    }
