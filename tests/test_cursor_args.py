"""A page's `?before=` cursor that is not a row id the database can hold shows the first page, never a 500.

A mangled or hand-edited link reaches the message log, the notes page and the security record with
numbers past PostgreSQL's integer (its NumericValueOutOfRange), past SQLite's (OverflowError), or with
digits that are not ASCII; each reads as no cursor (coordinator/web/query_args.py).
"""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, make_circle, make_user
from tests.web import WebClient

PAGES = ["/circles/{id}/messages", "/circles/{id}/notes", "/circles/{id}/security"]
ODD = ["2147483648", "9223372036854775808", "99999999999999999999999", "²", "١٢", "-1", "1e3", " 7", ""]


@pytest.mark.parametrize("page", PAGES)
def test_an_odd_cursor_shows_the_first_page(app, page):
    coordinator = make_user(name="Daniel Lopez")
    circle = make_circle(coordinator=coordinator)
    browser = WebClient(app.test_client())
    browser.sign_in(coordinator.email, PASSWORD)
    url = page.format(id=circle.id)
    first = browser.get(url)
    assert first.status_code == 200
    for value in ODD:
        response = browser.get(url, query_string={"before": value})
        assert response.status_code == 200, (value, response.status_code)
    assert browser.get(url, query_string={"before": "2147483647"}).status_code == 200  # the largest id is fine
