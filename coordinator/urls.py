"""Links that leave the site (in texts and emails): PUBLIC_BASE_URL plus the route's path.

Built from the URL map directly, so they work in a request, a scheduler job or
a CLI command alike, and never depend on the Host header someone sent.
"""

from __future__ import annotations

from flask import current_app


def public_url(endpoint: str, **values) -> str:
    adapter = current_app.url_map.bind("localhost")
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + adapter.build(endpoint, values)
