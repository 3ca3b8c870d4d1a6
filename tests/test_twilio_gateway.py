"""The Twilio gateway, driven through the real twilio SDK over HTTP against a fake Twilio.

Nothing in the SDK is patched: each test sends real requests to `tests.fake_twilio`
and checks the outcome the dispatcher will act on (sent, Retryable, Ambiguous,
Permanent) and what the fake actually stored.
"""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from coordinator.clock import now
from coordinator.sms import Ambiguous, Permanent, Retryable, sms_gateway
from tests.fake_twilio import FakeTwilio, accept_then_drop, error, slow
from tests.smtp import free_port

SID = "AC" + "0" * 32
TOKEN = "secret-token"
FROM = "+15005550006"
SUPPORTER = "+15551230001"
OTHER = "+15551230002"


@pytest.fixture
def fake():
    with FakeTwilio(auth_token=TOKEN) as server:
        yield server


@pytest.fixture
def gateway_for(make_app):
    """Builds the app's gateway the way the dispatcher gets it; closes its connections afterwards."""
    built = []

    def build(base_url: str, **overrides):
        settings = {
            "SMS_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": SID,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_FROM_NUMBER": FROM,
            "TWILIO_API_BASE_URL": base_url,
            "TWILIO_TIMEOUT": 0.5,
            "PUBLIC_BASE_URL": "https://care.example.org",
        }
        app = make_app(**(settings | overrides))
        with app.app_context():
            gateway = sms_gateway()
        built.append(gateway)
        return gateway

    yield build
    for gateway in built:
        gateway.close()


def test_send_hands_twilio_the_text_and_where_to_report_status(fake, gateway_for):
    result = gateway_for(fake.base_url).send(to=SUPPORTER, body="Can you drive Ana on Tue 9:30? Reply TAKE 42")

    assert result.provider_id.startswith("SM") and len(result.provider_id) == 34
    assert result.status == "queued"
    [stored] = fake.messages_to(SUPPORTER)
    assert stored["sid"] == result.provider_id
    assert stored["from"] == FROM and stored["messaging_service_sid"] is None
    assert stored["body"] == "Can you drive Ana on Tue 9:30? Reply TAKE 42"
    assert stored["status_callback"] == "https://care.example.org/sms/status"


def test_send_through_a_messaging_service(fake, gateway_for):
    service = "MG" + "1" * 32
    gateway = gateway_for(fake.base_url, TWILIO_FROM_NUMBER=None, TWILIO_MESSAGING_SERVICE_SID=service)

    result = gateway.send(to=SUPPORTER, body="Thanks for taking Tuesday")

    assert result.status == "accepted"
    [stored] = fake.messages_to(SUPPORTER)
    assert stored["messaging_service_sid"] == service and stored["from"] is None


@pytest.mark.parametrize("code", [21211, 21610, 21614])
def test_refused_number_is_permanent_with_twilios_code(fake, gateway_for, code):
    fake.script(error(400, code))

    with pytest.raises(Permanent) as refused:
        gateway_for(fake.base_url).send(to=SUPPORTER, body="Hello")

    assert refused.value.code == str(code)
    assert fake.received == []


def test_rate_limit_is_retryable_and_the_retry_goes_through(fake, gateway_for):
    gateway = gateway_for(fake.base_url)
    fake.script(error(429, 20429, "Too Many Requests"))

    with pytest.raises(Retryable) as limited:
        gateway.send(to=SUPPORTER, body="Hello")
    assert limited.value.code == "429"
    assert fake.received == []

    assert gateway.send(to=SUPPORTER, body="Hello").provider_id.startswith("SM")
    assert len(fake.messages_to(SUPPORTER)) == 1


def test_server_error_is_ambiguous(fake, gateway_for):
    fake.script(error(500))

    with pytest.raises(Ambiguous) as unsure:
        gateway_for(fake.base_url).send(to=SUPPORTER, body="Hello")

    assert unsure.value.code == "500"


def test_answer_slower_than_the_timeout_is_ambiguous_and_sent_to_finds_the_text(fake, gateway_for):
    gateway = gateway_for(fake.base_url)
    before = now()
    fake.script(slow(1.0))

    with pytest.raises(Ambiguous) as unsure:
        gateway.send(to=SUPPORTER, body="Reminder: drive Ana at 9:30")

    assert unsure.value.code == "timeout"
    [stored] = fake.messages_to(SUPPORTER)  # Twilio took it; only the answer was late
    [found] = gateway.sent_to(to=SUPPORTER, since=before)
    assert (found.provider_id, found.to, found.body) == (stored["sid"], SUPPORTER, "Reminder: drive Ana at 9:30")
    assert found.created_at.tzinfo is not None and found.created_at >= before.replace(microsecond=0)


