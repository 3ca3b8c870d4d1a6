"""Asking for a sign-in code or a password reset answers the same for a known and an unknown contact.

An outside review timed these requests: known contacts answered a few
milliseconds slower, which tells a stranger that someone uses a cancer-support
service. The answer must be the same page, and the work the same database
statements (services/same_work.py); only the known contact gets a message.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from coordinator.extensions import db
from coordinator.models import Message, PasswordReset, SignInCode
from tests.factories import make_user
from tests.queries import counting
from tests.web import WebClient

CSRF = re.compile(r'name="csrf_token"[^>]*value="[^"]*"|value="[^"]*"[^>]*name="csrf_token"')
KNOWN_PHONE, UNKNOWN_PHONE = "+12025550110", "+12025550990"  # both end "0" and "110"/"990": same masked length


def rows() -> dict[str, int]:
    db.session.expire_all()
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Message, SignInCode, PasswordReset)
    }


def ask(app, url: str, field: str, contact: str):
    """Post the form from a fresh browser; (statements run, the answer, the page it leads to, rows written)."""
    client = WebClient(app.test_client())
    client.get(url)
    before = rows()
    with counting(db.engine) as statements:
        answer = client.post(url, {field: contact})
    page = client.get(answer.headers["Location"]) if answer.status_code == 302 else answer
    after = rows()
    written = {name: after[name] - before[name] for name in after}
    texts = [CSRF.sub("", r.get_data(as_text=True)) for r in (answer, page)]
    return statements, (answer.status_code, answer.headers.get("Location"), *texts), written


@pytest.mark.parametrize(
    ("url", "field", "known", "unknown", "row"),
    [
        ("/sign-in/code", "contact", "sam@example.org", "nobody@example.org", "SignInCode"),
        ("/password/forgot", "email", "sam@example.org", "nobody@example.org", "PasswordReset"),
    ],
)
def test_known_and_unknown_emails_get_the_same_page_after_the_same_statements(app, url, field, known, unknown, row):
    make_user(name="Sam Carter", email="sam@example.org", phone=KNOWN_PHONE)
    known_sql, known_answer, known_rows = ask(app, url, field, known)
    unknown_sql, unknown_answer, unknown_rows = ask(app, url, field, unknown)
    assert known_answer == unknown_answer
    assert len(known_sql) == len(unknown_sql) and known_sql == unknown_sql
    assert known_rows == {"Message": 1, "SignInCode": 0, "PasswordReset": 0} | {row: 1}
    assert unknown_rows == {"Message": 0, "SignInCode": 0, "PasswordReset": 0}


def test_known_and_unknown_numbers_get_the_same_page_after_the_same_statements(app):
    make_user(name="Sam Carter", phone=KNOWN_PHONE)
    known_sql, known_answer, known_rows = ask(app, "/sign-in/code", "contact", KNOWN_PHONE)
    unknown_sql, unknown_answer, unknown_rows = ask(app, "/sign-in/code", "contact", UNKNOWN_PHONE)
    # The code page shows the last digits of the number typed; everything else must match.
    assert [part.replace("0990", "0110") if isinstance(part, str) else part for part in unknown_answer] == list(
        known_answer
    )
    assert known_sql == unknown_sql
    assert known_rows == {"Message": 1, "SignInCode": 1, "PasswordReset": 0}
    assert unknown_rows == {"Message": 0, "SignInCode": 0, "PasswordReset": 0}


def test_a_number_that_replied_stop_does_the_same_work_and_gets_no_text(app):
    from coordinator.clock import now

    stopped = make_user(name="Sam Carter", phone=KNOWN_PHONE)
    stopped.sms_opted_out_at = now()
    db.session.commit()
    stopped_sql, _, stopped_rows = ask(app, "/sign-in/code", "contact", KNOWN_PHONE)
    unknown_sql, _, _ = ask(app, "/sign-in/code", "contact", UNKNOWN_PHONE)
    assert stopped_sql == unknown_sql
    assert stopped_rows == {"Message": 0, "SignInCode": 0, "PasswordReset": 0}
