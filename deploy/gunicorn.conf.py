"""The shipped gunicorn configuration: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Why a file and not flags: the unit, the fleet test and a host's shell all start the same server.
It reads the environment itself (gunicorn's own way; the app's settings still come only from
config.py): WEB_CONCURRENCY, WEB_THREADS, WEB_BIND, WEB_TIMEOUT, FORWARDED_ALLOW_IPS, LOG_FORMAT,
APP_ENV, PROMETHEUS_MULTIPROC_DIR.

The access log never holds a query string, a token from a path, a referer or a client address:
`RouteAccessLogger` writes the matched route (`/i/<token>`), not the path, and only a short list of
safe fields, whatever `access_log_format` asks for.
"""

import logging
import os
import re
from pathlib import Path

from gunicorn.glogging import Logger


def _number(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# Workers: the usual 2 x cores + 1, capped so a big host doesn't outgrow PostgreSQL's connections
# (each worker holds up to SQLALCHEMY_POOL_SIZE + SQLALCHEMY_MAX_OVERFLOW; see the README).
workers = _number("WEB_CONCURRENCY", min(2 * (os.cpu_count() or 1) + 1, 8))
threads = _number("WEB_THREADS", 2)  # more than 1 means the gthread worker
bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")  # nginx on the same host; 0.0.0.0:8000 behind a separate balancer
timeout = _number("WEB_TIMEOUT", 30)  # a worker silent this long is killed and replaced
graceful_timeout = 30  # on restart, requests in flight get this long to finish
keepalive = 5  # nginx keeps upstream connections open (see deploy/nginx.conf)
max_requests = 2000  # recycle workers now and then, staggered by the jitter
max_requests_jitter = 200
worker_tmp_dir = "/dev/shm"  # noqa: S108 (gunicorn's advice: heartbeat files in memory, so a slow disk kills no worker)
# Whose X-Forwarded-Proto gunicorn believes (the app's ProxyFix reads TRUSTED_PROXIES for the rest).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proxy_allow_ips = forwarded_allow_ips

accesslog = "-"  # stdout, to the journal
errorlog = "-"  # stderr
access_log_format = "%(t)s %(m)s %(U)s %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s"
LOG_FORMAT = os.environ.get("LOG_FORMAT", "").strip().lower() or (
    "json" if os.environ.get("APP_ENV", "").strip().lower() == "production" else "text"
)

# A query string or a path segment that is not a plain word or number, in a path no route matched.
_PLAIN_SEGMENT = re.compile(r"^(?:[a-z][a-z_.-]{0,29}|\d{1,10})$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def masked_path(path):
    """A path no route matched, with every segment that is not a plain word or number replaced by '*'."""
    return "/".join(part if not part or _PLAIN_SEGMENT.match(part) else "*" for part in path.split("/"))


def route_of(environ):
    """The route the app matched (`/i/<token>`; coordinator/web/access_route.py leaves it in the environ)."""
    return environ.get("coordinator.route") or masked_path(environ.get("PATH_INFO") or "/")


def request_id_of(resp, environ):
    """The id the app answered with (X-Request-ID), else nginx's, if it looks like an id."""
    sent = dict((name.lower(), value) for name, value in (resp.headers or []))
    for candidate in (sent.get("x-request-id"), environ.get("HTTP_X_REQUEST_ID")):
        if candidate and _REQUEST_ID.match(candidate):
            return candidate
    return "-"


class RouteAccessLogger(Logger):
    """Gunicorn's logger, with access lines built from safe fields only (and JSON when LOG_FORMAT=json)."""

    def setup(self, cfg):
        super().setup(cfg)
        if LOG_FORMAT == "json":
            from pythonjsonlogger.json import JsonFormatter

            formatter = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", timestamp=False)
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.setFormatter(formatter)

    def atoms(self, resp, req, environ, request_time):
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        route = route_of(environ)
        method = environ.get("REQUEST_METHOD", "-")
        protocol = environ.get("SERVER_PROTOCOL", "-")
        sent = getattr(resp, "sent", None)
        request_id = request_id_of(resp, environ)
        return {
            "t": self.now(),
            "m": method,
            "U": route,
            "r": f"{method} {route} {protocol}",
            "q": "",
            "H": protocol,
            "s": status,
            "b": str(sent) if sent is not None else "-",
            "B": sent,
            "T": request_time.seconds,
            "D": request_time.seconds * 1_000_000 + request_time.microseconds,
            "M": request_time.seconds * 1000 + request_time.microseconds // 1000,
            "L": f"{request_time.seconds}.{request_time.microseconds:06d}",
            "p": f"<{os.getpid()}>",
            "{x-request-id}i": request_id,
            "{x-request-id}o": request_id,
        }

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        fields = {"method": atoms["m"], "route": atoms["U"], "status": str(atoms["s"]), "bytes": atoms["B"]}
        fields.update(duration_ms=atoms["M"], request_id=atoms["{x-request-id}o"])
        try:
            log = self.access_log
            record = log.makeRecord(log.name, logging.INFO, __file__, 0, self.cfg.access_log_format, None, None)
            record.args = self.atoms_wrapper_class(atoms)
            record.__dict__.update(fields)  # set, not `extra=`: the app's record factory already adds request_id
            log.handle(record)
        except Exception:  # gunicorn's own behaviour: a bad format is reported, the request is not failed
            self.exception("Could not write the access log line")


logger_class = RouteAccessLogger


# Metrics (prometheus-client's multiprocess mode, coordinator's /metrics): each worker, and the scheduler on
# this host, writes its counters to files in PROMETHEUS_MULTIPROC_DIR (counter_<pid>.db, ...). At start, drop
# the files of processes that are gone (a scheduler still running keeps its own), and mark a worker's files
# dead when it exits so its live gauges stop counting.
def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):  # only prometheus-client's files, whatever else is there
            if not _alive(stale.stem.rpartition("_")[2]):
                stale.unlink()


def _alive(pid):
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
