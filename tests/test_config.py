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
PRODUCTION = {"APP_ENV": "production", "SECRET_KEY": STRONG_KEY, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}


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
