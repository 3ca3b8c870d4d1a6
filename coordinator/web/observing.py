"""Every request, seen: its id on every log line and on the response, one log line, and its count and time.

The id is the proxy's `X-Request-ID` when it looks like an id (nginx sends `$request_id`), else a new one
(logging_setup.request_id_from); it is set before any other hook runs (Flask's `request_started`), so even
a request the rate limiter turns away carries it, and it is sent back as `X-Request-ID`. When the request
is over, one line says the method, the route's name (never the path: paths carry tokens), the status and
the time taken, and the same figures go to /metrics (coordinator/metrics.py).
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, request, request_finished, request_started

from coordinator.logging_setup import request_id_begin, request_id_end, request_id_from
from coordinator.metrics import request_observe

log = logging.getLogger("coordinator.requests")
HEADER = "X-Request-ID"
_KEY = "coordinator.observing"  # in the request's WSGI environ: (id, context token, start time)


def register_observing(app: Flask) -> None:
    request_started.connect(_started, app, weak=False)
    request_finished.connect(_finished, app, weak=False)
    app.teardown_request(_teardown)


def endpoint_name() -> str:
    """The route's name for logs and metrics: bounded (no paths), "(none)" when nothing matched."""
    return request.url_rule.endpoint if request.url_rule is not None else "(none)"


def _started(sender: Flask, **extra) -> None:
    identifier = request_id_from(request.headers.get(HEADER))
    request.environ[_KEY] = (identifier, request_id_begin(identifier), time.perf_counter())


def _finished(sender: Flask, response: Response, **extra) -> None:
    seen = request.environ.get(_KEY)
    if seen is None:
        return
    identifier, _, started = seen
    seconds = time.perf_counter() - started
    response.headers[HEADER] = identifier
    endpoint = endpoint_name()
    log.info("%s %s %s %.1fms", request.method, endpoint, response.status_code, seconds * 1000)
    request_observe(endpoint=endpoint, method=request.method, status=response.status_code, seconds=seconds)


def _teardown(error: BaseException | None) -> None:
    seen = request.environ.pop(_KEY, None)
    if seen is not None:
        try:
            request_id_end(seen[1])
        except ValueError:  # set in another context (a copied one): it ends with that context
            pass
