"""Every row of the README's Configuration table does what it says: one test per variable.

Each test reads the variable the way a host sets it (an environment mapping through config.load_config),
sets it away from its default, and watches something a person or a host would notice change. The last
test reads the README's table and fails for any variable in its first column without a test here.
"""

from __future__ import annotations

import fnmatch
import itertools
import re
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from flask_migrate import upgrade
from sqlalchemy import func, select

from config import BASE_DIR, BaseConfig, load_config
from coordinator import create_app
from coordinator.extensions import db
from coordinator.models import InboundMessage, Message, User, UserSession
from coordinator.services.texting.dispatch import Pacer, dispatch_due
from coordinator.services.texting.messages import message_queue
from coordinator.sms import sms_gateway
from tests.factories import PASSWORD, add_member, make_circle, make_user
from tests.fake_twilio import FakeTwilio, slow
from tests.settings_rows_asks import ASK_ROWS
from tests.settings_rows_monitoring import MONITORING_ROWS
from tests.settings_rows_photos import PHOTO_ROWS
from tests.sms import SMS_SETTINGS, signed_post, text_in
from tests.test_config import PRODUCTION
from tests.web import WebClient

SAM = "+12025550110"
STRANGER = "+12025550199"
NOON_NY = datetime(2026, 6, 2, 16, tzinfo=UTC)
ACCOUNT = "AC" + "0" * 32


def from_env(**env: str) -> dict:
    """The settings as load_config reads them from the environment (testing profile)."""
    config = load_config({"APP_ENV": "testing", **env})
    return {name: getattr(config, name) for name in env}


_keys = itertools.count()


def queue_text(n: int = 1) -> None:
    for i in range(n):
        message_queue(channel="sms", to_address=SAM, kind="welcome", key=f"k{next(_keys)}", body=f"Hello {i}")
    db.session.commit()


def sam() -> None:
    if db.session.scalar(select(User.id).where(User.phone == SAM)) is None:
        make_user(phone=SAM, email=None)


def statuses() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(Message.status).order_by(Message.id)))


@pytest.fixture
def fake():
    with FakeTwilio(auth_token="secret-token") as server:
        yield server


def twilio_env(fake, **changes) -> dict[str, str]:
    env = {
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": "secret-token",
        "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_API_BASE_URL": fake.base_url,
    }
    return {key: value for key, value in {**env, **changes}.items() if value is not None}


def send_through(make_app, env: dict[str, str], n: int = 1):
    app = make_app(**from_env(**env))
    with app.app_context(), time_machine.travel(NOON_NY, tick=True):
        sam()
        queue_text(n)
        stats = dispatch_due(gateway=sms_gateway(), pacer=Pacer(0))
        closing = getattr(sms_gateway(), "close", None)
        if closing:
            closing()
        return stats, statuses()


# --- one test per row ---------------------------------------------------------------------------------------------


def check_app_env(make_app, database, **_):
    production = load_config({**PRODUCTION, "DATABASE_URL": database.fresh_url()})
    app = create_app(production)
    try:
        assert "Strict-Transport-Security" in app.test_client().get("/healthz").headers
        assert app.config["SESSION_COOKIE_SECURE"] is True
    finally:
        with app.app_context():
            db.engine.dispose()
    assert "Strict-Transport-Security" not in make_app().test_client().get("/healthz").headers


def check_secret_key(make_app, **_):
    first = make_app(**from_env(SECRET_KEY="a" * 40))
    with first.app_context():
        email = make_user(name="Daniel Lopez").email
    browser = WebClient(first.test_client())
    assert browser.sign_in(email, PASSWORD).status_code == 302
    assert browser.get("/account").status_code == 200
    cookie = browser.cookie()
    other = WebClient(make_app(**from_env(SECRET_KEY="b" * 40)).test_client())  # same database, another key
    other.set_cookie(cookie)
    assert other.get("/account").status_code == 302  # the first key's cookie means nothing here


