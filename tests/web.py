"""A thin wrapper over Flask's test client that behaves like a separate browser.

Each request runs on its own thread, so it gets its own app context (its own
`g` and database session) even though the test itself holds one open; and
CSRF tokens are read from the page, as a browser would submit them.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from flask import has_app_context
from flask.testing import FlaskClient

from coordinator.extensions import db

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_from(html: str) -> str | None:
    match = CSRF_FIELD.search(html)
    return (match.group(1) or match.group(2)) if match else None


class WebClient:
    def __init__(self, client: FlaskClient):
        self._client = client
        self.raw = _Isolated(client)

    def get(self, url: str, **kwargs):
        return self.raw.get(url, **kwargs)

    def post(self, url: str, data: dict | None = None, *, form_url: str | None = None, **kwargs):
        """POST like a browser: read the CSRF token from the page the form is on first."""
        page = self.raw.get(form_url or url, follow_redirects=True)
        token = csrf_from(page.get_data(as_text=True))
        if token is None:
            page = self.raw.get("/", follow_redirects=True)
            token = csrf_from(page.get_data(as_text=True)) or self._token_from_form_page()
        payload = {"csrf_token": token, **(data or {})}
        return self.raw.post(url, data=payload, **kwargs)

    def _token_from_form_page(self) -> str | None:
        for url in ("/sign-in", "/account"):
            token = csrf_from(self.raw.get(url, follow_redirects=True).get_data(as_text=True))
            if token:
                return token
        return None

    def sign_in(self, email: str, password: str):
        return self.post("/sign-in", {"email": email, "password": password})

    def sign_out(self):
        return self.post("/sign-out", form_url="/account")

    def cookie(self, name: str = "session") -> str | None:
        found = self.raw.get_cookie(name)
        return found.value if found else None

    def set_cookie(self, value: str, name: str = "session") -> None:
        self.raw.set_cookie(name, value)


class _Isolated:
    """Runs each call of the test client on a fresh thread (no inherited app context)."""

    def __init__(self, client: FlaskClient):
        self._client = client

    def __getattr__(self, name: str):
        target = getattr(self._client, name)
        if name not in {"get", "post", "put", "delete", "patch", "open", "head", "options"}:
            return target

        def call(*args, **kwargs):
            with ThreadPoolExecutor(max_workers=1) as pool:
                response = pool.submit(target, *args, **kwargs).result()
            response.get_data()  # buffer the body so the file or stream behind it can close
            response.close()
            if has_app_context():
                db.session.expire_all()  # the test's own view of the data is now stale
            return response

        return call
