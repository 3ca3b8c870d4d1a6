"""Two processes opening a new SQLite database at once: the second waits for WAL instead of failing.

SQLite refuses to switch a database into WAL at once ("database is locked"), without waiting as its busy
timeout promises, while another process holds a write on it in the first journal mode. `db upgrade` on two
hosts at the same moment, on a database just created, met exactly that (once in CI).
"""

from __future__ import annotations

import subprocess
import sys
import threading

from sqlalchemy import text

from coordinator import create_app
from coordinator.extensions import db
from tests.databases import app_config

HOLD = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
connection.execute("CREATE TABLE started (x)")
print("holding", flush=True)
sys.stdin.readline()
connection.execute("COMMIT")
"""


def test_the_app_waits_to_turn_wal_on_while_another_process_writes_to_a_new_database(tmp_path):
    path = tmp_path / "new.sqlite3"
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdout.readline().strip() == "holding"
        release = threading.Timer(1.0, lambda: (holder.stdin.write("go\n"), holder.stdin.flush()))
        release.start()  # the other process lets go a second after this one starts connecting
        app = create_app(app_config(f"sqlite:///{path}"))
        with app.app_context():
            mode = db.session.execute(text("PRAGMA journal_mode")).scalar()
            tables = db.session.execute(text("SELECT name FROM sqlite_master")).scalars().all()
            db.session.remove()
            db.engine.dispose()
        release.join()
        assert holder.wait(timeout=30) == 0
    assert mode == "wal" and "started" in tables
