"""Configuration comes from the environment, through config.py only."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from config import BASE_DIR, BaseConfig, ConfigError, load_config
from coordinator import create_app

STRONG_KEY = "f" * 16 + "0123456789abcdef0123456789abcdef"
PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": STRONG_KEY,
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
    "PUBLIC_BASE_URL": "https://care.example.org",
    "SMS_BACKEND": "twilio",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "t" * 32,
    "TWILIO_FROM_NUMBER": "+12025550100",
    "MAIL_BACKEND": "smtp",
    "SMTP_HOST": "mail.example.org",
    "MAIL_FROM": "Care circle <care@example.org>",
}


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
    config = load_config({**PRODUCTION, "DATABASE_URL": "postgres://u@h/db"})
    assert config.SESSION_COOKIE_SECURE is True and config.HSTS_ENABLED is True
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@h/db"
    assert config.RATELIMIT_STORAGE_URI == "redis://127.0.0.1:6379/0"


def test_production_refuses_to_start_when_each_worker_would_count_sign_ins_alone():
    environ = {key: value for key, value in PRODUCTION.items() if key != "RATELIMIT_STORAGE_URI"}
    with pytest.raises(ConfigError, match=r"Set RATELIMIT_STORAGE_URI=redis://host:6379/0, or memory:// if"):
        load_config(environ)


def test_production_may_choose_memory_for_a_single_process_and_is_warned(caplog):
    config = load_config({**PRODUCTION, "RATELIMIT_STORAGE_URI": "memory://"})
    assert config.RATELIMIT_STORAGE_URI == "memory://"
    assert "counted per process" in caplog.text


def test_the_flask_command_refuses_production_without_a_rate_limit_store(tmp_path):
    environ = {key: value for key, value in os.environ.items() if not key.startswith("RATELIMIT")}
    environ.update(APP_ENV="production", SECRET_KEY=STRONG_KEY, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    finished = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "routes"],
        cwd=BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode != 0
    assert "RATELIMIT_STORAGE_URI=redis://host:6379/0" in finished.stderr + finished.stdout
    assert "Traceback" not in finished.stderr + finished.stdout


def _without(*names: str) -> dict[str, str]:
    return {key: value for key, value in PRODUCTION.items() if key not in names}


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        (_without("PUBLIC_BASE_URL"), "PUBLIC_BASE_URL is not set"),
        ({**PRODUCTION, "PUBLIC_BASE_URL": "http://care.example.org"}, "PUBLIC_BASE_URL must be an https address"),
        ({**PRODUCTION, "PUBLIC_BASE_URL": "care.example.org"}, "PUBLIC_BASE_URL must be an https address"),
        ({**PRODUCTION, "PUBLIC_BASE_URL": "http://10.0.0.5:8000"}, "PUBLIC_BASE_URL must be an https address"),
        (_without("SMS_BACKEND"), "SMS_BACKEND is not set, so texts would only be printed"),
        (_without("MAIL_BACKEND"), "MAIL_BACKEND is not set, so emails would only be printed"),
        (_without("TWILIO_AUTH_TOKEN"), "SMS_BACKEND=twilio needs TWILIO_AUTH_TOKEN"),
        (_without("TWILIO_ACCOUNT_SID"), "SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID"),
        (_without("TWILIO_FROM_NUMBER"), r"needs TWILIO_FROM_NUMBER \(or TWILIO_MESSAGING_SERVICE_SID\)"),
        (_without("SMTP_HOST"), "MAIL_BACKEND=smtp needs SMTP_HOST"),
        (_without("MAIL_FROM"), "MAIL_BACKEND=smtp needs MAIL_FROM"),
        (
            {**PRODUCTION, "TWILIO_TIMEOUT": "10", "SMS_SENDING_LEASE_SECONDS": "15"},
            r"SMS_SENDING_LEASE_SECONDS must be at least twice TWILIO_TIMEOUT \(20 s\), not 15",
        ),
    ],
)
def test_production_refuses_what_would_break_a_real_deployment_and_says_what_to_set(environ, says):
    with pytest.raises(ConfigError, match=says) as refused:
        load_config(environ)
    assert str(refused.value).startswith("Refusing to start in production:")
    assert "Set " in str(refused.value) or "needs " in str(refused.value)


def test_production_names_every_problem_at_once():
    with pytest.raises(ConfigError) as refused:
        load_config(_without("PUBLIC_BASE_URL", "SMS_BACKEND", "MAIL_BACKEND"))
    assert [line.split(" ")[1] for line in str(refused.value).splitlines()[1:]] == [
        "PUBLIC_BASE_URL",
        "SMS_BACKEND",
        "MAIL_BACKEND",
    ]


@pytest.mark.parametrize("url", ["http://127.0.0.1:5000", "http://localhost:8000", "http://[::1]:8000"])
def test_production_settings_may_be_tried_on_a_loopback_address_without_https(url):
    assert load_config({**PRODUCTION, "PUBLIC_BASE_URL": url}).PUBLIC_BASE_URL == url


def test_production_may_choose_to_print_texts_and_emails_and_is_warned(caplog):
    config = load_config({**_without("TWILIO_ACCOUNT_SID"), "SMS_BACKEND": "console", "MAIL_BACKEND": "console"})
    assert (config.SMS_BACKEND, config.MAIL_BACKEND) == ("console", "console")
    assert "SMS_BACKEND=console" in caplog.text and "MAIL_BACKEND=console" in caplog.text


def test_production_sends_through_a_messaging_service_without_a_from_number():
    config = load_config({**_without("TWILIO_FROM_NUMBER"), "TWILIO_MESSAGING_SERVICE_SID": "MG" + "1" * 32})
    assert config.TWILIO_MESSAGING_SERVICE_SID.startswith("MG")


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SMS_SENDS_PER_SECOND", "ten", "SMS_SENDS_PER_SECOND must be a number, not 'ten'"),
        ("SMS_SENDS_PER_SECOND", "-1", "SMS_SENDS_PER_SECOND must be a number of 0 or more"),
        ("TWILIO_TIMEOUT", "0", "TWILIO_TIMEOUT must be a number above 0"),
        ("RETAIN_INBOUND_DAYS", "-1", "RETAIN_INBOUND_DAYS must be a number of 0 or more"),
        ("DELIVER_EVERY_SECONDS", "nan", "DELIVER_EVERY_SECONDS must be a number above 0"),
        ("SMTP_PORT", "25.5", "SMTP_PORT must be a whole number, not '25.5'"),
        ("TRUSTED_PROXIES", "one", "TRUSTED_PROXIES must be a whole number"),
        ("SQLALCHEMY_POOL_SIZE", "0", "SQLALCHEMY_POOL_SIZE must be a whole number above 0"),
        ("DEFAULT_TIMEZONE", "Europe/Londn", "DEFAULT_TIMEZONE must be a time zone name like"),
        ("DEFAULT_TIMEZONE", "../etc/passwd", "DEFAULT_TIMEZONE must be a time zone name like"),
        ("DEFAULT_PHONE_REGION", "UK", "DEFAULT_PHONE_REGION must be a two-letter country code"),
        ("SMS_DEFAULT_QUIET_START", "25:00", "SMS_DEFAULT_QUIET_START must be a time like 21:00"),
        ("SMS_DEFAULT_QUIET_END", "morning", "SMS_DEFAULT_QUIET_END must be a time like"),
        ("SMS_BACKEND", "twillio", "SMS_BACKEND must be console or twilio, not 'twillio'"),
        ("MAIL_BACKEND", "sendmail", "MAIL_BACKEND must be console or smtp"),
    ],
)
@pytest.mark.parametrize("profile", ["development", "production"])
def test_a_setting_that_cannot_work_is_refused_by_name_in_every_profile(profile, name, value, says):
    base = PRODUCTION if profile == "production" else {"APP_ENV": "development", "SECRET_KEY": STRONG_KEY}
    with pytest.raises(ConfigError, match=says):
        load_config({**base, name: value})


def test_settings_that_can_work_are_read_as_given():
    config = load_config(
        {
            **PRODUCTION,
            "SMS_SENDS_PER_SECOND": "0.5",
            "RETAIN_INBOUND_DAYS": "0",
            "DEFAULT_PHONE_REGION": "gb",
            "DEFAULT_TIMEZONE": "Europe/London",
            "SMS_DEFAULT_QUIET_START": "9pm",
            "SQLALCHEMY_POOL_SIZE": "3",
        }
    )
    assert (config.SMS_SENDS_PER_SECOND, config.RETAIN_INBOUND_DAYS, config.SQLALCHEMY_POOL_SIZE) == (0.5, 0, 3)
    assert (config.DEFAULT_PHONE_REGION, config.SMS_DEFAULT_QUIET_START) == ("GB", "9pm")


def test_the_flask_command_refuses_an_http_public_url_in_production_cleanly(tmp_path):
    environ = {key: value for key, value in os.environ.items() if key not in PRODUCTION}
    environ.update(PRODUCTION, PUBLIC_BASE_URL="http://care.example.org", SMS_BACKEND="carrier-pigeon")
    environ.update(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    finished = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = finished.stderr + finished.stdout
    assert finished.returncode != 0
    assert "SMS_BACKEND must be console or twilio, not 'carrier-pigeon'" in output
    assert "Traceback" not in output
    environ["SMS_BACKEND"] = "twilio"
    finished = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = finished.stderr + finished.stdout
    assert finished.returncode != 0 and "Traceback" not in output
    assert "PUBLIC_BASE_URL must be an https address" in output and "Set PUBLIC_BASE_URL=https://" in output
    assert not (tmp_path / "db.sqlite3").exists()


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


def _python_sources():
    yield Path(BASE_DIR, "wsgi.py")
    yield from Path(BASE_DIR, "coordinator").rglob("*.py")


def _reads_config(node: ast.AST) -> bool:
    """`config`, `app.config`, `current_app.config`: anything called config."""
    return (isinstance(node, ast.Name) and node.id == "config") or (
        isinstance(node, ast.Attribute) and node.attr == "config"
    )


def _defaults_outside_config_py(tree: ast.AST):
    """`config.get("X", default)`, and `config.get("X") or default`, `config["X"] or default`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
            if _reads_config(node.func.value) and (len(node.args) > 1 or node.keywords):
                yield node.lineno
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            first = node.values[0]
            read = first.func.value if isinstance(first, ast.Call) and isinstance(first.func, ast.Attribute) else None
            read = first.value if isinstance(first, ast.Subscript) else read
            if read is not None and _reads_config(read):
                yield node.lineno


