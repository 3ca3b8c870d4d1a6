"""`flask --app wsgi backup` and `restore`, run as a host runs them: the demo circle goes out and comes back whole.

Real processes on a real database of each kind: seed the demo circle, back it up, restore into an empty
database, then every table holds the same rows and Maria signs in through the sign-in form on an app
pointed at the restored database. Also: what is refused, and that no password is ever printed.
"""

from __future__ import annotations

import stat

import pytest
import sqlalchemy as sa

from coordinator import create_app
from coordinator.cli_demo import DEMO_PASSWORD, PATIENT_EMAIL
from coordinator.extensions import db
from tests.databases import app_config
from tests.empty_databases import empty_database
from tests.processes import Process
from tests.servers import app_env
from tests.web import WebClient


def flask(url: str, *args: str) -> tuple[int, str]:
    process = Process(list(args), app_env(url))
    code = process.finish(timeout=110)
    return code, "\n".join(process.lines)


def every_row(url: str) -> dict[str, list[tuple]]:
    """Each table's rows, in primary-key order."""
    engine = sa.create_engine(url)
    try:
        metadata = sa.MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return {
                name: [tuple(row) for row in connection.execute(sa.select(table).order_by(*table.primary_key.columns))]
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


@pytest.fixture
def seeded(database):
    url = database.fresh_url()
    code, output = flask(url, "seed-demo")
    assert code == 0, output
    return url


@pytest.fixture
def backup_file(seeded, database, tmp_path):
    target = tmp_path / ("circle.pgdump" if database.name == "postgresql" else "circle.sqlite3")
    code, output = flask(seeded, "backup", "--output", str(target))
    assert code == 0, output
    assert f"Wrote {target}" in output
    return target


@pytest.mark.timeout(240)
def test_a_seeded_circle_backed_up_and_restored_into_an_empty_database_is_all_there(
    seeded, backup_file, database, tmp_path
):
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600  # it holds everyone's details
    before = every_row(seeded)
    assert len(before["users"]) > 10 and len(before["tasks"]) > 10 and before["alembic_version"]
    with empty_database(database, tmp_path) as restored:
        code, output = flask(restored, "restore", str(backup_file))
        assert code == 0, output
        after = every_row(restored)
        assert {name: len(rows) for name, rows in after.items()} == {name: len(rows) for name, rows in before.items()}
        assert after == before
        assert f"Restored {len(before)} tables, {sum(map(len, before.values())):,} rows." in output
        assert "The schema is at the current revision" in output
        _maria_signs_in(restored)


def _maria_signs_in(url: str) -> None:
    app = create_app(app_config(url))
    try:
        with app.app_context():
            client = WebClient(app.test_client())
            wrong = client.sign_in(PATIENT_EMAIL, "not-the-password")
            assert wrong.status_code == 422
            signed_in = client.sign_in(PATIENT_EMAIL, DEMO_PASSWORD)
            assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
            assert "Team Maria" in client.get("/circles/", follow_redirects=True).get_data(as_text=True)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.timeout(240)
def test_a_database_that_holds_something_is_refused_unless_forced(seeded, backup_file, database, tmp_path):
    code, output = flask(seeded, "restore", str(backup_file))
    assert code == 1
    assert "is not empty: it has" in output and "add --force" in output and "Traceback" not in output
    engine = sa.create_engine(seeded)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE users SET name = 'Changed since the backup'"))
    finally:
        engine.dispose()
    code, output = flask(seeded, "restore", "--force", str(backup_file))
    assert code == 0, output
    assert "Changed since the backup" not in {row[0] for row in _names(seeded)}


def _names(url: str):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text("SELECT name FROM users")))
    finally:
        engine.dispose()


def test_an_existing_backup_file_is_kept_unless_forced(seeded, tmp_path):
    target = tmp_path / "kept.bak"
    target.write_text("last night's backup")
    code, output = flask(seeded, "backup", "--output", str(target))
    assert code == 1 and "already exists" in output and "--force" in output
    assert target.read_text() == "last night's backup"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["kept.bak"]  # no partial file left


def test_a_backup_of_the_other_kind_or_no_backup_at_all_is_refused(seeded, tmp_path):
    other = tmp_path / "other.bin"
    other.write_bytes(b"PGDMP" + b"\0" * 100 if seeded.startswith("sqlite") else b"SQLite format 3\x00" + b"\0" * 100)
    code, output = flask(seeded, "restore", str(other))
    assert code == 1 and "backup, but DATABASE_URL is" in output
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")
    code, output = flask(seeded, "restore", str(junk))
    assert code == 1 and "is not a backup this command wrote" in output and "Traceback" not in output


def test_an_unreachable_database_is_a_plain_message_without_its_password(tmp_path):
    url = "postgresql://coordinator:hunter2-do-not-print@127.0.0.1:1/coordinator"
    dump = tmp_path / "last-night.pgdump"
    dump.write_bytes(b"PGDMP" + b"\0" * 100)
    for command in (["backup", "--output", str(tmp_path / "x.pgdump")], ["restore", str(dump)]):
        code, output = flask(url, *command)
        assert code == 1
        assert "hunter2-do-not-print" not in output and "Traceback" not in output
        assert "postgresql+psycopg://coordinator:***@127.0.0.1:1/coordinator" in output, output


def test_both_commands_explain_themselves(tmp_path):
    url = f"sqlite:///{tmp_path / 'help.sqlite3'}"
    code, output = flask(url, "backup", "--help")
    assert code == 0 and "--output" in output and "pg_dump" in output and "online backup API" in output
    code, output = flask(url, "restore", "--help")
    assert code == 0 and "BACKUP_FILE" in output and "--force" in output and "empty" in output
