"""`flask --app wsgi backup` and `restore`, run as a host runs them: the demo circle goes out and comes back whole.

Real processes on a real database of each kind: seed the demo circle, give it photo files, back it up,
restore into an empty database and an empty PHOTO_DIR, then every table holds the same rows, every photo
the same bytes, and Maria signs in through the sign-in form on an app pointed at the restored database.
Also: what is refused (crafted photos tars among it), and that no password or photo token is ever printed.

Every command here gets a PHOTO_DIR in the test's folder, never the checkout's instance/photos.
"""

from __future__ import annotations

import io
import secrets
import sqlite3
import stat
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from coordinator import create_app
from coordinator.cli_demo import DEMO_PASSWORD, PATIENT_EMAIL
from coordinator.extensions import db
from tests.databases import app_config
from tests.empty_databases import empty_database
from tests.processes import Process
from tests.servers import app_env
from tests.web import WebClient


@pytest.fixture(autouse=True)
def photo_dir(tmp_path, monkeypatch) -> Path:
    """PHOTO_DIR for every command of a test (app_env passes the environment on); not created."""
    folder = tmp_path / "photos"
    monkeypatch.setenv("PHOTO_DIR", str(folder))
    return folder


def flask(url: str, *args: str, **env: str) -> tuple[int, str]:
    process = Process(list(args), app_env(url, **env))
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


def write_photos(photo_dir: Path, circle_ids: list[int], per_circle: int = 2) -> dict[str, bytes]:
    """Photo files as photos.py names them (<circle>/<token>-phone.jpg and -full.jpg): {relative path: bytes}."""
    written = {}
    for circle_id in circle_ids:
        folder = photo_dir / str(circle_id)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for _ in range(per_circle):
            token = secrets.token_urlsafe(18)
            for size, side in (("phone", 16), ("full", 32)):
                jpeg = io.BytesIO()
                Image.new("RGB", (side, side), (secrets.randbelow(256), 80, 160)).save(jpeg, "JPEG")
                (folder / f"{token}-{size}.jpg").write_bytes(jpeg.getvalue())
                written[f"{circle_id}/{token}-{size}.jpg"] = jpeg.getvalue()
    return written