def test_no_setting_has_a_default_outside_config_py():
    offenders = [
        f"{path.relative_to(BASE_DIR)}:{line}"
        for path in _python_sources()
        for line in _defaults_outside_config_py(ast.parse(path.read_text()))
    ]
    assert offenders == []


def test_the_default_finder_finds_each_way_of_writing_one():
    planted = (
        'a = current_app.config.get("NEEDS_HORIZON_DAYS", 56)\n'
        'b = config.get("SMTP_TIMEOUT", default=10.0)\n'
        'c = float(config.get("TWILIO_TIMEOUT") or 10.0)\n'
        'd = app.config["TRUSTED_PROXIES"] or 0\n'
        'fine = current_app.config["NEEDS_HORIZON_DAYS"] + {"x": 1}.get("x", 2)\n'
    )
    assert sorted(_defaults_outside_config_py(ast.parse(planted))) == [1, 2, 3, 4]


def _settings_read(tree: ast.AST):
    """Every literal name in `config["X"]`, `configured_limit("X")` and `Job(..., every_setting="X")`."""
    for node in ast.walk(tree):
        keys = []
        if isinstance(node, ast.Subscript) and _reads_config(node.value):
            keys = [node.slice]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "configured_limit":
            keys = node.args[:1]
        elif isinstance(node, ast.Call):
            keys = [keyword.value for keyword in node.keywords if keyword.arg == "every_setting"]
        for key in keys:
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                yield key.value


def test_every_setting_the_code_reads_has_its_default_in_base_config():
    read = {name for path in _python_sources() for name in _settings_read(ast.parse(path.read_text()))}
    assert {"NEEDS_HORIZON_DAYS", "INVITATION_LIMIT_PER_IP", "DELIVER_EVERY_SECONDS", "CODE_LIMIT_PER_IP"} <= read
    assert sorted(name for name in read if not hasattr(BaseConfig, name)) == []


def test_an_app_built_from_a_few_settings_has_every_other_default_from_config_py():
    app = create_app({"SECRET_KEY": STRONG_KEY, "SQLALCHEMY_DATABASE_URI": "sqlite://", "INVITATION_DAYS": 3})
    assert app.config["INVITATION_DAYS"] == 3
    assert app.config["NEEDS_HORIZON_DAYS"] == BaseConfig.NEEDS_HORIZON_DAYS == 56
    assert app.config["INVITATION_LIMIT_PER_IP"] == "30 per minute;300 per day"
    assert app.config["DELIVER_EVERY_SECONDS"] == 5
