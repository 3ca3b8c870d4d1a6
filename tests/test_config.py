"""Configuration comes from the environment, through config.py only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from config import BASE_DIR, ConfigError, load_config
from coordinator import create_app

STRONG_KEY = "f" * 16 + "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("key", [None, "", "changeme", "dev", "short-key"])
def test_production_refuses_to_start_without_a_real_secret_key(key):
    environ = {"APP_ENV": "production", "DATABASE_URL": "sqlite://"}
    if key is not None:
        environ["SECRET_KEY"] = key
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(environ)


def test_production_also_refuses_a_weak_key_passed_directly():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"APP_ENV": "production", "SECRET_KEY": "dev", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_starts_with_a_real_key_and_secure_cookies():
    config = load_config({"APP_ENV": "production", "SECRET_KEY": STRONG_KEY, "DATABASE_URL": "postgres://u@h/db"})
    assert config.SESSION_COOKIE_SECURE is True and config.HSTS_ENABLED is True
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@h/db"


def test_environment_settings_are_read():
    config = load_config(
        {
            "APP_ENV": "testing",
            "SMS_BACKEND": "twilio",
            "TWILIO_API_BASE_URL": "http://127.0.0.1:9999",
            "MAIL_BACKEND": "smtp",
            "SMTP_PORT": "2525",
            "DEFAULT_PHONE_REGION": "GB",
            "PUBLIC_BASE_URL": "https://care.example.org",
        }
    )
    assert (config.SMS_BACKEND, config.TWILIO_API_BASE_URL, config.MAIL_BACKEND, config.SMTP_PORT) == (
        "twilio",
        "http://127.0.0.1:9999",
        "smtp",
        2525,
    )
    assert (config.DEFAULT_PHONE_REGION, config.PUBLIC_BASE_URL) == ("GB", "https://care.example.org")


def test_unknown_profile_is_refused():
    with pytest.raises(ConfigError, match="APP_ENV"):
        load_config({"APP_ENV": "staging-ish"})


def test_only_config_py_reads_the_environment():
    offenders = []
    for path in Path(BASE_DIR, "coordinator").rglob("*.py"):
        if re.search(r"os\.environ|os\.getenv|getenv\(", path.read_text()):
            offenders.append(str(path.relative_to(BASE_DIR)))
    assert offenders == []
