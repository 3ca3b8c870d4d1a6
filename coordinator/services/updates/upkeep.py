"""Photo files nobody's update names any more: swept away.

A photo's files are written before its update row commits (photos.py, posting.py).
If that commit never happens (the database went away mid-request, the process was
killed), the files would stay on disk with no row pointing at them, and no page could
ever show or delete them. The `sweep_photos` job removes, in each circle's folder,
files (and half-written `.part` files) older than an hour whose token no row holds.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.models.updates import UpdatePhoto

GRACE = timedelta(hours=1)  # a request may still be about to commit the row for a fresh file


def photos_sweep() -> int:
    """Remove photo files no update row names (older than GRACE); returns how many files went."""
    root = Path(current_app.config["PHOTO_DIR"])
    if not root.is_dir():
        return 0
    cutoff = time.time() - GRACE.total_seconds()
    removed = 0
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name.isascii() and p.name.isdigit()):
        known = set(db.session.scalars(select(UpdatePhoto.token).where(UpdatePhoto.circle_id == int(folder.name))))
        for path in folder.iterdir():
            if not path.is_file() or path.stat().st_mtime > cutoff:
                continue
            token = path.name.rsplit("-", 1)[0]
            if path.name.endswith(".part") or token not in known:
                path.unlink(missing_ok=True)
                removed += 1
    return removed
