"""Static files that a browser keeps for a year and never asks for twice, and validators on pages where they hold.

Every `url_for('static', filename=...)` gets `?v=<hash of the file's bytes>`. The hash
depends only on the content, so every host of a deploy writes the same address for the
same file, with no build step and no manifest to copy. A request whose `v` is the hash
of the bytes this host has is answered `public, max-age=31536000, immutable`; any other
(no `v`, or an old or newer one while hosts are mid-deploy) gets the current bytes with
`no-cache`, so a browser never keeps the wrong file under a name.

Text files are gzip-compressed once, the first time they are asked for (not at import),
and kept in memory with their hash; a changed file (its size or time on disk) is read
again. Brotli is left out: it would add a compiled dependency for three small files, and
nginx in front can add it.

Pages: a GET answered 200 with HTML to someone not signed in gets an ETag of its body and
`no-cache`, so a browser asking again with If-None-Match gets 304 when nothing changed.
Signed-in pages stay `no-store` (web/security.py): they are private, and their CSRF
fields change every second, so a validator would never match.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, request
from flask_login import current_user
from werkzeug.security import safe_join

YEAR = 31_536_000
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
KEPT_MAX = 1024 * 1024  # files up to this size are kept in memory (the stylesheet is 25 KB)


@dataclass(frozen=True)
class Asset:
    stamp: tuple[int, int]  # size and modification time: a changed file is read again
    digest: str  # the first 16 hex digits of the SHA-256 of its bytes
    mimetype: str
    body: bytes
    gzipped: bytes | None  # None when compressing would not help


class StaticFiles:
    """The app's static folder, each file read, hashed and compressed on first use."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self._assets: dict[str, Asset] = {}
        self._lock = threading.Lock()

    def get(self, filename: str) -> Asset | None:
        path = safe_join(self.folder, filename)
        if path is None:
            return None
        try:
            stat = Path(path).stat()
        except OSError:
            return None
        stamp = (stat.st_size, stat.st_mtime_ns)
        found = self._assets.get(filename)
        if found is not None and found.stamp == stamp:
            return found
        if not Path(path).is_file() or stat.st_size > KEPT_MAX:
            return None
        asset = _read(Path(path), stamp)
        with self._lock:
            self._assets[filename] = asset
        return asset


def _read(path: Path, stamp: tuple[int, int]) -> Asset:
    body = path.read_bytes()
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    gzipped = None
    if mimetype.startswith(COMPRESSIBLE):
        packed = gzip.compress(body, compresslevel=9, mtime=0)  # mtime 0: the same bytes on every host
        gzipped = packed if len(packed) < len(body) else None
    return Asset(stamp, hashlib.sha256(body).hexdigest()[:16], mimetype, body, gzipped)


def static_response(files: StaticFiles, filename: str) -> Response:
    asset = files.get(filename)
    if asset is None:
        abort(404)
    hashed = request.args.get("v") == asset.digest
    gzipped = asset.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", "")
    response = Response(asset.gzipped if gzipped else asset.body, mimetype=asset.mimetype)
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    if asset.gzipped is not None:
        response.vary.add("Accept-Encoding")
    response.set_etag(asset.digest + ("-gz" if gzipped else ""))
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable" if hashed else "public, no-cache"
    return response.make_conditional(request)


def page_validator(response: Response) -> Response:
    """An ETag (and 304) for a public HTML page; signed-in pages are left to their no-store."""
    if (
        request.method != "GET"
        or response.status_code != 200
        or response.direct_passthrough
        or response.mimetype != "text/html"
        or request.endpoint == "static"
        or current_user.is_authenticated
        or "Cache-Control" in response.headers
    ):
        return response
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


def register_static_files(app: Flask) -> None:
    """Hashed static URLs, their serving, and validators on public pages."""
    files = StaticFiles(app.static_folder)

    def add_hash(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values:
            asset = files.get(values.get("filename", ""))
            if asset is not None:
                values["v"] = asset.digest

    app.url_defaults(add_hash)
    app.view_functions["static"] = lambda filename: static_response(files, filename)
    app.after_request(page_validator)
