"""Where log lines go and what each one carries, set up once per process by `logging_configure`.

Without this, Python leaves every `coordinator.*` logger at WARNING with no handler, so the
dispatcher's `log.info` lines never appear. `create_app` (which the web server, the scheduler and
every `flask` command go through) calls `logging_configure` with the host's settings: one handler on
the root logger, to stderr, at `LOG_LEVEL`, writing JSON lines (python-json-logger) when
`LOG_FORMAT=json` (production's default) and readable lines otherwise.

Each line carries what it belongs to: `request_id` (the proxy's `X-Request-ID` when it looks like an
id, else a new one; web/observing.py sets it) or `run_id` (one run of a scheduled job; jobs/runner.py).
They live in context variables, and a record factory copies them onto every record, whichever
handler (gunicorn's, pytest's) ends up writing it.

The last line of defence for privacy is `Masking`, the handler's formatter: the final message (and any
traceback) has phone numbers and emails replaced (log_privacy.scrub), and a traceback is written without
the exception's own words when it is a database error (log_privacy.exception_text). The twilio SDK's
request lines are kept at WARNING: at INFO they print the URL of a lookup, with the number in it.
"""

from __future__ import annotations

import contextvars
import logging
import re
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from config import ConfigError
from coordinator.log_privacy import exception_text, scrub

REQUEST_ID_SHAPE = re.compile(r"[A-Za-z0-9._:-]{8,64}")  # nginx's $request_id, UUIDs, ULIDs
URL_PHONES = re.compile(r"(?:%2B|\+)\d{7,15}\b")  # a number in a query string (+ written as %2B)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(context_id)s] %(message)s"
JSON_FIELDS = ["asctime", "levelname", "name", "message", "request_id", "run_id"]
JSON_NAMES = {"asctime": "time", "levelname": "level", "name": "logger"}
QUIET_LOGGERS = {
    "twilio.http_client": logging.WARNING,  # its INFO lines carry the numbers looked up
    "alembic.runtime.plugins": logging.WARNING,  # seven "setup plugin" lines at every start
}

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_run_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("run_id", default=None)
_configured: dict[str, object] = {}


def logging_configure(*, log_format: str, level: str) -> None:
    """Send every log line to stderr as `log_format` (json or text) from `level` up; once per settings."""
    if log_format not in ("json", "text"):
        raise ConfigError(f"LOG_FORMAT must be json or text, not {log_format!r}.")
    numeric = logging.getLevelName(level.strip().upper())
    if not isinstance(numeric, int):
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {level!r}.")
    wanted = {"format": log_format, "level": numeric}
    root = logging.getLogger()
    if _configured.get("wanted") == wanted and _configured.get("handler") in root.handlers:
        return  # a test building many apps, or a command after the app: leave what is set alone
    # (unless something replaced our handler meanwhile: Alembic's env.py runs logging.config.fileConfig)
    _install_record_factory()
    previous = _configured.get("handler")
    if previous in root.handlers:
        root.removeHandler(previous)
    handler = log_handler(log_format)
    root.addHandler(handler)
    root.setLevel(numeric)
    for name, quiet in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(quiet, numeric))
    # SQLAlchemy keeps itself at WARNING; DEBUG means everything, its statements too (never their values:
    # hide_parameters in config.py; its row lines are dropped by log_privacy).
    logging.getLogger("sqlalchemy").setLevel(logging.DEBUG if numeric <= logging.DEBUG else logging.WARNING)
    logging.getLogger("werkzeug").addFilter(_NO_ACCESS_LINES)
    _configured.update(wanted=wanted, handler=handler)


def log_handler(log_format: str, stream=None) -> logging.Handler:
    """A handler writing `log_format` lines, masked, to `stream` (default: whatever stderr is at the time)."""
    handler = logging.StreamHandler(stream) if stream is not None else _Stderr()
    if log_format == "json":
        inner = JsonFormatter(JSON_FIELDS, rename_fields=JSON_NAMES, reserved_attrs=_RESERVED)
    else:
        inner = logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(Masking(inner))
    return handler


def request_id_from(sent: str | None) -> str:
    """The id a request is logged under: the proxy's, when it looks like an id (and not like a number), else new."""
    if sent and REQUEST_ID_SHAPE.fullmatch(sent) and scrub(sent) == sent and not URL_PHONES.search(sent):
        return sent
    return secrets.token_hex(16)


def request_id() -> str | None:
    return _request_id.get()


@contextmanager
def request_context(identifier: str) -> Iterator[str]:
    """Every line logged inside carries `identifier` as its request_id."""
    token = _request_id.set(identifier)
    try:
        yield identifier
    finally:
        _request_id.reset(token)


def request_id_begin(identifier: str) -> contextvars.Token:
    """For request hooks that start and end in different functions (web/observing.py)."""
    return _request_id.set(identifier)


def request_id_end(token: contextvars.Token) -> None:
    _request_id.reset(token)


@contextmanager
def job_run(job_id: str) -> Iterator[str]:
    """Every line logged inside carries one run id, `job_id` and a few random characters."""
    token = _run_id.set(f"{job_id}-{secrets.token_hex(4)}")
    try:
        yield _run_id.get()
    finally:
        _run_id.reset(token)


class Masking(logging.Formatter):
    """Wraps a line's formatter: phone numbers and emails out of the final message, tracebacks without a
    database error's values. It works on a copy, so any other handler (pytest's, gunicorn's) gets the record
    as it was logged."""

    def __init__(self, inner: logging.Formatter):
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return self.inner.format(masked(record))


def masked(record: logging.LogRecord) -> logging.LogRecord:
    """A copy of `record` whose message and traceback hold no number or email."""
    copy = logging.makeLogRecord(record.__dict__)
    for name in ("request_id", "run_id"):
        if not hasattr(copy, name):  # made before the record factory was installed
            setattr(copy, name, None)
    if not hasattr(copy, "context_id"):
        copy.context_id = copy.request_id or copy.run_id or "-"
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a malformed call: log what was written, not the arguments
        message = str(record.msg)
    copy.msg, copy.args = URL_PHONES.sub("[phone]", scrub(message)), None
    if copy.exc_info and copy.exc_info[1] is not None:
        copy.exc_text = exception_text(copy.exc_info[1])
    elif copy.exc_text:
        copy.exc_text = scrub(copy.exc_text)
    return copy


class _Stderr(logging.StreamHandler):
    """Writes to sys.stderr as it is at each line (test runners and servers swap it)."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


class _NoAccessLines(logging.Filter):
    """The development server's access lines carry the path (tokens, queries); observing.py logs the route."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.rstrip().endswith('"%s" %s %s'))


_NO_ACCESS_LINES = _NoAccessLines()
_RESERVED = [*RESERVED_ATTRS, "context_id", "taskName"]  # context_id is the text format's; JSON has both ids by name


def _install_record_factory() -> None:
    """Every record, from any logger to any handler, gets request_id, run_id and context_id (either, or '-')."""
    current = logging.getLogRecordFactory()
    if getattr(current, "adds_context", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = current(*args, **kwargs)
        record.request_id = _request_id.get()
        record.run_id = _run_id.get()
        record.context_id = record.request_id or record.run_id or "-"
        return record

    factory.adds_context = True
    logging.setLogRecordFactory(factory)
