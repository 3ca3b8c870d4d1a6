"""A fake Twilio REST API on loopback, speaking the real API's HTTP shapes.

The gateway is tested with the real twilio SDK over real HTTP, so what is tested
is what runs in production: the SDK's URLs, form encoding, Basic auth, error
parsing, paging, and the requests/urllib3 exceptions a slow or broken server
causes. Only the Messages resource exists:

    POST /2010-04-01/Accounts/{sid}/Messages.json            create (201)
    GET  /2010-04-01/Accounts/{sid}/Messages/{MessageSid}.json fetch (200, or 404 code 20404)
    GET  /2010-04-01/Accounts/{sid}/Messages.json            list: To, DateSent>/DateSent</DateSent, paging

`script(*responses)` decides how the next creates are answered: 201 (the default),
`error(status, code)`, `slow(seconds, then=201)` (stores the message at once, then
answers late: "accepted, but the client timed out"), or `accept_then_drop` (stores
it and closes the connection without an answer). `idle()` says whether every request has been
answered, so a test can wait for a late answer to go out instead of sleeping past it.

`receipt_first=("delivered", "")` makes every create call the message's StatusCallback (signed, as
Twilio signs it) with that status and error code BEFORE answering the create: the receipt that beats
the API's answer. Each callback's HTTP status is kept in `callbacks`.

One simplification: a stored message counts as sent the moment it is accepted
(`date_sent` is set then), although the create answer still says "queued" with
`date_sent` null, as Twilio's does. Twilio filters lists by `date_sent`.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from twilio.request_validator import RequestValidator

API = "/2010-04-01/Accounts/"
_CREATE_OR_LIST = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")
_FETCH = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages/(SM\w+)\.json$")
_DEFAULT_CODES = {401: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20503}


@dataclass(frozen=True)
class Error:
    status: int
    code: int | None
    message: str


@dataclass(frozen=True)
class Slow:
    seconds: float
    then: object = 201


def error(status: int, code: int | None = None, message: str | None = None) -> Error:
    return Error(status, code or _DEFAULT_CODES.get(status), message or f"Fake Twilio error {code or status}")


def slow(seconds: float, then: object = 201) -> Slow:
    return Slow(seconds, then)


accept_then_drop = object()


def _rfc2822(moment: datetime | None) -> str | None:
    return format_datetime(moment) if moment else None


def _parse_filter_date(text: str) -> datetime:
    """Twilio takes YYYY-MM-DD or a full ISO timestamp (the SDK sends 2024-05-01T12:00:00Z)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class FakeTwilio:
    def __init__(
        self,
        *,
        auth_token: str = "secret-token",
        page_size: int = 50,
        latency: float = 0.0,
        receipt_first: tuple[str, str] | None = None,
    ):
        self.auth_token = auth_token
        self.receipt_first = receipt_first
        self.callbacks: list[int] = []
        self.page_size = page_size
        self.latency = latency  # seconds between storing a message and answering (a window to crash in)
        self.received: list[dict] = []
        self.requests = 0
        self.in_flight = 0  # requests taken but not yet answered (a `slow` answer is in flight until it is sent)
        self._script: deque = deque()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = False  # server_close() waits for slow answers to finish
        self.server.fake = self
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> FakeTwilio:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()

    def script(self, *responses) -> None:
        with self._lock:
            self._script.extend(responses)

    def bodies(self) -> list[str]:
        with self._lock:
            return [m["body"] for m in self.received]

    def messages_to(self, number: str) -> list[dict]:
        with self._lock:
            return [m for m in self.received if m["to"] == number]

    def find(self, account_sid: str, sid: str) -> dict | None:
        with self._lock:
            found = [m for m in self.received if m["sid"] == sid and m["account_sid"] == account_sid]
        return {k: v for k, v in found[0].items() if k != "status_callback"} if found else None

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Count a request, and keep it in flight until its answer has been written (or the client has gone)."""
        with self._lock:
            self.requests += 1
            self.in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1

    def idle(self) -> bool:
        """True when every request has been answered: a late `slow` answer has gone out."""
        with self._lock:
            return self.in_flight == 0

    def next_response(self):
        with self._lock:
            return self._script.popleft() if self._script else 201

    def store(self, account_sid: str, form: dict[str, str]) -> dict:
        sid = "SM" + uuid.uuid4().hex
        moment = datetime.now(UTC).replace(microsecond=0)
        service = form.get("MessagingServiceSid")
        uri = f"{API}{account_sid}/Messages/{sid}.json"
        message = {
            "account_sid": account_sid,
            "api_version": "2010-04-01",
            "body": form.get("Body", ""),
            "date_created": _rfc2822(moment),
            "date_sent": None,
            "date_updated": _rfc2822(moment),
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": "0" if service else str(1 + len(form.get("Body", "")) // 161),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service else "queued",
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": form["To"],
            "uri": uri,
        }
        stored = message | {
            "status": "sent",
            "date_sent": _rfc2822(moment),
            "status_callback": form.get("StatusCallback"),
        }
        with self._lock:
            self.received.append(stored)
        return message

    def call_back(self, url: str, message: dict, status: str, error_code: str) -> None:
        """POST a status callback for `message` to `url`, signed with the auth token, and wait for the answer."""
        params = {
            "AccountSid": message["account_sid"],
            "MessageSid": message["sid"],
            "SmsSid": message["sid"],
            "MessageStatus": status,
            "SmsStatus": status,
            "To": message["to"],
            "From": message["from"] or "",
            "ApiVersion": "2010-04-01",
        }
        if error_code:
            params["ErrorCode"] = error_code
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        answer = requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30)
        with self._lock:
            self.callbacks.append(answer.status_code)

    def listing(self, account_sid: str, query: dict[str, str]) -> dict:
        with self._lock:
            found = [m for m in self.received if m["account_sid"] == account_sid]
        if "To" in query:
            found = [m for m in found if m["to"] == query["To"]]
        sent = {m["sid"]: datetime.strptime(m["date_sent"], "%a, %d %b %Y %H:%M:%S %z") for m in found}
        if "DateSent>" in query:
            found = [m for m in found if sent[m["sid"]] >= _parse_filter_date(query["DateSent>"])]
        if "DateSent<" in query:
            found = [m for m in found if sent[m["sid"]] <= _parse_filter_date(query["DateSent<"])]
        if "DateSent" in query:
            found = [m for m in found if sent[m["sid"]].date() == _parse_filter_date(query["DateSent"]).date()]
        found.sort(key=lambda m: sent[m["sid"]], reverse=True)
        size = min(int(query.get("PageSize", 50)), self.page_size)
        page = int(query.get("Page", 0))
        path = f"{API}{account_sid}/Messages.json"

        def page_uri(number: int) -> str:
            return f"{path}?{urlencode({**query, 'PageSize': size, 'Page': number})}"

        has_next = len(found) > (page + 1) * size
        return {
            "end": page * size + len(found[page * size : (page + 1) * size]) - 1,
            "first_page_uri": page_uri(0),
            "messages": [
                {k: v for k, v in m.items() if k != "status_callback"} for m in found[page * size : (page + 1) * size]
            ],
            "next_page_uri": page_uri(page + 1) if has_next else None,
            "page": page,
            "page_size": size,
            "previous_page_uri": page_uri(page - 1) if page else None,
            "start": page * size,
            "uri": page_uri(page),
        }


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def log_message(self, format, *args) -> None:  # keep test output quiet
        pass

    @property
    def fake(self) -> FakeTwilio:
        return self.server.fake

    def do_POST(self) -> None:
        with self.fake.answering():
            self.create()

    def do_GET(self) -> None:
        with self.fake.answering():
            self.fetch_or_list()

    def create(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        match = _CREATE_OR_LIST.match(urlsplit(self.path).path)
        if not match:
            return self.reply_error(error(404))
        if not self.authorised(match[1]):
            return self.reply_error(error(401, message="Authenticate"))
        missing = [field for field in ("To", "Body") if not form.get(field)]
        if missing or not (form.get("From") or form.get("MessagingServiceSid")):
            return self.reply_error(error(400, 21604 if missing else 21603, f"Missing {missing or 'From'}"))
        response = self.fake.next_response()
        if isinstance(response, Slow):
            message = self.fake.store(match[1], form) if response.then == 201 else None
            time.sleep(response.seconds)
            return self.reply(201, message) if message else self.reply_error(response.then)
        if isinstance(response, Error):
            return self.reply_error(response)
        message = self.fake.store(match[1], form)
        if self.fake.receipt_first and form.get("StatusCallback"):
            self.fake.call_back(form["StatusCallback"], message, *self.fake.receipt_first)
        if self.fake.latency:
            time.sleep(self.fake.latency)
        if response is accept_then_drop:
            self.close_connection = True  # return without a word; the server then closes the socket
            return None
        return self.reply(201, message)

    def fetch_or_list(self) -> None:
        url = urlsplit(self.path)
        fetch, listing = _FETCH.match(url.path), _CREATE_OR_LIST.match(url.path)
        match = fetch or listing
        if not match:
            return self.reply_error(error(404))
        if not self.authorised(match[1]):
            return self.reply_error(error(401, message="Authenticate"))
        if listing:
            return self.reply(200, self.fake.listing(match[1], {k: v[-1] for k, v in parse_qs(url.query).items()}))
        message = self.fake.find(match[1], fetch[2])
        if message:
            return self.reply(200, message)
        return self.reply_error(error(404, message=f"The requested resource {url.path} was not found"))

    def authorised(self, account_sid: str) -> bool:
        scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
        if scheme != "Basic":
            return False
        user, _, password = base64.b64decode(encoded).decode().partition(":")
        return user == account_sid and password == self.fake.auth_token

    def reply_error(self, failure: Error) -> None:
        more_info = f"https://www.twilio.com/docs/errors/{failure.code}"
        body = {"code": failure.code, "message": failure.message, "more_info": more_info, "status": failure.status}
        self.reply(failure.status, body)

    def reply(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up waiting (see `slow`)
            self.close_connection = True
