"""The route a request matched, left in its WSGI environ for the server's access log.

Paths carry secrets (`/i/<token>`, `/password/reset/<token>`), so gunicorn's access log
(deploy/gunicorn.conf.py) writes the route, never the path. It reads the route from
`environ["coordinator.route"]` after the request is over, when Flask's own request object is
gone; a request no route matched leaves nothing, and the log masks its path instead.
"""

from __future__ import annotations

from flask import Flask, request, request_started

ENVIRON_KEY = "coordinator.route"


def register_access_route(app: Flask) -> None:
    request_started.connect(_remember_route, app, weak=False)


def _remember_route(sender: Flask, **extra) -> None:
    if request.url_rule is not None:
        request.environ[ENVIRON_KEY] = request.url_rule.rule