def check_database_url(tmp_path, **_):
    path = tmp_path / "chosen.sqlite3"
    app = create_app(load_config({"APP_ENV": "testing", "DATABASE_URL": f"sqlite:///{path}"}))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    tables = {row[0] for row in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"users", "circles", "messages"} <= tables


def check_public_base_url(make_app, **_):
    matching = make_app(**{**SMS_SETTINGS, **from_env(PUBLIC_BASE_URL="https://care.example.org")})
    text = {"MessageSid": "SM" + "1" * 32, "From": STRANGER, "To": "+15005550006", "Body": "hi"}
    assert signed_post(matching.test_client(), "/sms/inbound", text).status_code == 200
    moved = make_app(**{**SMS_SETTINGS, **from_env(PUBLIC_BASE_URL="https://elsewhere.example.org")})
    assert signed_post(moved.test_client(), "/sms/inbound", text).status_code == 403  # signed for care.example.org


def check_sms_backend(make_app, fake, **_):
    stats, _ = send_through(make_app, twilio_env(fake, SMS_BACKEND="console"))
    assert stats.sent == 1 and fake.received == []
    stats, _ = send_through(make_app, twilio_env(fake))
    assert stats.sent == 1 and [m["to"] for m in fake.received] == [SAM]


def check_twilio_account_sid(make_app, fake, **_):
    other = "AC" + "1" * 32
    fake.auth_token = "secret-token"
    send_through(make_app, twilio_env(fake, TWILIO_ACCOUNT_SID=other))
    assert [m["account_sid"] for m in fake.received] == [other]


def check_twilio_auth_token(make_app, fake, **_):
    _, sent = send_through(make_app, twilio_env(fake, TWILIO_AUTH_TOKEN="not-the-token"))
    assert fake.received == [] and sent != ["sent"]  # Twilio refused it: not sent


def check_twilio_from_number(make_app, fake, **_):
    send_through(make_app, twilio_env(fake, TWILIO_FROM_NUMBER="+15005550009"))
    assert [m["from"] for m in fake.received] == ["+15005550009"]


def check_twilio_messaging_service_sid(make_app, fake, **_):
    service = "MG" + "2" * 32
    send_through(make_app, twilio_env(fake, TWILIO_FROM_NUMBER=None, TWILIO_MESSAGING_SERVICE_SID=service))
    assert [m["messaging_service_sid"] for m in fake.received] == [service]


def check_twilio_api_base_url(make_app, fake, **_):
    with FakeTwilio(auth_token="secret-token") as elsewhere:
        send_through(make_app, twilio_env(fake, TWILIO_API_BASE_URL=elsewhere.base_url))
        assert len(elsewhere.received) == 1 and fake.received == []


def check_twilio_timeout(make_app, fake, **_):
    fake.script(slow(4))
    started = time.monotonic()
    _, sent = send_through(make_app, twilio_env(fake, TWILIO_TIMEOUT="1"))
    assert sent == ["unknown"]  # gave up waiting: maybe sent, to be checked with Twilio before any resend
    assert time.monotonic() - started < 4, "waited for Twilio's slow answer instead of TWILIO_TIMEOUT"


def check_sms_sends_per_second(make_app, fake, **_):
    app = make_app(**from_env(**twilio_env(fake), SMS_SENDS_PER_SECOND="2"))
    with app.app_context(), time_machine.travel(NOON_NY, tick=True):
        sam()
        queue_text(3)
        started = time.monotonic()
        assert dispatch_due(gateway=sms_gateway()).sent == 3  # the dispatcher's own pacer, from the setting
        sms_gateway().close()
    assert time.monotonic() - started >= 1.0  # three sends at 2 a second: at least two gaps of half a second


