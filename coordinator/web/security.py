"""The edge of every request: what it brings is cleaned, every answer gets safe headers, and `next=` stays here.

`InputRequest` is the app's request class, so query strings, form fields (the Twilio webhooks'
too), JSON, cookies and the User-Agent (stored with each session) reach views cleaned once, here,
by coordinator/plain_text.py: no NUL or other control characters (PostgreSQL cannot store a NUL; a
form once answered 422 and a texted reply 500), no bidi overrides or zero-width characters, NFC.
Nothing is refused for them: a stray character is dropped and the rest is used. A field whose name
holds "password" loses only what cannot be stored, so a password is never rewritten. Twilio signs
what it sent, so the signature check reads the form as it came (`raw_form`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Request, Response, current_app, request
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.user_agent import UserAgent
from werkzeug.utils import cached_property

from coordinator.plain_text import text_clean, text_storable
from coordinator.services.updates.photos import PHOTOS_PER_UPDATE

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def add_security_headers(response: Response, *, hsts: bool) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.view_args and "token" in request.view_args:
        # The address carries a secret (reset, invitation, sign-in, answer and feed links): never send it on.
        headers["Referrer-Policy"] = "no-referrer"
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if hsts:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    if (
        current_user.is_authenticated
        and request.endpoint != "static"
        and "no-store" not in headers.get("Cache-Control", "")
        and "private" not in headers.get("Cache-Control", "")  # a view that chose private caching (photos)
    ):
        headers["Cache-Control"] = "no-store"
    return response


def register_security_headers(app: Flask) -> None:
    hsts = bool(app.config["HSTS_ENABLED"])
    app.after_request(lambda response: add_security_headers(response, hsts=hsts))


def safe_next_url(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None.

    Only relative paths starting with a single "/" pass: no scheme, no host,
    no "//evil.example" or "/\\evil.example" that browsers treat as a host.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _cleaned(name: str, value: str) -> str:
    return text_storable(value) if "password" in name.lower() else text_clean(value)


def _cleaned_pairs(values: MultiDict) -> ImmutableMultiDict:
    return ImmutableMultiDict([(text_storable(key), _cleaned(key, value)) for key, value in values.items(multi=True)])


def _cleaned_json(value: Any) -> Any:
    if isinstance(value, str):
        return text_clean(value)
    if isinstance(value, list):
        return [_cleaned_json(item) for item in value]
    if isinstance(value, dict):
        return {text_storable(str(key)): _cleaned_json(item) for key, item in value.items()}
    return value


class InputRequest(Request):
    """A request whose args, form, JSON, cookies and User-Agent are cleaned (see the module docstring)."""

    @cached_property
    def args(self) -> ImmutableMultiDict:
        return _cleaned_pairs(super().args)

    @property
    def max_content_length(self) -> int | None:
        """MAX_CONTENT_LENGTH, except for a view marked as taking photos (web/updates.py): room for four of them."""
        limit = super().max_content_length
        if self._max_content_length is None and current_app and self.endpoint:
            view = current_app.view_functions.get(self.endpoint)
            if getattr(view, "takes_photos", False):
                photos = current_app.config["PHOTO_MAX_BYTES"] * PHOTOS_PER_UPDATE
                return max(limit or 0, photos + 1024 * 1024)  # and a megabyte for the words and the form
        return limit

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    def _load_form_data(self) -> None:
        super()._load_form_data()
        if "raw_form" not in self.__dict__:
            self.__dict__["raw_form"] = self.__dict__["form"]
            self.__dict__["form"] = _cleaned_pairs(self.__dict__["form"])

    @property
    def raw_form(self) -> ImmutableMultiDict:
        """The form exactly as it was posted: only for checking a signature over it."""
        self._load_form_data()
        return self.__dict__["raw_form"]

    @cached_property
    def cookies(self) -> ImmutableMultiDict:
        return ImmutableMultiDict([(key, text_storable(value)) for key, value in super().cookies.items(multi=True)])

    @cached_property
    def user_agent(self) -> UserAgent:
        return self.user_agent_class(text_clean(self.headers.get("User-Agent", ""), multiline=False))

    def get_json(self, *args, **kwargs) -> Any:
        return _cleaned_json(super().get_json(*args, **kwargs))


def register_input_cleaning(app: Flask) -> None:
    app.request_class = InputRequest
