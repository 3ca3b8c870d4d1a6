"""What the bench scripts share: where the bench database lives, how its app is built, who signs in.

Both scripts build the real app with `create_app`, from the settings
`config.load_config()` reads, changing only the database: the bench runs the
same code, migrations and password hashing as production.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from config import _normalise_database_url, load_config
from coordinator import create_app

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
DEFAULT_DATABASE_URL = f"sqlite:///{OUT_DIR / 'bench.sqlite3'}"
PASSWORD = "bench-password-2026"  # every seeded account shares it, on purpose
TIMEZONE = "America/New_York"


def coordinator_email(circle_id: int) -> str:
    return f"c{circle_id}@bench.example"


def supporter_email(circle_id: int, n: int) -> str:
    return f"s{circle_id}-{n}@bench.example"


def database_url(raw: str | None) -> str:
    """The URL to use: the bench SQLite file by default; postgres:// URLs get psycopg 3, as in config.py."""
    return _normalise_database_url(raw.strip()) if raw else DEFAULT_DATABASE_URL


def bench_app(url: str) -> Flask:
    """The real app, configured from the environment as usual but pointed at the bench database."""
    settings = load_config()
    config = {name: getattr(settings, name) for name in dir(settings) if name.isupper()}
    config["SQLALCHEMY_DATABASE_URI"] = url
    return create_app(config)
