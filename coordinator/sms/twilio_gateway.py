"""The Twilio gateway: one text through Twilio's REST API, and an honest account of what happened.

The dispatcher promises "nothing lost, nothing sent twice", so every way a send can
end is sorted into the outcomes of `coordinator.sms`:

- `Retryable`: Twilio certainly has not got it. HTTP 429, bad credentials (401: an
  operator fixes the config and the text still goes), and failures to connect at
  all. urllib3 draws the same line in `Retry._is_connection_error`: a
  `ConnectTimeoutError` (which includes refused connections and DNS failures) means
  the request was never sent.
- `Ambiguous`: Twilio may have it. A read timeout, a connection dropped after the
  request went out, a 5xx, an unreadable answer. The dispatcher asks `sent_to`
  before ever sending again.
- `Permanent`: Twilio refused this text for good (any other 4xx, e.g. 21211 invalid
  number, 21610 unsubscribed), with Twilio's code.

The SDK's `TwilioHttpClient.request` calls `requests.Session.send` without catching
anything, so requests' own exceptions reach us unwrapped; Twilio's error answers
arrive as `TwilioRestException` (`status`, `code`).

The SDK client is built on first use, never at import or app creation.
`TWILIO_API_BASE_URL` points it at a Twilio-compatible endpoint (a proxy, or the
test fake) by replacing the `api` domain's `base_url`, which `Domain.absolute_url`
uses for every request and for the next-page links.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError

from coordinator.sms import Ambiguous, GatewayError, Permanent, ProviderMessage, Retryable, SendResult

log = logging.getLogger(__name__)

# A non-empty mapping keeps the SDK from reading the process environment (only config.py reads the
# environment). Blank edge and region matter: `ClientBase.get_hostname` rewrites the
# host for them, which would turn "127.0.0.1:8080" into nonsense.
_SDK_ENVIRONMENT = {"TWILIO_EDGE": "", "TWILIO_REGION": ""}


class TwilioGateway:
    name = "twilio"

    def __init__(
        self,
        *,
        account_sid: str | None,
        auth_token: str | None,
        public_base_url: str,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        api_base_url: str | None = None,
        timeout: float = 10.0,
    ):
        if not account_sid or not auth_token:
            raise RuntimeError("SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.")
        if not from_number and not messaging_service_sid:
            raise RuntimeError("SMS_BACKEND=twilio needs TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID.")
        if api_base_url and not api_base_url.startswith(("http://", "https://")):
            raise RuntimeError(f"TWILIO_API_BASE_URL must be an http(s) URL, not {api_base_url!r}.")
        if timeout <= 0:
            raise RuntimeError("TWILIO_TIMEOUT must be a positive number of seconds.")
        self.account_sid = account_sid
        self.auth_token = auth_token
        sender = {"from_": from_number, "messaging_service_sid": messaging_service_sid}
        self.sender = {key: value for key, value in sender.items() if value}
        self.status_callback = public_base_url.rstrip("/") + "/sms/status"
        self.api_base_url = api_base_url
        self.timeout = timeout
        self._client: Client | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config) -> TwilioGateway:
        return cls(
            account_sid=config["TWILIO_ACCOUNT_SID"],
            auth_token=config["TWILIO_AUTH_TOKEN"],
            from_number=config["TWILIO_FROM_NUMBER"],
            messaging_service_sid=config["TWILIO_MESSAGING_SERVICE_SID"],
            api_base_url=config["TWILIO_API_BASE_URL"],
            timeout=float(config["TWILIO_TIMEOUT"]),
            public_base_url=config["PUBLIC_BASE_URL"],
        )

    def client(self) -> Client:
        """The SDK client, built the first time it is needed."""
        with self._lock:
            if self._client is None:
                client = Client(
                    self.account_sid,
                    self.auth_token,
                    http_client=TwilioHttpClient(timeout=self.timeout),
                    environment=_SDK_ENVIRONMENT,
                )
                if self.api_base_url:
                    client.api.base_url = self.api_base_url
                self._client = client
            return self._client

    def close(self) -> None:
        """Close the pooled connections of the SDK's requests session, if one was opened."""
        with self._lock:
            session = getattr(self._client.http_client, "session", None) if self._client else None
            if session is not None:
                session.close()

    def send(self, *, to: str, body: str) -> SendResult:
        try:
            message = self.client().messages.create(
                to=to, body=body, status_callback=self.status_callback, **self.sender
            )
        except TwilioRestException as error:
            raise _refusal(error.status, error.code, error.msg) from error
        except TwilioServiceException as error:
            raise _refusal(error.status, error.code, error.title) from error
        except requests.exceptions.ReadTimeout as error:
            raise Ambiguous(
                f"Twilio did not answer within {self.timeout}s; the text may have been sent", code="timeout"
            ) from error
        except requests.exceptions.ConnectionError as error:
            if _never_connected(error):
                raise Retryable(f"Could not connect to Twilio: {error}", code="connect") from error
            raise Ambiguous(
                f"The connection to Twilio broke after the text went out: {error}", code="timeout"
            ) from error
        except (requests.exceptions.RequestException, json.JSONDecodeError) as error:
            raise Ambiguous(f"Unreadable answer from Twilio: {error}", code="response") from error
        if not message.sid:
            raise Ambiguous("Twilio answered without a message SID", code="response")
        return SendResult(provider_id=message.sid, status=message.status or "queued")

    def sent_to(self, *, to: str, since: datetime) -> list[ProviderMessage]:
        """What Twilio holds for `to` since `since`: how an ambiguous send is settled.

        Twilio filters on `date_sent`, which it sets once the text leaves its queue, so ask
        a little after the attempt (the dispatcher waits SMS_RECONCILE_AFTER_SECONDS) rather than at once.
        """
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)  # the database keeps UTC; SQLite drops the zone
        floor = since.astimezone(UTC).replace(microsecond=0)  # Twilio's timestamps are whole seconds
        try:
            found = self.client().messages.list(to=to, date_sent_after=floor)
        except (TwilioException, requests.exceptions.RequestException, json.JSONDecodeError) as error:
            raise Ambiguous(f"Could not list Twilio's messages: {error}", code="reconcile") from error
        return [
            ProviderMessage(
                provider_id=m.sid,
                to=m.to,
                body=m.body,
                created_at=m.date_created,
                status=m.status or "queued",
            )
            for m in found
            if m.date_created is None or m.date_created >= floor
        ]


def _refusal(status: int, code: int | None, message: str) -> GatewayError:
    """Twilio answered with an error: sort it by HTTP status first, then Twilio's code."""
    twilio_code = str(code if code is not None else status)
    if status == 429:
        return Retryable(f"Twilio is rate limiting us: {message}", code="429")
    if status == 401:
        log.error("Twilio rejected TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN (%s); texts wait until fixed", twilio_code)
        return Retryable(f"Twilio rejected our credentials: {message}", code=twilio_code)
    if 400 <= status < 500:
        return Permanent(f"Twilio refused the text ({twilio_code}): {message}", code=twilio_code)
    return Ambiguous(f"Twilio answered HTTP {status}; the text may have been sent: {message}", code=str(status))


def _never_connected(error: requests.exceptions.ConnectionError) -> bool:
    """True when the request cannot have left: refused, DNS failure or connect timeout.

    requests raises ConnectionError(MaxRetryError(reason=...)) for those, and
    ConnectionError(ProtocolError(...)) when the server drops an open connection.
    """
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    cause = error.args[0] if error.args else None
    return isinstance(getattr(cause, "reason", cause), ConnectTimeoutError)
