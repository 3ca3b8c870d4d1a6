"""Exactly one active scheduler: a lock held for as long as the process lives.

PostgreSQL: a session-level advisory lock on a dedicated connection; if the
process dies, the connection closes and the lock is free for a standby.
SQLite: an exclusive file lock next to the database file, released by the
operating system when the process dies.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

ADVISORY_KEY = 0x636F6F7264  # "coord"


class LeaderLock:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._connection = None
        self._file = None

    def acquire(self) -> bool:
        """Try once; True if this process is now the active scheduler."""
        if self.engine.dialect.name == "postgresql":
            connection = self.engine.connect()
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar()
            connection.commit()
            if got:
                self._connection = connection
                return True
            connection.close()
            return False
        path = Path(str(self.engine.url.database or "coordinator") + ".scheduler.lock")
        handle = open(path, "a+")  # held open on purpose for the process's life
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return True

    def still_held(self) -> bool:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                self._connection.commit()
                return True
            except Exception:  # any failure means the lock is gone with the connection
                return False
        return self._file is not None

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                self._connection.commit()
            finally:
                self._connection.close()
                self._connection = None
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