def check_mail(make_app, smtp_server, *, name, **_):
    env = {"MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_server.port)}
    env["MAIL_FROM"] = "Care circle <care@example.org>"
    if name == "SMTP_HOST":
        env["SMTP_HOST"] = "127.0.0.2"  # no mail server listens there
    if name == "MAIL_BACKEND":
        env["MAIL_BACKEND"] = "console"
    app = make_app(**from_env(**env), SMTP_TIMEOUT=2)
    with app.app_context(), time_machine.travel(NOON_NY, tick=True):
        message_queue(channel="email", to_address="priya@example.org", kind="welcome", key="e", subject="Hi", body="Hi")
        db.session.commit()
        dispatch_due(gateway=sms_gateway(), pacer=Pacer(0))
    delivered = smtp_server.inbox.bodies_to("priya@example.org")
    if name in ("SMTP_HOST", "MAIL_BACKEND"):
        assert delivered == []
    else:
        assert [m["From"] for m in smtp_server.inbox.messages] == ["Care circle <care@example.org>"]


def check_default_phone_region(make_app, **_):
    app = make_app(**from_env(DEFAULT_PHONE_REGION="GB"))
    with app.app_context():
        make_user(name="Tom", phone="+447911123456", email=None)
    browser = WebClient(app.test_client())
    with app.app_context(), time_machine.travel(NOON_NY, tick=True):
        assert browser.post("/sign-in/code", {"contact": "07911 123456"}).status_code == 302
        sent_to = set(db.session.scalars(select(Message.to_address).where(Message.kind == "sign_in_code")))
    assert sent_to == {"+447911123456"}


def check_ratelimit_storage_uri(make_app, **_):
    prefix = f"settings-rows-{time.time_ns()}"
    env = {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "RATELIMIT_KEY_PREFIX": prefix}
    first = make_app(**from_env(**env), SIGNIN_LIMIT_PER_ACCOUNT="2 per minute")
    with first.app_context():
        email = make_user(name="Daniel Lopez").email
    second = make_app(**from_env(**env), SIGNIN_LIMIT_PER_ACCOUNT="2 per minute")  # another process, same Redis
    for _ in range(2):
        WebClient(first.test_client()).sign_in(email, "wrong password!")
    assert WebClient(second.test_client()).sign_in(email, PASSWORD).status_code == 429


def check_unknown_sender_limit(make_app, **_):
    prefix = f"settings-rows-{time.time_ns()}"
    app = make_app(**{**SMS_SETTINGS, **from_env(UNKNOWN_SENDER_LIMIT="1 per hour")}, RATELIMIT_KEY_PREFIX=prefix)
    client = app.test_client()
    with app.app_context():
        text_in(client, STRANGER, "hello?")
        text_in(client, STRANGER, "hello again?")
        assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 1  # the default allows 5


def check_trusted_proxies(make_app, **_):
    def third_try_refused(app) -> bool:
        with app.app_context():
            email = make_user().email
        for n in range(3):
            address = f"203.0.113.{n + 1}"
            answer = app.test_client().post(
                "/sign-in", data={"email": email, "password": "wrong password!"}, headers={"X-Forwarded-For": address}
            )
        return answer.status_code == 429

    overrides = {"SIGNIN_LIMIT_PER_IP": "2 per minute", "WTF_CSRF_ENABLED": False}
    assert third_try_refused(make_app(**overrides))  # every try counts against the proxy's own address
    assert not third_try_refused(make_app(**from_env(TRUSTED_PROXIES="1"), **overrides))


def check_default_timezone(make_app, **_):
    app = make_app(**from_env(DEFAULT_TIMEZONE="Europe/London"))
    with app.app_context():
        email = make_user().email
    browser = WebClient(app.test_client())
    browser.sign_in(email, PASSWORD)
    page = browser.get("/circles/new").get_data(as_text=True)
    assert re.search(
        r'<option[^>]*selected[^>]*value="Europe/London"|<option[^>]*value="Europe/London"[^>]*selected', page
    )


def check_quiet_hours(make_app, **_):
    app = make_app(**from_env(SMS_DEFAULT_QUIET_START="03:00", SMS_DEFAULT_QUIET_END="03:05"))
    with app.app_context():
        sam = make_user(phone=SAM, email=None)
        make_circle(coordinator=sam, timezone="America/New_York")
        with time_machine.travel(datetime(2026, 6, 2, 8, 0, tzinfo=UTC), tick=False):  # 4:00 in New York
            queue_text()
            assert dispatch_due(gateway=sms_gateway(), pacer=Pacer(0)).sent == 1  # 21:00-08:00 would hold it


def retention_check(setting: str, make_row, job: str, counted: str):
    def check(make_app, **_):
        app = make_app(**SMS_SETTINGS, **from_env(**{setting: "2"}))
        with app.app_context():
            with time_machine.travel(NOON_NY, tick=False):
                make_row(app)
            with time_machine.travel(NOON_NY + timedelta(days=3), tick=False):
                from coordinator.jobs import JOBS_BY_ID

                assert JOBS_BY_ID[job].run()[counted] >= 1  # forgotten after 2 days, not the default

    return check


def _inbound(app, sender=SAM):
    with app.app_context():
        sam = make_user(phone=SAM, email=None)
        add_member(make_circle(coordinator=make_user()), sam)
        text_in(app.test_client(), sender, "MINE")


def _sent_text(app):
    make_user(phone=SAM, email=None)
    queue_text()
    dispatch_due(gateway=sms_gateway(), pacer=Pacer(0))


def _code(app):
    make_user(phone=SAM, email=None)
    WebClient(app.test_client()).post("/sign-in/code", {"contact": "202-555-0110"})


def _ended_session(app):
    person = make_user()
    browser = WebClient(app.test_client())
    browser.sign_in(person.email, PASSWORD)
    browser.sign_out()
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 1


def _invitation(app):
    daniel = make_user()
    circle = make_circle(coordinator=daniel)
    browser = WebClient(app.test_client())
    browser.sign_in(daniel.email, PASSWORD)
    url = f"/circles/{circle.id}/invitations"
    browser.post(url, {"name": "Rosa Díaz", "phone": "202-555-0143", "email": "", "message": ""})
    from coordinator.models import Invitation

    invitation = db.session.scalar(select(Invitation))
    browser.post(f"{url}/{invitation.id}/revoke", form_url=f"{url}/{invitation.id}/revoke")


def check_circle_purge_grace_days(make_app, **_):
    app = make_app(**from_env(CIRCLE_PURGE_GRACE_DAYS="7"))
    with app.app_context():
        maria = make_user(name="Maria Lopez")
        email, circle_id = maria.email, make_circle(coordinator=make_user(), patient=maria).id
    browser = WebClient(app.test_client())
    browser.sign_in(email, PASSWORD)
    page = browser.get(f"/circles/{circle_id}/close").get_data(as_text=True)
    assert re.search(r'value="7"[^>]*checked|checked[^>]*value="7"', page), "the host's 7 days not offered first"


def interval_check(setting: str, job_id: str):
    def check(make_app, **_):
        from coordinator.jobs.runner import scheduled_seconds

        app = make_app(**from_env(**{setting: "17"}))
        assert scheduled_seconds(app)[job_id] == 17

    return check


def lease_check(make_app, **_):
    app = make_app(**from_env(SMS_SENDING_LEASE_SECONDS="3600"))
    with app.app_context():
        sam()
        queue_text()
        db.session.execute(sa.update(Message).values(status="sending", updated_at=NOON_NY))
        db.session.commit()
        with time_machine.travel(NOON_NY + timedelta(minutes=5), tick=False):
            dispatch_due(gateway=sms_gateway(), pacer=Pacer(0))
        assert statuses() == ["sending"]  # the default (60 s) would have called it left by a crash
        with time_machine.travel(NOON_NY + timedelta(hours=2), tick=False):
            dispatch_due(gateway=sms_gateway(), pacer=Pacer(0))
        assert statuses() != ["sending"]


def reconcile_check(make_app, fake, **_):
    app = make_app(**from_env(**twilio_env(fake), SMS_RECONCILE_AFTER_SECONDS="600"))
    with app.app_context():
        sam()
        queue_text()
        db.session.execute(sa.update(Message).values(status="unknown", updated_at=NOON_NY))
        db.session.commit()
        with time_machine.travel(NOON_NY + timedelta(minutes=5), tick=True):
            dispatch_due(gateway=sms_gateway(), pacer=Pacer(0))
            assert statuses() == ["unknown"] and fake.requests == 0  # the default (30 s) would have asked Twilio
        with time_machine.travel(NOON_NY + timedelta(minutes=11), tick=True):
            dispatch_due(gateway=sms_gateway(), pacer=Pacer(0))
            assert fake.requests >= 1
        sms_gateway().close()


def pool_check(name: str):
    def check(make_app, database, **_):
        if database.name != "postgresql":
            pytest.skip("the pool settings apply to PostgreSQL; set TEST_DATABASE_URL to run this")
        app = make_app(**from_env(**{name: "3"}))
        with app.app_context():
            pool = db.engine.pool
            seen = {
                "SQLALCHEMY_POOL_SIZE": pool.size(),
                "SQLALCHEMY_MAX_OVERFLOW": pool._max_overflow,
                "SQLALCHEMY_POOL_TIMEOUT": pool._timeout,
                "SQLALCHEMY_POOL_RECYCLE": pool._recycle,
            }
        assert seen[name] == 3  # tests/test_pool.py shows what the size, overflow and timeout do to requests

    return check


def check_test_database_url(**_):
    def collected(**env) -> str:
        environ = {k: v for k, v in __import__("os").environ.items() if k != "TEST_DATABASE_URL"} | env
        return subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests/test_pool.py"],
            cwd=BASE_DIR,
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout

    assert "[postgresql]" not in collected()
    assert "[postgresql]" in collected(TEST_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")


ROWS = {
    "APP_ENV": check_app_env,
    "SECRET_KEY": check_secret_key,
    "DATABASE_URL": check_database_url,
    "PUBLIC_BASE_URL": check_public_base_url,
    "SMS_BACKEND": check_sms_backend,
    "TWILIO_ACCOUNT_SID": check_twilio_account_sid,
    "TWILIO_AUTH_TOKEN": check_twilio_auth_token,
    "TWILIO_FROM_NUMBER": check_twilio_from_number,
    "TWILIO_MESSAGING_SERVICE_SID": check_twilio_messaging_service_sid,
    "TWILIO_API_BASE_URL": check_twilio_api_base_url,
    "TWILIO_TIMEOUT": check_twilio_timeout,
    "MAIL_BACKEND": check_mail,
    "SMTP_HOST": check_mail,
    "SMTP_PORT": check_mail,
    "MAIL_FROM": check_mail,
    "DEFAULT_PHONE_REGION": check_default_phone_region,
    "RATELIMIT_STORAGE_URI": check_ratelimit_storage_uri,
    "UNKNOWN_SENDER_LIMIT": check_unknown_sender_limit,
    "RETAIN_MESSAGE_BODIES_DAYS": retention_check(
        "RETAIN_MESSAGE_BODIES_DAYS", _sent_text, "retention_texts", "message_bodies"
    ),
    "RETAIN_INBOUND_DAYS": retention_check("RETAIN_INBOUND_DAYS", _inbound, "retention_texts", "inbound_texts"),
    "RETAIN_UNKNOWN_INBOUND_DAYS": retention_check(
        "RETAIN_UNKNOWN_INBOUND_DAYS",
        lambda app: _inbound(app, sender=STRANGER),
        "retention_texts",
        "unknown_inbound_texts",
    ),
    "RETAIN_SIGN_IN_CODES_DAYS": retention_check(
        "RETAIN_SIGN_IN_CODES_DAYS", _code, "retention_people", "sign_in_codes"
    ),
    "RETAIN_SESSIONS_DAYS": retention_check(
        "RETAIN_SESSIONS_DAYS", _ended_session, "retention_people", "user_sessions"
    ),
    "RETAIN_INVITATIONS_DAYS": retention_check(
        "RETAIN_INVITATIONS_DAYS", _invitation, "retention_people", "invitations"
    ),
    "CIRCLE_PURGE_GRACE_DAYS": check_circle_purge_grace_days,
    "RETENTION_EVERY_SECONDS": interval_check("RETENTION_EVERY_SECONDS", "retention_texts"),
    "DELIVER_EVERY_SECONDS": interval_check("DELIVER_EVERY_SECONDS", "deliver"),
    "TRUSTED_PROXIES": check_trusted_proxies,
    "SMS_SENDS_PER_SECOND": check_sms_sends_per_second,
    "SMS_DEFAULT_QUIET_START": check_quiet_hours,
    "SMS_DEFAULT_QUIET_END": check_quiet_hours,
    "DEFAULT_TIMEZONE": check_default_timezone,
    "SMS_SENDING_LEASE_SECONDS": lease_check,
    "SMS_RECONCILE_AFTER_SECONDS": reconcile_check,
    "SQLALCHEMY_POOL_SIZE": pool_check("SQLALCHEMY_POOL_SIZE"),
    "SQLALCHEMY_MAX_OVERFLOW": pool_check("SQLALCHEMY_MAX_OVERFLOW"),
    "SQLALCHEMY_POOL_TIMEOUT": pool_check("SQLALCHEMY_POOL_TIMEOUT"),
    "SQLALCHEMY_POOL_RECYCLE": pool_check("SQLALCHEMY_POOL_RECYCLE"),
    "TEST_DATABASE_URL": check_test_database_url,
    **ASK_ROWS,  # ASK_MIN_GAP_HOURS, REENGAGE_QUIET_DAYS (tests/settings_rows_asks.py)
    **MONITORING_ROWS,  # LOG_FORMAT, METRICS_ALLOWED_IPS, READY_HEARTBEAT_SECONDS, ... (tests/settings_rows_monitoring.py)
    **PHOTO_ROWS,  # PHOTO_DIR, PHOTO_MAX_BYTES (tests/settings_rows_photos.py)
}


@pytest.mark.parametrize("name", sorted(ROWS))
def test_the_setting_changes_what_it_says(name, make_app, database, tmp_path, request):
    fixtures = {"make_app": make_app, "database": database, "tmp_path": tmp_path, "name": name}
    if ROWS[name] in (check_mail,):
        fixtures["smtp_server"] = request.getfixturevalue("smtp_server")
    if "fake" in ROWS[name].__code__.co_varnames[: ROWS[name].__code__.co_argcount]:
        fixtures["fake"] = request.getfixturevalue("fake")
    ROWS[name](**fixtures)


def readme_rows() -> set[str]:
    """Every backticked variable in the first column of the README's Configuration table(s)."""
    text = (BASE_DIR / "README.md").read_text()
    section = text[text.index("## Configuration") :]
    section = section[: section.index("\n## ", 1)]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first = line.split("|")[1]
            for name in re.findall(r"`([A-Z][A-Z0-9_*]*)`", first):
                names |= set(fnmatch.filter(dir(BaseConfig), name)) if "*" in name else {name}
    return names


def test_every_row_of_the_readme_configuration_table_has_a_test():
    rows = readme_rows()
    assert {"APP_ENV", "RETAIN_INBOUND_DAYS", "SQLALCHEMY_POOL_SIZE", "TEST_DATABASE_URL"} <= rows
    assert sorted(rows - set(ROWS)) == []
