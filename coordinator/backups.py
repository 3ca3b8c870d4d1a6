"""Backups of the whole database, and bringing one back: the mechanics behind `flask backup` / `restore`.

A backup is a consistent snapshot taken while the service runs. PostgreSQL: `pg_dump --format=custom`
(one transaction, so every table is from the same moment), restored with `pg_restore --clean --if-exists
--no-owner`. SQLite: the online backup API (`sqlite3.Connection.backup`), page by page from a live
database into a file that is itself a database, and back the same way.

The database's password never reaches an argument list or a message: pg_dump and pg_restore get it in
PGPASSWORD, and every URL shown is masked (`postgresql://coordinator:***@db/coordinator`).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that can't go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class TableCount:
    table: str
    rows: int


def masked_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def backup_kind(path: Path) -> str:
    """'postgresql' or 'sqlite', read from the file's first bytes."""
    with open(path, "rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    if head == SQLITE_MAGIC:
        return "sqlite"
    raise BackupError(f"{path} is not a backup this command wrote (neither a pg_dump custom file nor SQLite).")


def table_counts(engine: Engine) -> list[TableCount]:
    """Every table of the database and its number of rows (alembic_version included)."""
    with engine.connect() as connection:
        names = sorted(inspect(connection).get_table_names())
        count = 'SELECT count(*) FROM "{}"'  # names from the database's own catalogue, quoted
        return [TableCount(name, connection.execute(text(count.format(name))).scalar_one()) for name in names]


# PostgreSQL


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed. On Debian: apt-get install postgresql-client")
    return found


def pg_check_versions(engine: Engine, tool: str) -> str:
    """pg_dump refuses a server newer than itself; say so before it starts, naming both versions."""
    client = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout.strip()  # noqa: S603
    client_major = int(re.search(r"\)\s+(\d+)", client).group(1))  # "pg_dump (PostgreSQL) 15.20 (Debian ...)"
    with engine.connect() as connection:
        server_num = int(connection.execute(text("SHOW server_version_num")).scalar_one())
    if client_major < server_num // 10000:
        raise BackupError(
            f"{client} is older than the server (PostgreSQL {server_num // 10000}); "
            f"install the client of the server's version (apt-get install postgresql-client-{server_num // 10000})."
        )
    return client


def pg_dump(engine: Engine, output: Path) -> None:
    """A consistent custom-format dump of the whole database into `output`."""
    tool = pg_tool("pg_dump")
    pg_check_versions(engine, tool)
    _pg_run([tool, "--format=custom", "--no-password", f"--file={output}", "--dbname", _libpq_url(engine)], engine)


def pg_restore(engine: Engine, backup: Path) -> None:
    """Every table of `backup`, replacing any of the same name; owners and grants left to the target's role."""
    tool = pg_tool("pg_restore")
    arguments = ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    _pg_run([tool, *arguments, "--no-password", "--dbname", _libpq_url(engine), str(backup)], engine)


def pg_backup_tables(backup: Path) -> int:
    """How many tables' data a dump holds (from its table of contents)."""
    command = [pg_tool("pg_restore"), "--list", str(backup)]
    listing = subprocess.run(command, capture_output=True, text=True)  # noqa: S603 (no shell; a path as one argument)
    if listing.returncode != 0:
        raise BackupError(f"{backup} could not be read by pg_restore: {_last_line(listing.stderr)}")
    return sum(" TABLE DATA " in line for line in listing.stdout.splitlines() if not line.startswith(";"))


def _libpq_url(engine: Engine) -> str:
    """The database's address for libpq, without the password (that goes in PGPASSWORD)."""
    return engine.url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _pg_run(command: list[str], engine: Engine) -> None:
    """Run a PostgreSQL tool with only what it needs: the password (never in its arguments) and a timeout."""
    env = {"PGCONNECT_TIMEOUT": "10", "LC_ALL": "C.UTF-8"}
    if engine.url.password:
        env["PGPASSWORD"] = engine.url.password
    finished = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603 (no shell)
    if finished.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {_last_line(finished.stderr)}")


def _last_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


# SQLite


def sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database can't be backed up or restored; use a file.")
    return Path(database)


def sqlite_copy(source: Path, target: Path) -> None:
    """The online backup API: `target` becomes a page-for-page copy of `source`, consistent at one moment."""
    with closing(sqlite3.connect(source)) as reader, closing(sqlite3.connect(target)) as writer:
        reader.backup(writer)