def files_under(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def tar_names(archive: Path) -> set[str]:
    with tarfile.open(archive) as tar:
        assert all(member.isreg() for member in tar.getmembers())
        return {member.name for member in tar.getmembers()}


@pytest.fixture
def circle_photos(seeded, photo_dir, tmp_path) -> dict[str, bytes]:
    """The demo circle's photos, and beside them what a backup must leave out: a link and a half-written file."""
    engine = sa.create_engine(seeded)
    try:
        with engine.connect() as connection:
            circle_ids = list(connection.execute(sa.text("SELECT id FROM circles ORDER BY id")).scalars())
    finally:
        engine.dispose()
    photos = write_photos(photo_dir, circle_ids[:1])
    (tmp_path / "not-a-photo.txt").write_text("the host's own file")
    (photo_dir / str(circle_ids[0]) / "linked-full.jpg").symlink_to(tmp_path / "not-a-photo.txt")
    (photo_dir / str(circle_ids[0]) / ".upload-in-progress.part").write_bytes(b"half a JPEG")
    return photos


@pytest.fixture
def backup_file(seeded, circle_photos, database, tmp_path):
    target = tmp_path / ("circle.pgdump" if database.name == "postgresql" else "circle.sqlite3")
    code, output = flask(seeded, "backup", "--output", str(target))
    assert code == 0, output
    assert f"Wrote {target}" in output
    kilobytes = round(sum(map(len, circle_photos.values())) / 1024)  # a few small JPEGs
    assert f"Photos: {len(circle_photos)} files, {kilobytes} KB -> {tmp_path / 'circle.photos.tar'}" in output
    assert not any(name.split("/")[1].rsplit("-", 1)[0] in output for name in circle_photos)  # tokens are secrets
    return target


@pytest.mark.timeout(240)
def test_a_seeded_circle_backed_up_and_restored_into_an_empty_database_is_all_there(
    seeded, backup_file, circle_photos, database, tmp_path
):
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600  # it holds everyone's details
    photos_tar = tmp_path / "circle.photos.tar"
    assert stat.S_IMODE(photos_tar.stat().st_mode) == 0o600
    assert tar_names(photos_tar) == set(circle_photos)  # no link, no half-written file
    before = every_row(seeded)
    assert len(before["users"]) > 10 and len(before["tasks"]) > 10 and before["alembic_version"]
    restored_photos = tmp_path / "new-disk" / "photos"
    with empty_database(database, tmp_path) as restored:
        code, output = flask(restored, "restore", str(backup_file), PHOTO_DIR=str(restored_photos))
        assert code == 0, output
        after = every_row(restored)
        assert {name: len(rows) for name, rows in after.items()} == {name: len(rows) for name, rows in before.items()}
        assert after == before
        assert f"Restored {len(before)} tables, {sum(map(len, before.values())):,} rows." in output
        assert "The schema is at the current revision" in output
        assert f"Photos: restored {len(circle_photos)} files into {restored_photos}." in output
        assert files_under(restored_photos) == circle_photos
        assert {stat.S_IMODE(path.stat().st_mode) for path in restored_photos.rglob("*")} == {0o700, 0o600}
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
    assert "--no-photos" in output and ".photos.tar" in output
    code, output = flask(url, "restore", "--help")
    assert code == 0 and "BACKUP_FILE" in output and "--force" in output and "empty" in output
    assert "--photos" in output and "--no-photos" in output and "PHOTO_DIR" in output


# Photos on their own. A small SQLite database stands for the database here: these tests are about the files
# beside it (the round trip above covers the real database on both backends).


@pytest.fixture
def small_database(tmp_path) -> Path:
    """A SQLite file at a schema revision; on SQLite a backup is just such a file, so it is also a backup."""
    path = tmp_path / "small.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        connection.execute("INSERT INTO alembic_version VALUES ('0001')")
    connection.close()
    return path


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def test_no_photos_leaves_them_out_and_says_so(small_database, photo_dir, tmp_path):
    write_photos(photo_dir, [3])
    code, output = flask(sqlite_url(small_database), "backup", "-o", str(tmp_path / "night.sqlite3"), "--no-photos")
    assert code == 0, output
    assert "Photos: left out (--no-photos)." in output
    assert (tmp_path / "night.sqlite3").exists() and not (tmp_path / "night.photos.tar").exists()


def test_with_no_photos_there_is_no_photos_file_and_restore_says_there_is_none(small_database, photo_dir, tmp_path):
    backup = tmp_path / "night.sqlite3"
    code, output = flask(sqlite_url(small_database), "backup", "-o", str(backup))  # PHOTO_DIR not even made
    assert code == 0, output
    assert f"Photos: none in {photo_dir}; no photos file written." in output
    (photo_dir / "3").mkdir(parents=True)  # a circle's folder whose photos were all deleted
    code, output = flask(sqlite_url(small_database), "backup", "-o", str(backup), "--force")
    assert code == 0, output
    assert f"Photos: none in {photo_dir}; no photos file written." in output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["night.sqlite3", "photos", "small.sqlite3"]

    restored_photos = tmp_path / "restored-photos"
    code, output = flask(sqlite_url(tmp_path / "new.sqlite3"), "restore", str(backup), PHOTO_DIR=str(restored_photos))
    assert code == 0, output
    assert "Restored 1 tables, 1 rows." in output
    assert "No photos file beside the backup; photos are not restored." in output
    assert not restored_photos.exists()


def test_an_old_photos_file_is_refused_unless_forced_then_replaced(small_database, photo_dir, tmp_path):
    photos = write_photos(photo_dir, [3])
    old = tmp_path / "night.photos.tar"
    old.write_text("last night's photos")
    code, output = flask(sqlite_url(small_database), "backup", "-o", str(tmp_path / "night.sqlite3"))
    assert code == 1 and f"{old} already exists" in output and "--force" in output
    assert old.read_text() == "last night's photos"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["night.photos.tar", "photos", "small.sqlite3"]
    code, output = flask(sqlite_url(small_database), "backup", "-o", str(tmp_path / "night.sqlite3"), "--force")
    assert code == 0, output
    assert tar_names(old) == set(photos)


def crafted_tar(path: Path, members: list[tuple[str, str, str]]) -> Path:
    """A tar of (kind, name, content or link target): kind "file", "symlink" or "hardlink"."""
    with tarfile.open(path, "w") as tar:
        for kind, name, value in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(value.encode())
                tar.addfile(info, io.BytesIO(value.encode()))
                continue
            info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
            info.linkname = value
            tar.addfile(info)
    return path


@pytest.mark.parametrize(
    ("members", "problem"),
    [
        ([("file", "../escape.jpg", "x")], "a path with '..'"),
        ([("file", "3/a/../../../escape.jpg", "x")], "a path with '..'"),
        ([("file", "{outside}/escape.jpg", "x")], "an absolute path"),
        ([("symlink", "3/outside", "../../outside"), ("file", "3/outside/escape.jpg", "x")], "a symbolic link"),
        ([("hardlink", "3/passwd-full.jpg", "/etc/passwd")], "a hard link"),
    ],
    ids=["dot-dot", "dot-dot-inside", "absolute", "symlink", "hardlink"],
)
def test_a_crafted_photos_file_is_refused_before_anything_is_written(
    small_database, photo_dir, tmp_path, members, problem
):
    outside = tmp_path / "outside"
    outside.mkdir()
    members = [(kind, name.format(outside=outside), value) for kind, name, value in members]
    crafted = crafted_tar(tmp_path / "crafted.tar", [("file", "3/first-phone.jpg", "a photo"), *members])
    target = tmp_path / "new.sqlite3"
    code, output = flask(sqlite_url(target), "restore", str(small_database), "--photos", str(crafted))
    assert code == 1, output
    assert f"{crafted} is refused: it holds {problem}" in output and "Nothing was restored" in output
    assert "--no-photos" in output and "Traceback" not in output
    assert not photo_dir.exists() and not any(outside.iterdir())
    assert not (tmp_path / "escape.jpg").exists()
    with sqlite3.connect(target) as connection:
        assert connection.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)  # the database too
    connection.close()


def test_photos_already_in_photo_dir_are_kept_and_the_rest_restored(small_database, photo_dir, tmp_path):
    photos = write_photos(photo_dir, [3, 4])
    backup = tmp_path / "night.sqlite3"
    code, output = flask(sqlite_url(small_database), "backup", "-o", str(backup))
    assert code == 0, output
    restored_photos = tmp_path / "restored-photos"
    kept = sorted(photos)[0]
    (restored_photos / kept).parent.mkdir(parents=True)
    (restored_photos / kept).write_bytes(b"the host's copy")
    code, output = flask(sqlite_url(tmp_path / "new.sqlite3"), "restore", str(backup), PHOTO_DIR=str(restored_photos))
    assert code == 0, output
    assert f"Photos: restored {len(photos) - 1} files into {restored_photos}; 1 already there were kept." in output
    assert files_under(restored_photos) == {**photos, kept: b"the host's copy"}