def test_connection_dropped_after_sending_is_ambiguous(fake, gateway_for):
    gateway = gateway_for(fake.base_url)
    before = now()
    fake.script(accept_then_drop)

    with pytest.raises(Ambiguous) as unsure:
        gateway.send(to=SUPPORTER, body="Hello")

    assert unsure.value.code == "timeout"
    assert [m.body for m in gateway.sent_to(to=SUPPORTER, since=before)] == ["Hello"]


def test_nothing_listening_is_retryable(gateway_for):
    gateway = gateway_for(f"http://127.0.0.1:{free_port()}")

    with pytest.raises(Retryable) as refused:
        gateway.send(to=SUPPORTER, body="Hello")

    assert refused.value.code == "connect"


def test_connect_timeout_is_retryable(gateway_for):
    """A listener whose accept queue is full drops new SYNs, so connecting times out."""
    with socket.socket() as listener, socket.socket() as queued:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        queued.connect(listener.getsockname())  # fills the queue; nobody ever accepts
        gateway = gateway_for(f"http://127.0.0.1:{listener.getsockname()[1]}")

        with pytest.raises(Retryable) as stuck:
            gateway.send(to=SUPPORTER, body="Hello")

    assert stuck.value.code == "connect"


def test_wrong_auth_token_is_retryable_so_no_text_is_lost_to_a_config_mistake(fake, gateway_for, caplog):
    gateway = gateway_for(fake.base_url, TWILIO_AUTH_TOKEN="not-the-token")

    with pytest.raises(Retryable) as rejected:
        gateway.send(to=SUPPORTER, body="Hello")

    assert rejected.value.code == "20003"
    assert "TWILIO_AUTH_TOKEN" in caplog.text
    assert fake.received == []


def test_client_is_built_on_first_send_not_at_import_or_app_creation(fake, make_app):
    app = make_app(
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID="AC" + "9" * 32,
        TWILIO_AUTH_TOKEN="bogus",
        TWILIO_FROM_NUMBER=FROM,
        TWILIO_API_BASE_URL=fake.base_url,
    )
    with app.app_context():
        gateway = sms_gateway()
        assert sms_gateway() is gateway
    assert gateway._client is None and fake.requests == 0

    with pytest.raises(Retryable):
        gateway.send(to=SUPPORTER, body="Hello")
    assert gateway._client is not None and fake.requests == 1
    gateway.close()


@pytest.mark.parametrize(
    ("missing", "mentions"),
    [
        ({"TWILIO_AUTH_TOKEN": None}, "TWILIO_AUTH_TOKEN"),
        ({"TWILIO_FROM_NUMBER": None}, "TWILIO_MESSAGING_SERVICE_SID"),
    ],
)
def test_missing_settings_fail_at_first_use_with_a_clear_message(make_app, missing, mentions):
    settings = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM_NUMBER": FROM}
    app = make_app(SMS_BACKEND="twilio", **(settings | missing))  # creating the app is fine

    with app.app_context(), pytest.raises(RuntimeError, match=mentions):
        sms_gateway()


def test_sent_to_keeps_to_one_number_and_recent_texts_across_pages(gateway_for):
    with FakeTwilio(auth_token=TOKEN, page_size=2) as fake:
        gateway = gateway_for(fake.base_url)
        for body in ("one", "two", "three"):
            gateway.send(to=SUPPORTER, body=body)
        gateway.send(to=OTHER, body="not yours")

        found = gateway.sent_to(to=SUPPORTER, since=now() - timedelta(minutes=5))
        later = gateway.sent_to(to=SUPPORTER, since=now() + timedelta(minutes=5))

    assert sorted(m.body for m in found) == ["one", "three", "two"]
    assert {m.to for m in found} == {SUPPORTER} and {m.status for m in found} == {"sent"}
    assert later == []


def test_edge_and_region_in_the_environment_do_not_redirect_a_custom_base_url(fake, gateway_for, monkeypatch):
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")

    gateway_for(fake.base_url).send(to=SUPPORTER, body="Hello")

    assert len(fake.messages_to(SUPPORTER)) == 1


def test_fake_answers_fetch_and_missing_messages_like_twilio(fake, gateway_for):
    sid = gateway_for(fake.base_url).send(to=SUPPORTER, body="Hello").provider_id
    http = TwilioHttpClient(timeout=2)
    client = Client(SID, TOKEN, http_client=http)
    client.api.base_url = fake.base_url

    with http.session:
        assert client.messages(sid).fetch().body == "Hello"
        with pytest.raises(TwilioRestException) as missing:
            client.messages("SM" + "f" * 32).fetch()
    assert (missing.value.status, missing.value.code) == (404, 20404)
